"""The review decisions: `claim_transition` drives the decision's row of
`rules.WORKFLOW` (the only code that assigns a claim's status), and one verb per
decision for callers that know which one they take."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from provenance.audit.chain import audit_record
from provenance.claims.content import (
    ContentChange,
    apply_content,
    save_claim,
    write_content,
)
from provenance.claims.models import Claim, Decision, Review
from provenance.claims.notices import review_notify
from provenance.claims.rules import (
    EditConflict,
    Transition,
    Value,
    ensure_decision_valid,
    ensure_may_take,
    transition_for,
)
from provenance.claims.signals import claim_event
from provenance.common.writes import audit_value


@transaction.atomic
def claim_transition(
    *,
    claim_id: int,
    decision: str,
    actor: Any,
    expected_version: int | None = None,
    comment: str = "",
    publish_at: datetime | None = None,
    changes: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> Claim:
    """Take one review decision: the decision's row of `rules.WORKFLOW` holds every
    rule, this drives it. Locks the claim; refuses with EditConflict (not at
    `expected_version`, the version decided on; None, for the system's own
    decisions, skips it), InvalidTransition (state, evidence, assessment, embargo),
    PermissionDenied (role, four eyes) or ValidationError (comment, embargo date).
    Writes the Review row, a history record and an audit event, bumps `version`,
    writes the row's outbox event in the transaction, and notifies on commit.

    `changes` (correct only): the new public content, claim fields plus `subjects`
    and `tag_names`. `publish_at` (approve only): the embargo, which
    `tasks.publish_due_claims` ends; it is checked against the real clock, never
    against `at`, which only back-dates the record.
    """
    claim = _locked_at(claim_id, expected_version)
    transition = transition_for(claim=claim, decision=decision)
    ensure_may_take(transition=transition, user=actor, claim=claim)
    comment = comment.strip()
    changes = dict(changes or {})
    now = timezone.now()
    ensure_decision_valid(
        transition=transition,
        claim=claim,
        comment=comment,
        publish_at=publish_at,
        changes=changes,
        now=now,
    )
    at = at or now
    content = (
        _correction(claim, changes, actor=actor) if transition.changes_content else None
    )
    from_status = claim.status
    review, update_fields = enter_transition(
        transition, claim, actor=actor, comment=comment, at=at, publish_at=publish_at
    )
    if content is not None and content.any:
        update_fields += [*content.changed, "last_edited_by"]
    claim.version += 1
    claim.updated_at = max(at, claim.updated_at)
    save_claim(
        claim,
        actor=actor,
        at=at,
        reason=f"{Decision(decision).label}: {comment}",
        update_fields=[*update_fields, "version", "updated_at"],
    )
    _announce(claim, transition, review, from_status=from_status, content=content)
    return claim


def _locked_at(claim_id: int, expected_version: int | None) -> Claim:
    """The claim, row-locked, if it is still at the version the decision was made
    on."""
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if expected_version is not None and claim.version != expected_version:
        raise EditConflict(
            f"This claim changed since you opened it (you saw version "
            f"{expected_version}, it is now version {claim.version}). Reload it and "
            "decide on what it says now."
        )
    return claim


def _announce(
    claim: Claim,
    transition: Transition,
    review: Review,
    *,
    from_status: str,
    content: ContentChange | None,
) -> None:
    """After the save: the new content's m2m rows, the audit event, the outbox event
    (in the transaction) and the notification (on commit)."""
    payload: dict[str, Any] = {
        "review": review.pk,
        "decision": transition.decision,
        "status": [from_status, transition.target],
        "comment": review.comment,
        "version": claim.version,
    }
    if content is not None and (changed := write_content(claim, content)):
        payload["changes"] = changed
    for field, source in transition.sets:
        if source == Value.EMBARGO and getattr(claim, field) is not None:
            payload[field] = audit_value(getattr(claim, field))
    audit_record(
        team=claim.team,
        actor=review.by,
        action=f"claim.{transition.decision}",
        obj=claim,
        payload=payload,
        at=review.at,
    )
    if transition.outbox_event:
        claim_event.send(sender=Claim, claim=claim, event_type=transition.outbox_event)
    review_notify(claim=claim, review=review)


def _correction(claim: Claim, changes: dict[str, Any], *, actor: Any) -> ContentChange:
    """Set a correction's new content on the claim; whoever changes it is its last
    editor."""
    subjects = changes.pop("subjects", None)
    tag_names = changes.pop("tag_names", None)
    content = apply_content(
        claim, fields=changes, subjects=subjects, tag_names=tag_names
    )
    if content.any:
        claim.last_edited_by = actor
    return content


def enter_transition(
    transition: Transition,
    claim: Claim,
    *,
    actor: Any,
    comment: str,
    at: datetime,
    publish_at: datetime | None = None,
) -> tuple[Review, list[str]]:
    """Take the transition on the locked claim: set the fields its row sets and its
    target status, and write the Review row. The only place a claim's status is
    assigned. Returns the Review and the fields to save; the caller saves."""
    values = {
        Value.AT: at,
        Value.COMMENT: comment,
        Value.EMBARGO: publish_at,
        Value.CLEARED: None,
    }
    for field, source in transition.sets:
        setattr(claim, field, values[source])
    review = Review.objects.create(
        claim=claim,
        decision=transition.decision,
        from_status=claim.status,
        to_status=transition.target,
        comment=comment or transition.default_comment,
        by=actor,
        at=at,
    )
    claim.status = transition.target
    return review, ["status", *(field for field, _ in transition.sets)]


def claim_submit(
    *,
    claim_id: int,
    actor: Any,
    expected_version: int | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> Claim:
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.SUBMIT,
        actor=actor,
        expected_version=expected_version,
        comment=comment,
        at=at,
    )


def claim_approve(
    *,
    claim_id: int,
    actor: Any,
    expected_version: int | None = None,
    comment: str = "",
    publish_at: datetime | None = None,
    at: datetime | None = None,
) -> Claim:
    """Approve; with `publish_at`, approve under embargo (publishes itself then)."""
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.APPROVE,
        actor=actor,
        expected_version=expected_version,
        comment=comment,
        publish_at=publish_at,
        at=at,
    )


def claim_request_changes(
    *,
    claim_id: int,
    actor: Any,
    comment: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Claim:
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.REQUEST_CHANGES,
        actor=actor,
        expected_version=expected_version,
        comment=comment,
        at=at,
    )


def claim_publish(
    *,
    claim_id: int,
    actor: Any,
    expected_version: int | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> Claim:
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.PUBLISH,
        actor=actor,
        expected_version=expected_version,
        comment=comment,
        at=at,
    )


def claim_correct(
    *,
    claim_id: int,
    actor: Any,
    correction_note: str,
    expected_version: int | None = None,
    changes: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> Claim:
    """Correct a published claim in public: the new content (`changes`: claim fields,
    `subjects`, `tag_names`) with its correction note, by an editor other than the
    author or last editor. The claim stays published; its history keeps the old
    content; publishers get the `claim.corrected` webhook."""
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.CORRECT,
        actor=actor,
        expected_version=expected_version,
        comment=correction_note,
        changes=changes,
        at=at,
    )


def claim_retract(
    *,
    claim_id: int,
    actor: Any,
    reason: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Claim:
    """Retract a published claim: it stays visible, marked retracted, with a reason."""
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.RETRACT,
        actor=actor,
        expected_version=expected_version,
        comment=reason,
        at=at,
    )
