"""Issue 12, finding 5: a published claim's public content changes only through a
reviewed step. Direct edits are refused; a correction (an editor other than the
author, with its public note) carries the new content; assessments, links and
estimates recorded after the last publish/correct decision stay team-only until
the next correction."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from provenance.audit.chain import verify_chain
from provenance.audit.models import AuditEvent
from provenance.claims import services
from provenance.claims.models import Claim, Review
from provenance.claims.rules import InvalidTransition
from provenance.publishing.models import OutboxEvent
from tests.factories import EvidenceItemFactory, MembershipFactory
from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

LOCKED = "Published claims change through a correction."


@pytest.fixture
def published_claim(team, reporter, editor):
    """Written by the reporter, approved and published by the editor, through the
    services: one supporting link, one 'likely' assessment."""
    claim = services.claim_create(
        team=team, actor=reporter, text="The ship carried 1,000 containers"
    )
    item = EvidenceItemFactory(team=team, title="Port photo")
    services.evidence_attach(
        claim_id=claim.pk, item_id=item.pk, actor=reporter, relation="supports"
    )
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="One photo."
    )
    claim.refresh_from_db()
    services.claim_submit(claim_id=claim.pk, actor=reporter)
    services.claim_approve(claim_id=claim.pk, actor=editor, expected_version=4)
    services.claim_publish(claim_id=claim.pk, actor=editor, expected_version=5)
    return Claim.objects.get(pk=claim.pk)


def publisher_view(team, claim):
    client = publisher_client(make_publisher(team, name=f"P{timezone.now()}").key)
    return client.get(reverse("api:claim-detail", args=[claim.pk])).json()


# --- Direct edits are refused -------------------------------------------------------


def test_publish_records_when_the_content_became_public(published_claim):
    publish = published_claim.reviews.get(decision="publish")
    assert published_claim.public_content_at == publish.at
    assert published_claim.published_at == publish.at


def test_direct_edit_of_a_published_claim_is_refused(published_claim, editor):
    with pytest.raises(InvalidTransition) as info:
        services.claim_update(
            claim_id=published_claim.pk,
            actor=editor,
            expected_version=published_claim.version,
            reason="Typo",
            text="The ship carried 2,000 containers",
        )
    assert str(info.value) == LOCKED
    fresh = Claim.objects.get(pk=published_claim.pk)
    assert (fresh.text, fresh.version) == (
        published_claim.text,
        published_claim.version,
    )


def test_web_edit_of_a_published_claim_is_a_form_error(
    published_claim, reporter_client
):
    response = reporter_client.post(
        reverse("provenance:claim-edit", args=[published_claim.pk]),
        {
            "text": "Sneaky new text",
            "version": published_claim.version,
            "reason": "Typo",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [LOCKED]
    assert Claim.objects.get(pk=published_claim.pk).text == published_claim.text


def test_api_edit_of_a_published_claim_is_409(published_claim, reporter_client):
    response = reporter_client.patch(
        reverse("api:claim-detail", args=[published_claim.pk]),
        {"text": "Sneaky new text", "version": published_claim.version},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json() == {"detail": LOCKED}
    assert Claim.objects.get(pk=published_claim.pk).text == published_claim.text


def test_making_an_estimate_current_on_a_published_claim_is_refused(
    published_claim, reporter
):
    with pytest.raises(InvalidTransition, match=LOCKED):
        services.quantity_estimate_add(
            claim_id=published_claim.pk,
            actor=reporter,
            amount=Decimal(2000),
            unit="containers",
            bound="about",
            source_label="Port agent",
            make_current=True,
        )
    assert published_claim.quantity_estimates.count() == 0


# --- The correction carries the content ---------------------------------------------


def test_correction_changes_the_content_with_its_note_review_audit_and_webhook(
    published_claim, second_editor, django_capture_on_commit_callbacks
):
    before = published_claim.history.count()
    with django_capture_on_commit_callbacks():
        services.claim_correct(
            claim_id=published_claim.pk,
            actor=second_editor,
            expected_version=published_claim.version,
            correction_note="We said 1,000; the manifest says 2,000.",
            changes={
                "text": "The ship carried 2,000 containers",
                "quantity_amount": Decimal(2000),
                "quantity_unit": "containers",
                "quantity_bound": "exact",
            },
        )
    claim = Claim.objects.get(pk=published_claim.pk)
    assert (claim.status, claim.text, claim.quantity_display) == (
        "published",
        "The ship carried 2,000 containers",
        "exactly 2,000 containers",
    )
    assert claim.correction_note == "We said 1,000; the manifest says 2,000."
    review = claim.reviews.get(decision="correct")
    assert (review.by, review.comment) == (
        second_editor,
        "We said 1,000; the manifest says 2,000.",
    )
    assert claim.public_content_at == review.at
    assert claim.last_edited_by == second_editor
    assert claim.history.count() == before + 1
    assert claim.history.first().text == "The ship carried 2,000 containers"
    event = AuditEvent.objects.filter(action="claim.correct").get()
    assert event.payload["changes"] == {
        "text": "The ship carried 2,000 containers",
        "quantity_amount": "2E+3",
        "quantity_unit": "containers",
        "quantity_bound": "exact",
    }
    assert list(OutboxEvent.objects.values_list("event_type", flat=True)) == [
        "claim.published",
        "claim.corrected",
    ]
    assert list(verify_chain(claim.team)) == []


def test_the_author_cannot_correct_their_own_claim(team, published_claim, reporter):
    author_editor = MembershipFactory(team=team, role="editor").user
    Claim.objects.filter(pk=published_claim.pk).update(author=author_editor)
    with pytest.raises(Exception, match="Four eyes"):
        services.claim_correct(
            claim_id=published_claim.pk,
            actor=author_editor,
            expected_version=published_claim.version,
            correction_note="Fixing my own figure.",
            changes={"text": "Quietly changed"},
        )
    assert Claim.objects.get(pk=published_claim.pk).text == published_claim.text


def test_correction_page_is_prefilled_and_applies_the_change(
    published_claim, second_editor, login_as
):
    client = login_as(second_editor)
    url = reverse("provenance:claim-correct", args=[published_claim.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["text"].value() == "The ship carried 1,000 containers"
    assert form["version"].value() == published_claim.version
    response = client.post(
        url,
        {
            "text": "The ship carried 1,200 containers",
            "version": published_claim.version,
            "correction_note": "The figure was 1,200.",
        },
    )
    assert response.status_code == 302
    claim = Claim.objects.get(pk=published_claim.pk)
    assert (claim.text, claim.correction_note) == (
        "The ship carried 1,200 containers",
        "The figure was 1,200.",
    )


def test_correction_page_needs_the_public_note(
    published_claim, second_editor, login_as
):
    response = login_as(second_editor).post(
        reverse("provenance:claim-correct", args=[published_claim.pk]),
        {"text": "New", "version": published_claim.version, "correction_note": " "},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["correction_note"] == [
        "A correction needs its public correction note."
    ]
    assert Claim.objects.get(pk=published_claim.pk).text == published_claim.text


def test_api_correction_takes_the_new_content(published_claim, second_editor, login_as):
    response = login_as(second_editor).post(
        reverse("api:claim-decisions", args=[published_claim.pk]),
        {
            "decision": "correct",
            "version": published_claim.version,
            "comment": "The figure was 1,200.",
            "text": "The ship carried 1,200 containers",
        },
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["text"] == "The ship carried 1,200 containers"
    assert response.json()["review"]["correction_note"] == "The figure was 1,200."


def test_content_fields_go_with_a_correction_only(published_claim, editor, login_as):
    response = login_as(editor).post(
        reverse("api:claim-decisions", args=[published_claim.pk]),
        {"decision": "retract", "version": published_claim.version, "text": "New"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"text": ["Only a correction changes the content."]}


# --- What publishers see of later work -----------------------------------------------


def test_assessment_after_publication_stays_team_only_until_a_correction(
    team, published_claim, reporter, second_editor, reporter_client
):
    services.confidence_assess(
        claim_id=published_claim.pk,
        actor=reporter,
        level="almost_certain",
        rationale="A second photo.",
    )
    public = publisher_view(team, published_claim)
    assert public["confidence"]["level"] == "likely"
    assert [a["level"] for a in public["confidence_history"]] == ["likely"]
    member = reporter_client.get(
        reverse("api:claim-detail", args=[published_claim.pk])
    ).json()
    assert member["confidence"]["level"] == "almost_certain"
    page = reporter_client.get(published_claim.get_absolute_url()).content.decode()
    assert "not yet public" in page

    claim = Claim.objects.get(pk=published_claim.pk)
    services.claim_correct(
        claim_id=claim.pk,
        actor=second_editor,
        expected_version=claim.version,
        correction_note="Confidence raised after a second photo.",
    )
    public = publisher_view(team, published_claim)
    assert public["confidence"]["level"] == "almost_certain"


def test_link_after_publication_stays_team_only_until_a_correction(
    team, published_claim, reporter, second_editor, reporter_client
):
    later = EvidenceItemFactory(team=team, title="Second photo")
    services.evidence_attach(
        claim_id=published_claim.pk,
        item_id=later.pk,
        actor=reporter,
        relation="supports",
    )
    titles = [
        e["evidence"]["title"]
        for e in publisher_view(team, published_claim)["evidence"]
    ]
    assert titles == ["Port photo"]
    page = reporter_client.get(published_claim.get_absolute_url()).content.decode()
    assert page.count("not yet public") == 1
    claim = Claim.objects.get(pk=published_claim.pk)
    services.claim_correct(
        claim_id=claim.pk,
        actor=second_editor,
        expected_version=claim.version,
        correction_note="A second photo added.",
    )
    titles = [
        e["evidence"]["title"]
        for e in publisher_view(team, published_claim)["evidence"]
    ]
    assert titles == ["Port photo", "Second photo"]


def test_claimreview_bundle_and_jsonl_leave_out_later_work(
    team, published_claim, reporter
):
    services.confidence_assess(
        claim_id=published_claim.pk,
        actor=reporter,
        level="almost_no_chance",
        rationale="Retracted by the source.",
    )
    client = publisher_client(make_publisher(team).key)
    review = client.get(
        reverse("api:claim-claimreview", args=[published_claim.pk])
    ).json()
    assert review["reviewRating"]["alternateName"] == "Likely"
    lines = b"".join(
        client.get(reverse("api:export-claims")).streaming_content
    ).decode()
    assert "almost_no_chance" not in lines
    bundle = client.get(reverse("api:export-bundle")).content.decode()
    assert "almost_no_chance" not in bundle


def test_backfill_sets_the_public_time_from_the_last_publish_or_correct(
    team, reporter, editor
):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "provenance.migrations.0006_claim_public_content_at"
    )
    claim = Claim.objects.create(
        team=team,
        text="Old published claim",
        slug="old",
        author=reporter,
        status="published",
        published_at=timezone.now() - timedelta(days=9),
    )
    corrected_at = timezone.now() - timedelta(days=2)
    Review.objects.create(
        claim=claim,
        decision="correct",
        from_status="published",
        to_status="published",
        by=editor,
        at=corrected_at,
    )
    only_published = Claim.objects.create(
        team=team,
        text="Published, never corrected",
        slug="old-2",
        author=reporter,
        status="retracted",
        published_at=timezone.now() - timedelta(days=5),
    )
    migration.backfill_public_content_at(apps, None)
    assert Claim.objects.get(pk=claim.pk).public_content_at == corrected_at
    assert (
        Claim.objects.get(pk=only_published.pk).public_content_at
        == only_published.published_at
    )


def test_estimate_form_on_a_published_claim_says_revising_needs_a_correction(
    published_claim, reporter_client
):
    response = reporter_client.post(
        reverse("provenance:claim-quantity-estimate", args=[published_claim.pk]),
        {
            "bound": "about",
            "amount": "2000",
            "unit": "containers",
            "source_label": "Port agent",
            "make_current": "on",
        },
    )
    assert response.status_code == 400
    assert response.context["estimate_form"].non_field_errors() == [LOCKED]
    assert published_claim.quantity_estimates.count() == 0
