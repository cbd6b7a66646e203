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

from datetime import datetime, timedelta
from functools import partial
from importlib import import_module
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token

from provenance.accounts.models import SessionRecord, WebSession
from provenance.audit.chain import audit_record
from provenance.teams.models import Membership, Role, Team
from provenance.teams.rules import membership_for

TEAM_FIELDS = ("name", "slug", "requires_second_factor", "captures_new_sources")


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
    """Rename a team (name, slug), set whether its members need a second
    factor or whether new sources are captured automatically. Locks the row;
    audits the changed fields."""
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
        Membership.objects.select_for_update(of=("self",))
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
        Membership.objects.select_for_update(of=("self",))
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


# --- The account page: a user's own profile, email, sessions and API token --------
#
# A user belongs to no single team, so each account change is written to the audit
# chain of every team the user is a member of (each team's security desk sees its
# members' account changes). A user in no team has no chain: nothing is recorded.

EMAIL_SALT = "provenance.accounts.email-change"
EMAIL_LINK_MAX_AGE = timedelta(hours=24)
PROFILE_FIELDS = ("first_name", "last_name")


class EmailLinkError(Exception):
    """An email verification link that cannot be used; the message says why."""


def _account_audit(*, user: Any, actor: Any, action: str, payload: dict) -> None:
    for membership in Membership.objects.filter(user=user).select_related("team"):
        audit_record(
            team=membership.team,
            actor=actor,
            action=action,
            obj=user,
            payload={"user": user.pk, **payload},
        )


def _ensure_self(*, actor: Any, user_id: int) -> None:
    # Account changes are the user's own: nobody edits another's here.
    if actor is None or not actor.is_active or actor.pk != user_id:
        raise PermissionDenied("Only the user may change their own account.")


def _lock_user(user_id: int) -> Any:
    return get_user_model().objects.select_for_update().get(pk=user_id)


@transaction.atomic
def profile_update(*, user_id: int, actor: Any, **fields: str) -> Any:
    """Change the user's own first and last name. Locks the user row; audits the
    changed fields (old and new)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown profile fields: {sorted(unknown)}")
    _ensure_self(actor=actor, user_id=user_id)
    user = _lock_user(user_id)
    values = {name: value.strip() for name, value in fields.items()}
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    if not changed:
        return user
    before = {name: getattr(user, name) for name in changed}
    for name in changed:
        setattr(user, name, values[name])
    user.full_clean(exclude=["password", "username", "email"])
    user.save(update_fields=changed)
    _account_audit(
        user=user,
        actor=actor,
        action="account.profile",
        payload={name: [before[name], values[name]] for name in changed},
    )
    return user


def _email_taken(email: str, *, user_id: int) -> bool:
    return (
        get_user_model()
        .objects.filter(email__iexact=email)
        .exclude(pk=user_id)
        .exists()
    )


def email_change_token(*, user: Any, new_email: str) -> str:
    """A signed, timestamped token for `new_email`, bound to the user and to their
    current address (so a change made since kills older links)."""
    return signing.TimestampSigner(salt=EMAIL_SALT).sign_object(
        {"user": user.pk, "email": new_email, "was": user.email}
    )


@transaction.atomic
def email_change_request(
    *, user_id: int, actor: Any, new_email: str, confirm_url: str
) -> str:
    """Ask to change the user's address: User.email keeps holding the verified one
    until the link sent to `new_email` is opened (email_change_confirm). Refuses an
    address another user has (any case). The email goes after commit; the link is
    `confirm_url` with the token as `t`. Returns the token."""
    _ensure_self(actor=actor, user_id=user_id)
    user = _lock_user(user_id)
    new_email = get_user_model().objects.normalize_email(new_email.strip())
    validate_email(new_email)
    if new_email.lower() == user.email.lower():
        raise ValidationError({"email": "This is already your address."})
    if _email_taken(new_email, user_id=user.pk):
        raise ValidationError({"email": "Another account uses this address."})
    token = email_change_token(user=user, new_email=new_email)
    link = f"{confirm_url}?{urlencode({'t': token})}"
    hours = int(EMAIL_LINK_MAX_AGE.total_seconds() // 3600)
    body = (
        f"Someone (hopefully you, {user.get_username()}) asked to use this address "
        f"for their Provenance account.\n\nOpen this link within {hours} hours, "
        f"signed in, to confirm it:\n{link}\n\nIf it was not you, ignore this email: "
        "nothing changes until the link is opened."
    )
    _account_audit(
        user=user,
        actor=actor,
        action="account.email_requested",
        payload={"email": new_email},
    )
    transaction.on_commit(
        partial(
            send_mail,
            subject="Confirm your email address for Provenance",
            message=body,
            from_email=None,
            recipient_list=[new_email],
        )
    )
    return token


@transaction.atomic
def email_change_confirm(*, token: str, actor: Any) -> Any:
    """Set User.email to the address a verification link names. The link must be
    signed by us, under 24 hours old, the signed-in user's own, and issued for
    their current address (a used link finds the address changed). Locks the user
    row; re-checks uniqueness; audits old and new address. Raises EmailLinkError."""
    try:
        data = signing.TimestampSigner(salt=EMAIL_SALT).unsign_object(
            token, max_age=EMAIL_LINK_MAX_AGE
        )
    except signing.SignatureExpired as exc:
        raise EmailLinkError(
            "This link has expired (links last 24 hours). Ask for a new one."
        ) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise EmailLinkError("This link is not valid.") from exc
    if not isinstance(data, dict) or actor is None or data.get("user") != actor.pk:
        raise EmailLinkError(
            "This link was sent for another account: sign in as that user to use it."
        )
    user = _lock_user(actor.pk)
    new_email = data.get("email", "")
    if user.email == new_email:
        raise EmailLinkError(
            f"This link has already been used: {new_email} is your verified address."
        )
    if user.email != data.get("was"):
        raise EmailLinkError(
            "This link is no longer valid: your address has changed since it was sent."
        )
    if _email_taken(new_email, user_id=user.pk):
        raise EmailLinkError("Another account now uses this address.")
    before = user.email
    user.email = new_email
    user.save(update_fields=["email"])
    _account_audit(
        user=user,
        actor=actor,
        action="account.email_verified",
        payload={"email": [before, new_email]},
    )
    return user


@transaction.atomic
def email_set_verified(*, user_id: int, email: str, actor: Any = None) -> Any:
    """The system (actor None: the demo loader, a command) records an address it
    knows to be the user's, without a link. No page calls this. Locks the user
    row; refuses an address another user has; audits old and new address."""
    if actor is not None:
        raise PermissionDenied("Only the system sets an address without a link.")
    user = _lock_user(user_id)
    email = get_user_model().objects.normalize_email(email.strip())
    validate_email(email)
    if user.email == email:
        return user
    if _email_taken(email, user_id=user.pk):
        raise ValidationError({"email": "Another account uses this address."})
    before = user.email
    user.email = email
    user.save(update_fields=["email"])
    _account_audit(
        user=user,
        actor=actor,
        action="account.email_verified",
        payload={"email": [before, email]},
    )
    return user


# --- Sessions -----------------------------------------------------------------------


def session_record_login(*, user: Any, session_key: str, request: Any) -> None:
    """Note a new signed-in session (user_logged_in): its browser, and its address
    only where ACCOUNT_SESSION_IPS allows. Bookkeeping, not a domain record: no
    audit row. Drops the user's records whose sessions are gone."""
    meta = getattr(request, "META", {})
    ip = meta.get("REMOTE_ADDR") if settings.ACCOUNT_SESSION_IPS else None
    with transaction.atomic():
        stale = [
            record.session_key
            for record in SessionRecord.objects.filter(user=user)
            if not session_store(record.session_key).exists(record.session_key)
        ]
        SessionRecord.objects.filter(session_key__in=stale).delete()
        SessionRecord.objects.update_or_create(
            session_key=session_key,
            defaults={
                "user": user,
                "user_agent": meta.get("HTTP_USER_AGENT", "")[:200],
                "ip_address": ip or None,
                "signed_in_at": timezone.now(),
            },
        )


