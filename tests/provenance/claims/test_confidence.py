from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from provenance.claims import selectors, services
from provenance.claims.models import ConfidenceAssessment, QuantityEstimate
from tests.factories import (
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceItemFactory,
    StatementFactory,
)
from tests.provenance.publishing.api.helpers import relabelled_claim


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)


@pytest.fixture
def claim(team, reporter):
    return services.claim_create(
        team=team, actor=reporter, text="Old text", at=at("2023-09-05")
    )


def test_assessment_records_level_rationale_and_cited_evidence(claim, reporter):
    link = ClaimEvidenceFactory(claim=claim, item__team=claim.team)
    assessment = services.confidence_assess(
        claim_id=claim.pk,
        actor=reporter,
        level="likely",
        rationale="White House figure.",
        evidence_ids=[link.item_id],
    )
    assert assessment.level == "likely"
    assert list(assessment.evidence.values_list("pk", flat=True)) == [link.item_id]


def test_citing_evidence_not_linked_to_the_claim_is_refused(claim, reporter):
    stray = EvidenceItemFactory(team=claim.team)
    with pytest.raises(ValidationError) as error:
        services.confidence_assess(
            claim_id=claim.pk,
            actor=reporter,
            level="likely",
            rationale="x",
            evidence_ids=[stray.pk],
        )
    assert "evidence" in error.value.message_dict
    assert ConfidenceAssessment.objects.count() == 0


def test_an_assessment_needs_a_rationale(claim, reporter):
    with pytest.raises(ValidationError):
        services.confidence_assess(
            claim_id=claim.pk, actor=reporter, level="likely", rationale="  "
        )


def test_outsiders_cannot_assess(claim, outsider):
    with pytest.raises(PermissionDenied):
        services.confidence_assess(
            claim_id=claim.pk, actor=outsider, level="likely", rationale="x"
        )


def test_a_superseding_assessment_names_the_one_it_corrects(claim, reporter):
    wrong = services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="almost_certain", rationale="Typo"
    )
    fixed = services.confidence_assess(
        claim_id=claim.pk,
        actor=reporter,
        level="likely",
        rationale="Corrects the previous entry",
        supersedes_id=wrong.pk,
    )
    assert fixed.supersedes_id == wrong.pk
    assert ConfidenceAssessment.objects.filter(pk=wrong.pk).exists()
    assert selectors.current_assessment(claim) == fixed


def test_as_of_uses_recorded_history_not_current_fields(claim, reporter, editor):
    services.confidence_assess(
        claim_id=claim.pk,
        actor=reporter,
        level="roughly_even_chance",
        rationale="Suspicion",
        at=at("2023-09-05"),
    )
    services.claim_update(
        claim_id=claim.pk,
        actor=reporter,
        # The assessment made version 2 (issue 12: reviewers decide on a version).
        expected_version=2,
        text="New text",
        quantity_amount=Decimal(1000),
        quantity_unit="containers",
        quantity_bound="at_least",
        at=at("2023-10-13"),
    )
    services.confidence_assess(
        claim_id=claim.pk,
        actor=editor,
        level="likely",
        rationale="Figure",
        at=at("2023-10-13"),
    )
    claim.refresh_from_db()
    before = selectors.claim_as_of(
        claim=claim, when=selectors.end_of_day(date(2023, 10, 12))
    )
    after = selectors.claim_as_of(
        claim=claim, when=selectors.end_of_day(date(2023, 10, 17))
    )
    assert (before.text, before.quantity_display, before.confidence.level) == (
        "Old text",
        "",
        "roughly_even_chance",
    )
    assert (after.text, after.quantity_display, after.confidence.level) == (
        "New text",
        "at least 1,000 containers",
        "likely",
    )


def test_a_backfilled_assessment_shows_only_after_it_was_recorded(claim, reporter):
    services.confidence_assess(
        claim_id=claim.pk,
        actor=reporter,
        level="unlikely",
        rationale="Back-filled later",
        effective_at=at("2023-09-10"),
        at=at("2023-11-01"),
    )
    day = selectors.end_of_day(date(2023, 9, 20))
    recorded = selectors.claim_as_of(claim=claim, when=day, axis="recorded")
    happened = selectors.claim_as_of(claim=claim, when=day, axis="happened")
    assert recorded.confidence is None
    assert happened.confidence.level == "unlikely"


