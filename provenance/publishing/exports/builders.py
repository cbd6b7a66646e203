"""Building the export dataclasses (shapes) from rows loaded by the query plan
(queries.with_export_relations / with_evidence_relations).

Every publisher output is built through `claim_export` / `claim_export_as_of`, and
both cut what publishers see through `public_part`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from evidence.captures.services import FILES as CAPTURE_FILES
from evidence.images.annotations import web_annotation
from evidence.maps.selectors import scene_record
from evidence.maps.stac import scene_stac_item
from evidence.models import EvidenceItem, EvidenceKind, ImageDetail
from provenance.claims.confidence import BANDS
from provenance.claims.models import (
    PUBLIC_STATUSES,
    Claim,
    ClaimEvidence,
    ConfidenceAssessment,
    Decision,
    QuantityEstimate,
    Review,
    Stance,
    confidence_in_force,
    format_quantity,
)
from provenance.claims.selectors import ClaimAsOf, claim_labels_as_of, happened_at
from provenance.entities.models import Entity, Relationship
from provenance.publishing.exports.queries import (
    bulk_claims,
    prefetched,
    with_export_relations,
)
from provenance.publishing.exports.shapes import (
    SCHEMA_VERSION,
    AISSummary,
    Assessment,
    CaptureFileOut,
    CaptureOut,
    CaptureSignature,
    CaptureTimestamp,
    CaptureTLS,
    CertificateOut,
    CitedRelationship,
    ClaimExport,
    Correction,
    DarkPeriod,
    EntityRef,
    EvidenceItemExport,
    EvidenceLink,
    EvidenceOut,
    FirstAppearance,
    Grade,
    InternalDetail,
    InternalLinkNote,
    InternalReview,
    LinkRecord,
    MemberClaimExport,
    MemberRelationship,
    PortCallOut,
    Quantity,
    QuantityEstimateOut,
    RelationshipEvidenceOut,
    RelationshipOut,
    ReviewState,
    StatementOut,
    decimal_text,
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

    def stac(self, item_id: int) -> str:
        return f"{self._evidence}{item_id}/stac/"

    def original(self, item_id: int) -> str:
        """The original file (a member's web download, logged in custody)."""
        return self.base_url + reverse("evidence:item-original", args=[item_id])

    @property
    def namespace(self) -> str:
        """The PROV namespace: the API root, or a URN when there is no base URL."""
        if not self.base_url:
            return "urn:provenance:"
        return self.base_url + reverse("api:claim-list").removesuffix("claims/")


# --- Entities, assessments, evidence --------------------------------------------------


def entity_ref(entity: Entity | None) -> EntityRef | None:
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


def relationship_out(relationship: Relationship) -> RelationshipOut:
    share = relationship.share_percent
    return RelationshipOut(
        id=relationship.pk,
        kind=relationship.kind,
        source=entity_ref(relationship.source),
        target=entity_ref(relationship.target),
        description=relationship.description,
        share_percent=decimal_text(share) if share is not None else None,
        start_date=relationship.start_date,
        start_precision=relationship.start_precision,
        start_is_approximate=relationship.start_is_approximate,
        end_date=relationship.end_date,
        end_precision=relationship.end_precision,
        end_is_approximate=relationship.end_is_approximate,
        period=relationship.span_display,
        confidence=relationship.confidence,
        dataset=relationship.dataset,
        source_entity_id=relationship.source_entity_id,
        recorded_at=relationship.recorded_at,
        updated_at=relationship.updated_at,
    )


def member_relationship(
    relationship: Relationship, links: Iterable[Any]
) -> MemberRelationship:
    """An edge for the members' API: the export shape, its rationale and the
    evidence links given (RelationshipEvidence rows with their items)."""
    base = relationship_out(relationship)
    return MemberRelationship(
        **{name: getattr(base, name) for name in RelationshipOut.__dataclass_fields__},
        confidence_rationale=relationship.confidence_rationale,
        recorded_by=(
            relationship.recorded_by.get_username() if relationship.recorded_by else ""
        ),
        evidence=tuple(
            RelationshipEvidenceOut(
                id=link.pk,
                evidence=link.item_id,
                title=link.item.title,
                relation=link.relation,
                note=link.note,
                linked_at=link.linked_at,
            )
            for link in links
        ),
    )


def _cited_relationships(
    claim: Claim, *, when: datetime | None
) -> tuple[CitedRelationship, ...]:
    """The edges the claim cites: those in force at `when`, or now (None)."""
    rows = prefetched(claim, "relationship_links")
    if when is None:
        rows = [row for row in rows if row.unlinked_at is None]
    else:
        rows = [row for row in rows if row.was_in_force(when)]
    return tuple(
        CitedRelationship(
            relation=row.relation,
            linked_at=row.linked_at,
            relationship=relationship_out(row.relationship),
        )
        for row in rows
    )


def _public_when(claim: Claim, when: datetime | None) -> datetime | None:
    """For publishers, what was cited by the last publish or correct decision
    (and by `when`, if given)."""
    cutoff = claim.public_cutoff or claim.created_at
    return min(cutoff, when) if when is not None else cutoff


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
            for item in prefetched(assessment, "evidence")
            if not (public and item.is_restricted)
        ),
    )


