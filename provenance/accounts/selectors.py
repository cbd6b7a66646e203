"""The team a request works in, and the user's memberships with their teams."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from provenance.accounts.identity import memberships_of
from provenance.accounts.models import Notification
from provenance.teams.models import Membership, Team

TEAM_SESSION_KEY = "team_id"


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership the user uses: the team chosen in the session, or the first
    by name. It carries `audit_seq`, its team's audit-chain head (caching.py)."""
    user = request.user
    if not user.is_authenticated:
        return None
    cached = getattr(request, "_membership", False)
    if cached is not False:
        return cached
    memberships = memberships_of(user)
    chosen = request.session.get(TEAM_SESSION_KEY)
    membership = next((m for m in memberships if m.team_id == chosen), None) or (
        memberships[0] if memberships else None
    )
    request._membership = membership
    return membership


def require_team(request: HttpRequest) -> Team:
    membership = current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any team.")
    return membership.team


def user_teams(user: Any) -> list[Membership]:
    """The user's memberships with their teams, by team name."""
    return memberships_of(user)


def notifications_for(user: Any) -> QuerySet[Notification]:
    """The user's notices from the teams they are still in, newest first (a notice
    of a team they left is not shown)."""
    teams = [m.team_id for m in memberships_of(user)]
    return (
        Notification.objects.for_user(user)
        .filter(team_id__in=teams)
        .select_related("team", "actor")
    )


def unread_count(user: Any) -> int:
    return notifications_for(user).unread().count()
