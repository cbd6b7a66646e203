"""What leaves the team: claims as frozen dataclasses, then native JSON, schema.org
ClaimReview JSON-LD, W3C PROV-JSON and the payload of a signed bundle.

Two audiences read the same shape. Publishers see only what the team publishes:
published (or retracted) claims, evidence that is not restricted, no internal notes,
no reviewer comments and no names of team members. Team members get the same claim
plus an ``internal`` block. Everything a publisher must not see is left out here, at
the query (restricted items are filtered in the prefetch) and in the builder, so no
renderer can leak it by accident.

The native JSON is ``orjson.dumps`` of the dataclasses: field order is the key order,
and every key is always present (``null`` or ``[]`` when empty). Bump
``SCHEMA_VERSION`` (and docs/api.md) on any change a consumer could notice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from evidence.models import AISGap, EvidenceItem, PortCall
from provenance.audit.chain import chain_head
from provenance.claims.confidence import BANDS
from provenance.claims.models import (
    Claim,
    ClaimEvidence,
    ClaimStatus,
    ConfidenceAssessment,
    Decision,
    QuantityEstimate,
    Review,
    Stance,
    Tag,
    confidence_in_force,
    format_quantity,
)
from provenance.claims.selectors import ClaimAsOf, claim_labels_as_of
from provenance.entities.models import Entity, EntityKind
from provenance.publishing.models import Publisher
from provenance.teams.models import Team

SCHEMA_VERSION = "1.0"
BUNDLE_SCHEMA_VERSION = "1.0"
# Non-str keys: DRF reports list-item errors keyed by index.
JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


# --- The export shape -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntityRef:
    id: int
    slug: str
    name: str
    kind: str
    country: str
    imo: str
    mmsi: str
    locode: str


@dataclass(frozen=True, slots=True)
class Quantity:
    amount: str
    unit: str
    bound: str
    display: str


@dataclass(frozen=True, slots=True)
class QuantityEstimateOut:
    amount: str
    unit: str
    bound: str
    display: str
    source_label: str
    source_url: str
    source_entity: EntityRef | None
    stated_at: datetime | None
    is_current: bool


@dataclass(frozen=True, slots=True)
class FirstAppearance:
    source: str
    entity: EntityRef | None
    url: str
    at: datetime | None


@dataclass(frozen=True, slots=True)
class Assessment:
    id: int
    level: str
    label: str
    rank: int
    probability_low: int
    probability_high: int
    rationale: str
    effective_at: datetime
    recorded_at: datetime
    evidence_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class StatementOut:
    speaker: EntityRef | None
    on_behalf_of: EntityRef | None
    stated_at: datetime
    venue: str
    quote: str
    original_text: str
    original_language: str


@dataclass(frozen=True, slots=True)
class PortCallOut:
    mmsi: str
    vessel: str | None
    port: str
    port_locode: str
    arrival_at: datetime
    departure_at: datetime | None


@dataclass(frozen=True, slots=True)
class DarkPeriod:
    mmsi: str
    vessel: str | None
    start_at: datetime
    end_at: datetime
    duration_hours: float
    distance_km: float
    implied_speed_knots: float
    near_port: str | None


@dataclass(frozen=True, slots=True)
class AISSummary:
    source_format: str
    rows_read: int
    rows_kept: int
    first_at: datetime | None
    last_at: datetime | None
    analysis_params: dict[str, Any]
    port_calls: tuple[PortCallOut, ...]
    voyages: tuple[dict[str, Any], ...]
    dark_periods: tuple[DarkPeriod, ...]


@dataclass(frozen=True, slots=True)
class Grade:
    code: str
    source_reliability: str
    information_credibility: str


@dataclass(frozen=True, slots=True)
class EvidenceOut:
    id: int
    kind: str
    title: str
    description: str
    source: str
    credit: str
    licence: str
    url: str
    archived_url: str
    observed_at: datetime | None
    sha256: str
    size_bytes: int | None
    mime_type: str
    grade: Grade
    is_synthetic: bool
    is_restricted: bool
    thumbnail_url: str | None
    statement: StatementOut | None
    ais: AISSummary | None


@dataclass(frozen=True, slots=True)
class EvidenceItemExport(EvidenceOut):
    """An evidence item as a team member reads it from /api/v1/evidence/."""

    team: str
    obtained_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceLink:
    relation: str
    stance: str
    linked_at: datetime
    evidence: EvidenceOut


@dataclass(frozen=True, slots=True)
class Correction:
    corrected_at: datetime


@dataclass(frozen=True, slots=True)
class ReviewState:
    status: str
    published_at: datetime | None
    correction_note: str
    corrections: tuple[Correction, ...]
    retraction_reason: str


@dataclass(frozen=True, slots=True)
class InternalReview:
    decision: str
    from_status: str
    to_status: str
    comment: str
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class InternalLinkNote:
    evidence_id: int
    note: str
    linked_by: str | None


@dataclass(frozen=True, slots=True)
class InternalDetail:
    version: int
    author: str
    last_edited_by: str | None
    assessed_by: tuple[str, ...]
    link_notes: tuple[InternalLinkNote, ...]
    reviews: tuple[InternalReview, ...]


@dataclass(frozen=True, slots=True)
class ClaimExport:
    schema_version: str
    id: int
    url: str
    team: str
    team_name: str
    slug: str
    text: str
    summary: str
    subjects: tuple[EntityRef, ...]
    tags: tuple[str, ...]
    quantity: Quantity | None
    quantity_estimates: tuple[QuantityEstimateOut, ...]
    first_appearance: FirstAppearance
    confidence: Assessment | None
    confidence_history: tuple[Assessment, ...]
    evidence: tuple[EvidenceLink, ...]
    denials: tuple[int, ...]
    review: ReviewState
    created_at: datetime
    updated_at: datetime
    as_of: datetime | None


@dataclass(frozen=True, slots=True)
class MemberClaimExport(ClaimExport):
    """A claim as a team member reads it: the public shape plus ``internal``."""

    internal: InternalDetail


# --- Export selectors -----------------------------------------------------------------


def readable_claims(
    *, publisher: Publisher | None = None, team: Team | None = None
) -> QuerySet[Claim]:
    """The claims a caller may read: a publisher's granted teams' published (and
    retracted) claims, or every claim of a member's team."""
    if publisher is not None:
        return Claim.objects.published().filter(team__in=publisher.teams.values("pk"))
    if team is not None:
        return Claim.objects.for_team(team)
    return Claim.objects.none()


