"""The versioned link, one shape for every link that is edited by versions: a claim's
evidence (claims.ClaimEvidence), an edge's evidence (evidence.RelationshipEvidence)
and a claim's citation of an edge (claims.ClaimRelationship).

A row is a version: a change ends the row (`unlinked_at`) and records a new one that
`replaces` it; an unlink only ends it. Nothing is deleted, so an as-of view reads a
link as it was. The concrete models add their two ends, what the link says (relation,
note...), their table's constraints (`one_current`, `ended_after_linked`) and
`Meta(VersionedLink.Meta)`; the write steps they share are in common.writes."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class VersionedLinkQuerySet(models.QuerySet):
    def current(self) -> Self:
        """The links in force: not unlinked, not replaced by a change."""
        return self.filter(unlinked_at__isnull=True)

    def in_force_at(self, when: datetime) -> Self:
        """The versions in force at `when`: linked by then and not yet ended."""
        return self.filter(linked_at__lte=when).filter(
            Q(unlinked_at__isnull=True) | Q(unlinked_at__gt=when)
        )


class VersionedLink(models.Model):
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)
    # Why this version was recorded: a change's reason, or a confirmed contradiction.
    reason = models.TextField(blank=True)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    unlinked_at = models.DateTimeField(null=True, blank=True)
    unlinked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unlink_reason = models.TextField(blank=True)

    objects = VersionedLinkQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["linked_at", "pk"]

    def was_in_force(self, when: datetime) -> bool:
        """Linked by `when` and not yet ended then (in_force_at, for one row)."""
        return self.linked_at <= when and (
            self.unlinked_at is None or self.unlinked_at > when
        )


def one_current(*ends: str, name: str) -> models.UniqueConstraint:
    """At most one version in force between the same two ends."""
    return models.UniqueConstraint(
        fields=list(ends), condition=Q(unlinked_at__isnull=True), name=name
    )


def ended_after_linked(*, name: str) -> models.CheckConstraint:
    """A version ends no earlier than it began."""
    return models.CheckConstraint(
        condition=Q(unlinked_at__isnull=True) | Q(unlinked_at__gte=F("linked_at")),
        name=name,
    )
