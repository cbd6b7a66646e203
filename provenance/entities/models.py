"""Actors claims and evidence are about: governments, people, companies, vessels,
ports; with past identities and sanctions designations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from provenance.entities.validators import validate_imo, validate_locode, validate_mmsi

if TYPE_CHECKING:
    pass
from provenance.teams.models import Team

# --- Entities -------------------------------------------------------------------------


class EntityKind(models.TextChoices):
    GOVERNMENT = "government", "Government"
    PERSON = "person", "Person"
    ORGANIZATION = "organization", "Organization"
    VESSEL = "vessel", "Vessel"
    PORT = "port", "Port"
    FACILITY = "facility", "Facility"


class EntityQuerySet(models.QuerySet):
    def for_team(self, team: Team) -> EntityQuerySet:
        return self.filter(team=team)

    def of_kind(self, kind: str) -> EntityQuerySet:
        return self.filter(kind=kind)

    def places(self) -> EntityQuerySet:
        return self.filter(
            kind__in=[EntityKind.PORT, EntityKind.FACILITY],
            latitude__isnull=False,
            longitude__isnull=False,
        )

    def search(self, text: str) -> EntityQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(name__icontains=text)
            | Q(aliases_text__icontains=text)
            | Q(imo=text)
            | Q(mmsi=text)
            | Q(locode__iexact=text)
        )


class Entity(models.Model):
    """A typed actor or place. Vessel fields follow FollowTheMoney's Vessel schema."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="entities")
    kind = models.CharField(max_length=16, choices=EntityKind.choices)
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120)
    description = models.TextField(blank=True)
    aliases = models.JSONField(default=list, blank=True)
    # Aliases joined by newlines, so search works the same on SQLite and PostgreSQL.
    aliases_text = models.TextField(blank=True, editable=False)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    website = models.URLField(blank=True)
    # Vessel: the IMO number stays with the hull; an MMSI changes with the flag.
    imo = models.CharField(
        "IMO number", max_length=7, blank=True, validators=[validate_imo]
    )
    mmsi = models.CharField(
        "MMSI", max_length=9, blank=True, validators=[validate_mmsi]
    )
    call_sign = models.CharField(max_length=20, blank=True)
    flag = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    vessel_type = models.CharField(max_length=80, blank=True)
    # Port / facility.
    locode = models.CharField(
        "UN/LOCODE", max_length=5, blank=True, validators=[validate_locode]
    )
    latitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    radius_km = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.1)]
    )
    is_synthetic = models.BooleanField(default=False)
    is_auto_created = models.BooleanField(
        default=False, help_text="Created by an import (e.g. an AIS extract)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "entities"
        constraints = [
            models.UniqueConstraint(fields=["team", "slug"], name="entity_slug_unique"),
            models.UniqueConstraint(
                fields=["team", "imo"],
                condition=~Q(imo=""),
                name="entity_imo_unique",
            ),
        ]
        indexes = [models.Index(fields=["team", "kind"]), models.Index(fields=["mmsi"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("provenance:entity-detail", args=[self.slug])

    @property
    def has_position(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class PastIdentity(models.Model):
    """A vessel's earlier name, flag, MMSI or call sign, with the dates it held."""

    class Field(models.TextChoices):
        NAME = "name", "Name"
        FLAG = "flag", "Flag"
        MMSI = "mmsi", "MMSI"
        CALL_SIGN = "call_sign", "Call sign"

    entity = models.ForeignKey(
        Entity, on_delete=models.CASCADE, related_name="past_identities"
    )
    field = models.CharField(max_length=16, choices=Field.choices)
    value = models.CharField(max_length=200)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    source_url = models.URLField(blank=True)

    class Meta:
        ordering = ["field", "start_date"]
        verbose_name_plural = "past identities"

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.value}"


class SanctionsDesignation(models.Model):
    entity = models.ForeignKey(
        Entity, on_delete=models.CASCADE, related_name="sanctions"
    )
    authority = models.CharField(max_length=200, help_text="e.g. US Treasury (OFAC)")
    programme = models.CharField(max_length=200, blank=True)
    listed_on = models.DateField(null=True, blank=True)
    reason = models.TextField(blank=True)
    source_url = models.URLField(blank=True)

    class Meta:
        ordering = ["listed_on"]

    def __str__(self) -> str:
        return f"{self.authority} {self.programme}".strip()
