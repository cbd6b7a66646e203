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
    claims); the audit trail for editors only. On an as-of page, only what had
    happened by that date, and the correction then in force."""
    request = context["request"]
    membership = team_rules.membership_for(request.user, claim.team)
    is_editor = bool(membership and membership.is_editor)
    as_of = context.get("as_of")
    shown = context.get("shown")
    reviews = selectors.review_history_for(claim)
    audit = selectors.audit_trail_for(claim) if is_editor else None
    if as_of is not None:
        reviews = reviews.filter(at__lte=as_of)
        audit = audit.filter(at__lte=as_of) if audit is not None else None
    return {
        "claim": claim,
        "as_of": as_of,
        "status": shown.status if as_of is not None and shown else claim.status,
        "correction_note": shown.correction_note
        if as_of is not None and shown
        else claim.correction_note,
        "retraction_reason": shown.retraction_reason
        if as_of is not None and shown
        else claim.retraction_reason,
        "reviews": list(reviews),
        "is_editor": is_editor,
        "audit_events": list(audit) if audit is not None else [],
    }
