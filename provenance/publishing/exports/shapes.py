"""The shape of what leaves the team: one frozen dataclass per JSON object.

These dataclasses are the one definition of the claim JSON. The builders fill them,
`native` dumps them (field order is key order; every key is always present, ``null``
or ``[]`` when empty), and the OpenAPI schema is generated from them
(provenance.publishing.api.outputs): each field carries its documentation here, in
`field(metadata=doc(...))`. Bump ``SCHEMA_VERSION`` (and docs/api.md) on any change
a consumer could notice.

Two audiences read the same shape. Publishers see only what the team publishes:
published (or retracted) claims, evidence that is not restricted, no internal notes,
no reviewer comments and no names of team members. Team members get the same claim
plus an ``internal`` block (`MemberClaimExport`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import Field, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from provenance.claims.confidence import ConfidenceLevel
from provenance.claims.models import ClaimStatus, QuantityBound, Relation, Stance
from provenance.entities.models import DatePrecision, EntityKind, RelationshipKind

# 1.1: cited relationships; web captures on link evidence. 1.2: evidence `stac_item`.
SCHEMA_VERSION = "1.2"
DOC = "provenance.doc"


@dataclass(frozen=True, slots=True)
class Doc:
    """How a field is documented.

    `choices`: the values a string takes. `like`: the type to document when the
    field's own type is looser than what it holds (dicts passed through as stored).
    `decimal`: (digits, places) of a decimal kept as a string. `minimum`/`maximum`
    bound an integer. `members_only`: publishers never receive the field.
    """

    text: str
    choices: Sequence[tuple[str, str]] = ()
    like: Any = None
    decimal: tuple[int, int] | None = None
    minimum: int | None = None
    maximum: int | None = None
    members_only: bool = False


def doc(text: str, **options: Any) -> dict[str, Doc]:
    """A dataclass field's metadata: its documentation (see `Doc` for the options).
    Used as `field(metadata=doc(...))`: no default, so every field stays required."""
    return {DOC: Doc(text, **options)}


def field_doc(dataclass_field: Field) -> Doc:
    return dataclass_field.metadata[DOC]


def decimal_text(value: Decimal) -> str:
    """Amounts are decimal strings without exponent: 1000, not 1E+3."""
    return format(value.normalize(), "f")


# The quantity columns' precision (claims.models), for the documented pattern.
AMOUNT_DIGITS = (20, 4)


@dataclass(frozen=True, slots=True)
class EntityRef:
    id: int = field(metadata=doc("Entity id within Provenance."))
    slug: str = field(metadata=doc("Stable slug of the entity within its team."))
    name: str = field(metadata=doc("Display name."))
    kind: str = field(metadata=doc("What the entity is.", choices=EntityKind.choices))
    country: str = field(metadata=doc("ISO 3166-1 alpha-2 country code, or empty."))
    imo: str = field(metadata=doc("Vessel IMO number, or empty."))
    mmsi: str = field(metadata=doc("Vessel MMSI, or empty."))
    locode: str = field(metadata=doc("Port UN/LOCODE, or empty."))


@dataclass(frozen=True, slots=True)
class Quantity:
    amount: str = field(
        metadata=doc(
            "The figure, as a decimal string (no exponent).", decimal=AMOUNT_DIGITS
        )
    )
    unit: str = field(metadata=doc("Unit of the figure, e.g. 'containers'."))
    bound: str = field(
        metadata=doc(
            "exact, at_least, at_most or about.", choices=QuantityBound.choices
        )
    )
    display: str = field(
        metadata=doc("Human-readable form, e.g. 'at least 1,000 containers'.")
    )


@dataclass(frozen=True, slots=True)
class QuantityEstimateOut(Quantity):
    source_label: str = field(metadata=doc("Who gave this figure."))
    source_url: str = field(metadata=doc("Where the figure was given, or empty."))
    source_entity: EntityRef | None = field(
        metadata=doc("The source as an entity, if recorded.")
    )
    stated_at: datetime | None = field(metadata=doc("When the source gave the figure."))
    is_current: bool = field(
        metadata=doc("True for the estimate the team uses as the claim's quantity.")
    )
    annotation: dict[str, Any] | None = field(
        metadata=doc(
            "The image annotation whose count this figure is (a W3C Web Annotation"
            " whose target is the original's SHA-256), or null.",
            like=dict[str, str] | None,
        )
    )


@dataclass(frozen=True, slots=True)
class FirstAppearance:
    source: str = field(
        metadata=doc("Who first made the claim, and where (free text).")
    )
    entity: EntityRef | None = field(metadata=doc("Who first made it, as entity."))
    url: str = field(metadata=doc("URL of the first appearance, or empty."))
    at: datetime | None = field(metadata=doc("When the claim first appeared."))


@dataclass(frozen=True, slots=True)
class Assessment:
    id: int = field(metadata=doc("Assessment id (append-only record)."))
    level: str = field(
        metadata=doc("ICD-203 likelihood term (key).", choices=ConfidenceLevel.choices)
    )
    label: str = field(
        metadata=doc("ICD-203 likelihood term as words, e.g. 'Very likely'.")
    )
    rank: int = field(
        metadata=doc("1 (almost no chance) … 7 (almost certain).", minimum=1, maximum=7)
    )
    probability_low: int = field(
        metadata=doc("Lower bound of the term's probability band, in percent.")
    )
    probability_high: int = field(
        metadata=doc("Upper bound of the term's probability band, in percent.")
    )
    rationale: str = field(metadata=doc("Why the team assessed it so."))
    effective_at: datetime = field(metadata=doc("The date this assessment speaks for."))
    recorded_at: datetime = field(metadata=doc("When the assessment was recorded."))
    evidence_ids: tuple[int, ...] = field(
        metadata=doc("Ids of the evidence items cited (exported items only).")
    )


@dataclass(frozen=True, slots=True)
class StatementOut:
    speaker: EntityRef | None = field(metadata=doc("Who spoke (a person)."))
    on_behalf_of: EntityRef | None = field(
        metadata=doc("Organization or government spoken for.")
    )
    stated_at: datetime = field(metadata=doc("When the statement was made."))
    venue: str = field(metadata=doc("Venue or medium."))
    quote: str = field(metadata=doc("The quote, in English."))
    original_text: str = field(
        metadata=doc("The quote in its original language, if different.")
    )
    original_language: str = field(metadata=doc("Language code of the original text."))


@dataclass(frozen=True, slots=True)
class PortCallOut:
    mmsi: str = field(metadata=doc("MMSI of the vessel."))
    vessel: str | None = field(metadata=doc("Slug of the vessel entity, if matched."))
    port: str = field(metadata=doc("Port name."))
    port_locode: str = field(metadata=doc("Port UN/LOCODE, or empty."))
    arrival_at: datetime = field(metadata=doc("Arrival time (UTC)."))
    departure_at: datetime | None = field(
        metadata=doc("Departure time, or null if still in port.")
    )


@dataclass(frozen=True, slots=True)
class DarkPeriod:
    mmsi: str = field(metadata=doc("MMSI of the vessel."))
    vessel: str | None = field(metadata=doc("Slug of the vessel entity, if matched."))
    start_at: datetime = field(metadata=doc("Last report before the gap."))
    end_at: datetime = field(metadata=doc("First report after the gap."))
    duration_hours: float = field(metadata=doc("Length of the gap in hours."))
    distance_km: float = field(metadata=doc("Distance across the gap."))
    implied_speed_knots: float = field(
        metadata=doc("Distance over duration, in knots.")
    )
    near_port: str | None = field(
        metadata=doc("Port near either end of the gap, if any.")
    )


@dataclass(frozen=True, slots=True)
class Voyage:
    """Documentation only: a voyage as the AIS analysis stored it (a dict in its
    summary, passed through unchanged; evidence.ais.analyse.Voyage.to_dict)."""

    mmsi: str = field(metadata=doc("MMSI of the vessel."))
    from_port: str = field(metadata=doc("Port of departure."))
    to_port: str = field(metadata=doc("Port of arrival."))
    departure: str = field(metadata=doc("Departure time (ISO 8601)."))
    arrival: str = field(metadata=doc("Arrival time (ISO 8601)."))
    duration_hours: float = field(metadata=doc("Length of the voyage."))


@dataclass(frozen=True, slots=True)
class AISSummary:
    source_format: str = field(metadata=doc("Source format of the extract."))
    rows_read: int = field(metadata=doc("Rows read from the file."))
    rows_kept: int = field(metadata=doc("Rows kept after validation."))
    first_at: datetime | None = field(metadata=doc("First position report."))
    last_at: datetime | None = field(metadata=doc("Last position report."))
    analysis_params: dict[str, Any] = field(
        metadata=doc(
            "Parameters of the analysis (thresholds), kept to re-run it.",
            like=dict[str, float],
        )
    )
    port_calls: tuple[PortCallOut, ...] = field(metadata=doc("Port calls found."))
    voyages: tuple[dict[str, Any], ...] = field(
        metadata=doc("Voyages between port calls.", like=tuple[Voyage, ...])
    )
    dark_periods: tuple[DarkPeriod, ...] = field(
        metadata=doc("Transponder dark periods (AIS gaps).")
    )


@dataclass(frozen=True, slots=True)
class Grade:
    code: str = field(metadata=doc("Admiralty code, e.g. 'B2'."))
    source_reliability: str = field(
        metadata=doc("A (completely reliable) … F (cannot be judged).")
    )
    information_credibility: str = field(
        metadata=doc("1 (confirmed) … 6 (cannot be judged).")
    )


@dataclass(frozen=True, slots=True)
class CertificateOut:
    subject: str = field(metadata=doc("Subject (RFC 4514)."))
    issuer: str = field(metadata=doc("Issuer (RFC 4514)."))
    serial_number: str = field(metadata=doc("Serial number (hex)."))
    not_before: str = field(metadata=doc("Start of validity (ISO 8601, UTC)."))
    not_after: str = field(metadata=doc("End of validity (ISO 8601, UTC)."))
    sha256_fingerprint: str = field(metadata=doc("SHA-256 of the DER (hex)."))


@dataclass(frozen=True, slots=True)
class CaptureFileOut:
    role: str = field(
        metadata=doc(
            "wacz, screenshot, dom, text, summary or timestamp (the RFC 3161 reply)."
        )
    )
    path: str = field(
        metadata=doc(
            "Where `verify_bundle --capture-files DIR` looks for it: "
            "captures/<capture id>/<name>."
        )
    )
    sha256: str = field(metadata=doc("SHA-256 of the file (hex)."))
    size_bytes: int = field(metadata=doc("Size of the file."))
    mime_type: str = field(metadata=doc("Type of the file."))


@dataclass(frozen=True, slots=True)
class CaptureSignature:
    """The WACZ's signedData (WACZ Signing and Verification 0.1.0, anonymous)."""

    hash: str = field(metadata=doc("sha256:<hex> of the WACZ's datapackage.json."))
    created: str = field(metadata=doc("The package's creation date (as signed)."))
    software: str = field(metadata=doc("Signing software."))
    version: str = field(metadata=doc("Its version."))
    signature: str = field(
        metadata=doc("base64 raw r||s ECDSA P-256/SHA-256 over `hash`.")
    )
    public_key: str = field(
        metadata=doc(
            "base64 DER public key; the instance's capture key, published at "
            "/.well-known/provenance-signing-key."
        )
    )
    key_id: str = field(metadata=doc("First 16 hex digits of SHA-256(public key)."))