def assessment_out(assessment: ConfidenceAssessment) -> Assessment:
    """One assessment as the API shows it to team members."""
    return _assessment(assessment, public=False)


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
            for call in prefetched(extract, "port_calls")
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
            for gap in prefetched(extract, "gaps")
        ),
    )


def _statement(item: EvidenceItem) -> StatementOut | None:
    statement = getattr(item, "statement", None)
    if statement is None:
        return None
    return StatementOut(
        speaker=entity_ref(statement.speaker),
        on_behalf_of=entity_ref(statement.on_behalf_of),
        stated_at=statement.stated_at,
        venue=statement.venue,
        quote=statement.quote,
        original_text=statement.original_text,
        original_language=statement.original_language,
    )


def _certificates(rows: Any) -> tuple[CertificateOut, ...]:
    names = CertificateOut.__dataclass_fields__
    return tuple(
        CertificateOut(**{name: str(row.get(name, "")) for name in names})
        for row in rows or ()
        if isinstance(row, dict)
    )


def _capture_signature(summary: dict[str, Any]) -> CaptureSignature | None:
    signed = summary.get("signature")
    if not isinstance(signed, dict) or not signed.get("signature"):
        return None
    return CaptureSignature(
        hash=signed.get("hash", ""),
        created=signed.get("created", ""),
        software=signed.get("software", ""),
        version=signed.get("version", ""),
        signature=signed["signature"],
        public_key=signed.get("publicKey", ""),
        key_id=signed.get("key_id", ""),
    )


def _capture_timestamp(summary: dict[str, Any]) -> CaptureTimestamp | None:
    stamp = summary.get("timestamp")
    if not isinstance(stamp, dict) or stamp.get("status") != "verified":
        return None
    return CaptureTimestamp(
        tsa=stamp.get("tsa", ""),
        stamped_at=datetime.fromisoformat(stamp["stamped_at"]),
        serial_number=stamp.get("serial_number", ""),
        policy=stamp.get("policy", ""),
        digest=stamp.get("digest", ""),
        token=stamp.get("token", ""),
        token_sha256=stamp.get("token_sha256", ""),
        chain=_certificates(stamp.get("chain")),
    )


def _capture_tls(summary: dict[str, Any]) -> CaptureTLS | None:
    seen = summary.get("tls")
    if not isinstance(seen, dict):
        return None
    return CaptureTLS(
        host=seen.get("host", ""),
        protocol=seen.get("protocol", ""),
        trusted=bool(seen.get("trusted")),
        trust=seen.get("trust", ""),
        certificates=_certificates(seen.get("certificates")),
    )


def capture_file_path(capture_id: int, role: str) -> str:
    """Where a bundle's reader keeps a capture's file: by capture and role."""
    return f"captures/{capture_id}/{CAPTURE_FILES[role][0]}"


def _captures(item: EvidenceItem) -> tuple[CaptureOut, ...]:
    """The item's stored captures (prefetched: `queries.CAPTURES`)."""
    if item.kind != EvidenceKind.LINK:
        return ()
    out = []
    for capture in prefetched(item, "captures"):
        summary = capture.summary if isinstance(capture.summary, dict) else {}
        out.append(
            CaptureOut(
                id=capture.pk,
                requested_url=capture.requested_url,
                final_url=capture.final_url,
                captured_at=capture.captured_at,
                http_status=capture.http_status,
                files=tuple(
                    CaptureFileOut(
                        role=record.role,
                        path=capture_file_path(capture.pk, record.role),
                        sha256=record.sha256,
                        size_bytes=record.size_bytes,
                        mime_type=record.mime_type,
                    )
                    for record in prefetched(capture, "files")
                ),
                signature=_capture_signature(summary),
                timestamp=_capture_timestamp(summary),
                tls=_capture_tls(summary),
            )
        )
    return tuple(out)


