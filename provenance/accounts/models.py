"""The web session row, naming its signed-in user (the bespoke identity read,
accounts/identity.py, brings the user and their teams along with it)."""

from __future__ import annotations

from typing import Any

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


class NotificationKind(models.TextChoices):
    """What a notification is about; each kind has its own delivery preference."""

    CLAIM_SUBMITTED = "claim_submitted", "A claim is submitted for review"
    REVIEW_DECISION = "review_decision", "A decision on my claim"
    MENTION = "mention", "Someone mentions me"
    ASSIGNMENT = "assignment", "A claim is assigned to me"
    NEW_EVIDENCE = "new_evidence", "New evidence on a claim I follow"
    NEW_DENIAL = "new_denial", "A new denial on a claim I follow"
    UPLOAD_FINISHED = "upload_finished", "My upload finished processing"
    UPLOAD_FAILED = "upload_failed", "My upload failed"
    WATCH_MATCH = "watch_match", "Something new matches a search I watch"


class Channel(models.TextChoices):
    IN_APP = "in_app", "In the app only"
    EMAIL = "email", "In the app and by email"
    DAILY_DIGEST = "daily_digest", "In the app and in a daily email digest"
    OFF = "off", "Off"


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user: Any) -> NotificationQuerySet:
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def awaiting_digest(self) -> NotificationQuerySet:
        return self.filter(channel=Channel.DAILY_DIGEST, emailed_at__isnull=True)


class Notification(models.Model):
    """One notice to one user, recorded by accounts.notifications.notify in the
    transaction of the change it reports. `channel` is the delivery the recipient
    had chosen when it was made; `emailed_at` is set once its email (or the digest
    carrying it) has been sent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "provenance.Team", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    body = models.TextField(blank=True)
    # Embargoed or restricted material: its email says only that there is news,
    # with the link; the app (behind the team's permissions) shows the title.
    is_sensitive = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "read_at"], name="notification_unread_idx"
            ),
            models.Index(
                fields=["recipient", "-created_at"], name="notification_recent_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class NotificationPreference(models.Model):
    """A user's chosen delivery for one kind; without a row the kind's default in
    accounts.notifications.DEFAULT_CHANNELS applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="notification_preference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.channel}"
