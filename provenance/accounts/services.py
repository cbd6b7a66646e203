"""Every write of teams and memberships: one transaction each that checks
permission, saves named fields and appends the team's audit row.

The audit row matters beyond the record: a team's audit-chain head versions its
cached pages (accounts/caching.py), so a write without one could leave a page stale.
Teams and memberships keep no simple-history table; the audit chain is their
history.

Who may: an active superuser manages every team; a team's admin (Role.ADMIN)
renames their team and manages its memberships. Creating a team is for superusers.
`actor=None` is the system (a management command such as the demo loader): no
request reaches a service without a user.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from provenance.audit.chain import audit_record
from provenance.teams.models import Membership, Role, Team
from provenance.teams.rules import membership_for

TEAM_FIELDS = ("name", "slug", "requires_second_factor")


def is_active_superuser(user: Any) -> bool:
    return bool(
        getattr(user, "is_active", False) and getattr(user, "is_superuser", False)
    )


def ensure_can_manage(*, actor: Any, team: Team) -> None:
    """Superusers, and the team's own admins, manage a team and its members."""
    if actor is None or is_active_superuser(actor):
        return
    membership = membership_for(actor, team)
    if membership is None or membership.role != Role.ADMIN:
        raise PermissionDenied("Only a team admin or a superuser may do this.")


def _forget_memberships(user: Any) -> None:
    # rules.membership_for caches per user object; a write makes it stale.
    if hasattr(user, "_membership_cache"):
        del user._membership_cache


def _clean_team(team: Team) -> None:
    team.name = team.name.strip()
    team.full_clean()


@transaction.atomic
def team_create(
    *, actor: Any, name: str, slug: str, at: datetime | None = None
) -> Team:
    """A new team (superusers only), with the first row of its audit chain."""
    if actor is not None and not is_active_superuser(actor):
        raise PermissionDenied("Only a superuser may create a team.")
    at = at or timezone.now()
    team = Team(name=name, slug=slug, created_at=at)
    _clean_team(team)
    team.save()
    audit_record(
        team=team,
        actor=actor,
        action="team.create",
        obj=team,
        payload={"name": team.name, "slug": team.slug},
        at=at,
    )
    return team


@transaction.atomic
def team_update(
    *, team_id: int, actor: Any, at: datetime | None = None, **fields: Any
) -> Team:
    """Rename a team (name, slug) or set whether its members need a second
    factor. Locks the row; audits the changed fields."""
    unknown = set(fields) - set(TEAM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown team fields: {sorted(unknown)}")
    team = Team.objects.select_for_update().get(pk=team_id)
    ensure_can_manage(actor=actor, team=team)
    changed = [name for name, value in fields.items() if getattr(team, name) != value]
    if not changed:
        return team
    for name in changed:
        setattr(team, name, fields[name])
    _clean_team(team)
    team.save(update_fields=changed)
    audit_record(
        team=team,
        actor=actor,
        action="team.update",
        obj=team,
        payload={name: getattr(team, name) for name in changed},
        at=at,
    )
    return team


@transaction.atomic
def membership_add(
    *,
    team: Team,
    user: Any,
    actor: Any,
    role: str = Role.REPORTER,
    at: datetime | None = None,
) -> Membership:
    """Make `user` a member of `team` with `role`. A user is a member once
    (the unique constraint; full_clean says so as a field error)."""
    ensure_can_manage(actor=actor, team=team)
    at = at or timezone.now()
    membership = Membership(user=user, team=team, role=role, created_at=at)
    membership.full_clean()
    membership.save()
    _forget_memberships(user)
    audit_record(
        team=team,
        actor=actor,
        action="membership.add",
        obj=membership,
        payload={"user": user.pk, "role": role},
        at=at,
    )
    return membership


@transaction.atomic
def membership_update(
    *, membership_id: int, actor: Any, role: str, at: datetime | None = None
) -> Membership:
    """Change a member's role (the only field that changes: a membership of
    another user or team is another membership)."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("team", "user")
        .get(pk=membership_id)
    )
    ensure_can_manage(actor=actor, team=membership.team)
    before = membership.role
    if role == before:
        return membership
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    _forget_memberships(membership.user)
    audit_record(
        team=membership.team,
        actor=actor,
        action="membership.update",
        obj=membership,
        payload={"user": membership.user_id, "role": [before, role]},
        at=at,
    )
    return membership


@transaction.atomic
def membership_remove(
    *, membership_id: int, actor: Any, at: datetime | None = None
) -> None:
    """End a membership. The audit row is written first: it names the row's id,
    which the delete clears."""
    membership = (
        Membership.objects.select_for_update()
        .select_related("team", "user")
        .get(pk=membership_id)
    )
    ensure_can_manage(actor=actor, team=membership.team)
    audit_record(
        team=membership.team,
        actor=actor,
        action="membership.remove",
        obj=membership,
        payload={"user": membership.user_id, "role": membership.role},
        at=at,
    )
    membership.delete()
    _forget_memberships(membership.user)
