"""Comments, assignments, watching and My work: parse, call one service or
selector, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from evidence import selectors as evidence_selectors
from evidence.models import EvidenceItem, EvidenceKind
from provenance.accounts import selectors as team_selectors
from provenance.claims import assignments, comments, people, selectors
from provenance.claims.forms import AssignForm, CommentEditForm, CommentForm
from provenance.claims.models import Claim
from provenance.claims.views import claim_page_context

QUOTABLE_KINDS = (EvidenceKind.STATEMENT, EvidenceKind.DOCUMENT)


def quotable_of_claim(claim: Claim) -> list[tuple[int, str]]:
    """The claim's linked statements and documents, which a comment may quote."""
    # The claim page's claim has its links and items prefetched: no query there.
    links = sorted(
        (
            link
            for link in claim.evidence_links.all()
            if link.unlinked_at is None and link.item.kind in QUOTABLE_KINDS
        ),
        key=lambda link: (link.linked_at, link.pk),
    )
    return [(link.item_id, link.item.title[:80]) for link in links]


def quotable_of_item(item: EvidenceItem) -> list[tuple[int, str]]:
    return [(item.pk, item.title[:80])] if item.kind in QUOTABLE_KINDS else []


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@require_POST
def claim_comment(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    form = CommentForm(request.POST, quotable=quotable_of_claim(claim))
    if form.is_valid():
        try:
            comment = comments.comment_create(
                actor=request.user, claim_id=claim.pk, **form.service_kwargs()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Comment added.")
            return redirect(comment.get_absolute_url())
    context = claim_page_context(request, claim)
    context["comment_form"] = form
    return render(request, "provenance/claim_detail.html", context, status=400)


@login_required
@require_POST
def item_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """A comment on an evidence item; a refusal comes back as a message."""
    team = team_selectors.require_team(request)
    item = evidence_selectors.evidence_for_page(team=team, item_id=pk)
    form = CommentForm(request.POST, quotable=quotable_of_item(item))
    if not form.is_valid():
        messages.error(request, "The comment was not added: write something.")
        return redirect(item)
    try:
        comment = comments.comment_create(
            actor=request.user, item_id=item.pk, **form.service_kwargs()
        )
    except ValidationError as exc:
        messages.error(request, f"The comment was not added: {_error_text(exc)}")
        return redirect(item)
    messages.success(request, "Comment added.")
    return redirect(comment.get_absolute_url())


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def comment_detail(request: HttpRequest, comment_id: int) -> HttpResponse:
    """The comment's recorded texts, newest first; its author edits it here."""
    team = team_selectors.require_team(request)
    comment = people.comment_for_member(team=team, comment_id=comment_id)
    form = CommentEditForm(request.POST or None, initial={"body": comment.body})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                comments.comment_edit(
                    comment_id=comment.pk,
                    actor=request.user,
                    body=form.cleaned_data["body"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Comment edited; the earlier text is kept.")
                return redirect(comment.get_absolute_url())
        status = 400
    return render(
        request,
        "provenance/comment_detail.html",
        {
            "comment": comment,
            "form": form,
            "versions": people.comment_versions(comment),
            "may_edit": comment.author_id == request.user.pk and not comment.is_deleted,
        },
        status=status,
    )


@login_required
@require_POST
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    comment = people.comment_for_member(team=team, comment_id=comment_id)
    # The button sends confirm=delete: a bare POST deletes nothing.
    if request.POST.get("confirm") != "delete":
        messages.error(request, "Nothing deleted: use the comment's Delete button.")
        return redirect(comment.get_absolute_url())
    try:
        comments.comment_delete(comment_id=comment.pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, "Comment deleted; its text stays in the history.")
    return redirect(comment.get_absolute_url())


@login_required
@require_POST
def claim_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign (or, with nobody chosen, unassign) the claim."""
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_review(team=team, claim_id=pk)
    form = AssignForm(request.POST, members=people.member_choices(team))
    if not form.is_valid():
        messages.error(request, "Choose a member of the team.")
        return redirect(claim)
    assignee_id = form.cleaned_data["assignee"]
    try:
        if assignee_id is None:
            assignments.claim_unassign(claim_id=claim.pk, actor=request.user)
            messages.success(request, "The claim is unassigned.")
        else:
            assignee = people.member_of_team(team=team, user_id=assignee_id)
            assignments.claim_assign(
                claim_id=claim.pk,
                actor=request.user,
                assignee=assignee,
                due_on=form.cleaned_data["due_on"],
            )
            messages.success(request, f"Assigned to {assignee.get_username()}.")
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect(claim)


@login_required
@require_POST
def claim_watch(request: HttpRequest, pk: int) -> HttpResponse:
    team = team_selectors.require_team(request)
    claim = selectors.claim_for_review(team=team, claim_id=pk)
    choice = request.POST.get("watching")
    if choice not in ("1", "0"):
        messages.error(request, "Choose Watch or Unwatch.")
        return redirect(claim)
    assignments.claim_watch(
        claim_id=claim.pk, actor=request.user, watching=choice == "1"
    )
    messages.success(
        request,
        "You watch this claim: new evidence and denials are notified to you."
        if choice == "1"
        else "You no longer watch this claim.",
    )
    return redirect(claim)


@login_required
@require_GET
def team_members(request: HttpRequest) -> JsonResponse:
    """The current team's members matching ?q= (for @-autocomplete)."""
    team = team_selectors.require_team(request)
    members = people.team_members(team=team, prefix=request.GET.get("q", "")[:60])
    return JsonResponse({"members": members})


@login_required
@require_safe
def my_work(request: HttpRequest) -> HttpResponse:
    team = team_selectors.require_team(request)
    membership = team_selectors.current_membership(request)
    work = people.my_work(
        team=team,
        user=request.user,
        is_editor=membership.is_editor,
        today=timezone.localdate(),
    )
    context: dict[str, Any] = {"work": work}
    return render(request, "provenance/my_work.html", context)
