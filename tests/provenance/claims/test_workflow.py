"""The review workflow through its services: every allowed and every refused
transition, by role, and what each transition writes."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from provenance.audit.chain import chain_head, verify_chain
from provenance.audit.models import AuditEvent
from provenance.claims import services
from provenance.claims.models import Claim, ClaimStatus, Review
from provenance.claims.rules import EditConflict, InvalidTransition
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    MembershipFactory,
)

STATUSES = ["draft", "in_review", "approved", "published", "retracted"]
DECISIONS = ["submit", "approve", "request_changes", "publish", "correct", "retract"]
# The workflow, written out here independently of rules.WORKFLOW.
ALLOWED_PAIRS = {
    ("draft", "submit"): "in_review",
    ("in_review", "approve"): "approved",
    ("in_review", "request_changes"): "draft",
    ("approved", "request_changes"): "draft",
    ("approved", "publish"): "published",
    ("published", "correct"): "published",
    ("published", "retract"): "retracted",
}


@pytest.fixture
def people(team, reporter, editor):
    """Everyone a test may act as, by role."""
    return {
        "author": reporter,
        "other_reporter": MembershipFactory(team=team, role="reporter").user,
        "editor": editor,
        "author_editor": MembershipFactory(team=team, role="editor").user,
        "last_editor": MembershipFactory(team=team, role="editor").user,
        "admin": MembershipFactory(team=team, role="admin").user,
        "outsider": MembershipFactory(role="editor").user,
    }


def ready_claim(*, team, author, status, last_edited_by=None, **fields):
    """A claim in `status` with a supporting link and a confidence assessment."""
    claim = ClaimFactory(
        team=team,
        author=author,
        last_edited_by=last_edited_by or author,
        status=status,
        **fields,
    )
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    return claim


def claim_for_role(team, people, role, status):
    if role == "author_editor":
        return ready_claim(team=team, author=people["author_editor"], status=status)
    if role == "last_editor":
        return ready_claim(
            team=team,
            author=people["author"],
            last_edited_by=people["last_editor"],
            status=status,
        )
    return ready_claim(team=team, author=people["author"], status=status)


def decide(claim, decision, actor, comment="Looked at it carefully."):
    return services.claim_transition(
        claim_id=claim.pk, decision=decision, actor=actor, comment=comment
    )


ALLOWED = [
    ("draft", "submit", "author"),
    ("draft", "submit", "editor"),
    ("in_review", "approve", "editor"),
    ("in_review", "approve", "admin"),
    ("in_review", "request_changes", "editor"),
    ("in_review", "request_changes", "author_editor"),
    ("approved", "request_changes", "editor"),
    ("approved", "publish", "editor"),
    ("published", "correct", "editor"),
    ("published", "retract", "editor"),
    ("published", "retract", "author_editor"),
]


@pytest.mark.parametrize(("from_status", "decision", "role"), ALLOWED)
def test_allowed_transition_writes_review_history_and_audit_event(
    team, people, from_status, decision, role
):
    claim = claim_for_role(team, people, role, from_status)
    actor = people[role]
    history_before = claim.history.count()
    seq_before, _ = chain_head(team)

    result = decide(claim, decision, actor)

    expected = ALLOWED_PAIRS[(from_status, decision)]
    claim.refresh_from_db()
    assert (result.status, claim.status) == (expected, expected)
    assert claim.version == 2
    review = Review.objects.get(claim=claim)
    assert (review.decision, review.from_status, review.to_status, review.by) == (
        decision,
        from_status,
        expected,
        actor,
    )
    assert review.comment == "Looked at it carefully."
    assert claim.history.count() == history_before + 1
    assert claim.history.first().history_user == actor
    event = AuditEvent.objects.get(team=team, seq=seq_before + 1)
    assert (event.action, event.object_id) == (f"claim.{decision}", str(claim.pk))
    assert event.payload["review"] == review.pk
    assert event.payload["status"] == [from_status, expected]
    assert list(verify_chain(team)) == []


REFUSED_BY_STATE = [
    (status, decision)
    for status in STATUSES
    for decision in DECISIONS
    if (status, decision) not in ALLOWED_PAIRS
]


@pytest.mark.parametrize(("from_status", "decision"), REFUSED_BY_STATE)
def test_transition_not_in_the_table_is_refused(team, people, from_status, decision):
    claim = ready_claim(team=team, author=people["author"], status=from_status)
    head = chain_head(team)
    with pytest.raises(InvalidTransition):
        decide(claim, decision, people["editor"])
    claim.refresh_from_db()
    assert (claim.status, claim.version) == (from_status, 1)
    assert Review.objects.count() == 0
    assert chain_head(team) == head


REFUSED_BY_ROLE = [
    ("draft", "submit", "other_reporter"),
    ("in_review", "approve", "author"),
    ("in_review", "approve", "other_reporter"),
    ("in_review", "request_changes", "author"),
    ("approved", "request_changes", "other_reporter"),
    ("approved", "publish", "author"),
    ("published", "correct", "author"),
    ("published", "retract", "other_reporter"),
    # Four eyes: an editor never passes their own work.
    ("in_review", "approve", "author_editor"),
    ("approved", "publish", "author_editor"),
    ("in_review", "approve", "last_editor"),
    ("approved", "publish", "last_editor"),
    # A correction changes public content (issue 12): four eyes too.
    ("published", "correct", "author_editor"),
    ("published", "correct", "last_editor"),
    # Non-members can do nothing, whatever their role elsewhere.
    *[(s, d, "outsider") for (s, d) in ALLOWED_PAIRS],
]


@pytest.mark.parametrize(("from_status", "decision", "role"), REFUSED_BY_ROLE)
def test_transition_by_the_wrong_person_is_refused(
    team, people, from_status, decision, role
):
    claim = claim_for_role(team, people, role, from_status)
    head = chain_head(team)
    with pytest.raises(PermissionDenied):
        decide(claim, decision, people[role])
    claim.refresh_from_db()
    assert (claim.status, claim.version) == (from_status, 1)
    assert Review.objects.count() == 0
    assert chain_head(team) == head


def test_author_editor_is_told_why_they_cannot_approve(team, people):
    claim = claim_for_role(team, people, "author_editor", "in_review")
    with pytest.raises(PermissionDenied, match="Four eyes"):
        decide(claim, "approve", people["author_editor"])


def test_claim_without_supporting_evidence_cannot_be_approved(team, people):
    claim = ClaimFactory(team=team, author=people["author"], status="in_review")
    ClaimEvidenceFactory(claim=claim, relation="contradicts")
    AssessmentFactory(claim=claim)
    with pytest.raises(InvalidTransition, match="supporting evidence"):
        decide(claim, "approve", people["editor"])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW


def test_claim_without_confidence_assessment_cannot_be_approved(team, people):
    claim = ClaimFactory(team=team, author=people["author"], status="in_review")
    ClaimEvidenceFactory(claim=claim, relation="supports")
    with pytest.raises(InvalidTransition, match="confidence assessment"):
        decide(claim, "approve", people["editor"])


@pytest.mark.parametrize(
    ("from_status", "decision"),
    [
        ("in_review", "request_changes"),
        ("published", "correct"),
        ("published", "retract"),
    ],
)
def test_decision_that_needs_a_comment_is_refused_without_one(
    team, people, from_status, decision
):
    claim = ready_claim(team=team, author=people["author"], status=from_status)
    with pytest.raises(ValidationError) as info:
        decide(claim, decision, people["editor"], comment="   ")
    assert "comment" in info.value.message_dict
    assert Review.objects.count() == 0


def test_retracted_claim_keeps_its_reason_and_stays_visible(team, people):
    claim = ready_claim(team=team, author=people["author"], status="published")
    services.claim_retract(
        claim_id=claim.pk, actor=people["editor"], reason="The source recanted."
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RETRACTED
    assert claim.retraction_reason == "The source recanted."
    assert list(Claim.objects.published()) == [claim]


def test_correction_keeps_the_old_text_and_the_claim_published(team, people):
    claim = services.claim_create(team=team, actor=people["author"], text="Old text")
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.PUBLISHED)
    # Issue 12: the new text goes with the correction, not through claim_update.
    services.claim_correct(
        claim_id=claim.pk,
        actor=people["editor"],
        expected_version=1,
        correction_note="We first said old text; it is new text.",
        changes={"text": "New text"},
    )
    claim.refresh_from_db()
    assert (claim.status, claim.text) == ("published", "New text")
    assert claim.correction_note == "We first said old text; it is new text."
    assert "Old text" in {record.text for record in claim.history.all()}


def test_request_changes_on_an_approved_claim_lifts_its_embargo(team, people):
    claim = ready_claim(team=team, author=people["author"], status="in_review")
    later = claim.updated_at.replace(year=claim.updated_at.year + 1)
    services.claim_approve(claim_id=claim.pk, actor=people["editor"], publish_at=later)
    services.claim_request_changes(
        claim_id=claim.pk, actor=people["editor"], comment="One more source, please."
    )
    claim.refresh_from_db()
    assert (claim.status, claim.publish_at) == ("draft", None)


def test_only_an_approval_takes_an_embargo(team, people):
    claim = ready_claim(team=team, author=people["author"], status="draft")
    later = claim.updated_at.replace(year=claim.updated_at.year + 1)
    with pytest.raises(ValidationError):
        services.claim_transition(
            claim_id=claim.pk,
            decision="submit",
            actor=people["author"],
            publish_at=later,
        )


def test_form_opened_before_a_decision_gets_an_edit_conflict(team, people):
    claim = ready_claim(team=team, author=people["author"], status="in_review")
    opened_version = claim.version
    services.claim_request_changes(
        claim_id=claim.pk, actor=people["editor"], comment="Needs a date."
    )
    with pytest.raises(EditConflict):
        services.claim_update(
            claim_id=claim.pk,
            actor=people["author"],
            expected_version=opened_version,
            text="Overwrite",
        )


def test_verb_services_walk_the_whole_workflow(team, people):
    claim = services.claim_create(team=team, actor=people["author"], text="Walk")
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    services.claim_submit(claim_id=claim.pk, actor=people["author"])
    services.claim_approve(claim_id=claim.pk, actor=people["editor"])
    services.claim_publish(claim_id=claim.pk, actor=people["admin"])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED
    assert claim.published_at is not None
    assert list(claim.reviews.values_list("decision", flat=True)) == [
        "submit",
        "approve",
        "publish",
    ]
    assert list(verify_chain(team)) == []


def test_notification_is_sent_only_after_commit(
    team, people, django_capture_on_commit_callbacks
):
    people["author"].email = "author@example.org"
    people["author"].save(update_fields=["email"])
    claim = ready_claim(team=team, author=people["author"], status="in_review")
    with django_capture_on_commit_callbacks() as callbacks:
        services.claim_request_changes(
            claim_id=claim.pk, actor=people["editor"], comment="Add the port call."
        )
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert [m.to for m in mail.outbox] == [["author@example.org"]]
    assert "Add the port call." in mail.outbox[0].body


def test_refused_transition_schedules_nothing(
    team, people, django_capture_on_commit_callbacks
):
    claim = ready_claim(team=team, author=people["author"], status="in_review")
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(PermissionDenied),
    ):
        decide(claim, "approve", people["author"])
    assert callbacks == []


@pytest.mark.parametrize(
    ("decision", "event_type"),
    [
        ("publish", "claim.published"),
        ("correct", "claim.corrected"),
        ("retract", "claim.retracted"),
    ],
)
def test_publishing_decisions_write_an_outbox_event_in_the_transaction(
    team, people, decision, event_type
):
    from provenance.publishing.models import OutboxEvent

    status = "approved" if decision == "publish" else "published"
    claim = ready_claim(team=team, author=people["author"], status=status)
    decide(claim, decision, people["editor"])
    assert list(OutboxEvent.objects.values_list("claim_id", "event_type")) == [
        (claim.pk, event_type)
    ]