@dataclass(frozen=True, slots=True)
class CaptureTimestamp:
    tsa: str = field(metadata=doc("The time-stamping authority (certificate CN)."))
    stamped_at: datetime = field(metadata=doc("The time the TSA certified."))
    serial_number: str = field(metadata=doc("The token's serial number (hex)."))
    policy: str = field(metadata=doc("The TSA policy OID."))
    digest: str = field(
        metadata=doc("What was stamped: sha256:<hex> of datapackage.json.")
    )
    token: str = field(metadata=doc("base64 of the RFC 3161 TimeStampResp (DER)."))
    token_sha256: str = field(metadata=doc("SHA-256 of the token file (hex)."))
    chain: tuple[CertificateOut, ...] = field(
        metadata=doc("The TSA's certificate chain, its own certificate first.")
    )


@dataclass(frozen=True, slots=True)
class CaptureTLS:
    host: str = field(metadata=doc("The page's host."))
    protocol: str = field(metadata=doc("TLS version seen."))
    trusted: bool = field(
        metadata=doc("Whether the chain was trusted for the host when captured.")
    )
    trust: str = field(metadata=doc("Why (or why not)."))
    certificates: tuple[CertificateOut, ...] = field(
        metadata=doc("The chain the server sent, its own certificate first.")
    )


