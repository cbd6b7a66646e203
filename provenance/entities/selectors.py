"""Reads of entities for the entity pages, scoped to the team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from provenance.entities.graph import Graph, GraphEdge, GraphNode, Section, sections_for
from provenance.entities.models import (
    INVERSE_LABELS,
    OUTWARD_LABELS,
    DatasetImport,
    Entity,
    Relationship,
    RelationshipKind,
    ScreeningCandidate,
    ScreeningStatus,
)
from provenance.teams.models import Team


def entity_list(
    *, team: Team, text: str = "", kind: str = "", keep: Q | None = None
) -> QuerySet[Entity]:
    """`keep`: what the shared subject and tag filters leave (common.filters)."""
    entities = Entity.objects.for_team(team).search(text)
    if kind:
        entities = entities.of_kind(kind)
    if keep is not None:
        entities = entities.filter(keep)
    return entities.order_by("kind", "name")


def entity_for_page(*, team: Team, slug: str) -> Entity:
    try:
        return (
            Entity.objects.for_team(team)
            .prefetch_related("past_identities", "sanctions")
            .get(slug=slug)
        )
    except Entity.DoesNotExist as exc:
        raise Http404("No such entity in your team.") from exc


# --- The ownership graph --------------------------------------------------------------

# Bounds on what one page reads and draws, whatever the team has recorded.
MAX_EDGES_PER_HOP = 200
MAX_NODES_DRAWN = 40


@dataclass(frozen=True)
class EntityGraph:
    """The graph around one entity at a moment, and the rows its page lists."""

    graph: Graph
    relationships: list[Relationship]  # every edge drawn, as known at the moment
    sections: list[Section]

    @property
    def own(self) -> list[Relationship]:
        """The centre's own edges (the first hop)."""
        centre = self.graph.center_id
        return [r for r in self.relationships if centre in (r.source_id, r.target_id)]


def relationships_known(
    *, team: Team, entity_ids: set[int], known_at: datetime | None = None
) -> list[Relationship]:
    """The team's edges touching `entity_ids`: as they stand now, or as the team
    had recorded them by `known_at` (recording time, from their history). At most
    MAX_EDGES_PER_HOP, oldest first."""
    touching = Q(source_id__in=entity_ids) | Q(target_id__in=entity_ids)
    if known_at is None:
        rows = Relationship.objects.for_team(team).filter(touching)
    else:
        rows = (
            Relationship.history.filter(team_id=team.pk, history_date__lte=known_at)
            .filter(touching)
            .latest_of_each()
            .as_instances()
        )
    return list(rows.order_by("recorded_at", "id")[:MAX_EDGES_PER_HOP])


def entity_graph(
    *,
    team: Team,
    entity: Entity,
    hops: int = 2,
    known_at: datetime | None = None,
    valid_on: date | None = None,
    today: date | None = None,
) -> EntityGraph:
    """The graph around `entity`, one or two hops out: the edges as known at
    `known_at` (None: now), and of those only the ones in force on `valid_on`
    (None: all, the ended ones marked). At most three queries whatever the size:
    each hop, then the entities drawn."""
    day = valid_on or (
        known_at.date() if known_at else (today or timezone.now().date())
    )
    kept: dict[int, Relationship] = {}
    via: dict[int, int | None] = {entity.pk: None}
    hop_of: dict[int, int] = {entity.pk: 0}
    frontier = {entity.pk}
    left_out: set[int] = set()  # entities reached but beyond MAX_NODES_DRAWN
    for hop in range(1, max(1, min(hops, 2)) + 1):
        found = relationships_known(team=team, entity_ids=frontier, known_at=known_at)
        reached: set[int] = set()
        for rel in found:
            if rel.pk in kept or (valid_on and not rel.is_valid_on(valid_on)):
                continue
            for near, far in (
                (rel.source_id, rel.target_id),
                (rel.target_id, rel.source_id),
            ):
                if near in frontier and far not in hop_of:
                    if len(hop_of) >= MAX_NODES_DRAWN:
                        left_out.add(far)
                        continue
                    hop_of[far] = hop
                    via[far] = near if hop == 2 else None
                    reached.add(far)
            if rel.source_id in hop_of and rel.target_id in hop_of:
                kept[rel.pk] = rel
        frontier = reached
        if not frontier:
            break
    entities = {entity.pk: entity}
    others = [pk for pk in hop_of if pk != entity.pk]
    if others:
        entities.update(
            (e.pk, e)
            for e in Entity.objects.for_team(team)
            .filter(pk__in=others)
            .only("id", "name", "kind", "slug")
        )
    nodes = tuple(
        GraphNode(
            id=pk,
            name=entities[pk].name,
            kind=entities[pk].kind,
            url=entities[pk].get_absolute_url(),
            slug=entities[pk].slug,
            hop=hop_of[pk],
            via=via[pk],
        )
        for pk in hop_of
        if pk in entities
    )
    relationships = list(kept.values())
    edges = tuple(
        GraphEdge(
            id=rel.pk,
            source_id=rel.source_id,
            target_id=rel.target_id,
            kind=rel.kind,
            label=RelationshipKind(rel.kind).label,
            span=rel.span_display,
            is_in_force=rel.is_valid_on(day),
            confidence=rel.confidence,
            is_imported=rel.is_imported,
        )
        for rel in relationships
    )
    graph = Graph(
        center_id=entity.pk,
        nodes=nodes,
        edges=edges,
        known_at=known_at,
        valid_on=valid_on,
        left_out=len(left_out),
    )
    sections = sections_for(
        graph,
        relationships,
        inward_labels=INVERSE_LABELS,
        outward_labels=OUTWARD_LABELS,
    )
    return EntityGraph(graph=graph, relationships=relationships, sections=sections)


def relationship_for_team(*, team: Team, relationship_id: int) -> Relationship:
    try:
        return (
            Relationship.objects.for_team(team)
            .select_related("source", "target", "recorded_by")
            .get(pk=relationship_id)
        )
    except Relationship.DoesNotExist as exc:
        raise Http404("No such relationship in your team.") from exc


def dataset_imports(*, team: Team) -> QuerySet[DatasetImport]:
    return (
        DatasetImport.objects.filter(team=team)
        .select_related("imported_by")
        .order_by("-pk")
    )


def screening_candidates(
    *, team: Team, status: str = "proposed"
) -> QuerySet[ScreeningCandidate]:
    """The team's candidates in one status (all when the status is unknown), best
    score first, with what their rows show."""
    candidates = ScreeningCandidate.objects.for_team(team).select_related(
        "entity", "record__entity", "proposed_in", "decided_in", "decided_by"
    )
    if status in ScreeningStatus.values:
        candidates = candidates.filter(status=status)
    return candidates.order_by("-score", "pk")
