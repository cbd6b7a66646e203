"""The claim page's review controls and review/audit section, as inclusion tags, so
the claim view itself needs no review-specific context."""

from __future__ import annotations

from typing import Any

from django import template

from provenance.claims import rules, selectors
from provenance.claims.models import Claim, Decision
from provenance.teams import rules as team_rules

register = template.Library()


@register.inclusion_tag("provenance/_review_actions.html", takes_context=True)
def review_actions(context: template.Context, claim: Claim) -> dict[str, Any]:
    request = context["request"]
    decisions = rules.allowed_decisions(user=request.user, claim=claim)
    # Buttons, with what their row of the workflow asks for besides the version.
    return {
        "claim": claim,
        "decisions": [
            {
                "value": decision,
                "label": Decision(decision).label,
                "needs_comment": bool(rules.WORKFLOW[decision].comment_required),
                "takes_embargo": rules.WORKFLOW[decision].takes_embargo,
            }
            for decision in decisions
        ],
    }


@register.inclusion_tag("provenance/_review_history.html", takes_context=True)
def review_history(context: template.Context, claim: Claim) -> dict[str, Any]:
    """Review comments for every member (reporters see the comments on their
    claims); the audit trail for editors only."""
    request = context["request"]
    membership = team_rules.membership_for(request.user, claim.team)
    is_editor = bool(membership and membership.is_editor)
    return {
        "claim": claim,
        "reviews": list(selectors.review_history_for(claim)),
        "is_editor": is_editor,
        "audit_events": list(selectors.audit_trail_for(claim)) if is_editor else [],
    }