def scene_stac(detail: ImageDetail, *, urls: ExportUrls) -> dict[str, Any] | None:
    """The STAC Item of a georeferenced image (None without a footprint): the one
    builder behind both /api/v1/evidence/{id}/stac/ and the export's ``stac_item``,
    so the two cannot differ. Reads ``detail.item`` and ``item.scene`` (loaded by
    the caller), no query."""
    record = scene_record(
        detail,
        asset_href=urls.original(detail.item_id),
        self_href=urls.stac(detail.item_id),
    )
    return scene_stac_item(record) if record is not None else None


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
        captures=_captures(item),
        stac_item=scene_stac(image, urls=urls) if image is not None else None,
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


# --- What publishers may see ----------------------------------------------------------


def public_part(
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
        # A link changed or unlinked since stays as it was until the next correction.
        [link for link in links if link.was_in_force(cutoff)],
        [e for e in estimates if e.recorded_at <= cutoff],
    )


def _visible(
    claim: Claim, *, public: bool
) -> tuple[list[ConfidenceAssessment], list[ClaimEvidence], list[QuantityEstimate]]:
    assessments = prefetched(claim, "assessments")
    links = prefetched(claim, "evidence_links")
    estimates = prefetched(claim, "quantity_estimates")
    if not public:
        return (
            assessments,
            [link for link in links if link.unlinked_at is None],
            estimates,
        )
    # Defence in depth: the prefetch already filtered these out.
    links = [link for link in links if not link.item.is_restricted]
    # The one place publishers' view of later work is cut (see public_part).
    return public_part(claim.public_cutoff, assessments, links, estimates)


# --- Claims ---------------------------------------------------------------------------


def _quantity(
    amount: Decimal | None, unit: str, bound: str, display: str
) -> Quantity | None:
    if amount is None:
        return None
    return Quantity(
        amount=decimal_text(amount), unit=unit, bound=bound, display=display
    )


def _estimate(estimate: QuantityEstimate, *, public: bool) -> QuantityEstimateOut:
    annotation = estimate.annotation
    if annotation is not None and public and annotation.item.is_restricted:
        annotation = None  # source protection: the image is never exported
    return QuantityEstimateOut(
        amount=decimal_text(estimate.amount),
        unit=estimate.unit,
        bound=estimate.bound,
        display=format_quantity(estimate.amount, estimate.unit, estimate.bound),
        source_label=estimate.source_label,
        source_url=estimate.source_url,
        source_entity=entity_ref(estimate.source_entity),
        stated_at=estimate.stated_at,
        is_current=estimate.is_current,
        # As counted: the revision the figure was made from, not a later edit.
        annotation=(
            web_annotation(annotation, revision=estimate.annotation_revision)
            if annotation is not None
            else None
        ),
    )


def _annotations(
    links: list[ClaimEvidence], *, cutoff: datetime | None, public: bool
) -> tuple[dict[str, Any], ...]:
    """The live annotations on the linked images (prefetched); for publishers
    those standing at the last publication, each as it stood then (a later change
    to its label or count, or its end, is not published until the next
    correction)."""
    if not public:
        return tuple(
            web_annotation(a)
            for link in links
            for a in prefetched(link.item, "annotations")
        )
    if cutoff is None:
        return ()
    published = []
    for link in links:
        for a in prefetched(link.item, "annotations"):
            then = [r for r in prefetched(a, "revisions") if r.at <= cutoff]
            if a.created_at <= cutoff and then and then[-1].action != "ended":
                published.append(web_annotation(a, revision=then[-1]))
    return tuple(published)


def _stated_at_key(link: ClaimEvidence) -> datetime:
    statement = getattr(link.item, "statement", None)
    if statement is not None:
        return statement.stated_at
    return link.item.observed_at or link.linked_at


def _denials(links: list[ClaimEvidence]) -> tuple[int, ...]:
    """Evidence ids of the statements denying the claim, newest first."""
    denials = sorted(
        (link for link in links if link.stance == Stance.DENIES),
        key=_stated_at_key,
        reverse=True,
    )
    return tuple(link.item_id for link in denials)


