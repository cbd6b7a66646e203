"""Reads for comments, assignments and watching: the threads on the claim and
evidence pages, the claim's assignee and followers, and the My work page. Each read
is scoped to a team and costs a fixed number of queries, whatever the thread size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import Http404

from provenance.claims import selectors
from provenance.claims.markup import render_comment
from provenance.claims.models import (
    Assignment,
    Claim,
    ClaimStatus,
    Comment,
    Decision,
    Review,
    Watch,
)
from provenance.teams.models import Membership, Team

MEMBER_SUGGESTIONS = 8


@dataclass
class ThreadEntry:
    comment: Comment
    html: str
    replies: list[ThreadEntry] = field(default_factory=list)


def comment_thread(
    *, team: Team, claim_id: int | None = None, item_id: int | None = None
) -> list[ThreadEntry]:
    """The thread as a tree of root comments, each with its replies (two queries:
    the comments, and their mentions)."""
    comments = Comment.objects.filter(team=team)
    comments = (
        comments.filter(claim_id=claim_id)
        if claim_id is not None
        else comments.filter(item_id=item_id)
    )
    entries: dict[int, ThreadEntry] = {}
    roots: list[ThreadEntry] = []
    for comment in comments.for_thread():
        members = {user.get_username() for user in comment.mentions.all()}
        entry = ThreadEntry(comment, render_comment(comment.body, members=members))
        entries[comment.pk] = entry
        parent = entries.get(comment.parent_id) if comment.parent_id else None
        (parent.replies if parent else roots).append(entry)
    return roots


def comment_for_member(*, team: Team, comment_id: int) -> Comment:
    try:
        return Comment.objects.select_related("author", "claim", "item").get(
            pk=comment_id, team=team
        )
    except Comment.DoesNotExist as exc:
        raise Http404("No such comment in your team.") from exc


def comment_versions(comment: Comment) -> list[Any]:
    """Every recorded text of the comment, newest first, with who and when."""
    return list(
        comment.history.select_related("history_user").order_by("-history_date", "-pk")
    )


def team_members(*, team: Team, prefix: str = "") -> list[dict[str, str]]:
    """Members whose username (or name) starts with `prefix`, for @-autocomplete."""
    members = Membership.objects.filter(team=team).select_related("user")
    prefix = prefix.strip().lstrip("@")
    if prefix:
        members = members.filter(
            Q(user__username__istartswith=prefix)
            | Q(user__first_name__istartswith=prefix)
            | Q(user__last_name__istartswith=prefix)
        )
    return [
        {"username": m.user.get_username(), "name": m.user.get_full_name()}
        for m in members.order_by("user__username")[:MEMBER_SUGGESTIONS]
    ]


def member_choices(team: Team) -> list[tuple[int, str]]:
    users = get_user_model().objects.filter(memberships__team=team).order_by("username")
    return [(u.pk, u.get_username()) for u in users]


def member_of_team(*, team: Team, user_id: int) -> Any:
    user = get_user_model().objects.filter(pk=user_id, memberships__team=team).first()
    if user is None:
        raise Http404("No such member in your team.")
    return user


@dataclass(frozen=True)
class ClaimPeople:
    assignment: Assignment | None
    is_watching: bool


def claim_people(*, claim: Claim, user: Any) -> ClaimPeople:
    """The claim's assignee and due date, and whether `user` follows it (see
    `notices.followers`: author and assignee follow unless they unwatched)."""
    try:  # claim_for_page selects it along with the claim
        assignment: Assignment | None = claim.assignment
    except Assignment.DoesNotExist:
        assignment = None
    choice = (
        Watch.objects.filter(claim=claim, user=user)
        .values_list("is_watching", flat=True)
        .first()
    )
    implicit = user.pk == claim.author_id or (
        assignment is not None and assignment.assignee_id == user.pk
    )
    return ClaimPeople(
        assignment=assignment,
        is_watching=choice if choice is not None else implicit,
    )


def _latest_review(column: str) -> Subquery:
    return Subquery(
        Review.objects.filter(claim=OuterRef("pk"))
        .order_by("-at", "-pk")
        .values(column)[:1]
    )


@dataclass
class MyWork:
    today: date
    assigned: list[Assignment]
    changes_requested: list[Claim]
    review_queue: list[Claim] | None
    watched: list[Claim]


def my_work(*, team: Team, user: Any, is_editor: bool, today: date) -> MyWork:
    """My assigned claims (overdue and soonest due first), my drafts an editor sent
    back (with the editor's comment), the review queue (editors) and the claims I
    follow. One query per list."""
    assigned = list(
        Assignment.objects.for_team(team)
        .of(user)
        .exclude(claim__status=ClaimStatus.RETRACTED)
        .select_related("claim", "assigned_by")
        .due_first()
    )
    sent_back = list(
        Claim.objects.for_team(team)
        .filter(author=user, status=ClaimStatus.DRAFT)
        .annotate(
            latest_decision=_latest_review("decision"),
            changes_comment=_latest_review("comment"),
            changes_by=_latest_review("by__username"),
            changes_at=_latest_review("at"),
        )
        .filter(latest_decision=Decision.REQUEST_CHANGES)
        .order_by("-changes_at", "-pk")
    )
    queue = list(selectors.review_queue(team)) if is_editor else None
    unwatched = Watch.objects.filter(claim=OuterRef("pk"), user=user, is_watching=False)
    watching = Watch.objects.filter(claim=OuterRef("pk"), user=user, is_watching=True)
    watched = list(
        Claim.objects.for_team(team)
        .filter(
            Exists(watching) | Q(author=user) | Q(assignment__assignee=user),
            ~Exists(unwatched),
        )
        .select_related("assignment__assignee")
        .order_by("-updated_at", "-pk")[:50]
    )
    return MyWork(
        today=today,
        assigned=assigned,
        changes_requested=sent_back,
        review_queue=queue,
        watched=watched,
    )
