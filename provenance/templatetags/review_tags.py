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
        "comment_help": comment_help(decisions),
    }


# What the comment is for, per decision that requires one.
COMMENT_FOR = {
    Decision.REQUEST_CHANGES: "to request changes",
    Decision.CORRECT: "to correct — the public note",
    Decision.RETRACT: "to retract — the reason",
}


def comment_help(decisions: list[str]) -> str:
    """The comment's rules for the decisions this user has, and no others: a
    reporter who can only submit is not told the editors' rules."""
    needed = [COMMENT_FOR[d] for d in decisions if rules.WORKFLOW[d].comment_required]
    if not needed:
        return "optional: the editors see it in the queue"
    return "required " + ", or ".join(needed)


@register.simple_tag(takes_context=True)
def may_decide(context: template.Context, claim: Claim, decision: str) -> bool:
    """Whether the user may take the decision on the claim now (to show a control
    only to the role it applies to)."""
    user = context["request"].user
    return decision in rules.allowed_decisions(user=user, claim=claim)


@register.inclusion_tag("provenance/_changes_requested.html", takes_context=True)
def changes_requested_banner(context: template.Context, claim: Claim) -> dict[str, Any]:
    """The editor's request for changes on a draft, with its comment."""
    return {
        "claim": claim,
        "review": selectors.changes_requested(claim),
        "is_author": context["request"].user.pk == claim.author_id,
    }


@register.inclusion_tag("provenance/_corrections.html", takes_context=True)
def corrections_log(context: template.Context, claim: Claim) -> dict[str, Any]:
    """Every correction published on the claim (on an as-of page, those made by
    then), each with its date, who made it and its public note."""
    return {"corrections": selectors.corrections_for(claim, until=context.get("as_of"))}


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
    reviews = selectors.claim_reviews(claim, until=as_of)
    audit = selectors.audit_trail_for(claim) if is_editor else None
    if as_of is not None and audit is not None:
        audit = audit.filter(at__lte=as_of)
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
        "reviews": reviews,
        "is_editor": is_editor,
        "audit_events": list(audit) if audit is not None else [],
    }
