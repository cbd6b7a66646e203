"""The ownership graph around one entity as one server-drawn SVG: no JavaScript,
no network, valid XML. Pure: takes a graph.Graph, returns markup.

The entity sits in the middle, its direct neighbours on a ring around it, their
neighbours (the second hop) on an outer ring beside the neighbour they hang from.
Every edge is an arrow from source to target ("owner -> vessel") labelled with its
kind; an edge not in force at the moment shown is dashed, an imported one dotted.
Every node links to its entity page and carries a <title> for hover and screen
readers."""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from provenance.entities.graph import Graph, GraphEdge, GraphNode

# The canvas the layout works in; the drawing is cropped to what it uses.
WIDTH, HEIGHT = 1000, 720
NODE_W, NODE_H = 172, 38
RING_1, RING_2 = 150, 290
PAD = 14
GROUP_COLOURS = {
    "ownership": "#1f5fbf",
    "management": "#3f6f4f",
    "officers": "#5b2a8c",
    "parent": "#8a5a00",
    "linked": "#5b6475",
}
KIND_FILLS = {
    "vessel": "#e6f0fb",
    "organization": "#f3f5f9",
    "person": "#f6eefb",
    "government": "#fbf3e6",
    "port": "#e9f5ec",
    "facility": "#e9f5ec",
}


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(text: str, limit: int = 22) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def layout(graph: Graph) -> dict[int, tuple[float, float]]:
    """Node id -> centre point. Hop-1 nodes evenly on the inner ring (in id
    order, so the drawing is stable); hop-2 nodes fanned out beside their parent
    on the outer ring."""
    cx, cy = WIDTH / 2, HEIGHT / 2
    points = {graph.center_id: (cx, cy)}
    first = sorted((n for n in graph.nodes if n.hop == 1), key=lambda n: n.id)
    angles: dict[int, float] = {}
    for index, node in enumerate(first):
        angle = -math.pi / 2 + 2 * math.pi * index / max(len(first), 1)
        angles[node.id] = angle
        points[node.id] = _on_ellipse(cx, cy, RING_1, angle)
    second = sorted((n for n in graph.nodes if n.hop == 2), key=lambda n: n.id)
    by_parent: dict[int | None, list[GraphNode]] = {}
    for node in second:
        by_parent.setdefault(node.via, []).append(node)
    step = (2 * math.pi / max(len(first), 1)) / 2
    for parent, children in by_parent.items():
        base = angles.get(parent, 0.0) if parent is not None else 0.0
        spread = min(step, 0.35 * len(children))
        for index, node in enumerate(children):
            offset = 0.0
            if len(children) > 1:
                offset = -spread / 2 + spread * index / (len(children) - 1)
            points[node.id] = _on_ellipse(cx, cy, RING_2, base + offset)
    return points


def _on_ellipse(
    cx: float, cy: float, radius: float, angle: float
) -> tuple[float, float]:
    # Wider than tall: the boxes are wide, the page is wide.
    return cx + radius * 1.45 * math.cos(angle), cy + radius * 0.75 * math.sin(angle)


def _bounds(
    points: dict[int, tuple[float, float]],
) -> tuple[float, float, float, float]:
    """The box (x, y, width, height) the nodes use, with room for the labels."""
    xs = [x for x, _ in points.values()]
    ys = [y for _, y in points.values()]
    left = min(xs) - NODE_W / 2 - PAD
    top = min(ys) - NODE_H / 2 - PAD
    width = max(xs) - min(xs) + NODE_W + 2 * PAD
    height = max(ys) - min(ys) + NODE_H + 2 * PAD + 24
    if width < 420:
        left, width = (min(xs) + max(xs)) / 2 - 210, 420
    return left, top, width, height


def _clip(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float]:
    """Where the segment from (x1, y1) to the centre (x2, y2) of a node box meets
    the box's border (so the arrowhead shows)."""
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return x2, y2
    half_w, half_h = NODE_W / 2 + 3, NODE_H / 2 + 3
    t = min(
        half_w / abs(dx) if dx else math.inf,
        half_h / abs(dy) if dy else math.inf,
    )
    return x2 - dx * t, y2 - dy * t


