"""Publishers and their keys, the webhook outbox and deliveries, and the API
throttle's shared counters."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

from provenance.publishing.validators import (
    render_claim_url_template,
    validate_claim_url_template,
)

if TYPE_CHECKING:
    pass
from provenance.claims.models import Claim
from provenance.teams.models import Team

# --- Publishers -----------------------------------------------------------------------


class Publisher(models.Model):
    name = models.CharField(max_length=200)
    teams = models.ManyToManyField(Team, related_name="publishers", blank=True)
    key_prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=128, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    webhook_url = models.URLField(max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=128, blank=True)
    is_webhook_enabled = models.BooleanField(default=True)
    claim_url_template = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_claim_url_template],
        help_text=(
            "Where this publisher shows a claim, e.g. "
            "https://paper.example/fact-checks/{slug}: the ClaimReview url it gets."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def claim_page_url(self, *, claim_id: int, slug: str, team: str) -> str | None:
        """This publisher's page for a claim, if it told us where it shows them."""
        if not self.claim_url_template:
            return None
        return render_claim_url_template(
            self.claim_url_template, id=claim_id, slug=slug, team=team
        )

    def is_usable(self, at: datetime) -> bool:
        """Whether the key works at that moment: not revoked, not expired."""
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > at
        )

    @property
    def is_authenticated(self) -> bool:
        # Lets DRF treat an authenticated publisher like a user for throttling.
        return True


class OutboxEvent(models.Model):
    """Written in the publishing transaction; delivered to webhooks from here."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.event_type} claim {self.claim_id}"


class WebhookDelivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    event = models.ForeignKey(
        OutboxEvent, on_delete=models.CASCADE, related_name="deliveries"
    )
    publisher = models.ForeignKey(
        Publisher, on_delete=models.CASCADE, related_name="deliveries"
    )
    state = models.CharField(max_length=12, choices=State.choices, default="pending")
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "publisher"], name="delivery_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.publisher} ({self.state})"


class ThrottleCounter(models.Model):
    """Requests counted in one throttle window, shared by every web process when
    the cache is not (see provenance.publishing.api.throttling)."""

    bucket = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.bucket}: {self.count}"