def _review_state(claim: Claim, reviews: list[Review]) -> ReviewState:
    return ReviewState(
        status=claim.status,
        published_at=claim.published_at,
        correction_note=claim.correction_note,
        corrections=tuple(
            Correction(corrected_at=r.at, note=r.comment)
            for r in reviews
            if r.decision == Decision.CORRECT
        ),
        retraction_reason=claim.retraction_reason,
    )


def _internal(
    claim: Claim,
    assessments: list[ConfidenceAssessment],
    links: list[ClaimEvidence],
    reviews: list[Review],
) -> InternalDetail:
    return InternalDetail(
        version=claim.version,
        author=claim.author.get_username(),
        last_edited_by=(
            claim.last_edited_by.get_username() if claim.last_edited_by else None
        ),
        assessed_by=tuple(a.assessed_by.get_username() for a in assessments),
        link_notes=_link_notes(links),
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
    )


def claim_export(
    claim: Claim, *, public: bool, urls: ExportUrls, as_of: datetime | None = None
) -> ClaimExport:
    """Build the export of one claim loaded through `with_export_relations`."""
    assessments, links, estimates = _visible(claim, public=public)
    history = tuple(_assessment(a, public=public) for a in assessments)
    in_force = confidence_in_force(assessments, timezone.now())
    reviews = prefetched(claim, "reviews")
    fields: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": claim.pk,
        "url": urls.claim(claim.pk),
        "team": claim.team.slug,
        "team_name": claim.team.name,
        "slug": claim.slug,
        "text": claim.text,
        "summary": claim.summary,
        "subjects": tuple(entity_ref(s) for s in prefetched(claim, "subjects")),
        "tags": tuple(tag.slug for tag in prefetched(claim, "tags")),
        "quantity": _quantity(
            claim.quantity_amount,
            claim.quantity_unit,
            claim.quantity_bound,
            claim.quantity_display,
        ),
        "quantity_estimates": tuple(_estimate(e, public=public) for e in estimates),
        "first_appearance": FirstAppearance(
            source=claim.first_appearance_source,
            entity=entity_ref(claim.first_appearance_entity),
            url=claim.first_appearance_url,
            at=claim.first_appearance_at,
        ),
        "confidence": (
            history[assessments.index(in_force)] if in_force is not None else None
        ),
        "confidence_history": history,
        "evidence": tuple(_evidence_link(link, urls=urls) for link in links),
        "denials": _denials(links),
        "relationships": _cited_relationships(
            claim, when=_public_when(claim, None) if public else None
        ),
        "annotations": _annotations(links, cutoff=claim.public_cutoff, public=public),
        "review": _review_state(claim, reviews),
        "created_at": claim.created_at,
        "updated_at": claim.updated_at,
        "as_of": as_of,
    }
    if public:
        return ClaimExport(**fields)
    return MemberClaimExport(
        **fields, internal=_internal(claim, assessments, links, reviews)
    )


def iter_claim_exports(
    claims: QuerySet[Claim],
    *,
    public: bool,
    urls: ExportUrls,
    chunk_size: int = 500,
    bulk: bool = True,
) -> Iterator[ClaimExport]:
    """Constant memory: a server-side cursor, relations loaded per chunk (from
    value rows by `queries.bulk_claims`, or by the prefetches of
    `with_export_relations` when `bulk` is off)."""
    if bulk:
        loaded = bulk_claims(claims, public=public, chunk_size=chunk_size)
    else:
        loaded = (
            with_export_relations(claims, public=public)
            .order_by("pk")
            .iterator(chunk_size=chunk_size)
        )
    for claim in loaded:
        yield claim_export(claim, public=public, urls=urls)


# --- Claims as they stood -------------------------------------------------------------


def _evidence_link(link: ClaimEvidence, *, urls: ExportUrls) -> EvidenceLink:
    return EvidenceLink(
        relation=link.relation,
        stance=link.stance,
        linked_at=link.linked_at,
        evidence=evidence_out(link.item, urls=urls),
    )


def _public_state(
    state: ClaimAsOf, cutoff: datetime | None, rows: list[ClaimEvidence]
) -> ClaimAsOf:
    """What publishers could read then: recorded by that time's last publish or
    correct decision (`cutoff`). Counted by recording, the links are those in force
    at the cutoff among all the claim's link rows (`rows`): one changed between the
    cutoff and `state.when` was still public as it was."""
    candidates = rows if state.axis == "recorded" else state.links
    assessments, links, estimates = public_part(
        cutoff, state.assessments, candidates, state.estimates
    )
    return replace(
        state,
        assessments=assessments,
        links=links,
        estimates=estimates,
        denials=sorted(
            (link for link in links if link.stance == Stance.DENIES),
            key=lambda link: happened_at(link) or link.linked_at,
            reverse=True,
        ),
        confidence=confidence_in_force(assessments, state.when),
    )