def test_as_of_counts_denials_linked_by_then(claim, reporter):
    early = StatementFactory(item__team=claim.team, stated_at=at("2023-09-01"))
    late = StatementFactory(item__team=claim.team, stated_at=at("2023-10-15"))
    services.evidence_attach(
        claim_id=claim.pk,
        item_id=early.item_id,
        actor=reporter,
        relation="contradicts",
        stance="denies",
        at=at("2023-09-05"),
    )
    services.evidence_attach(
        claim_id=claim.pk,
        item_id=late.item_id,
        actor=reporter,
        relation="contradicts",
        stance="denies",
        at=at("2023-10-15"),
    )
    claim.refresh_from_db()
    then = selectors.claim_as_of(claim=claim, when=at("2023-10-12"))
    now = selectors.claim_as_of(claim=claim, when=at("2023-10-17"))
    assert [d.item_id for d in then.denials] == [early.item_id]
    assert [d.item_id for d in now.denials] == [late.item_id, early.item_id]


def test_quantity_revision_keeps_the_old_value_in_history(claim, reporter):
    services.quantity_estimate_add(
        claim_id=claim.pk,
        actor=reporter,
        amount=Decimal(1000),
        unit="containers",
        bound="at_least",
        source_label="White House",
        make_current=True,
        at=at("2023-10-13"),
    )
    services.quantity_estimate_add(
        claim_id=claim.pk,
        actor=reporter,
        amount=Decimal(2000),
        unit="containers",
        bound="about",
        source_label="Later report",
        make_current=True,
        at=at("2023-12-01"),
    )
    claim.refresh_from_db()
    assert claim.quantity_display == "about 2,000 containers"
    assert list(
        QuantityEstimate.objects.order_by("pk").values_list("is_current", flat=True)
    ) == [False, True]
    october = selectors.claim_as_of(claim=claim, when=at("2023-10-20"))
    assert october.quantity_display == "at least 1,000 containers"


def test_claim_page_marks_the_confidence_in_force(reporter_client, claim, reporter):
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="very_likely", rationale="Imagery"
    )
    response = reporter_client.get(reverse("provenance:claim-detail", args=[claim.pk]))
    assert b'data-confidence="very_likely"' in response.content


def test_claim_page_as_of_shows_the_old_text(reporter_client, claim, reporter):
    services.claim_update(
        claim_id=claim.pk,
        actor=reporter,
        expected_version=1,
        text="Sharpened text",
        at=at("2023-10-13"),
    )
    url = reverse("provenance:claim-detail", args=[claim.pk])
    old = reporter_client.get(url, {"as_of": "2023-10-12"})
    assert b'<h1 class="claim-text">Old text</h1>' in old.content
    new = reporter_client.get(url, {"as_of": "2023-10-17"})
    assert b'<h1 class="claim-text">Sharpened text</h1>' in new.content


def test_claim_page_as_of_shows_the_subjects_and_tags_of_then(
    reporter_client, team, reporter
):
    claim, _, _ = relabelled_claim(team, reporter)
    url = reverse("provenance:claim-detail", args=[claim.pk])
    old = reporter_client.get(url, {"as_of": "2023-10-12"}).content.decode()
    assert "Rajin port authority" in old
    assert "?tag=ports" in old
    assert "Tikhoretsk railhead" not in old
    assert "?tag=rail" not in old
    new = reporter_client.get(url, {"as_of": "2023-10-17"}).content.decode()
    assert "Tikhoretsk railhead" in new
    assert "Rajin port authority" not in new
    state = selectors.claim_as_of(claim=claim, when=at("2023-10-12"))
    subjects, tags = selectors.claim_labels_as_of(state)
    assert ([s.name for s in subjects], [t.slug for t in tags]) == (
        ["Rajin port authority"],
        ["ports"],
    )


def test_assessment_form_posts_through_the_service(reporter_client, claim):
    response = reporter_client.post(
        reverse("provenance:claim-assess", args=[claim.pk]),
        {"level": "likely", "rationale": "Two sources agree"},
    )
    assert response.status_code == 302
    assert claim.assessments.get().rationale == "Two sources agree"


def test_assessment_form_without_rationale_is_a_field_error(reporter_client, claim):
    response = reporter_client.post(
        reverse("provenance:claim-assess", args=[claim.pk]), {"level": "likely"}
    )
    assert response.status_code == 400
    assert response.context["assessment_form"].errors["rationale"]
    assert ConfidenceAssessment.objects.count() == 0


def test_assessments_cannot_be_edited_or_deleted_over_the_web(reporter_client, claim):
    assessment = services.confidence_assess(
        claim_id=claim.pk,
        actor=claim.author,
        level="likely",
        rationale="x",
    )
    for method in ("put", "patch", "delete"):
        response = getattr(reporter_client, method)(
            reverse("provenance:claim-assess", args=[claim.pk])
        )
        assert response.status_code == 405
    assessment.refresh_from_db()
    assert assessment.level == "likely"


