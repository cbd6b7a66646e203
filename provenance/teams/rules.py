"""The one membership and role rule: who is a member, who edits, who manages a team."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from provenance.teams.models import Membership, Role, Team


def membership_for(user: Any, team: Team) -> Membership | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cache = getattr(user, "_membership_cache", None)
    if cache is None:
        cache = {}
        user._membership_cache = cache
    if team.pk not in cache:
        cache[team.pk] = Membership.objects.filter(user=user, team=team).first()
    return cache[team.pk]


def remember_memberships(user: Any, memberships: list[Membership]) -> None:
    """Memberships read along with the user (accounts.identity reads them with the
    session): membership_for answers from them without a query of its own."""
    cache = getattr(user, "_membership_cache", None)
    if cache is None:
        cache = user._membership_cache = {}
    for membership in memberships:
        cache.setdefault(membership.team_id, membership)


def ensure_member(*, user: Any, team: Team) -> Membership:
    """The one membership rule, for every room: signed in, and a member of the
    team (read once per user object, i.e. per request; see membership_for)."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied("You must be signed in.")
    membership = membership_for(user, team)
    if membership is None:
        raise PermissionDenied("You are not a member of this team.")
    return membership


def ensure_editor(*, user: Any, team: Team) -> Membership:
    membership = ensure_member(user=user, team=team)
    if membership.role not in (Role.EDITOR, Role.ADMIN):
        raise PermissionDenied("Only editors may do this.")
    return membership
