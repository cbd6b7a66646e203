"""Who may do what, and which review transitions exist: all access rules here."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from .models import Claim, ClaimStatus, Decision, Membership, Role, Team

# The review workflow as a table: decision -> (allowed from-states, to-state).
ALLOWED_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    Decision.SUBMIT: (frozenset({ClaimStatus.DRAFT}), ClaimStatus.IN_REVIEW),
    Decision.REQUEST_CHANGES: (
        frozenset({ClaimStatus.IN_REVIEW, ClaimStatus.APPROVED}),
        ClaimStatus.DRAFT,
    ),
    Decision.APPROVE: (frozenset({ClaimStatus.IN_REVIEW}), ClaimStatus.APPROVED),
    Decision.PUBLISH: (frozenset({ClaimStatus.APPROVED}), ClaimStatus.PUBLISHED),
    Decision.CORRECT: (frozenset({ClaimStatus.PUBLISHED}), ClaimStatus.PUBLISHED),
    Decision.RETRACT: (frozenset({ClaimStatus.PUBLISHED}), ClaimStatus.RETRACTED),
}
EDITOR_DECISIONS = frozenset(
    {
        Decision.APPROVE,
        Decision.REQUEST_CHANGES,
        Decision.PUBLISH,
        Decision.CORRECT,
        Decision.RETRACT,
    }
)
# Four eyes: whoever wrote or last edited the claim cannot also pass it.
FOUR_EYES_DECISIONS = frozenset({Decision.APPROVE, Decision.PUBLISH})


class InvalidTransition(Exception):
    """A review decision that the workflow does not allow from the claim's state."""


class EditConflict(Exception):
    """The row changed since the user opened it (optimistic concurrency)."""


def membership_for(user: Any, team: Team) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cache = getattr(user, "_membership_cache", None)
    if cache is None:
        cache = {}
        user._membership_cache = cache
    if team.pk not in cache:
        cache[team.pk] = Membership.objects.filter(user=user, team=team).first()
    return cache[team.pk]


def ensure_member(*, user: Any, team: Team) -> Membership:
    membership = membership_for(user, team)
    if membership is None:
        raise PermissionDenied("You are not a member of this team.")
    return membership


def ensure_editor(*, user: Any, team: Team) -> Membership:
    membership = ensure_member(user=user, team=team)
    if membership.role not in (Role.EDITOR, Role.ADMIN):
        raise PermissionDenied("Only editors may do this.")
    return membership


def ensure_can_review(*, user: Any, claim: Claim, decision: str) -> None:
    """Role and four-eyes checks for a review decision on a claim."""
    membership = ensure_member(user=user, team=claim.team)
    if decision in EDITOR_DECISIONS and not membership.is_editor:
        raise PermissionDenied("Only editors may do this.")
    if decision == Decision.SUBMIT and not (
        membership.is_editor or user.pk == claim.author_id
    ):
        raise PermissionDenied("Only the author or an editor may submit this claim.")
    if decision in FOUR_EYES_DECISIONS and user.pk in {
        claim.author_id,
        claim.last_edited_by_id,
    }:
        raise PermissionDenied(
            "Four eyes: you wrote or last edited this claim, so another editor must "
            "approve or publish it."
        )


def target_status(*, claim: Claim, decision: str) -> str:
    try:
        allowed_from, to = ALLOWED_TRANSITIONS[decision]
    except KeyError as exc:
        raise InvalidTransition(f"Unknown decision {decision!r}") from exc
    if claim.status not in allowed_from:
        raise InvalidTransition(
            f"A {ClaimStatus(claim.status).label.lower()} claim cannot be given "
            f"the decision '{Decision(decision).label.lower()}'."
        )
    return to
