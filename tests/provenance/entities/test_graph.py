"""The graph around an entity (entities.selectors.entity_graph) on both time axes,
and its drawing (entities.graph_svg, pure)."""

from datetime import UTC, date, datetime
from xml.etree import ElementTree

import pytest

from provenance.entities import selectors, services
from provenance.entities.graph import Graph, GraphEdge, GraphNode
from provenance.entities.graph_svg import render_graph_svg
from provenance.entities.models import EntityKind
from tests.factories import EntityFactory

SVG = "{http://www.w3.org/2000/svg}"
RECORDED_1 = datetime(2023, 3, 1, 9, tzinfo=UTC)
SOLD_RECORDED = datetime(2023, 9, 1, 9, tzinfo=UTC)


@pytest.fixture
def story(team, reporter):
    """A ship owned by Old Owner from 2019; sold to New Owner in June 2023 (the
    team learns it on 1 September 2023); New Owner's director a person."""
    ship = EntityFactory(team=team, name="Ship", kind=EntityKind.VESSEL)
    old = EntityFactory(team=team, name="Old Owner")
    new = EntityFactory(team=team, name="New Owner")
    director = EntityFactory(team=team, name="A. Director", kind=EntityKind.PERSON)
    first = services.relationship_create(
        team=team,
        actor=reporter,
        kind="registered_owner",
        source_id=old.pk,
        target_id=ship.pk,
        start_date=date(2019, 1, 1),
        start_precision="year",
        at=RECORDED_1,
    )
    services.relationship_end(
        relationship_id=first.pk,
        actor=reporter,
        end_date=date(2023, 6, 1),
        end_precision="month",
        reason="Sold",
        at=SOLD_RECORDED,
    )
    second = services.relationship_create(
        team=team,
        actor=reporter,
        kind="registered_owner",
        source_id=new.pk,
        target_id=ship.pk,
        start_date=date(2023, 7, 1),
        start_precision="month",
        at=SOLD_RECORDED,
    )
    services.relationship_create(
        team=team,
        actor=reporter,
        kind="director",
        source_id=director.pk,
        target_id=new.pk,
        at=SOLD_RECORDED,
    )
    return {"ship": ship, "old": old, "new": new, "first": first, "second": second}


def _names(graph):
    return sorted(node.name for node in graph.nodes)


def test_as_recorded_before_the_sale_the_old_owner_holds_the_ship(team, story):
    found = selectors.entity_graph(
        team=team, entity=story["ship"], known_at=datetime(2023, 8, 1, tzinfo=UTC)
    )
    assert _names(found.graph) == ["Old Owner", "Ship"]
    [edge] = found.graph.edges
    # As the team knew it then: open-ended, in force on 1 August.
    assert (edge.span, edge.is_in_force) == ("since 2019", True)
    [section] = found.sections
    assert section.title == "Owners"
    assert [(row.other.name, row.label) for row in section.rows] == [
        ("Old Owner", "Registered owner")
    ]


def test_as_recorded_after_the_sale_both_owners_and_the_second_hop(team, story):
    found = selectors.entity_graph(
        team=team, entity=story["ship"], known_at=datetime(2023, 9, 2, tzinfo=UTC)
    )
    assert _names(found.graph) == ["A. Director", "New Owner", "Old Owner", "Ship"]
    spans = {e.id: (e.span, e.is_in_force) for e in found.graph.edges}
    assert spans[story["first"].pk] == ("2019 – June 2023", False)
    assert spans[story["second"].pk] == ("since July 2023", True)
    director = next(n for n in found.graph.nodes if n.name == "A. Director")
    assert (director.hop, director.via) == (2, story["new"].pk)


def test_one_hop_leaves_the_director_out(team, story):
    found = selectors.entity_graph(team=team, entity=story["ship"], hops=1)
    assert _names(found.graph) == ["New Owner", "Old Owner", "Ship"]


def test_as_it_was_in_may_2023_the_old_owner_only(team, story):
    found = selectors.entity_graph(
        team=team, entity=story["ship"], valid_on=date(2023, 5, 31)
    )
    assert _names(found.graph) == ["Old Owner", "Ship"]
    found = selectors.entity_graph(
        team=team, entity=story["ship"], valid_on=date(2023, 7, 15)
    )
    assert _names(found.graph) == ["A. Director", "New Owner", "Ship"]


