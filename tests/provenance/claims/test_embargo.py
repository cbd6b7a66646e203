"""Approval under embargo: the claim stays approved until publish_due_claims publishes
it through claim_publish, never a second earlier."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from provenance.audit.chain import verify_chain
from provenance.audit.models import AuditEvent
from provenance.claims import services, tasks
from provenance.claims.models import Claim, ClaimStatus, Review
from provenance.claims.rules import InvalidTransition
from provenance.teams.models import Membership
from tests.factories import AssessmentFactory, ClaimEvidenceFactory, ClaimFactory


@pytest.fixture
def embargoed(team, reporter, editor):
    claim = ClaimFactory(team=team, author=reporter, status=ClaimStatus.IN_REVIEW)
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    publish_at = timezone.now() + timedelta(hours=2)
    services.claim_approve(
        claim_id=claim.pk,
        actor=editor,
        comment="Hold for Monday",
        publish_at=publish_at,
    )
    claim.refresh_from_db()
    return claim


@pytest.fixture
def clock(monkeypatch):
    """Move the clock (the true boundary) without touching the database."""

    def set_to(when):
        monkeypatch.setattr(timezone, "now", lambda: when)

    return set_to


def test_embargoed_claim_stays_approved_and_unpublished(embargoed):
    assert embargoed.status == ClaimStatus.APPROVED
    assert embargoed.published_at is None
    assert embargoed not in Claim.objects.published()


def test_embargoed_claim_cannot_be_published_early_by_hand(embargoed, second_editor):
    with pytest.raises(InvalidTransition, match="embargoed until"):
        services.claim_publish(claim_id=embargoed.pk, actor=second_editor)
    embargoed.refresh_from_db()
    assert embargoed.status == ClaimStatus.APPROVED


def test_back_dated_record_time_does_not_lift_the_embargo(embargoed, second_editor):
    with pytest.raises(InvalidTransition):
        services.claim_publish(
            claim_id=embargoed.pk,
            actor=second_editor,
            at=embargoed.publish_at + timedelta(seconds=1),
        )


def test_job_publishes_nothing_a_second_before_the_embargo_ends(embargoed, clock):
    clock(embargoed.publish_at - timedelta(seconds=1))
    assert tasks.publish_due_claims() == 0
    embargoed.refresh_from_db()
    assert embargoed.status == ClaimStatus.APPROVED


def test_job_publishes_the_claim_when_the_embargo_ends(embargoed, editor, clock):
    clock(embargoed.publish_at)
    assert tasks.publish_due_claims() == 1
    embargoed.refresh_from_db()
    assert embargoed.status == ClaimStatus.PUBLISHED
    assert embargoed.published_at == embargoed.publish_at
    review = Review.objects.get(claim=embargoed, decision="publish")
    assert review.by == editor
    assert "Embargo ended" in review.comment
    assert list(verify_chain(embargoed.team)) == []


def test_job_is_idempotent(embargoed, clock):
    clock(embargoed.publish_at + timedelta(minutes=1))
    assert tasks.publish_due_claims() == 1
    assert tasks.publish_due_claims() == 0
    assert Review.objects.filter(claim=embargoed, decision="publish").count() == 1
    assert AuditEvent.objects.filter(action="claim.publish").count() == 1


def test_editing_an_embargoed_claim_lifts_the_embargo_and_needs_review(
    embargoed, reporter, clock
):
    services.claim_update(
        claim_id=embargoed.pk,
        actor=reporter,
        expected_version=embargoed.version,
        text="Changed after approval",
    )
    clock(embargoed.publish_at + timedelta(minutes=1))
    assert tasks.publish_due_claims() == 0
    embargoed.refresh_from_db()
    assert (embargoed.status, embargoed.publish_at) == (ClaimStatus.IN_REVIEW, None)


def test_job_does_not_publish_for_an_approver_who_is_no_longer_an_editor(
    embargoed, editor, clock
):
    Membership.objects.filter(user=editor).update(role="reporter")
    clock(embargoed.publish_at)
    assert tasks.publish_due_claims() == 0
    embargoed.refresh_from_db()
    assert embargoed.status == ClaimStatus.APPROVED


def test_embargo_must_end_in_the_future(team, reporter, editor):
    claim = ClaimFactory(team=team, author=reporter, status=ClaimStatus.IN_REVIEW)
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    with pytest.raises(ValidationError):
        services.claim_approve(
            claim_id=claim.pk,
            actor=editor,
            publish_at=timezone.now() - timedelta(minutes=1),
        )


def test_job_runs_every_30_seconds_from_the_beat_schedule():
    schedule = {
        entry["task"]: entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
    assert schedule["provenance.tasks.publish_due_claims"] == 30.0
    assert tasks.publish_due_claims.name == "provenance.tasks.publish_due_claims"
