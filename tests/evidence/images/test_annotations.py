"""Annotations on images: the services (revisions, audit, who may write), the
selector checks, the W3C Web Annotation shape, the API, and a count cited by a
claim's quantity estimate (page and export)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from evidence.images import annotations
from evidence.images.annotation_shapes import (
    OverlayShape,
    ShapeError,
    check_shape,
    overlay_svg,
    selector_for,
    shape_from_selector,
)
from evidence.models import (
    EvidenceKind,
    ImageAnnotationRevision,
    ImageDetail,
)
from provenance.audit.models import AuditEvent
from provenance.claims import services as claim_services
from provenance.claims.models import Claim
from provenance.publishing.exports.builders import (
    ExportUrls,
    claim_export,
    iter_claim_exports,
)
from provenance.publishing.exports.prov import prov_json
from provenance.publishing.exports.queries import with_export_relations
from tests.factories import (
    ClaimEvidenceFactory,
    EvidenceItemFactory,
    MembershipFactory,
    UserFactory,
)

SHA = "ab" * 32
W, H = 1200, 800


@pytest.fixture
def image(team):
    item = EvidenceItemFactory(
        team=team,
        kind=EvidenceKind.IMAGE,
        title="Harbour, 14 Oct",
        url="",
        sha256=SHA,
        processing_state="done",
    )
    ImageDetail.objects.create(item=item, width=W, height=H, display="display.jpg")
    return item


def _rect(image, actor, **extra):
    return annotations.annotation_create(
        item_id=image.pk,
        actor=actor,
        shape="rectangle",
        points=[[100, 50], [40, 10]],
        label="containers",
        count=84,
        **extra,
    )


# --- services ---------------------------------------------------------------------


def test_creating_writes_revision_one_and_an_audit_row(image, reporter):
    annotation = _rect(image, reporter, note="north stack")
    assert annotation.points == [[40.0, 10.0], [100.0, 50.0]]  # corners ordered
    assert list(
        annotation.revisions.values_list("version", "action", "count", "by")
    ) == [(1, "created", 84, reporter.pk)]
    event = AuditEvent.objects.filter(action="evidence.annotation_create").get()
    assert event.payload == {
        "annotation": annotation.pk,
        "version": 1,
        "shape": "rectangle",
        "points": [[40.0, 10.0], [100.0, 50.0]],
        "label": "containers",
        "count": 84,
    }


def test_changing_adds_a_revision_and_ending_keeps_the_row(image, reporter):
    annotation = _rect(image, reporter)
    annotations.annotation_update(
        annotation_id=annotation.pk, actor=reporter, count=90, label="containers"
    )
    annotations.annotation_end(annotation_id=annotation.pk, actor=reporter)
    annotation.refresh_from_db()
    assert annotation.version == 3
    assert annotation.ended_by == reporter
    assert list(
        ImageAnnotationRevision.objects.filter(annotation=annotation).values_list(
            "version", "action", "count"
        )
    ) == [(1, "created", 84), (2, "changed", 90), (3, "ended", 90)]
    assert list(
        AuditEvent.objects.filter(action__startswith="evidence.annotation")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "evidence.annotation_create",
        "evidence.annotation_change",
        "evidence.annotation_end",
    ]
    with pytest.raises(ValidationError):
        annotations.annotation_update(
            annotation_id=annotation.pk, actor=reporter, count=1
        )


def test_an_unchanged_update_writes_nothing(image, reporter):
    annotation = _rect(image, reporter)
    annotations.annotation_update(annotation_id=annotation.pk, actor=reporter, count=84)
    assert annotation.revisions.count() == 1


def test_another_teams_staff_can_neither_draw_nor_change(image, reporter, other_team):
    staff = UserFactory(is_staff=True, is_superuser=True)
    MembershipFactory(team=other_team, role="admin", user=staff)
    with pytest.raises(PermissionDenied):
        _rect(image, staff)
    annotation = _rect(image, reporter)
    with pytest.raises(PermissionDenied):
        annotations.annotation_end(annotation_id=annotation.pk, actor=staff)
    assert annotation.revisions.count() == 1


def test_only_the_author_or_an_editor_changes_an_annotation(
    image, reporter, editor, team
):
    other_reporter = MembershipFactory(team=team, role="reporter").user
    annotation = _rect(image, reporter)
    with pytest.raises(PermissionDenied):
        annotations.annotation_end(annotation_id=annotation.pk, actor=other_reporter)
    annotations.annotation_end(annotation_id=annotation.pk, actor=editor)


def test_a_shape_outside_the_original_is_refused(image, reporter):
    with pytest.raises(ValidationError) as exc:
        annotations.annotation_create(
            item_id=image.pk,
            actor=reporter,
            shape="point",
            points=[[1201, 5]],
            label="ship",
        )
    assert exc.value.message_dict == {
        "points": ["The point (1201, 5) is outside the image (1200 × 800 px)."]
    }
    assert not image.annotations.exists()


def test_an_image_not_processed_cannot_be_annotated(team, reporter):
    item = EvidenceItemFactory(team=team, kind=EvidenceKind.LINK)
    with pytest.raises(ValidationError):
        annotations.annotation_create(
            item_id=item.pk,
            actor=reporter,
            shape="point",
            points=[[1, 1]],
            label="x",
        )


# --- selectors (pure) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "points", "message"),
    [
        ("rectangle", [[0, 0], [0, 10]], "A rectangle has a width and a height."),
        ("polygon", [[0, 0], [1, 1]], "A polygon has at least 3 points."),
        ("point", [[1, 1], [2, 2]], "A point has 1 point."),
        ("circle", [[1, 1]], "The shape must be one of point, rectangle, polygon."),
        ("point", [["x", 1]], "Coordinates must be numbers."),
        ("point", [[float("nan"), 1]], "Coordinates must be finite numbers."),
        ("polygon", [[1, 1]] * 501, "A polygon has at most 500 points."),
        ("point", [[-1, 1]], "The point (-1, 1) is outside the image (10 × 10 px)."),
    ],
)
def test_bad_shapes_are_refused_with_a_reason(kind, points, message):
    with pytest.raises(ShapeError) as exc:
        check_shape(kind, points, width=10, height=10)
    assert str(exc.value) == message


def test_selectors_parse_to_shapes_in_the_originals_pixels():
    fragment = {"type": "FragmentSelector", "value": "xywh=pixel:10,20,30,40"}
    svg = {"type": "SvgSelector", "value": '<svg><polygon points="1,2 30,2 30,40"/>'}
    circle = {"type": "SvgSelector", "value": '<svg><circle cx="5" cy="6" r="1"/>'}
    assert shape_from_selector(fragment, width=100, height=100).as_json() == [
        [10, 20],
        [40, 60],
    ]
    assert shape_from_selector(svg, width=100, height=100).kind == "polygon"
    assert shape_from_selector(circle, width=100, height=100).as_json() == [[5, 6]]
    with pytest.raises(ShapeError):
        shape_from_selector(
            {"type": "FragmentSelector", "value": "xywh=percent:1,2,3,4"},
            width=100,
            height=100,
        )
    with pytest.raises(ShapeError):
        shape_from_selector(fragment, width=30, height=100)


def test_selector_round_trips():
    assert selector_for("rectangle", [[10, 20], [40, 60]]) == {
        "type": "FragmentSelector",
        "conformsTo": "http://www.w3.org/TR/media-frags/",
        "value": "xywh=pixel:10,20,30,40",
    }
    assert selector_for("polygon", [[1, 2], [3, 4], [5, 6.5]]) == {
        "type": "SvgSelector",
        "value": '<svg><polygon points="1,2 3,4 5,6.5"/></svg>',
    }


def test_the_overlay_escapes_labels():
    svg = overlay_svg(
        [OverlayShape("point", [[5, 5]], "<script>")], width=100, height=50
    )
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'viewBox="0 0 100 50"' in svg


# --- W3C JSON and the API ---------------------------------------------------------


def test_the_web_annotation_json_is_exact(image, reporter):
    annotation = _rect(image, reporter, note="north stack")
    assert annotations.web_annotation(annotation) == {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": f"urn:provenance:annotation:{annotation.pk}",
        "type": "Annotation",
        "motivation": "assessing",
        "created": annotation.created_at.isoformat(),
        "modified": annotation.updated_at.isoformat(),
        "creator": {"type": "Person", "name": reporter.get_username()},
        "body": [
            {"type": "TextualBody", "purpose": "tagging", "value": "containers"},
            {"type": "TextualBody", "purpose": "describing", "value": "north stack"},
            {"type": "TextualBody", "purpose": "assessing", "value": "containers: 84"},
        ],
        "target": {
            "source": "ni:///sha-256;q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s",
            "selector": {
                "type": "FragmentSelector",
                "conformsTo": "http://www.w3.org/TR/media-frags/",
                "value": "xywh=pixel:40,10,60,40",
            },
        },
        "count": 84,
        "version": 1,
    }


def test_the_api_lists_and_draws_annotations(
    image, reporter, django_assert_max_num_queries
):
    client = Client()
    client.force_login(reporter)
    url = f"/api/v1/evidence/{image.pk}/annotations/"
    created = client.post(
        url,
        {
            "label": "pits",
            "count": 12,
            "selector": {
                "type": "SvgSelector",
                "value": '<svg><polygon points="0,0 100,0 100,90"/></svg>',
            },
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["target"]["selector"]["value"] == (
        '<svg><polygon points="0,0 100,0 100,90"/></svg>'
    )
    _rect(image, reporter)
    with django_assert_max_num_queries(12):
        listed = client.get(url)
    assert [a["body"][0]["value"] for a in listed.json()["items"]] == [
        "pits",
        "containers",
    ]
    refused = client.post(
        url,
        {"label": "x", "shape": "point", "points": [[5000, 1]]},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused.json()["points"] == [
        "The point (5000, 1) is outside the image (1200 × 800 px)."
    ]
    # A refused selector is reported under the field that was sent.
    script = {"type": "SvgSelector", "value": "<svg><script>x()</script></svg>"}
    refused = client.post(
        url, {"label": "x", "selector": script}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "selector": ["An SvgSelector holds one <polygon> or <circle>."]
    }


def test_another_team_reads_no_annotation(image, reporter, outsider):
    _rect(image, reporter)
    client = Client()
    client.force_login(outsider)
    assert client.get(f"/api/v1/evidence/{image.pk}/annotations/").status_code == 404
    assert client.get(f"/evidence/{image.pk}/annotate/").status_code == 404


# --- counts as estimates ----------------------------------------------------------


def test_a_count_becomes_a_quantity_estimate_citing_the_annotation(
    image, reporter, team
):
    link = ClaimEvidenceFactory(claim__team=team, item=image, relation="supports")
    annotation = _rect(image, reporter)
    estimate = claim_services.quantity_estimate_from_annotation(
        claim_id=link.claim_id, annotation_id=annotation.pk, actor=reporter
    )
    assert (estimate.amount, estimate.unit, estimate.bound) == (
        Decimal(84),
        "containers",
        "exact",
    )
    assert estimate.annotation == annotation
    assert estimate.source_label == (
        f"counted on Harbour, 14 Oct (annotation by {reporter.get_username()})"
    )
    event = AuditEvent.objects.filter(action="claim.quantity_estimate").get()
    assert event.payload["annotation"] == annotation.pk

    client = Client()
    client.force_login(reporter)
    page = client.get(f"/claims/{link.claim_id}/").content.decode()
    assert (
        f'84 containers — counted on <a href="/evidence/{image.pk}/annotate/'
        f'?highlight={annotation.pk}#a{annotation.pk}">Harbour, 14 Oct</a> '
        f"(annotation by {reporter.get_username()})"
    ) in page

    claim = with_export_relations(
        Claim.objects.filter(pk=link.claim_id), public=False
    ).get()
    urls = ExportUrls("http://testserver")
    export = claim_export(claim, public=False, urls=urls)
    assert export.quantity_estimates[0].annotation == annotations.web_annotation(
        annotation
    )
    assert export.annotations == (annotations.web_annotation(annotation),)
    # The bulk export loads the estimate and its annotation from value rows.
    assert list(
        iter_claim_exports(
            Claim.objects.filter(pk=link.claim_id), public=False, urls=urls
        )
    ) == [export]
    prov = prov_json(export, urls=urls)
    assert f"annotation/{annotation.pk}" in prov
    assert "quantity_estimate" in prov


def test_an_annotation_without_a_count_is_not_an_estimate(image, reporter, team):
    link = ClaimEvidenceFactory(claim__team=team, item=image)
    annotation = annotations.annotation_create(
        item_id=image.pk,
        actor=reporter,
        shape="point",
        points=[[1, 1]],
        label="crane",
    )
    with pytest.raises(ValidationError):
        claim_services.quantity_estimate_from_annotation(
            claim_id=link.claim_id, annotation_id=annotation.pk, actor=reporter
        )


def test_the_claim_timeline_lists_the_annotation(image, reporter, team):
    link = ClaimEvidenceFactory(claim__team=team, item=image)
    _rect(image, reporter)
    client = Client()
    client.force_login(reporter)
    page = client.get(f"/claims/{link.claim_id}/").content.decode()
    assert "Annotation: containers: 84 on Harbour, 14 Oct" in page


def test_the_timeline_as_of_a_date_shows_the_count_the_annotation_had_then(
    image, reporter, team
):
    from django.utils import timezone

    from provenance.claims.selectors import claim_as_of, claim_timeline

    link = ClaimEvidenceFactory(claim__team=team, item=image)
    annotation = _rect(image, reporter)
    between = timezone.now()
    annotations.annotation_update(
        annotation_id=annotation.pk, actor=reporter, label="crates", count=90
    )

    def labels(when):
        state = claim_as_of(claim=link.claim, when=when)
        events = claim_timeline(claim=link.claim, state=state, dates="recorded")
        return [e.label for e in events if e.marker == "annotation"]

    title = image.title
    assert labels(between) == [f"Annotation: containers: 84 on {title}"]
    assert labels(timezone.now()) == [f"Annotation: crates: 90 on {title}"]
    annotations.annotation_end(annotation_id=annotation.pk, actor=reporter)
    assert labels(timezone.now()) == []


def test_the_dossier_draws_the_shapes_over_the_originals_frame(image, reporter, team):
    link = ClaimEvidenceFactory(claim__team=team, item=image)
    _rect(image, reporter)
    client = Client()
    client.force_login(reporter)
    page = client.get(f"/claims/{link.claim_id}/dossier/").content.decode()
    assert 'viewBox="0 0 1200 800"' in page
    assert '<rect x="40" y="10" width="60" height="40"' in page
    assert "containers: 84 (rectangle, by" in page


def test_the_no_js_form_saves_a_rectangle_by_numbers(image, reporter):
    client = Client()
    client.force_login(reporter)
    url = f"/evidence/{image.pk}/annotate/"
    response = client.post(
        url,
        {"x": "10", "y": "20", "width": "30", "height": "40", "label": "pits"},
    )
    annotation = image.annotations.get()
    assert response.status_code == 302
    assert response["Location"] == f"{url}?highlight={annotation.pk}#a{annotation.pk}"
    assert annotation.points == [[10, 20], [40, 60]]
    refused = client.post(
        url,
        {"x": "1190", "y": "0", "width": "30", "height": "40", "label": "pits"},
    )
    assert refused.status_code == 400
    assert "is outside the image (1200 × 800 px)" in refused.content.decode()
    assert image.annotations.count() == 1


def test_the_annotate_page_reads_a_fixed_number_of_queries(
    image, reporter, django_assert_max_num_queries
):
    client = Client()
    client.force_login(reporter)
    for _ in range(5):
        _rect(image, reporter)
    with django_assert_max_num_queries(20):
        page = client.get(f"/evidence/{image.pk}/annotate/")
    assert page.content.decode().count('data-annotation="') == 5


# --- changing an annotation after it was made ------------------------------------


def _patch(client, image, annotation, body):
    return client.patch(
        f"/api/v1/evidence/{image.pk}/annotations/{annotation.pk}/",
        body,
        content_type="application/json",
    )


def test_the_api_changes_label_note_count_and_shape_as_a_new_revision(
    image, reporter, django_assert_max_num_queries
):
    annotation = _rect(image, reporter)
    client = Client()
    client.force_login(reporter)
    with django_assert_max_num_queries(24):
        changed = _patch(
            client,
            image,
            annotation,
            {
                "label": "reefers",
                "note": "recounted",
                "count": 90,
                "selector": {
                    "type": "SvgSelector",
                    "value": '<svg><polygon points="10,10 200,10 200,150"/></svg>',
                },
            },
        )
    assert changed.status_code == 200, changed.content
    data = changed.json()
    assert data["version"] == 2
    assert data["count"] == 90
    assert [b["value"] for b in data["body"]] == [
        "reefers",
        "recounted",
        "reefers: 90",
    ]
    assert data["target"]["selector"]["type"] == "SvgSelector"
    annotation.refresh_from_db()
    assert (annotation.shape, annotation.points) == (
        "polygon",
        [[10, 10], [200, 10], [200, 150]],
    )
    revisions = list(annotation.revisions.values_list("version", "action", "count"))
    assert revisions == [(1, "created", 84), (2, "changed", 90)]
    event = AuditEvent.objects.filter(action="evidence.annotation_change").get()
    assert event.payload["changed"] == ["shape", "points", "label", "note", "count"]
    cleared = _patch(client, image, annotation, {"count": None})
    assert cleared.json()["count"] is None
    assert cleared.json()["motivation"] == "tagging"


def test_changing_an_annotation_is_refused_with_the_create_rules(
    image, reporter, team, other_team
):
    annotation = _rect(image, reporter)
    other_reporter = MembershipFactory(team=team, role="reporter").user
    editor = MembershipFactory(team=team, role="editor").user
    outsider = MembershipFactory(team=other_team, role="editor").user
    client = Client()
    client.force_login(other_reporter)
    assert _patch(client, image, annotation, {"count": 1}).status_code == 403
    client.force_login(outsider)
    assert _patch(client, image, annotation, {"count": 1}).status_code == 404
    client.force_login(editor)
    assert _patch(client, image, annotation, {"count": 1}).status_code == 200
    client.force_login(reporter)
    assert _patch(client, image, annotation, {}).status_code == 400
    outside = _patch(client, image, annotation, {"points": [[5000, 1]]})
    assert outside.status_code == 400
    other_image = EvidenceItemFactory(team=team, kind=EvidenceKind.IMAGE)
    assert _patch(client, other_image, annotation, {"count": 1}).status_code == 404
    annotations.annotation_end(annotation_id=annotation.pk, actor=reporter)
    ended = _patch(client, image, annotation, {"count": 2})
    assert ended.status_code == 400
    assert annotation.revisions.count() == 3  # created, changed by the editor, ended


def test_a_publisher_cannot_change_an_annotation(image, reporter, team):
    from tests.provenance.publishing.api.helpers import (
        make_publisher,
        publisher_client,
    )

    annotation = _rect(image, reporter)
    client = publisher_client(make_publisher(team).key)
    assert _patch(client, image, annotation, {"count": 1}).status_code == 403


def test_an_estimate_keeps_citing_the_revision_it_was_counted_on(image, reporter, team):
    link = ClaimEvidenceFactory(claim__team=team, item=image, relation="supports")
    annotation = _rect(image, reporter)
    counted = annotations.web_annotation(annotation)
    estimate = claim_services.quantity_estimate_from_annotation(
        claim_id=link.claim_id, annotation_id=annotation.pk, actor=reporter
    )
    assert estimate.annotation_revision.version == 1
    changed = annotations.annotation_update(
        annotation_id=annotation.pk, actor=reporter, count=90, label="reefers"
    )
    claim = with_export_relations(
        Claim.objects.filter(pk=link.claim_id), public=False
    ).get()
    export = claim_export(claim, public=False, urls=ExportUrls("http://testserver"))
    cited = export.quantity_estimates[0].annotation
    assert cited["count"] == 84
    assert cited["version"] == 1
    assert cited["body"] == counted["body"]
    assert cited["target"] == counted["target"]
    assert cited["modified"] == counted["modified"]
    assert export.annotations == (annotations.web_annotation(changed),)
    assert export.annotations[0]["count"] == 90
    event = AuditEvent.objects.filter(action="claim.quantity_estimate").get()
    assert event.payload["annotation_version"] == 1


def test_publishers_see_an_annotation_as_it_stood_at_publication(image, reporter, team):
    from provenance.publishing.exports.builders import claim_export as build
    from tests.provenance.publishing.api.helpers import made_public, published

    claim = published(team)
    ClaimEvidenceFactory(claim=claim, item=image, relation="supports")
    annotation = _rect(image, reporter)
    made_public(claim)
    annotations.annotation_update(annotation_id=annotation.pk, actor=reporter, count=90)
    loaded = with_export_relations(Claim.objects.filter(pk=claim.pk), public=True).get()
    export = build(loaded, public=True, urls=ExportUrls("http://testserver"))
    assert [(a["count"], a["version"]) for a in export.annotations] == [(84, 1)]


def test_an_annotation_ended_after_publication_stays_published_until_corrected(
    image, reporter, team
):
    from provenance.publishing.exports.builders import claim_export as build
    from tests.provenance.publishing.api.helpers import made_public, published

    claim = published(team)
    ClaimEvidenceFactory(claim=claim, item=image, relation="supports")
    kept = _rect(image, reporter)
    gone = annotations.annotation_create(
        item_id=image.pk,
        actor=reporter,
        shape="point",
        points=[[10, 10]],
        label="wagons",
    )
    annotations.annotation_end(annotation_id=gone.pk, actor=reporter)
    made_public(claim)
    # Ended after the publication: the public record still shows it.
    annotations.annotation_end(annotation_id=kept.pk, actor=reporter)

    def published_labels() -> list[tuple[str, int]]:
        rows = with_export_relations(Claim.objects.filter(pk=claim.pk), public=True)
        export = build(rows.get(), public=True, urls=ExportUrls("http://testserver"))
        return [(a["body"][0]["value"], a["version"]) for a in export.annotations]

    assert published_labels() == [("containers", 1)]
    made_public(claim)  # the next correction publishes the end
    assert published_labels() == []