def test_before_anything_was_recorded_the_graph_is_empty(team, story):
    found = selectors.entity_graph(
        team=team, entity=story["ship"], known_at=datetime(2023, 2, 1, tzinfo=UTC)
    )
    assert found.graph.is_empty
    assert [n.name for n in found.graph.nodes] == ["Ship"]


def test_another_teams_edges_never_appear(team, other_team, reporter, story):
    outsider = EntityFactory(team=other_team, name="Outsider")
    found = selectors.entity_graph(team=other_team, entity=outsider)
    assert found.graph.is_empty
    found = selectors.entity_graph(team=team, entity=story["ship"])
    assert "Outsider" not in _names(found.graph)


def test_a_company_page_lists_its_fleet_and_officers(team, story):
    found = selectors.entity_graph(team=team, entity=story["new"])
    assert [(s.title, [r.other.name for r in s.rows]) for s in found.sections] == [
        ("Officers and representatives", ["A. Director"]),
        ("Fleet and holdings", ["Ship"]),
    ]


# --- the drawing ----------------------------------------------------------------------


def _graph() -> Graph:
    nodes = (
        GraphNode(1, "Maria", "vessel", "/entities/maria/", "maria", 0),
        GraphNode(2, "Azia <Holdings>", "organization", "/entities/azia/", "azia", 1),
        GraphNode(3, "Moscow firm", "organization", "/entities/m/", "m", 2, via=2),
    )
    edges = (
        GraphEdge(10, 2, 1, "registered_owner", "Registered owner", "since 2022", True),
        GraphEdge(11, 2, 3, "linked_to", "Linked to", "dates unknown", False),
        GraphEdge(
            12, 3, 1, "operator", "Operator", "since 2023", True, is_imported=True
        ),
    )
    return Graph(center_id=1, nodes=nodes, edges=edges)


def test_svg_is_valid_xml_with_every_node_and_edge():
    svg = render_graph_svg(_graph(), title="Relationships of Maria")
    root = ElementTree.fromstring(svg)
    assert root.find(f"{SVG}title").text == "Relationships of Maria"
    nodes = root.findall(f".//{SVG}a")
    assert [a.get("data-node") for a in nodes] == ["1", "2", "3"]
    assert [a.get("href") for a in nodes] == [
        "/entities/maria/",
        "/entities/azia/",
        "/entities/m/",
    ]
    assert nodes[1].find(f"{SVG}title").text == "Azia <Holdings> (organization)"
    edges = {g.get("data-edge"): g for g in root.iter(f"{SVG}g")}
    assert sorted(edges) == ["10", "11", "12"]
    assert edges["10"].find(f"{SVG}title").text == "Registered owner (since 2022)"
    assert edges["11"].find(f"{SVG}line").get("stroke-dasharray") == "6 4"
    assert edges["12"].find(f"{SVG}line").get("stroke-dasharray") == "2 3"
    assert edges["12"].find(f"{SVG}title").text == "Operator (since 2023), imported"
    assert edges["10"].find(f"{SVG}line").get("marker-end") == "url(#arrow-ownership)"
    desc = root.find(f"{SVG}desc").text
    assert desc.startswith("3 entities, 3 relationships. ")
    assert (
        "Azia <Holdings> — Linked to — Moscow firm (dates unknown, not in force)"
        in (desc)
    )


def test_svg_escapes_names_and_says_when_empty():
    graph = Graph(
        center_id=1,
        nodes=(GraphNode(1, 'A "&" B', "person", "/e/a/", "a", 0),),
        edges=(),
    )
    svg = render_graph_svg(graph, title="x")
    ElementTree.fromstring(svg)
    assert '<title>A "&amp;" B (person)</title>' in svg
    assert "No relationships recorded." in svg


def test_the_same_graph_draws_the_same_svg():
    assert render_graph_svg(_graph(), title="t") == render_graph_svg(
        _graph(), title="t"
    )


def test_a_graph_beyond_the_drawing_limit_says_how_many_are_left_out(
    team, reporter, story, monkeypatch
):
    monkeypatch.setattr(selectors, "MAX_NODES_DRAWN", 2)
    found = selectors.entity_graph(team=team, entity=story["ship"])
    assert len(found.graph.nodes) == 2
    assert found.graph.left_out == 1
    assert "1 more not drawn" in render_graph_svg(found.graph, title="t")
