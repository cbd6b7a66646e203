"""The review workflow as one table (`WORKFLOW`), and who may do what to a claim.

Each `Transition` row holds every rule of one decision: the states it leaves from,
the state it leads to, who may take it, four eyes, whether its comment is required,
the publishers' outbox event, the fields it sets, and the conditions it checks
when it is taken. The services' driver (`services.claim_transition`) reads the row
and is the only code that assigns `Claim.status`; the buttons, the review form,
the admin actions and the API ask `allowed_decisions` / `decision_choices`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from provenance.claims.models import Claim, ClaimStatus, Decision
from provenance.teams.rules import ensure_member

PUBLISHED_CONTENT_LOCKED = "Published claims change through a correction."


class InvalidTransition(Exception):
    """A review decision that the workflow does not allow from the claim's state."""


class EditConflict(Exception):
    """The row changed since the user opened it (optimistic concurrency)."""


class Who(StrEnum):
    """Who may take a decision, among the members of the claim's team."""

    MEMBER = "member"
    AUTHOR_OR_EDITOR = "author or editor"
    EDITOR = "editor"


# Why a member outside `who` is refused.
WHO_REFUSED: dict[Who, str] = {
    Who.AUTHOR_OR_EDITOR: "Only the author or an editor may submit this claim.",
    Who.EDITOR: "Only editors may do this.",
}


class Value(StrEnum):
    """Where a field set by a decision takes its value from."""

    AT = "at"  # the decision's time
    COMMENT = "comment"  # the decision's comment (a public note or reason)
    EMBARGO = "embargo"  # the `publish_at` given with the decision (or none)
    CLEARED = "cleared"  # None


def approval_blockers(claim: Claim) -> list[str]:
    """What the claim still lacks before it can be approved; empty when ready.

    Uses `has_supporting_evidence` / `has_assessment` annotations when the queryset
    has them (the review queue), otherwise asks the database.
    """
    has_support = getattr(claim, "has_supporting_evidence", None)
    if has_support is None:
        has_support = claim.evidence_links.supporting().exists()
    has_assessment = getattr(claim, "has_assessment", None)
    if has_assessment is None:
        has_assessment = claim.assessments.exists()
    blockers = []
    if not has_support:
        blockers.append("it needs at least one supporting evidence link")
    if not has_assessment:
        blockers.append("it needs a confidence assessment")
    return blockers


def ensure_can_approve(claim: Claim, now: datetime) -> None:
    blockers = approval_blockers(claim)
    if blockers:
        raise InvalidTransition(
            "This claim cannot be approved yet: " + "; ".join(blockers) + "."
        )


def ensure_not_embargoed(claim: Claim, now: datetime) -> None:
    """Publishing before `publish_at` is refused everywhere, by people and code."""
    if claim.publish_at is not None and claim.publish_at > now:
        raise InvalidTransition(
            f"This claim is embargoed until {claim.publish_at:%Y-%m-%d %H:%M:%S} UTC "
            "and publishes itself then."
        )


@dataclass(frozen=True)
class Transition:
    """One decision of the review workflow, with every rule it follows."""

    decision: str
    sources: frozenset[str]
    target: str
    who: Who
    # Whoever wrote or last edited the claim cannot take it (another editor must).
    four_eyes: bool = False
    # The refusal when the comment is blank; "" when a comment is optional.
    comment_required: str = ""
    # What publishers are told (the outbox of issue 7); "" for nothing.
    outbox_event: str = ""
    # Claim fields the decision sets, besides status, version and updated_at.
    sets: tuple[tuple[str, Value], ...] = ()
    # Checked when the decision is taken (not for the buttons): (claim, now).
    requires: tuple[Callable[[Claim, datetime], None], ...] = ()
    # It carries the claim's new public content (`changes`).
    changes_content: bool = False
    # False: not chosen by anyone, it follows from an edit (claim_update).
    chosen: bool = True
    # The Review comment when none is given.
    default_comment: str = ""

    @property
    def takes_embargo(self) -> bool:
        return any(source == Value.EMBARGO for _, source in self.sets)


