"""Who hears of a review decision, and what they are told: the team's editors when
a claim is submitted, the claim's author of every other decision. Recorded through
accounts.notifications.notify in the decision's transaction."""

from __future__ import annotations

from typing import Any

from provenance.accounts.models import NotificationKind
from provenance.accounts.notifications import notify
from provenance.claims.models import Claim, ClaimStatus, Decision, Review
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
