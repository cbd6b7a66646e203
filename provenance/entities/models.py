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

from provenance.common.confidence import ConfidenceLevel
from provenance.entities.periods import format_span
from provenance.entities.validators import validate_imo, validate_locode, validate_mmsi
from provenance.teams.models import Team

if TYPE_CHECKING:
    from datetime import date

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
    # Provenance of an entity imported from a dataset (blank: the team's own).
    dataset = models.CharField(
        max_length=200, blank=True, help_text="Imported from (e.g. an FtM dataset)."
    )
    source_entity_id = models.CharField(  # noqa: DJ001
        max_length=200,
        null=True,
        blank=True,
        help_text="The entity's id in the dataset it was imported from.",
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
            # One hull per IMO among the team's own entities; a dataset's copy of a
            # vessel the team also holds is a screening candidate, not a clash.
            models.UniqueConstraint(
                fields=["team", "imo"],
                condition=~Q(imo="") & Q(dataset=""),
                name="entity_imo_unique",
            ),
            models.UniqueConstraint(
                fields=["team", "dataset", "source_entity_id"],
                condition=Q(source_entity_id__isnull=False),
                name="entity_import_id_unique",
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
    # Provenance of an imported designation (blank: recorded by the team).
    dataset = models.CharField(max_length=200, blank=True)
    source_entity_id = models.CharField(  # noqa: DJ001
        max_length=200, null=True, blank=True
    )

    class Meta:
        ordering = ["listed_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "dataset", "source_entity_id"],
                condition=Q(source_entity_id__isnull=False),
                name="designation_import_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.authority} {self.programme}".strip()


# --- Relationships (the ownership graph) ---------------------------------------------


class RelationshipKind(models.TextChoices):
    """What the source entity is to the target entity (source -> target)."""

    REGISTERED_OWNER = "registered_owner", "Registered owner"
    BENEFICIAL_OWNER = "beneficial_owner", "Beneficial owner"
    SHIP_MANAGER = "ship_manager", "Ship manager"
    OPERATOR = "operator", "Operator"
    DIRECTOR = "director", "Director"
    OFFICER = "officer", "Officer"
    PARENT = "parent", "Parent company"
    REPRESENTATIVE = "representative", "Representative"
    LINKED_TO = "linked_to", "Linked to"


# How the edge reads from the target's side ("owned by", "manages" -> "managed by").
INVERSE_LABELS = {
    RelationshipKind.REGISTERED_OWNER: "Registered owner",
    RelationshipKind.BENEFICIAL_OWNER: "Beneficial owner",
    RelationshipKind.SHIP_MANAGER: "Ship manager",
    RelationshipKind.OPERATOR: "Operator",
    RelationshipKind.DIRECTOR: "Director",
    RelationshipKind.OFFICER: "Officer",
    RelationshipKind.PARENT: "Parent company",
    RelationshipKind.REPRESENTATIVE: "Representative",
    RelationshipKind.LINKED_TO: "Linked to",
}
OUTWARD_LABELS = {
    RelationshipKind.REGISTERED_OWNER: "Owns (registered)",
    RelationshipKind.BENEFICIAL_OWNER: "Owns (beneficial)",
    RelationshipKind.SHIP_MANAGER: "Manages",
    RelationshipKind.OPERATOR: "Operates",
    RelationshipKind.DIRECTOR: "Director of",
    RelationshipKind.OFFICER: "Officer of",
    RelationshipKind.PARENT: "Subsidiary",
    RelationshipKind.REPRESENTATIVE: "Represents",
    RelationshipKind.LINKED_TO: "Linked to",
}
OWNERSHIP_KINDS = frozenset(
    {RelationshipKind.REGISTERED_OWNER, RelationshipKind.BENEFICIAL_OWNER}
)
MANAGEMENT_KINDS = frozenset({RelationshipKind.SHIP_MANAGER, RelationshipKind.OPERATOR})
OFFICER_KINDS = frozenset(
    {
        RelationshipKind.DIRECTOR,
        RelationshipKind.OFFICER,
        RelationshipKind.REPRESENTATIVE,
    }
)


class DatePrecision(models.TextChoices):
    """How much of a relationship's start or end date is known. The stored date is
    the first day of the period for a start and the last day for an end, so
    validity on a day is one comparison whatever the precision."""

    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class RelationshipQuerySet(models.QuerySet):
    def for_team(self, team: Team) -> RelationshipQuerySet:
        return self.filter(team=team)

    def involving(self, entity_ids: list[int] | set[int]) -> RelationshipQuerySet:
        ids = list(entity_ids)
        return self.filter(Q(source_id__in=ids) | Q(target_id__in=ids))

    def valid_on(self, day: date) -> RelationshipQuerySet:
        """In force on `day` (validity time): started by then (or start unknown) and
        not ended before it (or open-ended)."""
        return self.filter(
            Q(start_date__isnull=True) | Q(start_date__lte=day),
            Q(end_date__isnull=True) | Q(end_date__gte=day),
        )

    def team_asserted(self) -> RelationshipQuerySet:
        return self.filter(dataset="")

    def imported(self) -> RelationshipQuerySet:
        return self.exclude(dataset="")


class Relationship(models.Model):
    """An edge of the ownership graph: `source` is `kind` of `target` (the owner is
    the source, the vessel the target; the parent the source, the subsidiary the
    target), valid from `start_date` to `end_date` (open-ended when null), rated on
    the team's confidence scale.

    Evidence for or against the edge is linked in the evidence room
    (evidence.RelationshipEvidence); claims cite edges (claims.ClaimRelationship).
    `dataset` and `source_entity_id` mark an imported edge (e.g. a FollowTheMoney
    statement from an OpenSanctions dataset); both empty for what the team asserts.
    Written only by entities.relationships; history by simple-history (recording
    time for the as-of view).
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=RelationshipKind.choices)
    source = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="relationships_out"
    )
    target = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="relationships_in"
    )
    description = models.TextField(
        blank=True, help_text="What the link is, in the source's words."
    )
    share_percent = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Beneficial owners: the share held, in percent.",
    )
    start_date = models.DateField(null=True, blank=True)
    start_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    start_is_approximate = models.BooleanField(default=False)
    end_date = models.DateField(null=True, blank=True)
    end_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    end_is_approximate = models.BooleanField(default=False)
    confidence = models.CharField(
        max_length=24, choices=ConfidenceLevel.choices, blank=True
    )
    confidence_rationale = models.TextField(blank=True)
    # Provenance of imported values (blank: asserted by the team).
    dataset = models.CharField(
        max_length=200, blank=True, help_text="Imported from (e.g. an FtM dataset)."
    )
    # Null, not "": no id at all for the team's own edges, as the FtM import expects.
    source_entity_id = models.CharField(  # noqa: DJ001
        max_length=200,
        null=True,
        blank=True,
        help_text="The edge's id in the dataset it was imported from.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "pk"]
        indexes = [
            models.Index(fields=["team", "source"], name="relationship_team_source"),
            models.Index(fields=["team", "target"], name="relationship_team_target"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=models.F("target")),
                name="relationship_not_to_itself",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="relationship_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["team", "dataset", "source_entity_id"],
                condition=Q(source_entity_id__isnull=False),
                name="relationship_import_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} — {self.get_kind_display()} — {self.target}"

    @property
    def is_imported(self) -> bool:
        return bool(self.dataset)

    @property
    def span_display(self) -> str:
        return format_span(
            self.start_date,
            self.start_precision,
            self.start_is_approximate,
            self.end_date,
            self.end_precision,
            self.end_is_approximate,
        )

    @property
    def is_open_ended(self) -> bool:
        return self.end_date is None

    def is_valid_on(self, day: date) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or self.end_date >= day
        )


# --- Datasets (FollowTheMoney imports) and sanctions screening ----------------------


class DatasetImport(models.Model):
    """One import of one version of a dataset (an FtM JSON-lines file) into a team:
    what was read, what it changed and which lines were refused (line numbers)."""

    class Status(models.TextChoices):
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    dataset = models.CharField(max_length=200)
    file_name = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices)
    lines_read = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    # The first refused lines: [{"line": n, "error": "..."}] (capped; see ftm.py).
    errors = models.JSONField(default=list, blank=True)
    errors_total = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-imported_at", "-pk"]
        indexes = [models.Index(fields=["team", "dataset"], name="dataset_import_team")]

    def __str__(self) -> str:
        return f"{self.dataset} #{self.pk}"

    @property
    def version(self) -> int:
        """The dataset's version in the team: the import's number."""
        return self.pk

    @property
    def counts_display(self) -> list[tuple[str, int]]:
        return [
            (key.replace("_", " ").capitalize(), value)
            for key, value in sorted(self.counts.items())
        ]


class DatasetRecord(models.Model):
    """One FtM entity of a dataset as last imported (its raw properties and the
    dataset's dates for it), with the team record it became: an entity, an edge or
    a designation. Keeps what came from a dataset apart from what the team asserts."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    dataset = models.CharField(max_length=200)
    source_entity_id = models.CharField(max_length=200)
    schema = models.CharField(max_length=60)
    properties = models.JSONField(default=dict)
    caption = models.CharField(max_length=300, blank=True)
    first_seen = models.DateTimeField(null=True, blank=True)
    last_seen = models.DateTimeField(null=True, blank=True)
    last_change = models.DateTimeField(null=True, blank=True)
    first_import = models.ForeignKey(
        DatasetImport, on_delete=models.PROTECT, related_name="+"
    )
    last_import = models.ForeignKey(
        DatasetImport, on_delete=models.PROTECT, related_name="+"
    )
    entity = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    relationship = models.ForeignKey(
        Relationship, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    designation = models.ForeignKey(
        SanctionsDesignation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "dataset", "source_entity_id"],
                name="dataset_record_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset}:{self.source_entity_id}"


class ScreeningStatus(models.TextChoices):
    PROPOSED = "proposed", "To review"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"


class ScreeningCandidateQuerySet(models.QuerySet):
    def for_team(self, team: Team) -> ScreeningCandidateQuerySet:
        return self.filter(team=team)

    def open(self) -> ScreeningCandidateQuerySet:
        return self.filter(status=ScreeningStatus.PROPOSED)


class ScreeningCandidate(models.Model):
    """A possible match between one of the team's own entities and an entity of an
    imported dataset, with its score and reasons, for a person to confirm or
    dismiss. Nothing is linked until then (screening.py)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    entity = models.ForeignKey(Entity, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(
        DatasetRecord, on_delete=models.CASCADE, related_name="candidates"
    )
    dataset = models.CharField(max_length=200)
    proposed_in = models.ForeignKey(
        DatasetImport, on_delete=models.PROTECT, related_name="+"
    )
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=ScreeningStatus.choices, default=ScreeningStatus.PROPOSED
    )
    decided_in = models.ForeignKey(
        DatasetImport, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScreeningCandidateQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity", "record"], name="screening_candidate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} ~ {self.record} ({self.score:.2f})"
