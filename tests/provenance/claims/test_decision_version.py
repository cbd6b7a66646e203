"""Issue 12, finding 6: a review decision names the claim version it was made on and
is refused when the claim changed since (the editor decides on what they saw)."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from provenance.claims import services
from provenance.claims.models import Claim, ClaimStatus, Review
from provenance.claims.rules import EditConflict
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EvidenceItemFactory,
)

STALE = (
    "This claim changed since you opened it (you saw version 1, it is now "
    "version 2). Reload it and decide on what it says now."
)


def in_review(team, author, **fields):
    claim = ClaimFactory(
        team=team, author=author, status=ClaimStatus.IN_REVIEW, **fields
    )
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    return claim


def edit_text(claim, actor, text="Changed while in review"):
    return services.claim_update(
        claim_id=claim.pk, actor=actor, expected_version=claim.version, text=text
    )


def test_approval_of_a_claim_changed_since_it_was_opened_is_refused(
    team, reporter, editor
):
    claim = in_review(team, reporter)
    opened = claim.version
    edit_text(claim, reporter)
    with pytest.raises(EditConflict) as info:
        services.claim_transition(
            claim_id=claim.pk,
            decision="approve",
            actor=editor,
            expected_version=opened,
        )
    assert str(info.value) == STALE
    claim.refresh_from_db()
    assert (claim.status, claim.version) == ("in_review", 2)
    assert Review.objects.filter(claim=claim).count() == 0


def test_decision_on_the_current_version_goes_through(team, reporter, editor):
    claim = in_review(team, reporter)
    services.claim_transition(
        claim_id=claim.pk, decision="approve", actor=editor, expected_version=1
    )
    claim.refresh_from_db()
    assert (claim.status, claim.version) == ("approved", 2)


@pytest.mark.parametrize(
    "change",
    ["link", "assessment", "estimate"],
)
def test_new_evidence_assessment_or_estimate_is_a_new_version(
    team, reporter, editor, change
):
    """What the editor approves includes the evidence and the confidence."""
    claim = in_review(team, reporter)
    if change == "link":
        item = EvidenceItemFactory(team=team)
        services.evidence_attach(
            claim_id=claim.pk, item_id=item.pk, actor=reporter, relation="contradicts"
        )
    elif change == "assessment":
        services.confidence_assess(
            claim_id=claim.pk, actor=reporter, level="unlikely", rationale="Doubts."
        )
    else:
        services.quantity_estimate_add(
            claim_id=claim.pk,
            actor=reporter,
            amount=5,
            unit="ships",
            bound="about",
            source_label="Port agent",
        )
    assert Claim.objects.get(pk=claim.pk).version == 2
    with pytest.raises(EditConflict):
        services.claim_transition(
            claim_id=claim.pk, decision="approve", actor=editor, expected_version=1
        )


def test_review_form_on_the_claim_page_carries_the_version(
    team, reporter, editor_client
):
    claim = in_review(team, reporter)
    page = editor_client.get(claim.get_absolute_url()).content.decode()
    assert '<input type="hidden" name="version" value="1">' in page


def test_queue_forms_carry_the_version(team, reporter, editor_client):
    in_review(team, reporter)
    page = editor_client.get(reverse("provenance:review-queue")).content.decode()
    assert '<input type="hidden" name="version" value="1">' in page


def test_stale_web_decision_is_refused_with_a_message(team, reporter, editor_client):
    claim = in_review(team, reporter)
    edit_text(claim, reporter)
    response = editor_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "approve", "version": "1"},
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Not done: {STALE}"
    ]
    claim.refresh_from_db()
    assert claim.status == "in_review"


def test_web_decision_without_a_version_is_refused(team, reporter, editor_client):
    claim = in_review(team, reporter)
    response = editor_client.post(
        reverse("provenance:claim-review", args=[claim.pk]), {"decision": "approve"}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "That review decision could not be read."
    ]
    claim.refresh_from_db()
    assert claim.status == "in_review"


def test_api_decision_on_a_stale_version_is_409(team, reporter, editor_client):
    claim = in_review(team, reporter)
    edit_text(claim, reporter)
    response = editor_client.post(
        reverse("api:claim-decisions", args=[claim.pk]),
        {"decision": "approve", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json() == {"detail": STALE}
    claim.refresh_from_db()
    assert claim.status == "in_review"


def test_api_decision_needs_a_version(team, reporter, editor_client):
    claim = in_review(team, reporter)
    response = editor_client.post(
        reverse("api:claim-decisions", args=[claim.pk]),
        {"decision": "approve"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"version": ["This field is required."]}


def test_api_decision_on_the_current_version_is_applied(team, reporter, editor_client):
    claim = in_review(team, reporter)
    response = editor_client.post(
        reverse("api:claim-decisions", args=[claim.pk]),
        {"decision": "approve", "version": 1, "comment": "Checked both sources."},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["review"]["status"] == "approved"
    assert response.json()["internal"]["version"] == 2
    review = Review.objects.get(claim=claim)
    assert (review.decision, review.comment) == ("approve", "Checked both sources.")


def test_api_decision_by_a_reporter_is_403(team, reporter, reporter_client):
    claim = in_review(team, reporter)
    response = reporter_client.post(
        reverse("api:claim-decisions", args=[claim.pk]),
        {"decision": "approve", "version": 1},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Only editors may do this."}


def test_embargo_job_does_not_publish_what_changed_after_the_approval(
    team, reporter, editor, monkeypatch
):
    """The job publishes on the approver's authority: only the version approved."""
    from datetime import timedelta

    from django.utils import timezone

    from provenance.claims import tasks

    claim = in_review(team, reporter)
    publish_at = timezone.now() + timedelta(hours=2)
    services.claim_approve(
        claim_id=claim.pk, actor=editor, expected_version=1, publish_at=publish_at
    )
    item = EvidenceItemFactory(team=team)
    services.evidence_attach(
        claim_id=claim.pk, item_id=item.pk, actor=reporter, relation="contradicts"
    )
    monkeypatch.setattr(timezone, "now", lambda: publish_at + timedelta(minutes=1))
    assert tasks.publish_due_claims() == 0
    claim.refresh_from_db()
    assert (claim.status, claim.version) == ("approved", 3)


def test_queue_offers_publishing_by_hand_once_the_embargo_has_passed(
    team, reporter, editor, second_editor, login_as
):
    from datetime import timedelta

    from django.utils import timezone

    claim = in_review(team, reporter)
    services.claim_approve(
        claim_id=claim.pk,
        actor=editor,
        expected_version=1,
        publish_at=timezone.now() + timedelta(hours=2),
    )
    Claim.objects.filter(pk=claim.pk).update(
        publish_at=timezone.now() - timedelta(minutes=5)
    )
    page = login_as(second_editor).get(reverse("provenance:review-queue"))
    assert b'value="publish"' in page.content