@dataclass(frozen=True, slots=True)
class CaptureOut:
    id: int = field(metadata=doc("Capture id."))
    requested_url: str = field(metadata=doc("The URL asked for."))
    final_url: str = field(metadata=doc("The URL the page ended at."))
    captured_at: datetime = field(metadata=doc("When the capture was stored."))
    http_status: int | None = field(metadata=doc("The page's HTTP status."))
    files: tuple[CaptureFileOut, ...] = field(
        metadata=doc("Each stored file with its hash.")
    )
    signature: CaptureSignature | None = field(
        metadata=doc("The WACZ's signature, or null for an unsigned capture.")
    )
    timestamp: CaptureTimestamp | None = field(
        metadata=doc("The RFC 3161 time-stamp, or null (no TSA configured).")
    )
    tls: CaptureTLS | None = field(
        metadata=doc("The page's TLS certificate chain, for an HTTPS page.")
    )


@dataclass(frozen=True, slots=True)
class EvidenceOut:
    id: int = field(metadata=doc("Evidence item id."))
    # No `choices`: a second enum named "kind" (entities have one) would need
    # ENUM_NAME_OVERRIDES in settings.
    kind: str = field(
        metadata=doc("Kind of evidence: image, ais, statement, document or link.")
    )
    title: str = field(metadata=doc("Title."))
    description: str = field(metadata=doc("Description."))
    source: str = field(metadata=doc("Source or provider, e.g. 'Maxar'."))
    credit: str = field(metadata=doc("Credit line."))
    licence: str = field(metadata=doc("Licence."))
    url: str = field(metadata=doc("Public URL of the item, or empty."))
    archived_url: str = field(metadata=doc("URL of an archived copy, or empty."))
    observed_at: datetime | None = field(
        metadata=doc("When the thing happened, was said or was taken.")
    )
    sha256: str = field(metadata=doc("SHA-256 of the original file (hex), or empty."))
    size_bytes: int | None = field(metadata=doc("Size of the original file."))
    mime_type: str = field(metadata=doc("Detected type of the original file."))
    grade: Grade = field(metadata=doc("Admiralty grade of source and information."))
    is_synthetic: bool = field(
        metadata=doc("Generated stand-in data (demo), not real evidence.")
    )
    is_restricted: bool = field(
        metadata=doc("Source protection; always false in publisher output.")
    )
    thumbnail_url: str | None = field(
        metadata=doc("API URL of a thumbnail, for images.")
    )
    statement: StatementOut | None = field(
        metadata=doc("Statement details, for statements.")
    )
    ais: AISSummary | None = field(metadata=doc("AIS summary, for AIS extracts."))
    captures: tuple[CaptureOut, ...] = field(
        metadata=doc("Web captures of the page, for links; oldest first.")
    )
    stac_item: dict[str, Any] | None = field(
        metadata=doc(
            "A satellite scene (an image with a footprint) as a STAC 1.1.0 Item, the"
            " same object /api/v1/evidence/{id}/stac/ serves; null for anything else."
        )
    )


