"""Assigning a claim to a member, and watching it: the only writers of
`Assignment` and `Watch`. Each is one transaction that locks the claim, checks
membership, and appends an audit event."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from provenance.audit.chain import audit_record
from provenance.claims import notices
from provenance.claims.models import Assignment, Claim, Watch
from provenance.teams.rules import ensure_member, membership_for


def _locked_claim(claim_id: int, actor: Any) -> Claim:
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=claim_id)
    )
    ensure_member(user=actor, team=claim.team)
    return claim


@transaction.atomic
def claim_assign(
    *,
    claim_id: int,
    actor: Any,
    assignee: Any,
    due_on: date | None = None,
    at: datetime | None = None,
) -> Assignment:
    """Give the claim to a member of its team (replacing any assignee), with an
    optional due date. Any member may assign. The assignee is notified (unless they
    assigned themselves) and follows the claim. Locks the claim; audited as
    `claim.assign`."""
    claim = _locked_claim(claim_id, actor)
    if membership_for(assignee, claim.team) is None:
        raise ValidationError({"assignee": "Assign the claim to a member of its team."})
    at = at or timezone.now()
    assignment = Assignment.objects.filter(claim=claim).first() or Assignment(
        claim=claim
    )
    previous = assignment.assignee_id if assignment.pk else None
    if previous == assignee.pk and assignment.due_on == due_on:
        raise ValidationError("Nothing to change: the claim is assigned so already.")
    assignment.assignee = assignee
    assignment.due_on = due_on
    assignment.assigned_by = actor
    assignment.assigned_at = at
    assignment.full_clean()
    assignment.save()
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.assign",
        obj=claim,
        payload={
            "assignee": assignee.get_username(),
            "due_on": due_on.isoformat() if due_on else None,
            "previous": previous,
        },
        at=at,
    )
    if previous != assignee.pk:
        notices.assigned(assignment=assignment, actor=actor)
    return assignment


@transaction.atomic
def claim_unassign(*, claim_id: int, actor: Any, at: datetime | None = None) -> None:
    """Take the claim off its assignee. Locks the claim; audited as
    `claim.unassign`."""
    claim = _locked_claim(claim_id, actor)
    assignment = (
        Assignment.objects.filter(claim=claim).select_related("assignee").first()
    )
    if assignment is None:
        raise ValidationError("The claim is not assigned.")
    assignee = assignment.assignee.get_username()
    assignment.delete()
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.unassign",
        obj=claim,
        payload={"assignee": assignee},
        at=at,
    )


@transaction.atomic
def claim_watch(
    *, claim_id: int, actor: Any, watching: bool = True, at: datetime | None = None
) -> Watch:
    """Follow (or stop following) a claim: new evidence and denials are then
    notified. An author or assignee who unwatches is left alone too. Locks the
    claim; audited as `claim.watch` / `claim.unwatch`."""
    claim = _locked_claim(claim_id, actor)
    at = at or timezone.now()
    watch, _ = Watch.objects.update_or_create(
        claim=claim,
        user=actor,
        defaults={"is_watching": watching, "changed_at": at},
    )
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.watch" if watching else "claim.unwatch",
        obj=claim,
        payload={},
        at=at,
    )
    return watch
