"""The team a request works in, and the user's memberships with their teams."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import Token

from provenance.accounts.identity import memberships_of
from provenance.accounts.models import Notification, SessionRecord
from provenance.accounts.useragent import browser_label
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


# --- The account page ----------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    session_key: str
    is_current: bool
    # When the engine last saved the session (its expiry minus the session age):
    # sign-in, a team switch, a flash message. Sessions are not written on every
    # request (that would cost a write per page), so this is a lower bound.
    last_activity: datetime
    user_agent: str
    browser: str
    ip_address: str | None
    signed_in_at: datetime | None


@dataclass(frozen=True)
class TokenInfo:
    created: datetime
    ends_with: str


def user_sessions(user: Any, *, current_key: str | None) -> list[SessionRow]:
    """The user's unexpired sessions, most recent first, the current one marked.
    With FAST_IDENTITY every session is found (WebSession names its user); with
    Django's db/cached_db engines, those recorded at sign-in (SessionRecord).
    Two queries."""
    from provenance.accounts.services import session_store

    records = {r.session_key: r for r in SessionRecord.objects.filter(user=user)}
    model = type(session_store()).get_model_class()
    mine = Q(session_key__in=list(records))
    if settings.FAST_IDENTITY:
        mine |= Q(user=user)
    live = model.objects.filter(mine, expire_date__gt=timezone.now()).values_list(
        "session_key", "expire_date"
    )
    age = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows = []
    for key, expires in live:
        record = records.get(key)
        rows.append(
            SessionRow(
                session_key=key,
                is_current=key == current_key,
                last_activity=expires - age,
                user_agent=record.user_agent if record else "",
                browser=browser_label(record.user_agent if record else ""),
                ip_address=record.ip_address if record else None,
                signed_in_at=record.signed_in_at if record else None,
            )
        )
    rows.sort(key=lambda row: (not row.is_current, -row.last_activity.timestamp()))
    return rows


def user_token(user: Any) -> TokenInfo | None:
    """Whether the user has an API token: its date and last four characters only."""
    found = Token.objects.filter(user=user).values_list("created", "key").first()
    if found is None:
        return None
    return TokenInfo(created=found[0], ends_with=found[1][-4:])


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


def team_settings(*, team_id: int) -> dict[str, Any]:
    """The team's settings its page edits, read from the row (the request's
    team carries only a few columns)."""
    return Team.objects.filter(pk=team_id).values("captures_new_sources").get()