def _estimates_as_of(
    claim: Claim, current: ClaimExport, state: ClaimAsOf, *, public: bool
) -> tuple[QuantityEstimateOut, ...]:
    """The current export's estimates that `state` had, in the current order."""
    kept = {e.pk for e in state.estimates}
    sources = prefetched(claim, "quantity_estimates")
    if public:
        _, _, sources = public_part(claim.public_cutoff, [], [], sources)
    return tuple(
        out
        for out, source in zip(current.quantity_estimates, sources, strict=True)
        if source.pk in kept
    )


def link_record(link: ClaimEvidence) -> LinkRecord:
    """One version of an evidence link, as the API shows it to team members."""
    return LinkRecord(
        id=link.pk,
        evidence_id=link.item_id,
        relation=link.relation,
        stance=link.stance,
        note=link.note,
        linked_at=link.linked_at,
        linked_by=link.linked_by.get_username() if link.linked_by else None,
        reason=link.reason,
        replaces=link.replaces_id,
        unlinked_at=link.unlinked_at,
        unlinked_by=link.unlinked_by.get_username() if link.unlinked_by else None,
        unlink_reason=link.unlink_reason,
    )


def _link_notes(links: Iterable[ClaimEvidence]) -> tuple[InternalLinkNote, ...]:
    return tuple(
        InternalLinkNote(
            evidence_id=link.item_id,
            note=link.note,
            linked_by=link.linked_by.get_username() if link.linked_by else None,
        )
        for link in links
    )


def _internal_as_of(
    internal: InternalDetail, then: Any, state: ClaimAsOf
) -> InternalDetail:
    return replace(
        internal,
        version=then.version,
        assessed_by=tuple(a.assessed_by.get_username() for a in state.assessments),
        # Each link's note as it was then (a later change writes a new link row).
        link_notes=_link_notes(state.links),
        reviews=tuple(r for r in internal.reviews if r.at <= state.when),
    )


def _review_state_as_of(
    current: ReviewState, then: Any, state: ClaimAsOf
) -> ReviewState:
    return ReviewState(
        status=state.status,
        published_at=then.published_at,
        correction_note=then.correction_note,
        corrections=tuple(
            c for c in current.corrections if c.corrected_at <= state.when
        ),
        retraction_reason=then.retraction_reason,
    )


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
    if public and state.status not in PUBLIC_STATUSES:
        return None
    then = claim.history.as_of(state.when)
    current = claim_export(claim, public=public, urls=urls)
    if public:
        # Defence in depth, as in `_visible`: the prefetch already left these out.
        rows = [
            link
            for link in prefetched(claim, "evidence_links")
            if not link.item.is_restricted
        ]
        state = _public_state(state, then.public_content_at, rows)
    # state.links come from the same (for the public: filtered) prefetch, each link
    # as it was then (relation and stance before a later change).
    links = tuple(_evidence_link(link, urls=urls) for link in state.links)
    history = tuple(_assessment(a, public=public) for a in state.assessments)
    subjects, tags = claim_labels_as_of(state)
    changes: dict[str, Any] = {
        "subjects": tuple(entity_ref(s) for s in subjects),
        "tags": tuple(tag.slug for tag in tags),
        "text": state.text,
        "summary": state.summary,
        "quantity": _quantity(
            then.quantity_amount,
            then.quantity_unit,
            then.quantity_bound,
            state.quantity_display,
        ),
        "quantity_estimates": _estimates_as_of(claim, current, state, public=public),
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
        "relationships": _cited_relationships(
            claim,
            when=(
                min(then.public_content_at or claim.created_at, state.when)
                if public
                else state.when
            ),
        ),
        "annotations": tuple(
            a
            for a in current.annotations
            if datetime.fromisoformat(a["created"]) <= state.when
        ),
        "review": _review_state_as_of(current.review, then, state),
        "updated_at": then.updated_at,
        "as_of": state.when,
    }
    if isinstance(current, MemberClaimExport):
        changes["internal"] = _internal_as_of(current.internal, then, state)
    return replace(current, **changes)
