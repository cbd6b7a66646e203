"""The one write of single sign-on: binding a provider identity (issuer + `sub`)
to a user, audited in every team chain of the user (a security desk reads when an
account was first reached through the provider). Nothing here creates a user or a
membership: sign-on only ever reaches an account that exists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from provenance.accounts.identity import memberships_of
from provenance.accounts.models import OIDCIdentity
from provenance.audit.chain import audit_record


@transaction.atomic
def oidc_identity_bind(
    *, user: Any, issuer: str, subject: str, at: datetime | None = None
) -> OIDCIdentity:
    """Record that `subject` at `issuer` is `user`. The actor is the user: the
    provider vouched for them, and the call is made during their own sign-on.
    The unique constraints refuse a second binding (IntegrityError) for the same
    pair or a second subject for the same user and issuer."""
    at = at or timezone.now()
    identity = OIDCIdentity.objects.create(
        user=user, issuer=issuer, subject=subject, created_at=at
    )
    for membership in memberships_of(user):
        audit_record(
            team=membership.team,
            actor=user,
            action="oidc.bind",
            obj=identity,
            payload={"user": user.pk, "issuer": issuer, "subject": subject},
            at=at,
        )
    return identity
