"""The export query plan: which claims a caller may read, and everything the
builders read of them, in a fixed number of queries per batch.

Everything a publisher must not see is left out here first (restricted items are
filtered in the prefetch) and again in the builders, so no renderer can leak it.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from evidence.maps.services import SCENE_FIELDS
from evidence.models import (
    AISGap,
    CaptureFile,
    EvidenceItem,
    ImageAnnotation,
    ImageAnnotationRevision,
    PortCall,
    WebCapture,
)
from provenance.claims.models import (
    Claim,
    ClaimEvidence,
    ClaimRelationship,
    ConfidenceAssessment,
    Decision,
    QuantityEstimate,
    Review,
    Tag,
)
from provenance.entities.models import Entity
from provenance.publishing.models import Publisher
from provenance.teams.models import Team


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
    "unlinked_at",
    *(f"item__{f}" for f in ITEM_COLUMNS),
    "item__created_at",
    "item__image__thumbnail",
    # What a scene's STAC Item reads (builders.scene_stac).
    "item__image__geo",
    "item__image__captured_at",
    *(f"item__scene__{f}" for f in SCENE_FIELDS),
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
ESTIMATE_COLUMNS = (
    "claim_id",
    "amount",
    "unit",
    "bound",
    "source_label",
    "source_url",
    "stated_at",
    "is_current",
    "recorded_at",
    "annotation_id",
    *(f"source_entity__{f}" for f in ENTITY_COLUMNS),
    *(
        f"annotation_revision__{f}"
        for f in ("version", "shape", "points", "label", "note", "count", "at")
    ),
)
# What an evidence item's export reads beyond its own row.
ITEM_RELATIONS = (
    "image",
    "scene",
    "ais",
    "statement__speaker",
    "statement__on_behalf_of",
)

# Prefetched relations land in plain lists (`to_attr`): Django otherwise builds a
# QuerySet per instance per relation, which costs more than the rows themselves.
PREFIX = "x_"


def prefetched(obj: Any, name: str) -> list[Any]:
    """A prefetched relation: the `to_attr` list, else the (prefetched) manager."""
    cached = getattr(obj, PREFIX + name, None)
    return cached if cached is not None else list(getattr(obj, name).all())


def _prefetch(lookup: str, queryset: QuerySet, *, to_attr: bool) -> Prefetch:
    name = lookup.rsplit("__", 1)[-1]
    return Prefetch(
        lookup, queryset=queryset, to_attr=PREFIX + name if to_attr else None
    )


def _ais_prefetches(path: str, *, to_attr: bool) -> tuple[Prefetch, Prefetch]:
    """An AIS extract's port calls and dark periods, in the order the export lists
    them; `path` leads from the queried model to the extract."""
    return (
        _prefetch(
            f"{path}__port_calls",
            PortCall.objects.select_related("port", "vessel").order_by(
                "arrival_at", "pk"
            ),
            to_attr=to_attr,
        ),
        _prefetch(
            f"{path}__gaps",
            AISGap.objects.select_related("vessel", "near_port").order_by(
                "start_at", "pk"
            ),
            to_attr=to_attr,
        ),
    )


def _capture_prefetch(path: str) -> Prefetch:
    """A link's stored captures with their files (`builders._captures`)."""
    captures = (
        WebCapture.objects.filter(captured_at__isnull=False)
        .defer("text")
        .order_by("requested_at", "pk")
        .prefetch_related(
            _prefetch("files", CaptureFile.objects.order_by("role"), to_attr=True)
        )
    )
    return _prefetch(f"{path}captures", captures, to_attr=True)


def with_evidence_relations(items: QuerySet[EvidenceItem]) -> QuerySet[EvidenceItem]:
    """Everything `evidence_item_export` reads of each item."""
    return items.select_related("team", *ITEM_RELATIONS).prefetch_related(
        *_ais_prefetches("ais", to_attr=False), _capture_prefetch("")
    )


def _links(*, public: bool) -> QuerySet[ClaimEvidence]:
    links = (
        ClaimEvidence.objects.select_related(
            "item", *(f"item__{r}" for r in ITEM_RELATIONS)
        )
        # Only the columns the export reads: model instances are the cost here.
        .only(*LINK_COLUMNS)
    )
    annotations = ImageAnnotation.objects.live().select_related("created_by")
    if public:
        # Publishers get each annotation as it stood at the last publication:
        # one ended since then was still on the image when it was published.
        annotations = ImageAnnotation.objects.select_related("created_by")
        annotations = annotations.prefetch_related(
            _prefetch(
                "revisions",
                ImageAnnotationRevision.objects.order_by("version"),
                to_attr=True,
            )
        )
    links = links.prefetch_related(
        *_ais_prefetches("item__ais", to_attr=True),
        _capture_prefetch("item__"),
        _prefetch("item__annotations", annotations, to_attr=True),
    )
    if public:
        return links.filter(item__is_restricted=False)
    return links.select_related("linked_by").only(
        *LINK_COLUMNS, "note", "linked_by__username"
    )


def with_export_relations(
    claims: QuerySet[Claim], *, public: bool, to_attr: bool = True
) -> QuerySet[Claim]:
    """Everything the export reads, in a fixed number of queries per batch.

    `public` filters restricted evidence out in the database, so it never reaches
    Python for a publisher. What the team recorded after the claim's last
    publish/correct decision is left out by the builder (`public_part`): a filter
    on the claim's column here would join the claim table into three prefetch
    queries per chunk (measured: the assessments query 1.7 ms -> 26 ms at 500
    claims) for rows that are few. `to_attr=False` prefetches the quantity
    estimates and evidence links into the relation managers instead, for code that
    reads `claim.evidence_links.all()` (claims.selectors.claim_as_of).
    """
    cited = EvidenceItem.objects.only("pk", "is_restricted")
    assessments = ConfidenceAssessment.objects.order_by(
        "effective_at", "recorded_at", "pk"
    )
    reviews = Review.objects.order_by("at", "pk")
    if public:
        cited = cited.filter(is_restricted=False)
        reviews = reviews.filter(decision=Decision.CORRECT).only(
            "pk", "claim_id", "at", "decision", "comment"
        )
    else:
        assessments = assessments.select_related("assessed_by")
        reviews = reviews.select_related("by")
    estimates = (
        QuantityEstimate.objects.select_related("source_entity", "annotation_revision")
        .only(*ESTIMATE_COLUMNS)
        .prefetch_related(
            Prefetch(
                "annotation",
                ImageAnnotation.objects.select_related("item", "created_by"),
            )
        )
    )
    claims = claims.select_related("team", "first_appearance_entity").prefetch_related(
        _prefetch("subjects", Entity.objects.only(*ENTITY_COLUMNS), to_attr=True),
        _prefetch("tags", Tag.objects.only("slug"), to_attr=True),
        _prefetch("quantity_estimates", estimates, to_attr=to_attr),
        _prefetch(
            "assessments",
            assessments.prefetch_related(
                _prefetch("evidence", cited.order_by("pk"), to_attr=True)
            ),
            to_attr=True,
        ),
        _prefetch(
            "evidence_links",
            _links(public=public).order_by("linked_at", "pk"),
            to_attr=to_attr,
        ),
        _prefetch("reviews", reviews, to_attr=True),
        _prefetch(
            "relationship_links",
            ClaimRelationship.objects.select_related(
                "relationship__source", "relationship__target"
            ).order_by("linked_at", "pk"),
            to_attr=True,
        ),
    )
    if not public:
        claims = claims.select_related("author", "last_edited_by")
    return claims