def _edge(edge: GraphEdge, points: dict[int, tuple[float, float]]) -> str:
    x1, y1 = points[edge.source_id]
    x2, y2 = points[edge.target_id]
    sx, sy = _clip(x2, y2, x1, y1)
    tx, ty = _clip(x1, y1, x2, y2)
    colour = GROUP_COLOURS.get(edge.group, GROUP_COLOURS["linked"])
    dash = ""
    if not edge.is_in_force:
        dash = ' stroke-dasharray="6 4" opacity="0.6"'
    elif edge.is_imported:
        dash = ' stroke-dasharray="2 3"'
    tip = f"{edge.label} ({edge.span})"
    if edge.is_imported:
        tip += ", imported"
    if not edge.is_in_force:
        tip += ", not in force"
    mx, my = (sx + tx) / 2, (sy + ty) / 2
    return (
        f'<g class="edge edge-{edge.group}" data-edge="{edge.id}">'
        f"<title>{escape(tip)}</title>"
        f'<line x1="{_num(sx)}" y1="{_num(sy)}" x2="{_num(tx)}" y2="{_num(ty)}" '
        f'stroke="{colour}" stroke-width="1.8"{dash} '
        f'marker-end="url(#arrow-{edge.group})"/>'
        f'<text x="{_num(mx)}" y="{_num(my - 4)}" text-anchor="middle" '
        f'font-size="11" fill="{colour}" stroke="#fff" stroke-width="3" '
        f'paint-order="stroke">{escape(_short(edge.label, 26))}</text></g>'
    )


def _node(node: GraphNode, point: tuple[float, float], *, is_center: bool) -> str:
    x, y = point
    fill = KIND_FILLS.get(node.kind, "#f3f5f9")
    stroke = "#1b2233" if is_center else "#8a93a6"
    weight = "2.5" if is_center else "1.2"
    return (
        f'<a href={quoteattr(node.url)} class="node node-{escape(node.kind)}" '
        f'data-node="{node.id}"><title>{escape(node.name)} ({escape(node.kind)})'
        f"</title>"
        f'<rect x="{_num(x - NODE_W / 2)}" y="{_num(y - NODE_H / 2)}" '
        f'width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="{weight}"/>'
        f'<text x="{_num(x)}" y="{_num(y - 4)}" text-anchor="middle" font-size="10" '
        f'fill="#5b6475">{escape(node.kind)}</text>'
        f'<text x="{_num(x)}" y="{_num(y + 11)}" text-anchor="middle" font-size="13" '
        f'font-weight="{"700" if is_center else "500"}" fill="#1b2233">'
        f"{escape(_short(node.name))}</text></a>"
    )


def render_graph_svg(graph: Graph, *, title: str) -> str:
    points = layout(graph)
    left, top, width, height = _bounds(points)
    if graph.is_empty:
        height += 40
    box = " ".join(_num(v) for v in (left, top, width, height))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{box}" '
        f'width="{_num(width)}" height="{_num(height)}" role="img" '
        'aria-labelledby="graph-title graph-desc" '
        'font-family="system-ui, sans-serif" '
        f'class="entity-graph{" is-wide" if width > 620 else ""}">',
        f'<title id="graph-title">{escape(title)}</title>',
        f'<desc id="graph-desc">{escape(_description(graph))}</desc>',
        "<defs>",
    ]
    for group, colour in GROUP_COLOURS.items():
        parts.append(
            f'<marker id="arrow-{group}" viewBox="0 0 10 10" refX="9" refY="5" '
            'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
    parts.append("</defs>")
    if graph.is_empty:
        parts.append(
            f'<text x="{WIDTH / 2:.0f}" y="{HEIGHT / 2 + 50:.0f}" '
            'text-anchor="middle" font-size="13" fill="#5b6475">'
            "No relationships recorded.</text>"
        )
    for edge in graph.edges:
        if edge.source_id in points and edge.target_id in points:
            parts.append(_edge(edge, points))
    for node in sorted(graph.nodes, key=lambda n: (n.hop, n.id)):
        if node.id in points:
            parts.append(_node(node, points[node.id], is_center=node.hop == 0))
    if graph.left_out:
        parts.append(
            f'<text x="{_num(left + width - 6)}" y="{_num(top + height - 6)}" '
            'text-anchor="end" font-size="11" fill="#5b6475">'
            f"{graph.left_out} more not drawn</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _description(graph: Graph) -> str:
    names = {node.id: node.name for node in graph.nodes}
    lines = [
        f"{names.get(e.source_id, '?')} — {e.label} — {names.get(e.target_id, '?')}"
        f" ({e.span}{'' if e.is_in_force else ', not in force'})"
        for e in graph.edges
    ]
    when = []
    if graph.known_at:
        when.append(f"as recorded by {graph.known_at:%d %b %Y}")
    if graph.valid_on:
        when.append(f"in force on {graph.valid_on:%d %b %Y}")
    head = f"{len(graph.nodes)} entities, {len(graph.edges)} relationships"
    if when:
        head += " " + " and ".join(when)
    return head + (". " + "; ".join(lines) if lines else ".")