ENTITY_COLUMNS = ("slug", "name", "kind", "country", "imo", "mmsi", "locode")
ITEM_COLUMNS = (
    "kind",
    "title",
    "description",
    "source",
    "credit",
    "licence",
    "url",
    "archived_url",
    "observed_at",
    "sha256",
    "size_bytes",
    "mime_type",
    "source_reliability",
    "information_credibility",
    "is_synthetic",
    "is_restricted",
)
LINK_COLUMNS = (
    "claim_id",
    "item_id",
    "relation",
    "stance",
    "linked_at",
    *(f"item__{f}" for f in ITEM_COLUMNS),
    "item__image__thumbnail",
    *(
        f"item__ais__{f}"
        for f in (
            "source_format",
            "rows_read",
            "rows_kept",
            "first_at",
            "last_at",
            "analysis_params",
            "summary",
        )
    ),
    *(
        f"item__statement__{f}"
        for f in (
            "stated_at",
            "venue",
            "quote",
            "original_text",
            "original_language",
        )
    ),
    *(f"item__statement__speaker__{f}" for f in ENTITY_COLUMNS),
    *(f"item__statement__on_behalf_of__{f}" for f in ENTITY_COLUMNS),
)

# Prefetched relations land in plain lists (`to_attr`): Django otherwise builds a
# QuerySet per instance per relation, which costs more than the rows themselves.
PREFIX = "x_"


def _many(obj: Any, name: str) -> list[Any]:
    """A prefetched relation: the `to_attr` list, else the (prefetched) manager."""
    cached = getattr(obj, PREFIX + name, None)
    return cached if cached is not None else list(getattr(obj, name).all())


