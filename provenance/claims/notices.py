"""What the claims room tells people, through the one notification service. Runs
inside the caller's transaction (the notifications commit or roll back with the
change). The actor is never told about their own action."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from provenance.claims.models import (
    PUBLIC_STATUSES,
    Assignment,
    Claim,
    ClaimEvidence,
    Comment,
    Stance,
    Watch,
)

EXCERPT = 200


def _notify(**kwargs: Any) -> None:
    """Replaced by `provenance.accounts.notifications.notify` once it is merged."""


def is_sensitive_claim(claim: Claim) -> bool:
    """An embargoed claim's text stays out of emails (a link and a neutral line)."""
    return claim.publish_at is not None and claim.status not in PUBLIC_STATUSES


def _others(recipients: Iterable[Any], actor: Any) -> list[Any]:
    return [u for u in recipients if u.pk != actor.pk]


def followers(claim: Claim) -> list[Any]:
    """Who follows a claim: those watching it, and its author and assignee unless
    they unwatched it; current members of its team only."""
    choices = dict(
        Watch.objects.filter(claim=claim).values_list("user_id", "is_watching")
    )
    ids = {user_id for user_id, watching in choices.items() if watching}
    assignee_id = (
        Assignment.objects.filter(claim=claim).values_list("assignee_id", flat=True)
    ).first()
    for implicit in (claim.author_id, assignee_id):
        if implicit is not None and choices.get(implicit, True):
            ids.add(implicit)
    return list(
        get_user_model()
        .objects.filter(pk__in=ids, memberships__team_id=claim.team_id)
        .order_by("pk")
    )


def mentioned(*, comment: Comment, recipients: Iterable[Any], actor: Any) -> None:
    recipients = _others(recipients, actor)
    if not recipients:
        return
    if comment.claim_id:
        where = f"claim “{comment.claim.text[:80]}”"
        sensitive = is_sensitive_claim(comment.claim)
    else:
        where = f"evidence “{comment.item.title[:80]}”"
        sensitive = comment.item.is_restricted
    _notify(
        recipients=recipients,
        kind="mention",
        team=comment.team,
        actor=actor,
        title=f"{actor.get_username()} mentioned you on {where}",
        url=comment.get_absolute_url(),
        body=comment.body[:EXCERPT],
        is_sensitive=sensitive,
    )


def assigned(*, assignment: Assignment, actor: Any) -> None:
    if assignment.assignee_id == actor.pk:
        return
    claim = assignment.claim
    due = f", due {assignment.due_on:%d %b %Y}" if assignment.due_on else ""
    _notify(
        recipients=[assignment.assignee],
        kind="assignment",
        team=claim.team,
        actor=actor,
        title=f"{actor.get_username()} assigned you a claim{due}",
        url=claim.get_absolute_url(),
        body=claim.text[:EXCERPT],
        is_sensitive=is_sensitive_claim(claim),
    )


def evidence_linked(*, link: ClaimEvidence, actor: Any) -> None:
    """New evidence on a claim, or a new denial (a statement that denies it), to
    its followers."""
    claim = link.claim
    recipients = _others(followers(claim), actor)
    if not recipients:
        return
    is_denial = link.stance == Stance.DENIES
    what = "A new denial" if is_denial else "New evidence"
    _notify(
        recipients=recipients,
        kind="new_denial" if is_denial else "new_evidence",
        team=claim.team,
        actor=actor,
        title=f"{what} on a claim you follow: “{link.item.title[:80]}”",
        url=claim.get_absolute_url(),
        body=claim.text[:EXCERPT],
        is_sensitive=is_sensitive_claim(claim) or link.item.is_restricted,
    )
