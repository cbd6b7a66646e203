"""The audit chain's rows: one event per recorded change, and each team's chain head."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    pass
from provenance.teams.models import Team

# --- Audit trail ----------------------------------------------------------------------


class AuditChainHead(models.Model):
    """One row per team; appends lock it so the chain is written one event at a time."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="+")
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.team} #{self.seq}"


class AuditEvent(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    seq = models.PositiveBigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    at = models.DateTimeField(default=timezone.now)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)
    # The exact RFC 8785 bytes that were hashed (jsonb would reorder keys).
    canonical = models.BinaryField()

    class Meta:
        ordering = ["team", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["team", "seq"], name="audit_seq_unique")
        ]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"
