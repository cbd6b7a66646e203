"""The writes of single sign-on: binding a provider identity (issuer + `sub`) to
a user, and unbinding it, each audited in every team chain of the user (a security
desk reads when an account was first reached through the provider). Nothing here
creates a user or a membership: sign-on only ever reaches an account that exists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from provenance.accounts.identity import memberships_of
from provenance.accounts.models import OIDCIdentity
from provenance.accounts.services import is_active_superuser
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


@transaction.atomic
def oidc_identity_unbind(*, identity_id: int, actor: Any) -> None:
    """Forget a binding, so the next sign-on matches by verified email again (the
    person's account at the provider was replaced, say). Superusers only, or the
    system (`actor=None`, the `oidc_unbind` command). The audit row is written
    first: it names the row's id, which the delete clears."""
    if actor is not None and not is_active_superuser(actor):
        raise PermissionDenied("Only a superuser may unlink a sign-on identity.")
    identity = (
        OIDCIdentity.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=identity_id)
    )
    for membership in memberships_of(identity.user):
        audit_record(
            team=membership.team,
            actor=actor,
            action="oidc.unbind",
            obj=identity,
            payload={
                "user": identity.user_id,
                "issuer": identity.issuer,
                "subject": identity.subject,
            },
        )
    identity.delete()