WORKFLOW: Mapping[str, Transition] = {
    t.decision: t
    for t in (
        Transition(
            Decision.SUBMIT,
            sources=frozenset({ClaimStatus.DRAFT}),
            target=ClaimStatus.IN_REVIEW,
            who=Who.AUTHOR_OR_EDITOR,
        ),
        Transition(
            Decision.APPROVE,
            sources=frozenset({ClaimStatus.IN_REVIEW}),
            target=ClaimStatus.APPROVED,
            who=Who.EDITOR,
            four_eyes=True,
            sets=(("publish_at", Value.EMBARGO),),
            requires=(ensure_can_approve,),
        ),
        Transition(
            Decision.REQUEST_CHANGES,
            sources=frozenset({ClaimStatus.IN_REVIEW, ClaimStatus.APPROVED}),
            target=ClaimStatus.DRAFT,
            who=Who.EDITOR,
            comment_required="Say what needs to change.",
            sets=(("publish_at", Value.CLEARED),),
        ),
        Transition(
            Decision.PUBLISH,
            sources=frozenset({ClaimStatus.APPROVED}),
            target=ClaimStatus.PUBLISHED,
            who=Who.EDITOR,
            four_eyes=True,
            outbox_event="claim.published",
            sets=(("published_at", Value.AT), ("public_content_at", Value.AT)),
            requires=(ensure_not_embargoed,),
        ),
        # A correction changes public content (issue 12): four eyes too.
        Transition(
            Decision.CORRECT,
            sources=frozenset({ClaimStatus.PUBLISHED}),
            target=ClaimStatus.PUBLISHED,
            who=Who.EDITOR,
            four_eyes=True,
            comment_required="A correction needs its public correction note.",
            outbox_event="claim.corrected",
            sets=(("correction_note", Value.COMMENT), ("public_content_at", Value.AT)),
            changes_content=True,
        ),
        Transition(
            Decision.RETRACT,
            sources=frozenset({ClaimStatus.PUBLISHED}),
            target=ClaimStatus.RETRACTED,
            who=Who.EDITOR,
            comment_required="A retraction needs its reason.",
            outbox_event="claim.retracted",
            sets=(("retraction_reason", Value.COMMENT),),
        ),
        # Editing an approved claim's content sends it back to review.
        Transition(
            Decision.EDIT,
            sources=frozenset({ClaimStatus.APPROVED}),
            target=ClaimStatus.IN_REVIEW,
            who=Who.MEMBER,
            sets=(("publish_at", Value.CLEARED),),
            chosen=False,
            default_comment="Edited after approval; needs review again.",
        ),
    )
}


def decision_choices() -> list[tuple[str, str]]:
    """The decisions people take, as form choices, in workflow order."""
    return [(d, Decision(d).label) for d, t in WORKFLOW.items() if t.chosen]


def transition_for(*, claim: Claim, decision: str) -> Transition:
    """The decision's row, if it may leave the claim's state; InvalidTransition if
    not (or if nobody chooses it: an edit is not a decision)."""
    transition = WORKFLOW.get(decision)
    if transition is None or not transition.chosen:
        raise InvalidTransition(f"Unknown decision {decision!r}")
    if claim.status not in transition.sources:
        state = ClaimStatus(claim.status).label.lower()
        article = "An" if state[0] in "aeiou" else "A"
        raise InvalidTransition(
            f"{article} {state} claim cannot be given "
            f"the decision '{Decision(decision).label.lower()}'."
        )
    return transition


def is_own_work(*, user: Any, claim: Claim) -> bool:
    """True when the user wrote or last edited the claim (four eyes)."""
    return getattr(user, "pk", None) in {claim.author_id, claim.last_edited_by_id}


def ensure_may_take(*, transition: Transition, user: Any, claim: Claim) -> None:
    """The row's role and four-eyes rules, for the user on the claim."""
    membership = ensure_member(user=user, team=claim.team)
    allowed = (
        transition.who == Who.MEMBER
        or membership.is_editor
        or (transition.who == Who.AUTHOR_OR_EDITOR and user.pk == claim.author_id)
    )
    if not allowed:
        raise PermissionDenied(WHO_REFUSED[transition.who])
    if transition.four_eyes and is_own_work(user=user, claim=claim):
        raise PermissionDenied(
            "Four eyes: you wrote or last edited this claim, so another editor must "
            "approve, publish or correct it."
        )


def ensure_decision_valid(
    *,
    transition: Transition,
    claim: Claim,
    comment: str,
    publish_at: datetime | None,
    changes: Mapping[str, Any],
    now: datetime,
) -> None:
    """The row's rules on what comes with the decision, then its own conditions."""
    if transition.comment_required and not comment:
        raise ValidationError({"comment": transition.comment_required})
    if changes and not transition.changes_content:
        raise ValueError("Only a correction changes the content.")
    if publish_at is not None and not transition.takes_embargo:
        raise ValidationError({"publish_at": "Only an approval sets an embargo."})
    for requirement in transition.requires:
        requirement(claim, now)
    if publish_at is not None and publish_at <= now:
        raise ValidationError({"publish_at": "An embargo must end in the future."})


def ensure_content_editable(claim: Claim) -> None:
    """A published claim's content changes only by the correct decision (reviewed,
    four eyes); a retracted claim's never."""
    if claim.status == ClaimStatus.PUBLISHED:
        raise InvalidTransition(PUBLISHED_CONTENT_LOCKED)
    if claim.status == ClaimStatus.RETRACTED:
        raise ValueError("A retracted claim can no longer be edited.")


def allowed_decisions(*, user: Any, claim: Claim) -> list[str]:
    """The decisions the user may take on the claim in its current state (for buttons).

    State and role only; the decision's own conditions (evidence, embargo) are
    checked when it is taken.
    """
    allowed = []
    for decision, transition in WORKFLOW.items():
        if not transition.chosen or claim.status not in transition.sources:
            continue
        try:
            ensure_may_take(transition=transition, user=user, claim=claim)
        except PermissionDenied:
            continue
        allowed.append(decision)
    return allowed
