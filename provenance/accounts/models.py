"""The web session row, naming its signed-in user (the bespoke identity read,
accounts/identity.py, brings the user and their teams along with it)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class WebSession(AbstractBaseSession):
    """Django's database session, naming its signed-in user: the query that reads
    the session brings the user and their teams along (identity.py). Deleting a
    user ends their sessions."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        from provenance.accounts.identity import SessionStore

        return SessionStore


class OIDCIdentity(models.Model):
    """A user's identity at an OpenID Connect provider: the provider's `sub` for
    them, under its issuer. Recorded at the first sign-on, which matched by verified
    email; later sign-ons match on this pair only, so a changed (or reused) email at
    the provider cannot reach another account. One per user and issuer."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="oidc_identities",
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "subject"], name="oidc_identity_unique_subject"
            ),
            models.UniqueConstraint(
                fields=["user", "issuer"], name="oidc_identity_one_per_issuer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"


class SessionRecord(models.Model):
    """What the account page shows about a signed-in session: written at login
    (the user_logged_in signal) for every session engine, since Django's own
    session rows do not name their user. Minimal on purpose: a shortened user
    agent, and the address only where ACCOUNT_SESSION_IPS allows it."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    user_agent = models.CharField(max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    signed_in_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["user", "signed_in_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.signed_in_at:%Y-%m-%d %H:%M}"
