"""Who may do what, and which review transitions exist: all access rules here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied

from provenance.claims.models import Claim, ClaimStatus, Decision, Relation
from provenance.teams.rules import ensure_member

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
# Four eyes: whoever wrote or last edited the claim cannot also pass it, nor change
# its public content (a correction carries the new text).
FOUR_EYES_DECISIONS = frozenset({Decision.APPROVE, Decision.PUBLISH, Decision.CORRECT})
PUBLISHED_CONTENT_LOCKED = "Published claims change through a correction."
# Decisions whose comment is the record (for the reporter, or public): not optional.
COMMENT_REQUIRED: dict[str, str] = {
    Decision.REQUEST_CHANGES: "Say what needs to change.",
    Decision.CORRECT: "A correction needs its public correction note.",
    Decision.RETRACT: "A retraction needs its reason.",
}


class InvalidTransition(Exception):
    """A review decision that the workflow does not allow from the claim's state."""


class EditConflict(Exception):
    """The row changed since the user opened it (optimistic concurrency)."""


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
            "approve, publish or correct it."
        )


def target_status(*, claim: Claim, decision: str) -> str:
    try:
        allowed_from, to = ALLOWED_TRANSITIONS[decision]
    except KeyError as exc:
        raise InvalidTransition(f"Unknown decision {decision!r}") from exc
    if claim.status not in allowed_from:
        state = ClaimStatus(claim.status).label.lower()
        article = "An" if state[0] in "aeiou" else "A"
        raise InvalidTransition(
            f"{article} {state} claim cannot be given "
            f"the decision '{Decision(decision).label.lower()}'."
        )
    return to


def is_own_work(*, user: Any, claim: Claim) -> bool:
    """True when the user wrote or last edited the claim (four eyes)."""
    return getattr(user, "pk", None) in {claim.author_id, claim.last_edited_by_id}


def approval_blockers(claim: Claim) -> list[str]:
    """What the claim still lacks before it can be approved; empty when ready.

    Uses `has_supporting_evidence` / `has_assessment` annotations when the queryset
    has them (the review queue), otherwise asks the database.
    """
    has_support = getattr(claim, "has_supporting_evidence", None)
    if has_support is None:
        has_support = claim.evidence_links.filter(relation=Relation.SUPPORTS).exists()
    has_assessment = getattr(claim, "has_assessment", None)
    if has_assessment is None:
        has_assessment = claim.assessments.exists()
    blockers = []
    if not has_support:
        blockers.append("it needs at least one supporting evidence link")
    if not has_assessment:
        blockers.append("it needs a confidence assessment")
    return blockers


def ensure_can_approve(*, claim: Claim) -> None:
    blockers = approval_blockers(claim)
    if blockers:
        raise InvalidTransition(
            "This claim cannot be approved yet: " + "; ".join(blockers) + "."
        )


def ensure_not_embargoed(*, claim: Claim, now: datetime) -> None:
    """Publishing before `publish_at` is refused everywhere, by people and code."""
    if claim.publish_at is not None and claim.publish_at > now:
        raise InvalidTransition(
            f"This claim is embargoed until {claim.publish_at:%Y-%m-%d %H:%M:%S} UTC "
            "and publishes itself then."
        )


def allowed_decisions(*, user: Any, claim: Claim) -> list[str]:
    """The decisions the user may take on the claim in its current state (for buttons).

    State and role only; the decision's own conditions (evidence, embargo) are
    checked when it is taken.
    """
    allowed = []
    for decision in ALLOWED_TRANSITIONS:
        try:
            target_status(claim=claim, decision=decision)
            ensure_can_review(user=user, claim=claim, decision=decision)
        except (InvalidTransition, PermissionDenied):
            continue
        allowed.append(decision)
    return allowed
