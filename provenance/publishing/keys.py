"""Publisher API keys: ``prefix.secret``, shown once, stored as SHA-256 of the secret.

A fast hash is right here: the secret is 256 bits from `secrets`, so there is nothing
to brute-force and no dictionary to stretch against; a slow password hash (PBKDF2,
Argon2) would only add latency to every API request. The prefix is not secret: it
finds the row (and names the throttle bucket), the secret's hash is compared with
`hmac.compare_digest`.

Every change to a publisher (created, edited, key issued, revoked, deleted) is
recorded in the audit chain of each team it reads (before and after the change): a
team's trail shows who was given its published claims, never a key or a secret.

Who manages publishers: superusers only (`can_manage_publishers`), in the admin, in
these services and in `manage.py create_publisher --by`. A publisher reads across
team lines, so no team role and no `change_publisher` permission is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from provenance.audit.chain import audit_record
from provenance.publishing.models import Publisher
from provenance.publishing.webhooks import check_webhook_url
from provenance.teams.models import Team

PREFIX_BYTES = 4  # 8 hex characters
SECRET_BYTES = 32
# What publisher_update may change; the key and its hash only through a new key.
PUBLISHER_FIELDS = frozenset(
    {
        "name",
        "teams",
        "expires_at",
        "webhook_url",
        "is_webhook_enabled",
        "claim_url_template",
    }
)
NOT_A_MANAGER = "Only a superuser manages publishers."


def can_manage_publishers(user: Any) -> bool:
    """The one rule for who may view, create, change, re-key, revoke or delete a
    publisher: an active superuser."""
    return bool(
        getattr(user, "is_active", False) and getattr(user, "is_superuser", False)
    )


def ensure_can_manage_publishers(actor: Any) -> None:
    """`actor=None` is the system: code run from the shell (demo loader, benches,
    test arrangements), which holds the database anyway; a person must pass
    `can_manage_publishers`."""
    if actor is not None and not can_manage_publishers(actor):
        raise PermissionDenied(NOT_A_MANAGER)


@dataclass(frozen=True)
class IssuedKey:
    publisher: Publisher
    key: str  # prefix.secret: shown once, never stored
    webhook_secret: str  # stored (it signs every delivery); shown once as well


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def split_key(key: str) -> tuple[str, str] | None:
    prefix, dot, secret = key.strip().partition(".")
    if not dot or not prefix or not secret:
        return None
    return prefix, secret


def secret_matches(publisher: Publisher, secret: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), publisher.key_hash)


def _new_key() -> tuple[str, str]:
    while True:
        prefix = secrets.token_hex(PREFIX_BYTES)
        if not Publisher.objects.filter(key_prefix=prefix).exists():
            return prefix, secrets.token_urlsafe(SECRET_BYTES)


def assign_new_key(publisher: Publisher) -> str:
    """Set a fresh key on an (unsaved or saved) publisher; returns it for display."""
    prefix, secret = _new_key()
    publisher.key_prefix = prefix
    publisher.key_hash = hash_secret(secret)
    return f"{prefix}.{secret}"


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def publisher_create(
    *,
    name: str,
    teams: Iterable[Team],
    webhook_url: str = "",
    expires_at: datetime | None = None,
    claim_url_template: str = "",
    is_webhook_enabled: bool = True,
    actor: Any = None,
) -> IssuedKey:
    """Create a publisher with a new key and a webhook secret. Superusers only;
    audited in each team it reads."""
    ensure_can_manage_publishers(actor)
    if webhook_url:
        check_webhook_url(webhook_url, resolve=False)
    publisher = Publisher(
        name=name,
        webhook_url=webhook_url,
        expires_at=expires_at,
        claim_url_template=claim_url_template,
        is_webhook_enabled=is_webhook_enabled,
    )
    key = assign_new_key(publisher)
    publisher.webhook_secret = new_webhook_secret()
    publisher.full_clean()
    publisher.save()
    publisher.teams.set(teams)
    publisher_audit(publisher, actor=actor, action="publisher.create")
    return IssuedKey(publisher, key, publisher.webhook_secret)


def publisher_audit(
    publisher: Publisher,
    *,
    actor: Any,
    action: str,
    also_team_ids: Iterable[int] = (),
) -> None:
    """Record a publisher change in the chain of every team it reads, and of
    `also_team_ids` (teams it read before the change). Inside the change's
    transaction.

    Each team's row names only that team among the publisher's teams (`teams` is
    [its slug] or [] once it lost the publisher) and counts the others
    (`other_teams`): a team learns that its key is shared, not with whom."""
    reads = dict(publisher.teams.values_list("pk", "slug"))
    teams = Team.objects.filter(pk__in={*reads, *also_team_ids}).order_by("pk")
    expires = publisher.expires_at
    payload = {
        "name": publisher.name,
        "key_prefix": publisher.key_prefix,
        "expires_at": expires.isoformat() if expires else None,
        "revoked": publisher.revoked_at is not None,
        "webhook_url": publisher.webhook_url,
        "claim_url_template": publisher.claim_url_template,
    }
    for team in teams:
        own = [reads[team.pk]] if team.pk in reads else []
        audit_record(
            team=team,
            actor=actor,
            action=action,
            obj=publisher,
            payload={**payload, "teams": own, "other_teams": len(reads) - len(own)},
        )


@transaction.atomic
def publisher_update(*, publisher_id: int, actor: Any, **fields: Any) -> Publisher:
    """Change a publisher's name, teams, expiry, webhook or page template.
    Superusers only. Locks the row; when anything changed, audited in the chain of
    every team it reads before and after."""
    ensure_can_manage_publishers(actor)
    unknown = set(fields) - PUBLISHER_FIELDS
    if unknown:
        raise TypeError(f"Unknown publisher fields: {sorted(unknown)}")
    publisher = Publisher.objects.select_for_update().get(pk=publisher_id)
    teams_before = set(publisher.teams.values_list("pk", flat=True))
    teams = fields.pop("teams", None)
    changed = [
        name for name, value in fields.items() if getattr(publisher, name) != value
    ]
    if fields.get("webhook_url") and "webhook_url" in changed:
        check_webhook_url(fields["webhook_url"], resolve=False)
    for name in changed:
        setattr(publisher, name, fields[name])
    publisher.full_clean()
    if changed:
        publisher.save(update_fields=changed)
    team_ids = teams_before if teams is None else {team.pk for team in teams}
    if team_ids != teams_before:
        publisher.teams.set(team_ids)
    if changed or team_ids != teams_before:
        publisher_audit(
            publisher,
            actor=actor,
            action="publisher.change",
            also_team_ids=teams_before,
        )
    return publisher


@transaction.atomic
def publisher_rotate_key(*, publisher_id: int, actor: Any = None) -> IssuedKey:
    """A new key; the old one stops working, and a revoked publisher is usable again.
    Superusers only."""
    ensure_can_manage_publishers(actor)
    publisher = Publisher.objects.select_for_update().get(pk=publisher_id)
    key = assign_new_key(publisher)
    publisher.revoked_at = None
    publisher.save(update_fields=["key_prefix", "key_hash", "revoked_at"])
    publisher_audit(publisher, actor=actor, action="publisher.new_key")
    return IssuedKey(publisher, key, "")


@transaction.atomic
def publisher_revoke(*, publisher_ids: Iterable[int], actor: Any = None) -> int:
    """Revoke keys now; already revoked ones keep their first revocation time.
    Superusers only."""
    ensure_can_manage_publishers(actor)
    publishers = list(
        Publisher.objects.select_for_update().filter(
            pk__in=list(publisher_ids), revoked_at__isnull=True
        )
    )
    now = timezone.now()
    for publisher in publishers:
        publisher.revoked_at = now
        publisher.save(update_fields=["revoked_at"])
        publisher_audit(publisher, actor=actor, action="publisher.revoke")
    return len(publishers)


@transaction.atomic
def publisher_delete(*, publisher_ids: Iterable[int], actor: Any) -> int:
    """Delete publishers (their delivery log goes with them), recorded first in the
    chain of every team each read. Superusers only."""
    ensure_can_manage_publishers(actor)
    publishers = list(
        Publisher.objects.select_for_update().filter(pk__in=list(publisher_ids))
    )
    for publisher in publishers:
        publisher_audit(publisher, actor=actor, action="publisher.delete")
        publisher.delete()
    return len(publishers)