def with_export_relations(
    claims: QuerySet[Claim], *, public: bool, to_attr: bool = True
) -> QuerySet[Claim]:
    """Everything the export reads, in a fixed number of queries per batch.

    `public` filters restricted evidence out in the database, so it never reaches
    Python for a publisher. What the team recorded after the claim's last
    publish/correct decision is left out by the builder (`_public_part`): a filter
    on the claim's column here would join the claim table into three prefetch
    queries per chunk (measured: the assessments query 1.7 ms -> 26 ms at 500
    claims) for rows that are few. `to_attr=False` prefetches into the relation
    managers instead, for code that reads `claim.evidence_links.all()`
    (selectors.claim_as_of).
    """

    def prefetch(lookup: str, queryset: QuerySet, *, keep: bool = False) -> Prefetch:
        name = lookup.rsplit("__", 1)[-1]
        attr = PREFIX + name if (to_attr or not keep) else None
        return Prefetch(lookup, queryset=queryset, to_attr=attr)

    links = (
        ClaimEvidence.objects.select_related(
            "item",
            "item__image",
            "item__ais",
            "item__statement__speaker",
            "item__statement__on_behalf_of",
        )
        # Only the columns the export reads: model instances are the cost here.
        .only(*LINK_COLUMNS)
    ).prefetch_related(
        prefetch(
            "item__ais__port_calls",
            PortCall.objects.select_related("port", "vessel").order_by(
                "arrival_at", "pk"
            ),
        ),
        prefetch(
            "item__ais__gaps",
            AISGap.objects.select_related("vessel", "near_port").order_by(
                "start_at", "pk"
            ),
        ),
    )
    cited = EvidenceItem.objects.only("pk", "is_restricted")
    entities = Entity.objects.only(*ENTITY_COLUMNS)
    assessments = ConfidenceAssessment.objects.order_by(
        "effective_at", "recorded_at", "pk"
    )
    reviews = Review.objects.order_by("at", "pk")
    if public:
        links = links.filter(item__is_restricted=False)
        cited = cited.filter(is_restricted=False)
        reviews = reviews.filter(decision=Decision.CORRECT).only(
            "pk", "claim_id", "at", "decision"
        )
    else:
        links = links.select_related("linked_by").only(
            *LINK_COLUMNS, "note", "linked_by__username"
        )
        assessments = assessments.select_related("assessed_by")
        reviews = reviews.select_related("by")
    claims = claims.select_related("team", "first_appearance_entity").prefetch_related(
        prefetch("subjects", entities),
        prefetch("tags", Tag.objects.only("slug")),
        prefetch(
            "quantity_estimates",
            QuantityEstimate.objects.select_related("source_entity").only(
                "claim_id",
                "amount",
                "unit",
                "bound",
                "source_label",
                "source_url",
                "stated_at",
                "is_current",
                "recorded_at",
                *(f"source_entity__{f}" for f in ENTITY_COLUMNS),
            ),
            keep=True,
        ),
        prefetch(
            "assessments",
            assessments.prefetch_related(prefetch("evidence", cited.order_by("pk"))),
        ),
        prefetch("evidence_links", links.order_by("linked_at", "pk"), keep=True),
        prefetch("reviews", reviews),
    )
    if not public:
        claims = claims.select_related("author", "last_edited_by")
    return claims


# --- Building the dataclasses ---------------------------------------------------------


