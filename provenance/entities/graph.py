"""The ownership graph around one entity, as plain values: nodes, edges and the
sections an entity page lists ("Owners", "Fleet", "Officers"…). Pure: no ORM; the
selectors build these from the relationships as known at a moment
(entities.selectors.entity_graph) and graph_svg draws them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

OWNERSHIP = ("registered_owner", "beneficial_owner")
MANAGEMENT = ("ship_manager", "operator")
OFFICERS = ("director", "officer", "representative")
KIND_GROUP = {
    **dict.fromkeys(OWNERSHIP, "ownership"),
    **dict.fromkeys(MANAGEMENT, "management"),
    **dict.fromkeys(OFFICERS, "officers"),
    "parent": "parent",
    "linked_to": "linked",
}


@dataclass(frozen=True)
class GraphNode:
    id: int
    name: str
    kind: str  # entity kind
    url: str
    slug: str
    hop: int  # 0 for the entity the page is about
    via: int | None = None  # the hop-1 node a hop-2 node hangs from


@dataclass(frozen=True)
class GraphEdge:
    id: int
    source_id: int
    target_id: int
    kind: str
    label: str
    span: str
    is_in_force: bool
    confidence: str = ""
    is_imported: bool = False

    @property
    def group(self) -> str:
        return KIND_GROUP.get(self.kind, "linked")


@dataclass(frozen=True)
class Graph:
    center_id: int
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    known_at: datetime | None = None  # recording time: as the team knew it then
    valid_on: date | None = None  # validity time: the edges in force that day
    left_out: int = 0  # nodes beyond the drawing's limit

    def node(self, node_id: int) -> GraphNode:
        return next(n for n in self.nodes if n.id == node_id)

    @property
    def is_empty(self) -> bool:
        return not self.edges


@dataclass
class Section:
    """One list on an entity page: a title and the edges it holds, oldest first."""

    key: str
    title: str
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class Row:
    relationship: Any  # the Relationship (as known at the moment shown)
    other: GraphNode
    label: str
    is_in_force: bool


# (direction, group) -> (section key, title). "in": the entity is the target.
SECTION_TITLES = {
    ("in", "ownership"): ("owners", "Owners"),
    ("in", "management"): ("managers", "Managers and operators"),
    ("in", "officers"): ("officers", "Officers and representatives"),
    ("in", "parent"): ("parents", "Parent companies"),
    ("out", "ownership"): ("fleet", "Fleet and holdings"),
    ("out", "management"): ("managed", "Manages or operates"),
    ("out", "officers"): ("positions", "Positions held"),
    ("out", "parent"): ("subsidiaries", "Subsidiaries"),
    ("in", "linked"): ("linked", "Linked to"),
    ("out", "linked"): ("linked", "Linked to"),
}
SECTION_ORDER = (
    "owners",
    "managers",
    "parents",
    "officers",
    "fleet",
    "managed",
    "subsidiaries",
    "positions",
    "linked",
)


def sections_for(
    graph: Graph,
    relationships: Iterable[Any],
    *,
    inward_labels: dict[str, str],
    outward_labels: dict[str, str],
) -> list[Section]:
    """The centre entity's own edges grouped for its page, in SECTION_ORDER; each
    section's rows by start date (unknown first), then id. `relationships` carry
    `pk`, `source_id`, `target_id`, `kind`, `start_date`."""
    edges = {edge.id: edge for edge in graph.edges}
    nodes = {node.id: node for node in graph.nodes}
    sections: dict[str, Section] = {}
    ordered = sorted(relationships, key=lambda r: (r.start_date or date.min, r.pk))
    for rel in ordered:
        edge = edges.get(rel.pk)
        if edge is None or graph.center_id not in (rel.source_id, rel.target_id):
            continue
        inward = rel.target_id == graph.center_id
        other = nodes[rel.source_id if inward else rel.target_id]
        key, title = SECTION_TITLES[("in" if inward else "out", edge.group)]
        labels = inward_labels if inward else outward_labels
        section = sections.setdefault(key, Section(key, title))
        section.rows.append(
            Row(rel, other, labels.get(rel.kind, rel.kind), edge.is_in_force)
        )
    return [sections[key] for key in SECTION_ORDER if key in sections]
