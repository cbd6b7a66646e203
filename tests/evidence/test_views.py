"""Evidence pages: forms, list, detail, status polling, media, upload limits."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse

from evidence import views
from evidence.models import CustodyEvent, EvidenceItem
from provenance.claims.models import ClaimEvidence
from tests.factories import ClaimFactory, EntityFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def upload(image_path, name, *, as_name=None):
    return SimpleUploadedFile(as_name or name, image_path(name).read_bytes())


# --- adding through the forms ---------------------------------------------------------


def test_image_form_adds_and_processes_an_image(
    editor_client, image_path, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("evidence:add-image"),
            {
                "file": upload(image_path, "plain.jpg"),
                "title": "Rajin, 14 Oct",
                "source_reliability": "B",
                "information_credibility": "2",
            },
        )

    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == item.get_absolute_url()
    assert (item.title, item.grade, item.processing_state) == (
        "Rajin, 14 Oct",
        "B2",
        "done",
    )


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("drawing.svg", "This file is an SVG drawing, not an accepted image."),
        ("html_named.jpg", "This file is an HTML page, not an accepted image."),
        ("pdf_named.jpg", "This file is a PDF document, not an accepted image."),
        ("truncated.jpg", "The image file is incomplete (truncated); upload it again."),
        ("bomb.png", "The image is larger than the 50,000,000-pixel limit."),
    ],
)
def test_image_form_shows_a_clear_refusal(
    editor_client, image_path, snapshot, name, message
):
    before = snapshot()

    response = editor_client.post(
        reverse("evidence:add-image"),
        {
            "file": upload(image_path, name),
            "source_reliability": "F",
            "information_credibility": "6",
        },
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_duplicate_upload_shows_already_stored_with_a_link(
    editor_client, add_image, image_path, snapshot
):
    existing = add_image("plain.jpg")
    before = snapshot()

    response = editor_client.post(
        reverse("evidence:add-image"),
        {
            "file": upload(image_path, "plain.jpg", as_name="again.jpg"),
            "source_reliability": "F",
            "information_credibility": "6",
        },
    )

    html = response.content.decode()
    assert response.status_code == 400
    assert "Already stored" in html
    assert f'href="{existing.get_absolute_url()}"' in html
    assert snapshot() == before


def test_statement_form_adds_a_statement(editor_client, team):
    speaker = EntityFactory(team=team, kind="person", name="Oleg Burmistrov")

    response = editor_client.post(
        reverse("evidence:add-statement"),
        {
            "speaker": speaker.pk,
            "stated_at": "2023-10-15T09:00",
            "quote": "No violation.",
            "source_reliability": "B",
            "information_credibility": "3",
        },
    )

    assert response.status_code == 302
    assert EvidenceItem.objects.get().statement.quote == "No violation."


def test_link_form_requires_a_url(editor_client):
    response = editor_client.post(
        reverse("evidence:add-link"),
        {"title": "x", "source_reliability": "F", "information_credibility": "6"},
    )

    assert response.status_code == 400
    assert EvidenceItem.objects.count() == 0


def test_document_form_stores_a_pdf(editor_client, image_path):
    response = editor_client.post(
        reverse("evidence:add-document"),
        {
            "file": upload(image_path, "report.pdf"),
            "source_reliability": "A",
            "information_credibility": "2",
        },
    )

    assert response.status_code == 302
    assert EvidenceItem.objects.get().mime_type == "application/pdf"


def test_upload_forms_offer_drag_and_drop_with_a_plain_file_field(editor_client):
    html = editor_client.get(reverse("evidence:add-image")).content.decode()

    assert "data-dropzone" in html
    assert 'type="file"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "js/evidence.js" in html


# --- upload size: 413 before anything is stored ---------------------------------------


def test_oversized_upload_gets_413_before_anything_is_stored(
    editor_client, image_path, settings, snapshot
):
    settings.UPLOAD_MAX_BYTES = {**settings.UPLOAD_MAX_BYTES, "image": 4096}
    before = snapshot()

    response = editor_client.post(
        reverse("evidence:add-image"),
        {"file": upload(image_path, "plain.jpg")},
    )

    assert response.status_code == 413
    assert "Nothing was stored" in response.content.decode()
    assert snapshot() == before


def test_upload_without_a_truthful_length_is_stopped_by_the_upload_handler(
    editor, image_path, settings, snapshot
):
    # The middleware judged the request by its Content-Length (absent or small for
    # a chunked upload); the handler counts the bytes actually received.
    before = snapshot()
    request = RequestFactory().post(
        "/evidence/add/image/", {"file": upload(image_path, "plain.jpg")}
    )
    request.user = editor
    request.upload_limit = 1024
    request._dont_enforce_csrf_checks = True

    response = views.image_add(request)

    assert response.status_code == 413
    assert snapshot() == before


def test_upload_views_carry_their_kind_for_the_middleware():
    from provenance.claims import views_evidence

    assert views.image_add.upload_kind == "image"
    assert views.document_add.upload_kind == "document"
    assert views_evidence.claim_add_image.upload_kind == "image"


# --- list and detail ------------------------------------------------------------------


def test_list_filters_by_kind_and_grade(editor_client, team, editor):
    from evidence.documents import services

    services.evidence_add_link(
        team=team, actor=editor, url="https://a.example/", title="Alpha link"
    )
    services.evidence_add_link(
        team=team,
        actor=editor,
        url="https://b.example/",
        title="Beta graded",
        source_reliability="B",
    )

    by_grade = editor_client.get(reverse("evidence:item-list"), {"reliability": "B"})
    by_kind = editor_client.get(reverse("evidence:item-list"), {"kind": "image"})

    assert (by_grade.status_code, by_kind.status_code) == (200, 200)
    assert "Beta graded" in by_grade.content.decode()
    assert "Alpha link" not in by_grade.content.decode()
    assert [item.title for item in by_grade.context["page"]] == ["Beta graded"]
    assert [item.title for item in by_kind.context["page"]] == []  # links only
    assert "Alpha link" not in by_kind.content.decode()


def test_list_does_not_show_another_teams_evidence(
    outsider_client, outsider, other_team, add_image
):
    add_image("plain.jpg", title="Ours only")
    add_image("plain.jpg", title="Theirs", team_=other_team, actor=outsider)

    response = outsider_client.get(reverse("evidence:item-list"))

    assert response.status_code == 200
    assert "Theirs" in response.content.decode()
    assert "Ours only" not in response.content.decode()


def test_list_page_query_count_is_constant_from_5_to_30_items(
    editor_client, team, editor, add_image, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import EvidenceItemFactory

    add_image("plain.jpg")  # an image with its detail and thumbnail
    EvidenceItemFactory.create_batch(4, team=team, added_by=editor)
    counts = []
    for more in (0, 25):
        EvidenceItemFactory.create_batch(more, team=team, added_by=editor)
        with (
            django_assert_max_num_queries(6),
            CaptureQueriesContext(connection) as queries,
        ):
            response = editor_client.get(reverse("evidence:item-list"))
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_detail_shows_exif_gps_hashes_and_linked_claims(
    editor_client, add_image, team, editor
):
    item = add_image("exif_gps.jpg")
    claim = ClaimFactory(team=team, author=editor, text="Ships loaded at Rajin")
    ClaimEvidence.objects.create(claim=claim, item=item, relation="supports")

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert item.sha256 in html
    assert item.image.phash in html
    assert "Provenance Test Camera Co." in html  # the EXIF table
    assert f"{item.image.gps_latitude:.6f}" in html
    assert "Ships loaded at Rajin" in html
    assert "carries no Content Credentials" in html
    assert "Chain of custody" in html


def test_detail_lists_near_duplicates_with_their_distance(editor_client, add_image):
    original = add_image("plain.jpg", title="Original pass")
    copy = add_image("plain_resized.jpg", title="Resized copy")
    distance = copy.near_duplicates.get().distance

    html = editor_client.get(original.get_absolute_url()).content.decode()

    section = html.split("<h2>Near-duplicates</h2>")[1]
    assert "Resized copy" in section
    assert f"distance {distance}" in section


def test_detail_shows_signed_content_credentials(editor_client, add_image):
    item = add_image("c2pa_signed.jpg")

    response = editor_client.get(item.get_absolute_url())
    html = response.content.decode()

    assert response.status_code == 200
    assert "Content Credentials (C2PA)" in html
    assert "Provenance Test Signer" in html
    assert '<span class="badge">valid</span>' in html
    assert (
        "Intact and correctly signed; no trust list is configured, so no signer "
        "is shown as trusted." in html
    )


def test_detail_of_another_teams_item_is_404(outsider_client, add_image):
    item = add_image("plain.jpg")

    assert outsider_client.get(item.get_absolute_url()).status_code == 404


def test_pending_detail_page_polls_the_status_endpoint(editor_client, add_image):
    item = add_image("plain.jpg")
    EvidenceItem.objects.filter(pk=item.pk).update(processing_state="pending")

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert (
        f'data-status-url="{reverse("evidence:item-status", args=[item.pk])}"' in html
    )
    assert 'data-pending="1"' in html
    assert "js/evidence.js" in html
    assert "<script>" not in html  # CSP: no inline scripts
    # That the script polls and updates the page: tests/e2e/test_processing_poll.py.


def test_status_endpoint_reports_state_and_the_refreshed_facts(
    editor_client, add_image
):
    item = add_image("plain.jpg")
    EvidenceItem.objects.filter(pk=item.pk).update(
        processing_state="failed", processing_error="The image data is damaged."
    )

    data = editor_client.get(reverse("evidence:item-status", args=[item.pk])).json()

    assert data["state"] == "failed"
    assert data["is_pending"] is False
    assert data["error"] == "The image data is damaged."
    assert "The image data is damaged." in data["html"]


def test_status_endpoint_is_404_for_another_team(outsider_client, add_image):
    item = add_image("plain.jpg")

    response = outsider_client.get(reverse("evidence:item-status", args=[item.pk]))

    assert response.status_code == 404


def test_restrict_button_marks_the_item_restricted(editor_client, add_image):
    item = add_image("plain.jpg")

    editor_client.post(
        reverse("evidence:item-restrict", args=[item.pk]), {"is_restricted": "1"}
    )

    item.refresh_from_db()
    assert item.is_restricted is True


# --- media ----------------------------------------------------------------------------


def test_original_is_served_as_an_attachment_with_safe_headers(
    editor_client, add_image, image_path, editor
):
    item = add_image("png_named.jpg")

    response = editor_client.get(reverse("evidence:item-original", args=[item.pk]))

    assert response.status_code == 200
    assert (
        b"".join(response.streaming_content) == image_path("png_named.jpg").read_bytes()
    )
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="png_named.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"


def test_each_download_of_the_original_is_in_the_custody_log(
    editor_client, add_image, editor
):
    item = add_image("plain.jpg")

    for _ in range(2):
        editor_client.get(reverse("evidence:item-original", args=[item.pk]))

    downloads = item.custody_events.filter(action=CustodyEvent.Action.DOWNLOADED)
    assert [e.actor for e in downloads] == [editor, editor]


@pytest.mark.parametrize("which", ["thumbnail", "display"])
def test_derivatives_are_served_inline_with_safe_headers(
    editor_client, add_image, which
):
    item = add_image("plain.jpg")

    response = editor_client.get(reverse(f"evidence:item-{which}", args=[item.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == "inline"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("which", ["original", "thumbnail", "display"])
def test_media_are_404_for_another_teams_member(outsider_client, add_image, which):
    item = add_image("plain.jpg")

    response = outsider_client.get(reverse(f"evidence:item-{which}", args=[item.pk]))

    assert response.status_code == 404
    assert not item.custody_events.filter(action="downloaded").exists()


def test_media_need_a_login(client, add_image):
    item = add_image("plain.jpg")

    response = client.get(reverse("evidence:item-original", args=[item.pk]))

    assert response.status_code == 302


def test_member_of_two_teams_can_fetch_media_of_either(add_image, login_as, team):
    item = add_image("plain.jpg")
    member = MembershipFactory(team=team, role="reporter").user
    MembershipFactory(user=member, role="reporter")

    response = login_as(member).get(reverse("evidence:item-thumbnail", args=[item.pk]))

    assert response.status_code == 200


def test_media_folder_is_not_served_by_url(editor_client, add_image):
    item = add_image("plain.jpg")

    response = editor_client.get(f"/media/{item.file.name}")

    assert response.status_code == 404


# --- claim side -----------------------------------------------------------------------


def test_statement_added_from_a_claim_is_linked_with_its_stance(
    editor_client, team, editor
):
    claim = ClaimFactory(team=team, author=editor)
    speaker = EntityFactory(team=team, kind="person", name="Oleg Burmistrov")

    response = editor_client.post(
        reverse("provenance:claim-evidence-add-statement", args=[claim.pk]),
        {
            "relation": "contradicts",
            "stance": "denies",
            "speaker": speaker.pk,
            "stated_at": "2023-10-15T09:00",
            "quote": "Moscow did not violate UN sanctions.",
            "source_reliability": "B",
            "information_credibility": "3",
        },
    )

    link = ClaimEvidence.objects.get()
    assert response.status_code == 302
    assert (link.claim, link.relation, link.stance) == (claim, "contradicts", "denies")
    page = editor_client.get(claim.get_absolute_url()).content.decode()
    assert "Moscow did not violate UN sanctions." in page


def test_claim_page_lists_denials_newest_first(editor_client, team, editor):
    from evidence.documents import services
    from provenance.claims.services import evidence_attach

    claim = ClaimFactory(team=team, author=editor)
    for when, quote in [
        (datetime(2023, 9, 1, tzinfo=UTC), "Pyongyang: no weapons sent."),
        (datetime(2023, 10, 15, tzinfo=UTC), "Moscow: no sanctions violated."),
    ]:
        speaker = EntityFactory(team=team, kind="person")
        item = services.evidence_add_statement(
            team=team, actor=editor, speaker=speaker, stated_at=when, quote=quote
        )
        evidence_attach(
            claim_id=claim.pk,
            item_id=item.pk,
            actor=editor,
            relation="contradicts",
            stance="denies",
        )

    html = editor_client.get(claim.get_absolute_url()).content.decode()
    denials = html.split('<h2 id="denials-heading">Denials</h2>')[1]
    assert denials.index("Moscow") < denials.index("Pyongyang")


def test_image_added_from_a_claim_is_linked(
    editor_client, team, editor, image_path, django_capture_on_commit_callbacks
):
    claim = ClaimFactory(team=team, author=editor)

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("provenance:claim-evidence-add-image", args=[claim.pk]),
            {
                "relation": "supports",
                "file": upload(image_path, "plain.jpg"),
                "source_reliability": "B",
                "information_credibility": "2",
            },
        )

    assert response.status_code == 302
    link = ClaimEvidence.objects.get()
    assert link.item.processing_state == "done"
    assert link.stance == ""


def test_duplicate_from_a_claim_offers_linking_the_existing_item(
    editor_client, team, editor, add_image, image_path
):
    existing = add_image("plain.jpg")
    claim = ClaimFactory(team=team, author=editor)

    response = editor_client.post(
        reverse("provenance:claim-evidence-add-image", args=[claim.pk]),
        {
            "relation": "supports",
            "note": "Same image as RUSI's",
            "file": upload(image_path, "plain.jpg"),
            "source_reliability": "B",
            "information_credibility": "2",
        },
    )
    html = response.content.decode()
    assert "Link the existing item to this claim" in html
    assert ClaimEvidence.objects.count() == 0

    editor_client.post(
        reverse("provenance:claim-evidence-link", args=[claim.pk]),
        {"item": existing.pk, "relation": "supports", "note": "Same image as RUSI's"},
    )

    link = ClaimEvidence.objects.get()
    assert (link.item, link.note) == (existing, "Same image as RUSI's")


def test_claim_page_has_an_add_evidence_button(editor_client, team, editor):
    claim = ClaimFactory(team=team, author=editor)

    html = editor_client.get(claim.get_absolute_url()).content.decode()

    assert reverse("provenance:claim-evidence-add", args=[claim.pk]) in html


def test_claim_side_pages_are_404_for_another_team(outsider_client, team, editor):
    claim = ClaimFactory(team=team, author=editor)

    response = outsider_client.get(
        reverse("provenance:claim-evidence-add-image", args=[claim.pk])
    )

    assert response.status_code == 404


def test_upload_views_still_check_csrf(editor, image_path):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(editor, backend=settings.AUTHENTICATION_BACKENDS[-1])

    response = client.post(
        reverse("evidence:add-image"), {"file": upload(image_path, "plain.jpg")}
    )

    assert response.status_code == 403
    assert EvidenceItem.objects.count() == 0