@dataclass(frozen=True, slots=True)
class EvidenceItemExport(EvidenceOut):
    """An evidence item as a team member reads it from /api/v1/evidence/."""

    team: str = field(metadata=doc("Slug of the team that owns the item."))
    obtained_at: datetime | None = field(metadata=doc("When the team obtained it."))
    created_at: datetime = field(metadata=doc("When it was added."))
    updated_at: datetime = field(metadata=doc("Last change."))


@dataclass(frozen=True, slots=True)
class EvidenceLink:
    relation: str = field(
        metadata=doc("How the evidence bears on the claim.", choices=Relation.choices)
    )
    stance: str = field(
        metadata=doc(
            "For statements: the speaker's stance toward the claim.",
            choices=[*Stance.choices, ("", "None")],
        )
    )
    linked_at: datetime = field(
        metadata=doc("When the evidence was linked to the claim.")
    )
    evidence: EvidenceOut = field(metadata=doc("The evidence item."))


@dataclass(frozen=True, slots=True)
class RelationshipOut:
    """An edge of the team's ownership graph: `source` is `kind` of `target`."""

    id: int = field(metadata=doc("Relationship id within Provenance."))
    kind: str = field(
        metadata=doc(
            "What the source is to the target (the owner is the source).",
            choices=RelationshipKind.choices,
        )
    )
    source: EntityRef = field(metadata=doc("The owner, manager, officer or parent."))
    target: EntityRef = field(metadata=doc("What is owned, managed or served."))
    description: str = field(metadata=doc("What the link is, or empty."))
    share_percent: str | None = field(
        metadata=doc("An owner's share in percent (decimal string), or null.")
    )
    start_date: date | None = field(
        metadata=doc("First day of the start's period (see start_precision), or null.")
    )
    start_precision: str = field(
        metadata=doc("How much of the start is known.", choices=DatePrecision.choices)
    )
    start_is_approximate: bool = field(metadata=doc("The start is approximate."))
    end_date: date | None = field(
        metadata=doc("Last day of the end's period; null while it holds.")
    )
    end_precision: str = field(
        metadata=doc("How much of the end is known.", choices=DatePrecision.choices)
    )
    end_is_approximate: bool = field(metadata=doc("The end is approximate."))
    period: str = field(metadata=doc("The period in words, e.g. 'since 2022'."))
    confidence: str = field(
        metadata=doc(
            "The team's confidence in the edge, or empty.",
            choices=[*ConfidenceLevel.choices, ("", "None")],
        )
    )
    dataset: str = field(
        metadata=doc("Dataset the edge was imported from; empty if team-asserted.")
    )
    source_entity_id: str | None = field(
        metadata=doc("The edge's id in that dataset; null if team-asserted.")
    )
    recorded_at: datetime = field(metadata=doc("When the team recorded the edge."))
    updated_at: datetime = field(metadata=doc("Last change of the edge."))