def session_store(session_key: str | None = None) -> Any:
    """The configured engine's store, so deleting goes through its cache too."""
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key)


def user_session_keys(user: Any) -> list[str]:
    """Every session key known to be the user's: WebSession rows name their user
    (FAST_IDENTITY); with Django's engines only sessions recorded at login are
    known."""
    keys = set(
        SessionRecord.objects.filter(user=user).values_list("session_key", flat=True)
    )
    if settings.FAST_IDENTITY:
        keys.update(
            WebSession.objects.filter(user=user).values_list("session_key", flat=True)
        )
    return sorted(keys)


@transaction.atomic
def sessions_end(
    *, user_id: int, actor: Any, keep: str | None = None, reason: str = "requested"
) -> int:
    """Sign the user out of every session but `keep` (None: all of them): each
    session deleted through the engine's store (its row and cache entry), its
    record with it. Audited with the count. Returns the count."""
    _ensure_self(actor=actor, user_id=user_id)
    user = _lock_user(user_id)
    keys = [key for key in user_session_keys(user) if key != keep]
    store = session_store()
    for key in keys:
        store.delete(key)
    SessionRecord.objects.filter(session_key__in=keys).delete()
    _account_audit(
        user=user,
        actor=actor,
        action="account.sessions_ended",
        payload={
            "count": len(keys),
            "kept_current": keep is not None,
            "reason": reason,
        },
    )
    return len(keys)


# --- The API token (DRF authtoken: one per user) -------------------------------------


def ensure_can_hold_token(*, actor: Any) -> None:
    """The API serves team members only (its views need a team), so only an active
    member of a team holds a token, as only they could use one."""
    if actor is None or not actor.is_active:
        raise PermissionDenied("Sign in to manage your API token.")
    if not Membership.objects.filter(user=actor).exists():
        raise PermissionDenied("API tokens are for team members.")


@transaction.atomic
def token_create(*, user_id: int, actor: Any) -> Token:
    """Give the user a new API token, replacing any they had (DRF keeps one per
    user). The caller shows its key once; the page never shows it again. Locks the
    user row; audits the key's last four characters only."""
    _ensure_self(actor=actor, user_id=user_id)
    ensure_can_hold_token(actor=actor)
    user = _lock_user(user_id)
    replaced = Token.objects.filter(user=user).delete()[0] > 0
    token = Token.objects.create(user=user)
    _account_audit(
        user=user,
        actor=actor,
        action="account.token_regenerated" if replaced else "account.token_created",
        payload={"ends_with": token.key[-4:]},
    )
    return token


@transaction.atomic
def token_revoke(*, user_id: int, actor: Any) -> bool:
    """Delete the user's API token; the API answers it 401 from now on. Returns
    whether there was one."""
    _ensure_self(actor=actor, user_id=user_id)
    user = _lock_user(user_id)
    token = Token.objects.filter(user=user).first()
    if token is None:
        return False
    ends_with = token.key[-4:]
    token.delete()
    _account_audit(
        user=user,
        actor=actor,
        action="account.token_revoked",
        payload={"ends_with": ends_with},
    )
    return True