def test_claim_list_filters_and_sorts_by_confidence_and_denials(
    reporter_client, team, reporter
):
    sure = ClaimFactory(team=team, text="Sure claim")
    doubtful = ClaimFactory(team=team, text="Doubtful claim")
    services.confidence_assess(
        claim_id=sure.pk, actor=reporter, level="almost_certain", rationale="x"
    )
    services.confidence_assess(
        claim_id=doubtful.pk, actor=reporter, level="unlikely", rationale="x"
    )
    denial = StatementFactory(item__team=team)
    services.evidence_attach(
        claim_id=doubtful.pk,
        item_id=denial.item_id,
        actor=reporter,
        relation="contradicts",
        stance="denies",
    )
    url = reverse("provenance:claim-list")
    by_conf = reporter_client.get(url, {"sort": "confidence"}).context["page"]
    assert [c.text for c in by_conf] == ["Sure claim", "Doubtful claim"]
    denied = reporter_client.get(url, {"denials": "yes"}).context["page"]
    assert [(c.text, c.denial_count) for c in denied] == [("Doubtful claim", 1)]
    unlikely = reporter_client.get(url, {"confidence": "unlikely"}).context["page"]
    assert [c.text for c in unlikely] == ["Doubtful claim"]


def test_claim_page_with_500_timeline_events_uses_constant_queries(
    reporter_client, team, reporter, django_assert_max_num_queries
):
    claim = ClaimFactory(team=team, author=reporter)
    start = at("2023-01-01")
    for n in range(200):
        ConfidenceAssessment.objects.create(
            claim=claim,
            level="likely" if n % 2 else "unlikely",
            rationale=f"Step {n}",
            assessed_by=reporter,
            recorded_at=start + timedelta(days=n),
            effective_at=start + timedelta(days=n),
        )
    for n in range(300):
        statement = StatementFactory(
            item__team=team, stated_at=start + timedelta(hours=n * 17)
        )
        ClaimEvidenceFactory(
            claim=claim,
            item=statement.item,
            relation="contradicts" if n % 3 else "supports",
            stance="denies" if n % 3 else "asserts",
        )
    with django_assert_max_num_queries(25):
        response = reporter_client.get(
            reverse("provenance:claim-detail", args=[claim.pk])
        )
    assert len(response.context["timeline_events"]) == 500


def test_api_records_an_assessment_and_refuses_edits_and_deletes(claim, reporter):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=reporter)}")
    url = f"/api/v1/claims/{claim.pk}/assessments/"
    created = api.post(
        url, {"level": "likely", "rationale": "Two sources"}, format="json"
    )
    assert created.status_code == 201
    assert (created.json()["level"], created.json()["rank"]) == ("likely", 5)
    assert api.post(url, {"level": "likely"}, format="json").status_code == 400
    for method in ("put", "patch", "delete"):
        response = getattr(api, method)(url, {"level": "unlikely"}, format="json")
        assert response.status_code == 405, method
    assert api.delete(f"/api/v1/claims/{claim.pk}/").status_code == 405
    assert [a["level"] for a in api.get(url).json()] == ["likely"]
    assert ConfidenceAssessment.objects.get().rationale == "Two sources"


def test_assessment_history_counts_each_assessments_cited_items_and_names_its_assessor(
    reporter_client, claim, reporter, editor, django_assert_max_num_queries
):
    """The table reads the cited items and the assessors once for all rows (a
    list per assessment, one user per person), and shows each row's own."""
    links = [ClaimEvidenceFactory(claim=claim, item__team=claim.team) for _ in range(3)]
    for actor, cited in ((reporter, 2), (editor, 0), (reporter, 3)):
        services.confidence_assess(
            claim_id=claim.pk,
            actor=actor,
            level="likely",
            rationale=f"{cited} cited by {actor.username}.",
            evidence_ids=[link.item_id for link in links[:cited]],
        )
    url = reverse("provenance:claim-detail", args=[claim.pk])
    reporter_client.get(url)
    cache.clear()  # the page itself, not the page cache
    with django_assert_max_num_queries(25) as captured:
        response = reporter_client.get(url)
    # The assessors by id, in a query of their own (no join from the assessments).
    assessor_reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith('SELECT "auth_user"')
        and 'FROM "auth_user" WHERE' in q["sql"]
    ]
    shown = response.context["shown"]
    assert [len(a.x_evidence) for a in shown.assessments] == [2, 0, 3]
    assert [a.assessed_by.username for a in shown.assessments] == [
        reporter.username,
        editor.username,
        reporter.username,
    ]
    # One user object per person, not per row.
    assert shown.assessments[0].assessed_by is shown.assessments[2].assessed_by
    assert len(assessor_reads) == 1, "the assessors in one query of their own"
    html = response.content.decode()
    for cited, actor in ((2, reporter), (0, editor), (3, reporter)):
        assert (
            f"<td>{cited} cited by {actor.username}.</td>\n"
            f'        <td class="small">{cited}</td>'
        ) in html