@dataclass(frozen=True, slots=True)
class CitedRelationship:
    relation: str = field(
        metadata=doc("How the edge bears on the claim.", choices=Relation.choices)
    )
    linked_at: datetime = field(metadata=doc("When the claim cited the edge."))
    relationship: RelationshipOut = field(metadata=doc("The edge cited."))


@dataclass(frozen=True, slots=True)
class RelationshipEvidenceOut:
    id: int = field(metadata=doc("Link id (a version: see replaces)."))
    evidence: int = field(metadata=doc("Id of the evidence item."))
    title: str = field(metadata=doc("The item's title."))
    relation: str = field(
        metadata=doc(
            "How the item bears on the edge.",
            choices=[
                ("supports", "Supports"),
                ("contradicts", "Contradicts"),
                ("context", "Context"),
            ],
        )
    )
    note: str = field(metadata=doc("Internal note."))
    linked_at: datetime = field(metadata=doc("When it was linked."))


@dataclass(frozen=True, slots=True)
class MemberRelationship(RelationshipOut):
    """An edge as a team member reads it: with its rationale and evidence."""

    confidence_rationale: str = field(metadata=doc("Why the team rates it so."))
    recorded_by: str = field(metadata=doc("Username of who recorded it, or empty."))
    evidence: tuple[RelationshipEvidenceOut, ...] = field(
        metadata=doc("The evidence linked now, oldest first.")
    )


@dataclass(frozen=True, slots=True)
class Correction:
    corrected_at: datetime = field(metadata=doc("When a correction was published."))
    note: str = field(
        default="", metadata=doc("The public note published with that correction.")
    )


@dataclass(frozen=True, slots=True)
class ReviewState:
    status: str = field(
        metadata=doc(
            "Review status; publishers see 'published' or 'retracted'.",
            choices=ClaimStatus.choices,
        )
    )
    published_at: datetime | None = field(
        metadata=doc("When the claim was first published.")
    )
    correction_note: str = field(
        metadata=doc("The public correction note, if corrected.")
    )
    corrections: tuple[Correction, ...] = field(
        metadata=doc("Each published correction.")
    )
    retraction_reason: str = field(
        metadata=doc("Why the claim was retracted, if it was.")
    )


@dataclass(frozen=True, slots=True)
class InternalReview:
    decision: str = field(metadata=doc("Review decision."))
    from_status: str = field(metadata=doc("Status before."))
    to_status: str = field(metadata=doc("Status after."))
    comment: str = field(metadata=doc("Reviewer's comment."))
    by: str = field(metadata=doc("Username of the reviewer."))
    at: datetime = field(metadata=doc("When."))


