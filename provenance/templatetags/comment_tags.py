"""The comment thread (claim and evidence pages) and the claim's assignee and
watch box: the reads belong to the claims room, the pages load them here."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone

from evidence.models import EvidenceItem
from provenance.claims import people
from provenance.claims.forms import AssignForm, CommentForm
from provenance.claims.models import Claim
from provenance.claims.views_people import quotable_of_claim, quotable_of_item

register = template.Library()


def _thread_context(
    context: template.Context, *, thread: list, form: CommentForm, action: str
) -> dict[str, Any]:
    return {
        "thread": thread,
        "form": form,
        "action": action,
        "user": context.get("user"),
        "is_editor": context.get("is_editor"),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }


def _reply_to(context: template.Context) -> dict[str, int]:
    """?reply=<id>: the Reply link without JavaScript (the service checks the id
    belongs to the thread)."""
    request = context.get("request")
    reply = request.GET.get("reply", "") if request is not None else ""
    return {"parent": int(reply)} if reply.isdigit() else {}


@register.inclusion_tag("provenance/_comments.html", takes_context=True)
def claim_comments(context: template.Context, claim: Claim) -> dict[str, Any]:
    form = context.get("comment_form") or CommentForm(
        quotable=quotable_of_claim(claim), initial=_reply_to(context)
    )
    # claim_for_page says whether there is a thread to read.
    thread = (
        people.comment_thread(team=claim.team, claim_id=claim.pk)
        if getattr(claim, "has_comments", True)
        else []
    )
    return _thread_context(
        context,
        thread=thread,
        form=form,
        action=reverse("provenance:claim-comment", args=[claim.pk]),
    )


@register.inclusion_tag("provenance/_comments.html", takes_context=True)
def item_comments(context: template.Context, item: EvidenceItem) -> dict[str, Any]:
    thread = people.comment_thread(team=item.team, item_id=item.pk)
    return _thread_context(
        context,
        thread=thread,
        form=CommentForm(quotable=quotable_of_item(item), initial=_reply_to(context)),
        action=reverse("provenance:item-comment", args=[item.pk]),
    )


@register.inclusion_tag("provenance/_claim_people.html", takes_context=True)
def claim_people(context: template.Context, claim: Claim) -> dict[str, Any]:
    user = context.get("user")
    state = people.claim_people(claim=claim, user=user)
    assignment = state.assignment
    form = AssignForm(
        members=people.member_choices(claim.team),
        initial={
            "assignee": assignment.assignee_id if assignment else None,
            "due_on": assignment.due_on if assignment else None,
        },
    )
    return {
        "claim": claim,
        "assignment": assignment,
        "is_overdue": bool(assignment and assignment.is_overdue(timezone.localdate())),
        "is_watching": state.is_watching,
        "form": form,
        "csrf_token": context.get("csrf_token"),
    }
