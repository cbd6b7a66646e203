"""The export query plan: which claims a caller may read, and everything the
builders read of them, in a fixed number of queries per batch.

Everything a publisher must not see is left out here first (restricted items are
filtered in the prefetch) and again in the builders, so no renderer can leak it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Sequence
from itertools import islice
from typing import Any

from django.db import connections
from django.db.models import F, Lookup, Model, Prefetch, Q, QuerySet
from django.db.models.base import ModelState
from django.db.models.signals import post_init

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
from provenance.entities.models import Entity, Relationship
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


def _item_prefetches(path: str, *, public: bool) -> tuple[Prefetch, ...]:
    """What an exported link's item reads beyond the link query (`path` leads
    from the queried model to the item)."""
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
    return (
        *_ais_prefetches(f"{path}ais", to_attr=True),
        _capture_prefetch(path),
        _prefetch(f"{path}annotations", annotations, to_attr=True),
    )


def _link_columns(*, public: bool) -> tuple[str, ...]:
    return LINK_COLUMNS if public else (*LINK_COLUMNS, "note", "linked_by__username")


def _links(*, public: bool) -> QuerySet[ClaimEvidence]:
    links = (
        ClaimEvidence.objects.select_related(
            "item", *(f"item__{r}" for r in ITEM_RELATIONS)
        )
        # Only the columns the export reads: model instances are the cost here.
        .only(*_link_columns(public=public))
        .prefetch_related(*_item_prefetches("item__", public=public))
    )
    if public:
        return _link_filter(links, public=True)
    return links.select_related("linked_by")


def _link_filter(links: QuerySet[ClaimEvidence], *, public: bool) -> QuerySet:
    return links.filter(item__is_restricted=False) if public else links


def _assessments(*, public: bool) -> QuerySet[ConfidenceAssessment]:
    assessments = ConfidenceAssessment.objects.order_by(
        "effective_at", "recorded_at", "pk"
    )
    return assessments if public else assessments.select_related("assessed_by")


def _reviews(*, public: bool) -> QuerySet[Review]:
    reviews = Review.objects.order_by("at", "pk")
    if public:
        return reviews.filter(decision=Decision.CORRECT)
    return reviews.select_related("by")


def _review_columns(*, public: bool) -> tuple[str, ...]:
    if public:
        return ("id", "claim_id", "at", "decision", "comment")
    return (*(f.name for f in Review._meta.concrete_fields), "by__username")


def _estimate_annotation() -> Prefetch:
    return Prefetch(
        "annotation", ImageAnnotation.objects.select_related("item", "created_by")
    )


def _relationship_links() -> QuerySet[ClaimRelationship]:
    return ClaimRelationship.objects.select_related(
        "relationship__source", "relationship__target"
    ).order_by("linked_at", "pk")


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
    `bulk_claims` loads the same from value rows, for the bulk export.
    """
    cited = EvidenceItem.objects.only("pk", "is_restricted")
    if public:
        cited = cited.filter(is_restricted=False)
    reviews = _reviews(public=public)
    if public:
        reviews = reviews.only(*_review_columns(public=public))
    estimates = (
        QuantityEstimate.objects.select_related("source_entity", "annotation_revision")
        .only(*ESTIMATE_COLUMNS)
        .prefetch_related(_estimate_annotation())
    )
    claims = claims.select_related(*_claim_relations(public=public)).prefetch_related(
        _prefetch("subjects", Entity.objects.only(*ENTITY_COLUMNS), to_attr=True),
        _prefetch("tags", Tag.objects.only("slug"), to_attr=True),
        _prefetch("quantity_estimates", estimates, to_attr=to_attr),
        _prefetch(
            "assessments",
            _assessments(public=public).prefetch_related(
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
        _prefetch("relationship_links", _relationship_links(), to_attr=True),
    )
    return claims


def _claim_relations(*, public: bool) -> tuple[str, ...]:
    relations = ("team", "first_appearance_entity")
    return relations if public else (*relations, "author", "last_edited_by")


# --- The bulk export's loader ---------------------------------------------------------


def _instance(model: type[Model], values: dict[str, Any], db: str) -> Model:
    """A model instance as `Model.from_db` makes it, without `Model.__init__`,
    which walks every concrete field (`from_db` itself for a model with `post_init`
    receivers: none of the exported models has one)."""
    if model in _INITIALIZED:
        return model.from_db(db, list(values), list(values.values()))
    obj = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = db
    values["_state"] = state
    obj.__dict__ = values
    return obj


# Models whose instances must go through Model.__init__ (post_init receivers).
_INITIALIZED: set[type[Model]] = set()


class _Plan:
    """How to make instances holding only `columns` (named as `only()` names them,
    across forward and one-to-one relations) from `values_list(*plan.selected)`
    rows, each relation reached cached on both sides as `select_related` caches
    it. `key` is selected last (`_Rows` groups by it)."""

    def __init__(self, model: type[Model], columns: Sequence[str], key: str) -> None:
        # Per relation path: its model, the relation from its parent, its columns.
        nodes: dict[str, tuple[type[Model], Any, list[tuple[str, int]]]] = {
            "": (model, None, [])
        }
        selected: list[str] = []

        def node_of(path: str) -> tuple[type[Model], Any, list[tuple[str, int]]]:
            if path not in nodes:
                parent, _, name = path.rpartition("__")
                relation = node_of(parent)[0]._meta.get_field(name)
                nodes[path] = (relation.related_model, relation, [])
            return nodes[path]

        for column in (*columns, key):
            path, _, name = column.rpartition("__")
            node_model, _, fields = node_of(path)
            fields.append((node_model._meta.get_field(name).attname, len(selected)))
            selected.append(column)
        self.key_at = len(columns)
        _INITIALIZED.update(
            m for m, _, _ in nodes.values() if post_init.has_listeners(m)
        )
        self.order = sorted(nodes, key=lambda path: path.count("__") + bool(path))
        self.steps = []
        for path in self.order:
            node_model, relation, fields = nodes[path]
            pk = node_model._meta.pk.attname
            if not any(attname == pk for attname, _ in fields):
                fields.append((pk, len(selected)))
                selected.append(f"{path}__{pk}" if path else pk)
            self.steps.append(
                (
                    node_model,
                    tuple(dict(fields).items()),
                    next(i for attname, i in fields if attname == pk),
                    self.order.index(path.rpartition("__")[0]) if path else -1,
                    relation.cache_name if relation is not None else "",
                    # One-to-one: the related row caches its way back.
                    relation.remote_field.cache_name
                    if relation is not None and relation.one_to_one
                    else "",
                )
            )
        self.selected = selected

    def instance(self, row: tuple[Any, ...], db: str, path: str = "") -> Model:
        """The row's instance at `path` ("": the queried model)."""
        made: list[Any] = []
        for node_model, fields, pk_at, parent_at, name, back in self.steps:
            obj = None
            if row[pk_at] is not None:
                obj = _instance(node_model, {a: row[i] for a, i in fields}, db)
            made.append(obj)
            if parent_at >= 0 and made[parent_at] is not None:
                made[parent_at]._state.fields_cache[name] = obj
                if back and obj is not None:
                    obj._state.fields_cache[back] = made[parent_at]
        return made[self.order.index(path)] if path else made[0]


class _Rows:
    """One relation's rows for a chunk of claims, kept as the query's tuples and
    made into instances one claim at a time (`_Plan`): each claim's instances then
    die young, where a chunk's worth of them lived through the garbage collector's
    young generations and set off more full collections. `path` names the
    relation whose instances `instances` returns (an M2M's target, from the
    through rows)."""

    def __init__(
        self,
        queryset: QuerySet,
        columns: Sequence[str],
        key: str = "claim_id",
        path: str = "",
    ) -> None:
        self.plan = _Plan(queryset.model, columns, key)
        self.db = queryset.db
        self.path = path
        self.rows: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
        key_at = self.plan.key_at
        for row in queryset.values_list(*self.plan.selected):
            self.rows[row[key_at]].append(row)

    def instances(self, key: Any) -> list[Model]:
        plan, db, path = self.plan, self.db, self.path
        return [plan.instance(row, db, path) for row in self.rows.get(key, ())]

    def values(self, column: str) -> set[Any]:
        """A selected column's values in all rows, without None."""
        at = self.plan.selected.index(column)
        return {row[at] for rows in self.rows.values() for row in rows} - {None}


class _Any(Lookup):
    """`lhs = ANY(%s)`, the ids as one array parameter (PostgreSQL)."""

    lookup_name = "any"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", [*params, list(self.rhs)]


def _among(column: str, ids: Collection[Any], db: str) -> Q | Lookup:
    """`column IN ids`; on PostgreSQL as one array parameter: Django and psycopg
    handle an IN list value by value, which cost the bulk export about a tenth of
    its time (measured on bench/export.py's data, 29,000 ids per 2,000 claims)."""
    if not ids or connections[db].vendor != "postgresql":
        # No ids: Django skips the query, as a prefetch over no rows does.
        return Q(**{f"{column}__in": ids})
    return _Any(F(column), ids)


def _nested(
    prefetch: Prefetch, links: _Rows
) -> tuple[str, str, str, dict[Any, list[Model]]]:
    """What one of `_item_prefetches` (reverse foreign keys from an item, or from a
    relation of it) loads for the items of `links`: (the relation's path, the
    `to_attr`, the foreign key's cache name, rows by owner id)."""
    path, _, name = prefetch.prefetch_through.rpartition("__")
    owner = EvidenceItem
    for step in filter(None, path.split("__")):
        owner = owner._meta.get_field(step).related_model
    fk = owner._meta.get_field(name).field
    ids = links.values(f"item__{path}__id" if path else "item_id")
    of: dict[Any, list[Model]] = defaultdict(list)
    if ids:
        for row in prefetch.queryset.filter(_among(fk.attname, ids, links.db)):
            of[getattr(row, fk.attname)].append(row)
    return path, prefetch.to_attr, fk.cache_name, of


def _assessment_columns(*, public: bool) -> list[str]:
    columns = [f.name for f in ConfidenceAssessment._meta.concrete_fields]
    return columns if public else [*columns, "assessed_by__username"]


def _all_columns(model: type[Model], path: str) -> list[str]:
    return [f"{path}{f.name}" for f in model._meta.concrete_fields]


def _claim_columns(*, public: bool) -> list[str]:
    """What `with_export_relations` selects of a claim (the entity as its export
    reads it, the users by name)."""
    columns = [
        *_all_columns(Claim, ""),
        *_all_columns(Team, "team__"),
        *(f"first_appearance_entity__{f}" for f in ENTITY_COLUMNS),
    ]
    if public:
        return columns
    return [*columns, "author__username", "last_edited_by__username"]


def _relationship_link_columns() -> list[str]:
    return [
        *_all_columns(ClaimRelationship, ""),
        *_all_columns(Relationship, "relationship__"),
        *_all_columns(Entity, "relationship__source__"),
        *_all_columns(Entity, "relationship__target__"),
    ]


def bulk_claims(
    claims: QuerySet[Claim], *, public: bool, chunk_size: int
) -> Iterator[Claim]:
    """The claims in id order, each loaded as `with_export_relations` loads it, in
    the same queries per chunk (a server-side cursor for the claims), from value
    rows.

    Bespoke (measured on bench/export.py's data, 2,000 claims streamed: 1.60 s
    -> 0.90 s, two full garbage collections -> one): Django's prefetch machinery
    and model instances cost more than the queries. Off switch: `bulk=False` in
    `builders.iter_claim_exports`; tests compare the two."""
    plan = _Plan(Claim, _claim_columns(public=public), "id")
    db = claims.db
    rows = (
        claims.order_by("pk")
        .values_list(*plan.selected)
        .iterator(chunk_size=chunk_size)
    )
    while chunk := list(islice(rows, chunk_size)):
        ids = [row[plan.key_at] for row in chunk]
        attach = _load_bulk_relations(ids, public=public, db=db)
        # Let each claim go once built (see _Rows).
        chunk.reverse()
        while chunk:
            claim = plan.instance(chunk.pop(), db)
            attach(claim)
            yield claim


def _load_bulk_relations(
    ids: list[int], *, public: bool, db: str
) -> Callable[[Claim], None]:
    """For a chunk of claims, load what `with_export_relations` prefetches, in the
    same queries; the function returned puts it on one claim as those prefetches
    would."""
    Subject = Claim.subjects.through
    subjects = _Rows(
        Subject.objects.filter(_among("claim_id", ids, db)).order_by(
            *(f"entity__{f}" for f in Entity._meta.ordering)
        ),
        ("entity__id", *(f"entity__{f}" for f in ENTITY_COLUMNS)),
        path="entity",
    )
    Tagged = Claim.tags.through
    tags = _Rows(
        Tagged.objects.filter(_among("claim_id", ids, db)).order_by(
            *(f"tag__{f}" for f in Tag._meta.ordering)
        ),
        ("tag__id", "tag__slug"),
        path="tag",
    )
    estimates = _Rows(
        QuantityEstimate.objects.filter(_among("claim_id", ids, db)), ESTIMATE_COLUMNS
    )
    annotation_ids = estimates.values("annotation_id")
    annotations = (
        {a.pk: a for a in _estimate_annotation().queryset.filter(pk__in=annotation_ids)}
        if annotation_ids
        else {}
    )
    assessments = _Rows(
        _assessments(public=public).filter(_among("claim_id", ids, db)),
        _assessment_columns(public=public),
    )
    cited = ConfidenceAssessment.evidence.through.objects.filter(
        _among("confidenceassessment_id", assessments.values("id"), db)
    )
    if public:
        cited = cited.filter(evidenceitem__is_restricted=False)
    cited_by: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for assessment_id, item_id, is_restricted in cited.order_by(
        "evidenceitem_id"
    ).values_list(
        "confidenceassessment_id", "evidenceitem_id", "evidenceitem__is_restricted"
    ):
        cited_by[assessment_id].append((item_id, is_restricted))
    links = _Rows(
        _link_filter(
            ClaimEvidence.objects.filter(_among("claim_id", ids, db)), public=public
        ).order_by("linked_at", "pk"),
        _link_columns(public=public),
    )
    # Per item (or its AIS extract): its captures, annotations, port calls, gaps.
    nested = [_nested(p, links) for p in _item_prefetches("", public=public)]
    reviews = _Rows(
        _reviews(public=public).filter(_among("claim_id", ids, db)),
        _review_columns(public=public),
    )
    relationship_links = _Rows(
        _relationship_links().filter(_among("claim_id", ids, db)),
        _relationship_link_columns(),
    )

    def attach(claim: Claim) -> None:
        setattr(claim, PREFIX + "subjects", subjects.instances(claim.pk))
        setattr(claim, PREFIX + "tags", tags.instances(claim.pk))
        made = estimates.instances(claim.pk)
        for estimate in made:
            estimate._state.fields_cache["annotation"] = annotations.get(
                estimate.annotation_id
            )
        setattr(claim, PREFIX + "quantity_estimates", made)
        made = assessments.instances(claim.pk)
        for assessment in made:
            setattr(
                assessment,
                PREFIX + "evidence",
                [
                    _instance(EvidenceItem, {"id": pk, "is_restricted": restricted}, db)
                    for pk, restricted in cited_by.get(assessment.pk, ())
                ],
            )
        setattr(claim, PREFIX + "assessments", made)
        made = links.instances(claim.pk)
        for link in made:
            for path, to_attr, back, of in nested:
                owner = link.item
                if path:
                    owner = owner._state.fields_cache[path]
                if owner is None:
                    continue
                rows = of.get(owner.pk, [])
                for row in rows:
                    row._state.fields_cache[back] = owner
                setattr(owner, to_attr, rows)
        setattr(claim, PREFIX + "evidence_links", made)
        setattr(claim, PREFIX + "reviews", reviews.instances(claim.pk))
        setattr(
            claim, PREFIX + "relationship_links", relationship_links.instances(claim.pk)
        )

    return attach
