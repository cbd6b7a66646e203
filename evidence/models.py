"""The evidence domain: items of evidence, their typed details and custody log."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from provenance.common.versioned_links import (
    VersionedLink,
    ended_after_linked,
    one_current,
)
from provenance.entities.models import Entity, Relationship
from provenance.teams.models import Team


def _generated_name(folder: str, filename: str) -> str:
    # Stored under a generated name: the uploader's file name is kept as data only.
    suffix = PurePath(filename).suffix.lower()[:10]
    now = timezone.now()
    return f"{folder}/{now:%Y/%m}/{uuid.uuid4().hex}{suffix}"


def original_upload_to(instance: EvidenceItem, filename: str) -> str:
    return _generated_name("originals", filename)


def derivative_upload_to(instance: models.Model, filename: str) -> str:
    return _generated_name("derivatives", filename)


class EvidenceKind(models.TextChoices):
    IMAGE = "image", "Image"
    AIS = "ais", "AIS extract"
    STATEMENT = "statement", "Statement"
    DOCUMENT = "document", "Document"
    LINK = "link", "Link"


class ProcessingState(models.TextChoices):
    NOT_NEEDED = "not_needed", "Not needed"
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    # Finished, but what came out needs a look (an AIS import that kept no
    # position, a document whose text could not be read): the reason is in
    # ``processing_warning``.
    WARNING = "warning", "Done with a warning"
    FAILED = "failed", "Failed"


class SourceReliability(models.TextChoices):
    A = "A", "A — Completely reliable"
    B = "B", "B — Usually reliable"
    C = "C", "C — Fairly reliable"
    D = "D", "D — Not usually reliable"
    E = "E", "E — Unreliable"
    F = "F", "F — Reliability cannot be judged"


class InformationCredibility(models.TextChoices):
    CONFIRMED = "1", "1 — Confirmed by other sources"
    PROBABLY_TRUE = "2", "2 — Probably true"
    POSSIBLY_TRUE = "3", "3 — Possibly true"
    DOUBTFUL = "4", "4 — Doubtful"
    IMPROBABLE = "5", "5 — Improbable"
    UNKNOWN = "6", "6 — Truth cannot be judged"


class EvidenceItemQuerySet(models.QuerySet):
    def for_team(self, team: Team) -> EvidenceItemQuerySet:
        return self.filter(team=team)

    def exportable(self) -> EvidenceItemQuerySet:
        """Restricted items protect a source: they never leave the team."""
        return self.filter(is_restricted=False)

    def of_kind(self, kind: str) -> EvidenceItemQuerySet:
        return self.filter(kind=kind)

    def search(self, text: str) -> EvidenceItemQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(title__icontains=text)
            | Q(description__icontains=text)
            | Q(source__icontains=text)
            | Q(document__text__icontains=text)
            | Q(document__author__icontains=text)
            | Q(sha256=text.lower())
            # A captured page's text (any capture), without a row per capture.
            | Q(
                models.Exists(
                    WebCapture.objects.filter(
                        item=models.OuterRef("pk"), text__icontains=text
                    )
                )
            )
        )


class EvidenceItem(models.Model):
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="evidence_items"
    )
    kind = models.CharField(max_length=12, choices=EvidenceKind.choices)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    source = models.CharField(
        "source / provider", max_length=300, blank=True, help_text="e.g. Maxar, AP"
    )
    credit = models.CharField(max_length=300, blank=True)
    licence = models.CharField(max_length=200, blank=True)
    url = models.URLField("URL", max_length=1000, blank=True)
    archived_url = models.URLField("archived copy URL", max_length=1000, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    observed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the thing happened, was said, or the image was taken.",
    )
    obtained_at = models.DateTimeField(null=True, blank=True)
    obtained_from = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The original, never altered; display and analysis use derivatives.
    file = models.FileField(upload_to=original_upload_to, blank=True, max_length=300)
    original_filename = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    mime_type = models.CharField(max_length=100, blank=True)
    has_extension_mismatch = models.BooleanField(default=False)
    source_reliability = models.CharField(
        max_length=1, choices=SourceReliability.choices, default=SourceReliability.F
    )
    information_credibility = models.CharField(
        max_length=1,
        choices=InformationCredibility.choices,
        default=InformationCredibility.UNKNOWN,
    )
    is_synthetic = models.BooleanField(
        default=False, help_text="Generated data, e.g. demo stand-ins."
    )
    is_restricted = models.BooleanField(
        default=False, help_text="Source protection: never exported."
    )
    processing_state = models.CharField(
        max_length=12,
        choices=ProcessingState.choices,
        default=ProcessingState.NOT_NEEDED,
    )
    processing_error = models.TextField(blank=True)
    processing_warning = models.TextField(blank=True)
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = EvidenceItemQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "sha256"],
                condition=~Q(sha256=""),
                name="evidence_sha256_unique_per_team",
            )
        ]
        indexes = [models.Index(fields=["team", "kind"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("evidence:item-detail", args=[self.pk])

    @property
    def grade(self) -> str:
        """The Admiralty code, e.g. B2."""
        return f"{self.source_reliability}{self.information_credibility}"

    @property
    def is_pending(self) -> bool:
        return self.processing_state in (
            ProcessingState.PENDING,
            ProcessingState.RUNNING,
        )


class CustodyEvent(models.Model):
    class Action(models.TextChoices):
        OBTAINED = "obtained", "Obtained"
        UPLOADED = "uploaded", "Uploaded"
        PROCESSED = "processed", "Processed"
        DOWNLOADED = "downloaded", "Original downloaded"
        RESTRICTED = "restricted", "Restriction changed"
        EDITED = "edited", "Metadata edited"

    item = models.ForeignKey(
        EvidenceItem, on_delete=models.CASCADE, related_name="custody_events"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    party = models.CharField(max_length=300, blank=True, help_text="Obtained from.")
    tool = models.CharField(max_length=100, blank=True)
    tool_version = models.CharField(max_length=100, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class ImageDetail(models.Model):
    item = models.OneToOneField(
        EvidenceItem, on_delete=models.CASCADE, related_name="image"
    )
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    exif = models.JSONField(default=dict, blank=True)
    gps_latitude = models.FloatField(null=True, blank=True)
    gps_longitude = models.FloatField(null=True, blank=True)
    gps_altitude = models.FloatField(null=True, blank=True)
    captured_at = models.DateTimeField(null=True, blank=True)
    # Where the capture time came from ("EXIF DateTimeOriginal + OffsetTimeOriginal",
    # "GPS date/time (UTC)", "XMP photoshop:DateCreated", ...), the UTC offset the
    # file states ("+09:00"; blank when the file gives none) and its precision
    # ("subsecond", "second", "minute", "day").
    captured_at_source = models.CharField(max_length=80, blank=True)
    captured_at_offset = models.CharField(max_length=6, blank=True)
    captured_at_precision = models.CharField(max_length=12, blank=True)
    # Every capture time the file carries: [{source, value, offset, precision}].
    capture_times = models.JSONField(default=list, blank=True)
    # XMP and IPTC, by name: {"xmp": {...}, "iptc": {...}}.
    metadata = models.JSONField(default=dict, blank=True)
    # The format the content says it is ("JPEG", "HEIF", "GeoTIFF", "DNG"...).
    image_format = models.CharField(max_length=30, blank=True)
    # Georeferencing (GeoTIFF/COG): crs, bounds, footprint (GeoJSON, WGS84),
    # resolution, band count and types, overviews; null when not georeferenced.
    geo = models.JSONField(null=True, blank=True)
    phash = models.CharField(max_length=16, blank=True, db_index=True)
    # Too little information in the hash (a uniform or near-uniform image) to
    # look for near-duplicates with it.
    phash_low_information = models.BooleanField(default=False)
    thumbnail = models.FileField(upload_to=derivative_upload_to, blank=True)
    display = models.FileField(upload_to=derivative_upload_to, blank=True)
    content_credentials = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Image of {self.item}"

    @property
    def has_gps(self) -> bool:
        return self.gps_latitude is not None and self.gps_longitude is not None

    @property
    def footprint_geojson(self) -> str:
        """The GeoTIFF footprint as GeoJSON text ("" when there is none)."""
        footprint = (self.geo or {}).get("footprint")
        return json.dumps(footprint) if footprint else ""


class SatelliteScene(models.Model):
    """A georeferenced image described as a satellite (or aerial) scene: who
    took it, with what, when, how sharp and how cloudy. The footprint is not
    stored here: it is the GeoTIFF's own (``ImageDetail.geo["footprint"]``), read
    from the file, so it cannot drift from it. Written by
    ``evidence.maps.services.scene_update`` only."""

    item = models.OneToOneField(
        EvidenceItem, on_delete=models.CASCADE, related_name="scene"
    )
    provider = models.CharField(
        max_length=200, blank=True, help_text="Who supplied it (e.g. Planet, Maxar)."
    )
    platform = models.CharField(
        max_length=100, blank=True, help_text="The satellite (e.g. SkySat-C12)."
    )
    sensor = models.CharField(
        max_length=100, blank=True, help_text="The instrument (e.g. MSI, PAN)."
    )
    acquired_at = models.DateTimeField(
        null=True, blank=True, help_text="When the scene was acquired (UTC)."
    )
    gsd_m = models.FloatField(
        "ground sample distance (m)",
        null=True,
        blank=True,
        help_text="Metres on the ground per pixel.",
    )
    cloud_cover_percent = models.FloatField("cloud cover (%)", null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(gsd_m__isnull=True) | Q(gsd_m__gt=0),
                name="scene_gsd_positive",
            ),
            models.CheckConstraint(
                condition=Q(cloud_cover_percent__isnull=True)
                | Q(cloud_cover_percent__gte=0, cloud_cover_percent__lte=100),
                name="scene_cloud_cover_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"Scene of {self.item}"


class NearDuplicate(models.Model):
    """A candidate for review, not proof: two images whose pHash distance is small."""

    item = models.ForeignKey(
        EvidenceItem, on_delete=models.CASCADE, related_name="near_duplicates"
    )
    other = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="+")
    distance = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["distance", "other_id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "other"], name="near_dup_unique")
        ]

    def __str__(self) -> str:
        return f"{self.item_id} ~ {self.other_id} ({self.distance})"


class DocumentDetail(models.Model):
    """What was read out of a document (PDF, DOCX): properties, text, flags."""

    item = models.OneToOneField(
        EvidenceItem, on_delete=models.CASCADE, related_name="document"
    )
    document_format = models.CharField(max_length=30, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    title = models.CharField(max_length=500, blank=True)
    author = models.CharField(max_length=500, blank=True)
    created_in_file_at = models.DateTimeField(null=True, blank=True)
    modified_in_file_at = models.DateTimeField(null=True, blank=True)
    # Other properties by name (producer, creator tool, subject, keywords...).
    properties = models.JSONField(default=dict, blank=True)
    # The text, kept for search; a size cap applies (see the extractor).
    text = models.TextField(blank=True)
    text_truncated = models.BooleanField(default=False)
    has_javascript = models.BooleanField(default=False)
    has_attachments = models.BooleanField(default=False)
    attachments = models.JSONField(default=list, blank=True)
    content_credentials = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Document detail of {self.item}"


class Statement(models.Model):
    item = models.OneToOneField(
        EvidenceItem, on_delete=models.CASCADE, related_name="statement"
    )
    speaker = models.ForeignKey(
        Entity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statements",
    )
    on_behalf_of = models.ForeignKey(
        Entity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statements_on_behalf",
    )
    stated_at = models.DateTimeField()
    venue = models.CharField("venue or medium", max_length=300, blank=True)
    quote = models.TextField()
    original_text = models.TextField(blank=True)
    original_language = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["-stated_at"]

    def __str__(self) -> str:
        return f"{self.speaker or self.on_behalf_of}: {self.quote[:60]}"


class AISExtract(models.Model):
    class Format(models.TextChoices):
        MARINECADASTRE = "marinecadastre", "MarineCadastre CSV"
        MARINECADASTRE_V2 = "marinecadastre_v2", "MarineCadastre CSV (2024 layout)"
        DMA = "dma", "Danish Maritime Authority CSV"
        NMEA = "nmea", "NMEA 0183 (!AIVDM)"
        EXACTEARTH = "exactearth", "exactEarth / Spire CSV"
        MARINETRAFFIC = "marinetraffic", "MarineTraffic CSV"
        VESSELSVALUE = "vesselsvalue", "VesselsValue CSV"
        NARI = "nari", "NARI (Brest) CSV"
        AISHUB = "aishub", "AISHub CSV"
        GFW = "gfw", "Global Fishing Watch CSV"
        CUSTOM = "custom", "CSV with a team layout"

    item = models.OneToOneField(
        EvidenceItem, on_delete=models.CASCADE, related_name="ais"
    )
    source_format = models.CharField(max_length=20, choices=Format.choices, blank=True)
    rows_read = models.PositiveBigIntegerField(default=0)
    rows_kept = models.PositiveBigIntegerField(default=0)
    rejected = models.JSONField(default=dict, blank=True)
    vessels = models.ManyToManyField(Entity, blank=True, related_name="ais_extracts")
    first_at = models.DateTimeField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    # Analysis parameters are kept beside the results so they can be re-run.
    analysis_params = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    track_svg = models.TextField(blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    # Where the positions' times came from: the main source, as a code of
    # evidence/ais/time_sources.py ("tag_block", "receiver_clock_rmc", "pghp",
    # "nais_trailer", "given", "csv_column"…; LABELS there says them in words),
    # and the count of position reports timed by each.
    time_source = models.CharField(max_length=60, blank=True)
    time_sources = models.JSONField(default=dict, blank=True)
    # A time the uploader gave for a file that carries none (and how it applies).
    given_time = models.JSONField(null=True, blank=True)
    # Stations seen (evidence.ais.stations.stations_summary): "counts" per class
    # ({"vessel": 12, "aton": 1, ...}), "non_vessels" (MMSI, class, reason),
    # "non_vessels_omitted" and "vessel_notes".
    stations = models.JSONField(default=dict, blank=True)
    # Vessel entities this extract created (listed for review on its page).
    vessels_created = models.ManyToManyField(Entity, blank=True, related_name="+")
    # The CSV layout used: a built-in name, or a team layout's name and mapping.
    layout_name = models.CharField(max_length=100, blank=True)
    column_mapping = models.JSONField(null=True, blank=True)

    def __str__(self) -> str:
        return f"AIS extract {self.item}"

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())


class AISLayout(models.Model):
    """A team's named CSV layout: which column holds which field, and how its
    times are written. Made from the upload form's column mapping."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="ais_layouts")
    name = models.CharField(max_length=100)
    # field -> column header, e.g. {"mmsi": "Ship ID", "timestamp": "Time", ...}
    mapping = models.JSONField(default=dict)
    time_format = models.CharField(max_length=60, blank=True)
    time_zone = models.CharField(max_length=60, default="UTC")
    header = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "name"], name="ais_layout_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class AISPosition(models.Model):
    # Derived rows, bulk-loaded by COPY: no FK constraint (its per-row check doubled
    # the load time) and no single-column index (the composite index covers it).
    # Django's cascade still deletes them with the extract.
    extract = models.ForeignKey(
        AISExtract,
        on_delete=models.CASCADE,
        related_name="positions",
        db_constraint=False,
        db_index=False,
    )
    mmsi = models.CharField(max_length=9)
    timestamp = models.DateTimeField()
    latitude = models.FloatField()
    longitude = models.FloatField()
    sog = models.FloatField(null=True)
    cog = models.FloatField(null=True)
    heading = models.FloatField(null=True)

    class Meta:
        indexes = [models.Index(fields=["extract", "mmsi", "timestamp"])]

    def __str__(self) -> str:
        return f"{self.mmsi} {self.timestamp:%Y-%m-%d %H:%M}"