@dataclass(frozen=True, slots=True)
class LinkRecord:
    """One version of an evidence link, as team members manage it through the API:
    a change ends this row and records a new one that `replaces` it."""

    id: int = field(metadata=doc("Link id (this version of the link)."))
    evidence_id: int = field(metadata=doc("Evidence item id."))
    relation: str = field(
        metadata=doc("How the evidence bears on the claim.", choices=Relation.choices)
    )
    stance: str = field(
        metadata=doc(
            "Statements only: what the speaker says ('' for other kinds).",
            choices=[*Stance.choices, ("", "None")],
        )
    )
    note: str = field(metadata=doc("Internal note on the link."))
    linked_at: datetime = field(metadata=doc("When this version was recorded."))
    linked_by: str | None = field(metadata=doc("Username who recorded it."))
    reason: str = field(
        metadata=doc("Why it was changed into this, or a confirmed contradiction.")
    )
    replaces: int | None = field(metadata=doc("Id of the version this one replaced."))
    unlinked_at: datetime | None = field(
        metadata=doc("When this version ended (changed or unlinked); null if current.")
    )
    unlinked_by: str | None = field(metadata=doc("Username who ended it."))
    unlink_reason: str = field(metadata=doc("Why it ended."))


@dataclass(frozen=True, slots=True)
class InternalLinkNote:
    evidence_id: int = field(metadata=doc("Evidence item id."))
    note: str = field(metadata=doc("Internal note on the link."))
    linked_by: str | None = field(metadata=doc("Username who linked it."))


@dataclass(frozen=True, slots=True)
class InternalDetail:
    version: int = field(
        metadata=doc("Edit version; send it back as `version` when updating.")
    )
    author: str = field(metadata=doc("Username of the claim's author."))
    last_edited_by: str | None = field(metadata=doc("Username of the last editor."))
    assessed_by: tuple[str, ...] = field(
        metadata=doc("Assessor of each entry of confidence_history, in order.")
    )
    link_notes: tuple[InternalLinkNote, ...] = field(
        metadata=doc("Notes on evidence links.")
    )
    reviews: tuple[InternalReview, ...] = field(metadata=doc("Every review decision."))


@dataclass(frozen=True, slots=True)
class ClaimExport:
    schema_version: str = field(
        metadata=doc("Version of this JSON schema, e.g. '1.0'.")
    )
    id: int = field(metadata=doc("Claim id."))
    url: str = field(metadata=doc("API URL of the claim."))
    team: str = field(metadata=doc("Slug of the team that owns the claim."))
    team_name: str = field(metadata=doc("Name of the team that owns the claim."))
    slug: str = field(metadata=doc("Slug of the claim within its team."))
    text: str = field(metadata=doc("The claim as a single checkable statement."))
    summary: str = field(metadata=doc("Summary."))
    subjects: tuple[EntityRef, ...] = field(
        metadata=doc("Entities the claim is about.")
    )
    tags: tuple[str, ...] = field(metadata=doc("Tag slugs."))
    quantity: Quantity | None = field(metadata=doc("Structured quantity, if any."))
    quantity_estimates: tuple[QuantityEstimateOut, ...] = field(
        metadata=doc("Each source's figure for the quantity.")
    )
    first_appearance: FirstAppearance = field(
        metadata=doc("Where the claim first appeared.")
    )
    confidence: Assessment | None = field(
        metadata=doc(
            "The confidence in force: the latest assessment by effective date."
        )
    )
    confidence_history: tuple[Assessment, ...] = field(
        metadata=doc("Every assessment, oldest first (effective date).")
    )
    evidence: tuple[EvidenceLink, ...] = field(
        metadata=doc("Linked evidence with relation and stance.")
    )
    denials: tuple[int, ...] = field(
        metadata=doc("Evidence ids of statements denying the claim, newest first.")
    )
    relationships: tuple[CitedRelationship, ...] = field(
        metadata=doc("Edges of the ownership graph the claim cites as evidence.")
    )
    annotations: tuple[dict[str, Any], ...] = field(
        metadata=doc(
            "Annotations on the linked images (W3C Web Annotations; shapes in the"
            " original's pixels, target the original's SHA-256).",
            like=tuple[dict[str, str], ...],
        )
    )
    review: ReviewState = field(metadata=doc("Publication state and corrections."))
    created_at: datetime = field(metadata=doc("When the claim was created."))
    updated_at: datetime = field(
        metadata=doc("Last change; use with `updated_since` for incremental sync.")
    )
    as_of: datetime | None = field(
        metadata=doc(
            "Set when the claim is shown as it stood at a past date (`?as_of=`)."
        )
    )


@dataclass(frozen=True, slots=True)
class MemberClaimExport(ClaimExport):
    """A claim as a team member reads it: the public shape plus ``internal``."""

    internal: InternalDetail = field(
        metadata=doc(
            "Team members only; never present for publishers.", members_only=True
        )
    )
