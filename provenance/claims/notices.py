"""Who hears of what happens to a claim, and what they are told: the team's editors
when a claim is submitted, the claim's author of every other decision; mentioned
members; the assignee; the claim's followers of new evidence and denials. Recorded
through accounts.notifications.notify in the change's transaction (the actor is
never told of their own act)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model

from provenance.accounts.models import NotificationKind
from provenance.accounts.notifications import notify
from provenance.claims.models import (
    Assignment,
    Claim,
    ClaimEvidence,
    ClaimStatus,
    Comment,
    Decision,
    Review,
    Stance,
    Watch,
)
from provenance.teams.models import Membership

# What the author is told, in the past tense: "Changes requested: <claim>".
HEADINGS = {
    Decision.APPROVE: "Approved",
    Decision.REQUEST_CHANGES: "Changes requested",
    Decision.PUBLISH: "Published",
    Decision.CORRECT: "Corrected",
    Decision.RETRACT: "Retracted",
    Decision.EDIT: "Edited and sent back to review",
}
EXCERPT = 200


def is_sensitive(claim: Claim) -> bool:
    """An embargoed claim's text stays out of email until it is published."""
    return claim.publish_at is not None and claim.status != ClaimStatus.PUBLISHED


def review_notify(*, claim: Claim, review: Review) -> None:
    """Notify the people the decision concerns (never the one who took it)."""
    recipients: list[Any]
    if review.decision == Decision.SUBMIT:
        kind = NotificationKind.CLAIM_SUBMITTED
        recipients = [
            m.user
            for m in Membership.objects.editors()
            .filter(team_id=claim.team_id)
            .select_related("user")
        ]
        title = f"Submitted for review: {claim.text[:120]}"
    else:
        kind = NotificationKind.REVIEW_DECISION
        recipients = [claim.author] if claim.author_id else []
        heading = HEADINGS.get(review.decision, review.get_decision_display())
        title = f"{heading}: {claim.text[:120]}"
    body = ""
    if review.comment:
        who = review.by.get_username() if review.by_id else "Provenance"
        body = f"{who}: {review.comment}"
    notify(
        recipients=recipients,
        kind=kind,
        team=claim.team,
        actor=review.by,
        title=title,
        url=claim.get_absolute_url(),
        body=body,
        is_sensitive=is_sensitive(claim),
        at=review.at,
    )


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
        sensitive = is_sensitive(comment.claim)
    else:
        where = f"evidence “{comment.item.title[:80]}”"
        sensitive = comment.item.is_restricted
    notify(
        recipients=recipients,
        kind=NotificationKind.MENTION,
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
    notify(
        recipients=[assignment.assignee],
        kind=NotificationKind.ASSIGNMENT,
        team=claim.team,
        actor=actor,
        title=f"{actor.get_username()} assigned you a claim{due}",
        url=claim.get_absolute_url(),
        body=claim.text[:EXCERPT],
        is_sensitive=is_sensitive(claim),
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
    notify(
        recipients=recipients,
        kind=NotificationKind.NEW_DENIAL
        if is_denial
        else NotificationKind.NEW_EVIDENCE,
        team=claim.team,
        actor=actor,
        title=f"{what} on a claim you follow: “{link.item.title[:80]}”",
        url=claim.get_absolute_url(),
        body=claim.text[:EXCERPT],
        is_sensitive=is_sensitive(claim) or link.item.is_restricted,
    )