class AISGap(models.Model):
    """A transponder dark period: no report for longer than the threshold."""

    extract = models.ForeignKey(
        AISExtract, on_delete=models.CASCADE, related_name="gaps"
    )
    vessel = models.ForeignKey(
        Entity,
        null=True,
        on_delete=models.SET_NULL,
        related_name="ais_gaps",
    )
    mmsi = models.CharField(max_length=9)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    start_latitude = models.FloatField()
    start_longitude = models.FloatField()
    end_latitude = models.FloatField()
    end_longitude = models.FloatField()
    distance_km = models.FloatField()
    implied_speed_knots = models.FloatField()
    near_port = models.ForeignKey(
        Entity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["start_at"]

    def __str__(self) -> str:
        return f"{self.mmsi} dark {self.start_at:%Y-%m-%d %H:%M} → {self.end_at:%H:%M}"

    @property
    def duration(self) -> timedelta:
        return self.end_at - self.start_at

    @property
    def distance_nm(self) -> float:
        """Nautical miles: the unit of the sea, shown first on every page."""
        return self.distance_km / 1.852


class PortCall(models.Model):
    extract = models.ForeignKey(
        AISExtract, on_delete=models.CASCADE, related_name="port_calls"
    )
    vessel = models.ForeignKey(
        Entity,
        null=True,
        on_delete=models.SET_NULL,
        related_name="port_calls",
    )
    mmsi = models.CharField(max_length=9)
    port = models.ForeignKey(
        Entity, on_delete=models.PROTECT, related_name="calls_here"
    )
    arrival_at = models.DateTimeField()
    departure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["arrival_at"]

    def __str__(self) -> str:
        return f"{self.mmsi} at {self.port} {self.arrival_at:%Y-%m-%d}"


def capture_upload_to(instance: models.Model, filename: str) -> str:
    return _generated_name("captures", filename)


class WebCapture(models.Model):
    """One capture of a link's page by headless Chromium (evidence/captures).

    A link may be captured again: every capture is kept. Its files (the WACZ,
    screenshot, DOM, text, provenance summary) are CaptureFile rows, each with
    its SHA-256 and a custody event on the item.
    """

    item = models.ForeignKey(
        EvidenceItem, on_delete=models.CASCADE, related_name="captures"
    )
    requested_url = models.URLField(max_length=2000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(default=timezone.now)
    captured_at = models.DateTimeField(null=True, blank=True)
    final_url = models.URLField(max_length=2000, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    title = models.CharField(max_length=500, blank=True)
    server_ip = models.GenericIPAddressField(null=True, blank=True)
    redirects = models.JSONField(default=list, blank=True)
    # The rendered page's text, kept for search.
    text = models.TextField(blank=True)
    # The provenance summary (evidence.captures.browser): who, when, software,
    # user agent, options, refused requests, errors. Also kept as a file.
    summary = models.JSONField(default=dict, blank=True)
    blocked_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["requested_at", "pk"]

    def __str__(self) -> str:
        return f"Capture of {self.requested_url}"

    @property
    def signature(self) -> dict[str, Any]:
        """The WACZ's signedData as sealed (evidence.captures.attestation)."""
        signed = (
            self.summary.get("signature") if isinstance(self.summary, dict) else None
        )
        return signed if isinstance(signed, dict) else {}

    @property
    def timestamp(self) -> dict[str, Any]:
        """The RFC 3161 time-stamp as sealed: status verified, failed or none."""
        stamp = (
            self.summary.get("timestamp") if isinstance(self.summary, dict) else None
        )
        return stamp if isinstance(stamp, dict) else {}

    @property
    def stamped_at(self) -> datetime | None:
        text = self.timestamp.get("stamped_at")
        try:
            return datetime.fromisoformat(text) if text else None
        except ValueError:
            return None

    @property
    def tls(self) -> dict[str, Any]:
        seen = self.summary.get("tls") if isinstance(self.summary, dict) else None
        return seen if isinstance(seen, dict) else {}


class CaptureFile(models.Model):
    class Role(models.TextChoices):
        WACZ = "wacz", "Web archive (WACZ)"
        SCREENSHOT = "screenshot", "Screenshot (PNG)"
        DOM = "dom", "Rendered DOM (HTML)"
        TEXT = "text", "Page text"
        SUMMARY = "summary", "Provenance summary (JSON)"
        TIMESTAMP = "timestamp", "RFC 3161 time-stamp (TSR)"

    capture = models.ForeignKey(
        WebCapture, on_delete=models.CASCADE, related_name="files"
    )
    role = models.CharField(max_length=12, choices=Role.choices)
    file = models.FileField(upload_to=capture_upload_to, max_length=300)
    sha256 = models.CharField(max_length=64)
    size_bytes = models.PositiveBigIntegerField()
    mime_type = models.CharField(max_length=100)

    class Meta:
        ordering = ["capture", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["capture", "role"], name="capture_file_role_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} of {self.capture}"


class RelationshipEvidence(VersionedLink):
    """An item of evidence for or against an edge of the ownership graph, with a
    relation and a note: the same shape as a claim's evidence link.

    Rows are versions (common.versioned_links): a change ends the row and records a
    new one that `replaces` it; an unlink only ends it. Nothing is deleted, so the
    as-of view reads the link as it was. Written only by evidence.relationship_links.
    """

    class Relation(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        CONTRADICTS = "contradicts", "Contradicts"
        CONTEXT = "context", "Context"

    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="evidence_links"
    )
    item = models.ForeignKey(
        EvidenceItem, on_delete=models.PROTECT, related_name="relationship_links"
    )
    relation = models.CharField(max_length=12, choices=Relation.choices)
    note = models.TextField(blank=True)

    class Meta(VersionedLink.Meta):
        verbose_name_plural = "relationship evidence links"
        constraints = [
            one_current(
                "relationship", "item", name="relationship_item_current_unique"
            ),
            ended_after_linked(name="relationship_evidence_unlinked_after_linked"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.relation} {self.relationship}"


class AnnotationShape(models.TextChoices):
    POINT = "point", "point"
    RECTANGLE = "rectangle", "rectangle"
    POLYGON = "polygon", "polygon"


class ImageAnnotationQuerySet(models.QuerySet):
    def for_team(self, team: Team) -> ImageAnnotationQuerySet:
        return self.filter(item__team=team)

    def live(self) -> ImageAnnotationQuerySet:
        """Not ended: what the image's page draws and a new estimate may cite."""
        return self.filter(ended_at__isnull=True)


class ImageAnnotation(models.Model):
    """A point, rectangle or polygon drawn on an image, with a label, a note and
    an optional count. `points` are in the ORIGINAL's pixel space ([[x, y], ...]:
    one point; a rectangle's two corners, top-left then bottom-right; a polygon's
    vertices), whatever copy it was drawn on. Ended, never deleted: an estimate
    may cite it."""

    item = models.ForeignKey(
        EvidenceItem, on_delete=models.CASCADE, related_name="annotations"
    )
    shape = models.CharField(max_length=10, choices=AnnotationShape.choices)
    points = models.JSONField()
    label = models.CharField(max_length=120)
    note = models.TextField(blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ImageAnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        count = f": {self.count}" if self.count is not None else ""
        return f"{self.label}{count} on {self.item_id}"

    def get_absolute_url(self) -> str:
        return reverse("evidence:annotate", args=[self.item_id]) + f"#a{self.pk}"

    @property
    def is_ended(self) -> bool:
        return self.ended_at is not None


class ImageAnnotationRevision(models.Model):
    """History of an annotation: one row per create, change and end, holding the
    state after it (append-only)."""

    class Action(models.TextChoices):
        CREATED = "created", "created"
        CHANGED = "changed", "changed"
        ENDED = "ended", "ended"

    annotation = models.ForeignKey(
        ImageAnnotation, on_delete=models.CASCADE, related_name="revisions"
    )
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=10, choices=Action.choices)
    shape = models.CharField(max_length=10, choices=AnnotationShape.choices)
    points = models.JSONField()
    label = models.CharField(max_length=120)
    note = models.TextField(blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["annotation", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["annotation", "version"], name="annotation_revision_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.annotation_id} v{self.version} {self.action}"