def _amount(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _entity(entity: Entity | None) -> EntityRef | None:
    if entity is None:
        return None
    return EntityRef(
        id=entity.pk,
        slug=entity.slug,
        name=entity.name,
        kind=entity.kind,
        country=entity.country,
        imo=entity.imo,
        mmsi=entity.mmsi,
        locode=entity.locode,
    )


def _assessment(assessment: ConfidenceAssessment, *, public: bool) -> Assessment:
    band = BANDS[assessment.level]
    return Assessment(
        id=assessment.pk,
        level=assessment.level,
        label=band.label,
        rank=band.rank,
        probability_low=band.low,
        probability_high=band.high,
        rationale=assessment.rationale,
        effective_at=assessment.effective_at,
        recorded_at=assessment.recorded_at,
        evidence_ids=tuple(
            item.pk
            for item in _many(assessment, "evidence")
            if not (public and item.is_restricted)
        ),
    )


def _ais(item: EvidenceItem) -> AISSummary | None:
    extract = getattr(item, "ais", None)
    if extract is None:
        return None
    summary = extract.summary if isinstance(extract.summary, dict) else {}
    voyages = summary.get("voyages") or []
    return AISSummary(
        source_format=extract.source_format,
        rows_read=extract.rows_read,
        rows_kept=extract.rows_kept,
        first_at=extract.first_at,
        last_at=extract.last_at,
        analysis_params=dict(extract.analysis_params or {}),
        port_calls=tuple(
            PortCallOut(
                mmsi=call.mmsi,
                vessel=call.vessel.slug if call.vessel else None,
                port=call.port.name,
                port_locode=call.port.locode,
                arrival_at=call.arrival_at,
                departure_at=call.departure_at,
            )
            for call in _many(extract, "port_calls")
        ),
        voyages=tuple(v for v in voyages if isinstance(v, dict)),
        dark_periods=tuple(
            DarkPeriod(
                mmsi=gap.mmsi,
                vessel=gap.vessel.slug if gap.vessel else None,
                start_at=gap.start_at,
                end_at=gap.end_at,
                duration_hours=round(gap.duration.total_seconds() / 3600, 3),
                distance_km=gap.distance_km,
                implied_speed_knots=gap.implied_speed_knots,
                near_port=gap.near_port.name if gap.near_port else None,
            )
            for gap in _many(extract, "gaps")
        ),
    )


def _statement(item: EvidenceItem) -> StatementOut | None:
    statement = getattr(item, "statement", None)
    if statement is None:
        return None
    return StatementOut(
        speaker=_entity(statement.speaker),
        on_behalf_of=_entity(statement.on_behalf_of),
        stated_at=statement.stated_at,
        venue=statement.venue,
        quote=statement.quote,
        original_text=statement.original_text,
        original_language=statement.original_language,
    )


def evidence_out(item: EvidenceItem, *, urls: ExportUrls) -> EvidenceOut:
    image = getattr(item, "image", None)
    return EvidenceOut(
        id=item.pk,
        kind=item.kind,
        title=item.title,
        description=item.description,
        source=item.source,
        credit=item.credit,
        licence=item.licence,
        url=item.url,
        archived_url=item.archived_url,
        observed_at=item.observed_at,
        sha256=item.sha256,
        size_bytes=item.size_bytes,
        mime_type=item.mime_type,
        grade=Grade(
            code=item.grade,
            source_reliability=item.source_reliability,
            information_credibility=item.information_credibility,
        ),
        is_synthetic=item.is_synthetic,
        is_restricted=item.is_restricted,
        thumbnail_url=urls.thumbnail(item.pk) if image and image.thumbnail else None,
        statement=_statement(item),
        ais=_ais(item),
    )


def evidence_item_export(item: EvidenceItem, *, urls: ExportUrls) -> EvidenceItemExport:
    public = evidence_out(item, urls=urls)
    return EvidenceItemExport(
        **{name: getattr(public, name) for name in EvidenceOut.__dataclass_fields__},
        team=item.team.slug,
        obtained_at=item.obtained_at,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


class ExportUrls:
    """Absolute (or site-relative, without a base) API URLs, reversed once."""

    def __init__(self, base_url: str = "") -> None:
        self.base_url = base_url.rstrip("/")
        self._claims = self.base_url + reverse("api:claim-list")
        self._evidence = self.base_url + reverse("api:evidence-list")

    def claim(self, claim_id: int) -> str:
        return f"{self._claims}{claim_id}/"

    def thumbnail(self, item_id: int) -> str:
        return f"{self._evidence}{item_id}/thumbnail/"

    @property
    def namespace(self) -> str:
        """The PROV namespace: the API root, or a URN when there is no base URL."""
        if not self.base_url:
            return "urn:provenance:"
        return self.base_url + reverse("api:claim-list").removesuffix("claims/")


def _stated_at_key(link: ClaimEvidence) -> datetime:
    statement = getattr(link.item, "statement", None)
    if statement is not None:
        return statement.stated_at
    return link.item.observed_at or link.linked_at


def _public_part(
    cutoff: datetime | None,
    assessments: list[ConfidenceAssessment],
    links: list[ClaimEvidence],
    estimates: list[QuantityEstimate],
) -> tuple[list[ConfidenceAssessment], list[ClaimEvidence], list[QuantityEstimate]]:
    """What publishers may see of a claim's assessments, links and estimates: those
    recorded by its last publish/correct decision (`Claim.public_cutoff`); nothing
    when there is none (fail closed). Every publisher output is built through
    `claim_export` / `claim_export_as_of`, which call this."""
    if cutoff is None:
        return [], [], []
    return (
        [a for a in assessments if a.recorded_at <= cutoff],
        [link for link in links if link.linked_at <= cutoff],
        [e for e in estimates if e.recorded_at <= cutoff],
    )


def assessment_out(assessment: ConfidenceAssessment) -> Assessment:
    """One assessment as the API shows it to team members."""
    return _assessment(assessment, public=False)


def claim_export(
    claim: Claim, *, public: bool, urls: ExportUrls, as_of: datetime | None = None
) -> ClaimExport:
    """Build the export of one claim loaded through `with_export_relations`."""
    assessments = _many(claim, "assessments")
    links = _many(claim, "evidence_links")
    estimates = _many(claim, "quantity_estimates")
    if public:
        # Defence in depth: the prefetch already filtered these out.
        links = [link for link in links if not link.item.is_restricted]
        # The one place publishers' view of later work is cut (see _public_part).
        assessments, links, estimates = _public_part(
            claim.public_cutoff, assessments, links, estimates
        )
    history = tuple(_assessment(a, public=public) for a in assessments)
    in_force = confidence_in_force(assessments, timezone.now())
    denials = sorted(
        (link for link in links if link.stance == Stance.DENIES),
        key=_stated_at_key,
        reverse=True,
    )
    reviews = _many(claim, "reviews")
    quantity = None
    if claim.quantity_amount is not None:
        quantity = Quantity(
            amount=_amount(claim.quantity_amount),
            unit=claim.quantity_unit,
            bound=claim.quantity_bound,
            display=claim.quantity_display,
        )
    fields: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": claim.pk,
        "url": urls.claim(claim.pk),
        "team": claim.team.slug,
        "team_name": claim.team.name,
        "slug": claim.slug,
        "text": claim.text,
        "summary": claim.summary,
        "subjects": tuple(_entity(s) for s in _many(claim, "subjects")),
        "tags": tuple(tag.slug for tag in _many(claim, "tags")),
        "quantity": quantity,
        "quantity_estimates": tuple(
            QuantityEstimateOut(
                amount=_amount(e.amount),
                unit=e.unit,
                bound=e.bound,
                display=format_quantity(e.amount, e.unit, e.bound),
                source_label=e.source_label,
                source_url=e.source_url,
                source_entity=_entity(e.source_entity),
                stated_at=e.stated_at,
                is_current=e.is_current,
            )
            for e in estimates
        ),
        "first_appearance": FirstAppearance(
            source=claim.first_appearance_source,
            entity=_entity(claim.first_appearance_entity),
            url=claim.first_appearance_url,
            at=claim.first_appearance_at,
        ),
        "confidence": (
            history[assessments.index(in_force)] if in_force is not None else None
        ),
        "confidence_history": history,
        "evidence": tuple(
            EvidenceLink(
                relation=link.relation,
                stance=link.stance,
                linked_at=link.linked_at,
                evidence=evidence_out(link.item, urls=urls),
            )
            for link in links
        ),
        "denials": tuple(link.item_id for link in denials),
        "review": ReviewState(
            status=claim.status,
            published_at=claim.published_at,
            correction_note=claim.correction_note,
            corrections=tuple(
                Correction(corrected_at=r.at)
                for r in reviews
                if r.decision == Decision.CORRECT
            ),
            retraction_reason=claim.retraction_reason,
        ),
        "created_at": claim.created_at,
        "updated_at": claim.updated_at,
        "as_of": as_of,
    }
    if public:
        return ClaimExport(**fields)
    return MemberClaimExport(
        **fields,
        internal=InternalDetail(
            version=claim.version,
            author=claim.author.get_username(),
            last_edited_by=(
                claim.last_edited_by.get_username() if claim.last_edited_by else None
            ),
            assessed_by=tuple(a.assessed_by.get_username() for a in assessments),
            link_notes=tuple(
                InternalLinkNote(
                    evidence_id=link.item_id,
                    note=link.note,
                    linked_by=link.linked_by.get_username() if link.linked_by else None,
                )
                for link in links
            ),
            reviews=tuple(
                InternalReview(
                    decision=r.decision,
                    from_status=r.from_status,
                    to_status=r.to_status,
                    comment=r.comment,
                    by=r.by.get_username(),
                    at=r.at,
                )
                for r in reviews
            ),
        ),
    )


def iter_claim_exports(
    claims: QuerySet[Claim], *, public: bool, urls: ExportUrls, chunk_size: int = 500
) -> Iterator[ClaimExport]:
    """Constant memory: a server-side cursor, prefetches batched per chunk."""
    loaded = with_export_relations(claims, public=public).order_by("pk")
    for claim in loaded.iterator(chunk_size=chunk_size):
        yield claim_export(claim, public=public, urls=urls)


def claim_export_as_of(
    claim: Claim, *, state: ClaimAsOf, public: bool, urls: ExportUrls
) -> ClaimExport | None:
    """The export of a claim as the team's record stood at `state.when`.

    `state` comes from `selectors.claim_as_of` over a claim loaded through
    `with_export_relations` (so restricted links are already gone for the public).
    Field values (quantity, first appearance, publication fields) come from the
    claim's history at that time, subjects and tags too. For a publisher, None
    unless the claim was published (or retracted) at that time.
    """
    if not state.existed:
        return None
    if public and state.status not in (ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED):
        return None
    then = claim.history.as_of(state.when)
    current = claim_export(claim, public=public, urls=urls)
    if public:
        # What publishers could read then: recorded by that time's last publish or
        # correct decision.
        cutoff = then.public_content_at
        assessments, state_links, estimates_then = _public_part(
            cutoff, state.assessments, state.links, state.estimates
        )
        state = replace(
            state,
            assessments=assessments,
            links=state_links,
            estimates=estimates_then,
            denials=[d for d in state.denials if d in state_links],
            confidence=confidence_in_force(assessments, state.when),
        )
    by_item = {link.evidence.id: link for link in current.evidence}
    # state.links come from the same (for the public: filtered) prefetch.
    links = tuple(
        by_item[link.item_id] for link in state.links if link.item_id in by_item
    )
    history = tuple(_assessment(a, public=public) for a in state.assessments)
    quantity = None
    if then.quantity_amount is not None:
        quantity = Quantity(
            amount=_amount(then.quantity_amount),
            unit=then.quantity_unit,
            bound=then.quantity_bound,
            display=state.quantity_display,
        )
    estimates = {e.pk for e in state.estimates}
    sources = _many(claim, "quantity_estimates")
    if public:
        _, _, sources = _public_part(claim.public_cutoff, [], [], sources)
    kept_estimates = tuple(
        out
        for out, source in zip(current.quantity_estimates, sources, strict=True)
        if source.pk in estimates
    )
    corrections = tuple(
        c for c in current.review.corrections if c.corrected_at <= state.when
    )
    subjects, tags = claim_labels_as_of(state)
    changes: dict[str, Any] = {
        "subjects": tuple(_entity(s) for s in subjects),
        "tags": tuple(tag.slug for tag in tags),
        "text": state.text,
        "summary": state.summary,
        "quantity": quantity,
        "quantity_estimates": kept_estimates,
        "first_appearance": FirstAppearance(
            source=then.first_appearance_source,
            entity=current.first_appearance.entity,
            url=then.first_appearance_url,
            at=then.first_appearance_at,
        ),
        "confidence": (
            history[state.assessments.index(state.confidence)]
            if state.confidence is not None
            else None
        ),
        "confidence_history": history,
        "evidence": links,
        "denials": tuple(link.item_id for link in state.denials),
        "review": ReviewState(
            status=state.status,
            published_at=then.published_at,
            correction_note=then.correction_note,
            corrections=corrections,
            retraction_reason=then.retraction_reason,
        ),
        "updated_at": then.updated_at,
        "as_of": state.when,
    }
    if isinstance(current, MemberClaimExport):
        internal = current.internal
        kept = {link.evidence.id for link in links}
        changes["internal"] = replace(
            internal,
            version=then.version,
            assessed_by=tuple(a.assessed_by.get_username() for a in state.assessments),
            link_notes=tuple(n for n in internal.link_notes if n.evidence_id in kept),
            reviews=tuple(r for r in internal.reviews if r.at <= state.when),
        )
    return replace(current, **changes)


# --- Native JSON ----------------------------------------------------------------------


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _amount(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def native_bytes(value: Any) -> bytes:
    """Dataclasses (and dicts/lists of them) as JSON; datetimes ISO 8601 with Z."""
    return orjson.dumps(value, default=_default, option=JSON_OPTIONS)


def native_dict(export: ClaimExport) -> dict[str, Any]:
    return orjson.loads(native_bytes(export))


def jsonl_lines(exports: Iterable[ClaimExport]) -> Iterator[bytes]:
    option = JSON_OPTIONS | orjson.OPT_APPEND_NEWLINE
    for export in exports:
        yield orjson.dumps(export, default=_default, option=option)


# --- schema.org ClaimReview -----------------------------------------------------------


def _date(value: datetime | None) -> str | None:
    return value.astimezone(UTC).date().isoformat() if value else None


def _schema_agent(entity: EntityRef | None, name: str) -> dict[str, Any]:
    kind = "Person" if entity and entity.kind == EntityKind.PERSON else "Organization"
    agent: dict[str, Any] = {"@type": kind, "name": entity.name if entity else name}
    return agent


def claim_review(export: ClaimExport, *, url: str | None = None) -> dict[str, Any]:
    """schema.org ClaimReview JSON-LD; the rating is the ICD-203 current confidence.

    `url` is the page that carries the review (a publisher's, from its claim URL
    template); without one, the claim's API URL."""
    first = export.first_appearance
    item: dict[str, Any] = {"@type": "Claim"}
    if first.entity or first.source:
        item["author"] = _schema_agent(first.entity, first.source)
    if first.at:
        item["datePublished"] = _date(first.at)
    if first.url:
        work = {"@type": "CreativeWork", "url": first.url}
        item["firstAppearance"] = work
        item["appearance"] = [work]
    confidence = export.confidence
    if confidence is not None:
        rating = {
            "@type": "Rating",
            "ratingValue": confidence.rank,
            "worstRating": 1,
            "bestRating": 7,
            "alternateName": confidence.label,
            "ratingExplanation": (
                f"ICD-203 likelihood: {confidence.label.lower()} "
                f"({confidence.probability_low}–{confidence.probability_high}%)."
            ),
        }
    else:
        rating = {"@type": "Rating", "alternateName": "Not assessed"}
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url or export.url,
        "claimReviewed": export.text,
        "author": {"@type": "Organization", "name": export.team_name},
        "datePublished": _date(export.review.published_at),
        "reviewRating": rating,
        "itemReviewed": item,
    }
    if export.review.status == "retracted":
        review["reviewBody"] = f"Retracted: {export.review.retraction_reason}".strip()
    elif export.review.correction_note:
        review["reviewBody"] = f"Correction: {export.review.correction_note}"
    return review


# --- W3C PROV-JSON --------------------------------------------------------------------


def claim_prov(export: ClaimExport, *, urls: ExportUrls) -> Any:
    """A PROV document: the claim, its evidence and assessments (entities), the
    assessing and publishing (activities), and the team and speakers (agents).

    Individual team members are never named: the team is the agent.
    """
    from prov.model import ProvDocument  # heavy import, only when asked

    doc = ProvDocument()
    ns = doc.add_namespace("pv", urls.namespace)
    doc.add_namespace("schema", "https://schema.org/")
    team = doc.agent(
        ns[f"team/{export.team}"],
        {"prov:type": "prov:Organization", "prov:label": export.team_name},
    )
    claim = doc.entity(
        ns[f"claim/{export.id}"],
        {
            "prov:type": "schema:Claim",
            "prov:label": export.text,
            "pv:status": export.review.status,
            "pv:schemaVersion": export.schema_version,
        },
    )
    doc.wasAttributedTo(claim, team)
    agents: dict[str, Any] = {}

    def agent_for(entity: EntityRef) -> Any:
        if entity.slug not in agents:
            kind = (
                "prov:Person"
                if entity.kind == EntityKind.PERSON
                else "prov:Organization"
            )
            agents[entity.slug] = doc.agent(
                ns[f"entity/{entity.slug}"],
                {"prov:type": kind, "prov:label": entity.name},
            )
        return agents[entity.slug]

    for link in export.evidence:
        item = link.evidence
        attributes: dict[str, Any] = {
            "prov:type": f"pv:{item.kind}",
            "prov:label": item.title,
        }
        if item.sha256:
            attributes["pv:sha256"] = item.sha256
        if item.url:
            attributes["prov:location"] = item.url
        evidence = doc.entity(ns[f"evidence/{item.id}"], attributes)
        relation = {"pv:relation": link.relation}
        if link.stance:
            relation["pv:stance"] = link.stance
        if link.relation == "supports":
            doc.wasDerivedFrom(claim, evidence, other_attributes=relation)
        else:
            doc.wasInfluencedBy(claim, evidence, other_attributes=relation)
        statement = item.statement
        if statement is not None and statement.speaker is not None:
            speaker = agent_for(statement.speaker)
            doc.wasAttributedTo(evidence, speaker)
            if statement.on_behalf_of is not None:
                doc.actedOnBehalfOf(speaker, agent_for(statement.on_behalf_of))
    exported = {link.evidence.id for link in export.evidence}
    for assessment in export.confidence_history:
        entity = doc.entity(
            ns[f"assessment/{assessment.id}"],
            {
                "prov:type": "pv:ConfidenceAssessment",
                "prov:value": assessment.level,
                "prov:label": assessment.label,
                "pv:effectiveAt": assessment.effective_at,
            },
        )
        activity = doc.activity(
            ns[f"assessing/{assessment.id}"],
            assessment.recorded_at,
            assessment.recorded_at,
        )
        doc.wasAssociatedWith(activity, team)
        doc.wasGeneratedBy(entity, activity, assessment.recorded_at)
        doc.used(activity, claim)
        for item_id in assessment.evidence_ids:
            if item_id in exported:
                doc.used(activity, ns[f"evidence/{item_id}"])
    if export.review.published_at is not None:
        publishing = doc.activity(
            ns[f"publishing/{export.id}"],
            export.review.published_at,
            export.review.published_at,
        )
        doc.wasAssociatedWith(publishing, team)
        doc.wasGeneratedBy(claim, publishing, export.review.published_at)
    return doc


def prov_json(export: ClaimExport, *, urls: ExportUrls) -> str:
    return claim_prov(export, urls=urls).serialize(format="json")


# --- Signed bundles -------------------------------------------------------------------


def bundle_payload(
    *, claims: QuerySet[Claim], public: bool, urls: ExportUrls, teams: Iterable[Team]
) -> dict[str, Any]:
    """The claims, each team's audit-chain head and a timestamp, ready to sign."""
    heads = []
    for team in sorted(teams, key=lambda t: t.slug):
        seq, digest = chain_head(team)
        heads.append({"team": team.slug, "seq": seq, "hash": digest})
    lines = b",".join(
        native_bytes(e) for e in iter_claim_exports(claims, public=public, urls=urls)
    )
    payload = {
        "schema_version": BUNDLE_SCHEMA_VERSION,
        "kind": "provenance.bundle",
        "created_at": timezone.now(),
        "audit_heads": heads,
        "claims": orjson.Fragment(b"[" + lines + b"]"),
    }
    # Plain JSON types only: RFC 8785 canonicalization takes no datetimes.
    return orjson.loads(native_bytes(payload))
