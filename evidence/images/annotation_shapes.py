"""Annotation shapes on an image, pure (no ORM): checking a drawn shape against the
original's bounds, the W3C Web Annotation selector for it, and an SVG overlay.

Coordinates are always in the ORIGINAL's pixel space; a shape drawn on the display
copy is scaled by the page before it is sent. Memory stays bounded: a polygon has at
most MAX_POLYGON_POINTS vertices and an SVG selector at most MAX_SVG_CHARS.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

MAX_POLYGON_POINTS = 500
MAX_SVG_CHARS = 40_000
POINT = "point"
RECTANGLE = "rectangle"
POLYGON = "polygon"
SHAPES = (POINT, RECTANGLE, POLYGON)

_NUMBER = r"-?\d+(?:\.\d+)?"
_XYWH = re.compile(rf"^xywh=pixel:({_NUMBER}),({_NUMBER}),({_NUMBER}),({_NUMBER})$")
_POLYGON_SVG = re.compile(r"<polygon\b[^>]*\bpoints=[\"']([^\"']*)[\"']")
_CIRCLE_SVG = re.compile(
    rf"<circle\b[^>]*\bcx=[\"']({_NUMBER})[\"'][^>]*\bcy=[\"']({_NUMBER})[\"']"
)


class ShapeError(ValueError):
    """A shape that cannot be stored; the message names what is wrong."""


@dataclass(frozen=True)
class Shape:
    kind: str
    points: tuple[tuple[float, float], ...]

    def as_json(self) -> list[list[float]]:
        return [[x, y] for x, y in self.points]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        xs = [p[0] for p in self.points]
        ys = [p[1] for p in self.points]
        return min(xs), min(ys), max(xs), max(ys)


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ShapeError("Coordinates must be numbers.")
    try:
        number = round(float(value), 2)
    except ValueError as exc:
        raise ShapeError("Coordinates must be numbers.") from exc
    if number != number or number in (float("inf"), float("-inf")):
        raise ShapeError("Coordinates must be finite numbers.")
    return number


def check_shape(
    kind: str, points: Sequence[Sequence[Any]], *, width: int, height: int
) -> Shape:
    """The shape, with every point inside the original (0..width, 0..height)."""
    if kind not in SHAPES:
        raise ShapeError(f"The shape must be one of {', '.join(SHAPES)}.")
    if not isinstance(points, list | tuple):
        raise ShapeError("Points must be a list of [x, y] pairs.")
    if len(points) > MAX_POLYGON_POINTS:
        raise ShapeError(f"A polygon has at most {MAX_POLYGON_POINTS} points.")
    pairs: list[tuple[float, float]] = []
    for point in points:
        if not isinstance(point, list | tuple) or len(point) != 2:
            raise ShapeError("Points must be a list of [x, y] pairs.")
        x, y = _number(point[0]), _number(point[1])
        if not (0 <= x <= width and 0 <= y <= height):
            raise ShapeError(
                f"The point ({x:g}, {y:g}) is outside the image "
                f"({width} × {height} px)."
            )
        pairs.append((x, y))
    expected = {POINT: 1, RECTANGLE: 2}.get(kind)
    if expected is not None and len(pairs) != expected:
        raise ShapeError(f"A {kind} has {expected} point{'s' * (expected > 1)}.")
    if kind == POLYGON and len(pairs) < 3:
        raise ShapeError("A polygon has at least 3 points.")
    if kind == RECTANGLE:
        (x0, y0), (x1, y1) = pairs
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        if x1 - x0 <= 0 or y1 - y0 <= 0:
            raise ShapeError("A rectangle has a width and a height.")
        pairs = [(x0, y0), (x1, y1)]
    return Shape(kind=kind, points=tuple(pairs))


def rectangle(x: Any, y: Any, w: Any, h: Any, *, width: int, height: int) -> Shape:
    """A rectangle given by numbers (the no-JS form, `xywh=pixel:`)."""
    x0, y0, w0, h0 = (_number(v) for v in (x, y, w, h))
    return check_shape(
        RECTANGLE, [[x0, y0], [x0 + w0, y0 + h0]], width=width, height=height
    )


def shape_from_selector(selector: Any, *, width: int, height: int) -> Shape:
    """A W3C Web Annotation selector (FragmentSelector `xywh=pixel:` or SvgSelector
    with one <polygon> or <circle>) as a checked shape."""
    if not isinstance(selector, dict):
        raise ShapeError("The selector must be an object.")
    value = selector.get("value")
    if not isinstance(value, str):
        raise ShapeError("The selector needs a value.")
    if selector.get("type") == "FragmentSelector":
        match = _XYWH.match(value.strip())
        if not match:
            raise ShapeError("A FragmentSelector value is xywh=pixel:x,y,w,h.")
        return rectangle(*match.groups(), width=width, height=height)
    if selector.get("type") == "SvgSelector":
        if len(value) > MAX_SVG_CHARS:
            raise ShapeError("The SVG selector is too long.")
        polygon = _POLYGON_SVG.search(value)
        if polygon:
            numbers = re.findall(_NUMBER, polygon.group(1))
            if len(numbers) % 2 or len(numbers) > 2 * MAX_POLYGON_POINTS:
                raise ShapeError(
                    f"A polygon has at most {MAX_POLYGON_POINTS} x,y points."
                )
            pairs = [numbers[i : i + 2] for i in range(0, len(numbers), 2)]
            return check_shape(POLYGON, pairs, width=width, height=height)
        circle = _CIRCLE_SVG.search(value)
        if circle:
            return check_shape(
                POINT, [list(circle.groups())], width=width, height=height
            )
        raise ShapeError("An SvgSelector holds one <polygon> or <circle>.")
    raise ShapeError("The selector is a FragmentSelector or an SvgSelector.")


def _fmt(value: float) -> str:
    return f"{value:g}"


def selector_for(kind: str, points: Iterable[Sequence[float]]) -> dict[str, Any]:
    """The W3C selector for a stored shape (a point is a small SVG circle)."""
    pts = [(float(x), float(y)) for x, y in points]
    if kind == RECTANGLE:
        (x0, y0), (x1, y1) = pts
        xywh = ",".join(_fmt(v) for v in (x0, y0, x1 - x0, y1 - y0))
        return {
            "type": "FragmentSelector",
            "conformsTo": "http://www.w3.org/TR/media-frags/",
            "value": f"xywh=pixel:{xywh}",
        }
    if kind == POINT:
        (x, y) = pts[0]
        svg = f'<svg><circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="1"/></svg>'
    else:
        joined = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts)
        svg = f'<svg><polygon points="{joined}"/></svg>'
    return {"type": "SvgSelector", "value": svg}


@dataclass(frozen=True)
class OverlayShape:
    kind: str
    points: Sequence[Sequence[float]]
    label: str
    is_highlighted: bool = False


def overlay_svg(
    shapes: Iterable[OverlayShape], *, width: int, height: int, image_href: str = ""
) -> str:
    """An SVG in the original's pixel space: the image (when given) with each shape
    drawn over it and its label. Text is escaped; no script, no style attribute."""
    stroke = max(2, round(max(width, height) / 300))
    font = max(12, round(max(width, height) / 60))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="annotation-overlay" role="img">'
    ]
    if image_href:
        parts.append(
            f'<image href={quoteattr(image_href)} x="0" y="0" '
            f'width="{width}" height="{height}"/>'
        )
    for shape in shapes:
        colour = "#ffcc00" if shape.is_highlighted else "#ff3366"
        common = f'fill="none" stroke="{colour}" stroke-width="{stroke}"'
        pts = [(float(x), float(y)) for x, y in shape.points]
        if shape.kind == RECTANGLE:
            (x0, y0), (x1, y1) = pts
            parts.append(
                f'<rect x="{_fmt(x0)}" y="{_fmt(y0)}" width="{_fmt(x1 - x0)}" '
                f'height="{_fmt(y1 - y0)}" {common}/>'
            )
        elif shape.kind == POINT:
            x0, y0 = pts[0]
            parts.append(
                f'<circle cx="{_fmt(x0)}" cy="{_fmt(y0)}" r="{stroke * 3}" {common}/>'
            )
        else:
            joined = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in pts)
            parts.append(f'<polygon points="{joined}" {common}/>')
            x0, y0 = pts[0]
        x0 = min(p[0] for p in pts)
        y0 = min(p[1] for p in pts)
        parts.append(
            f'<text x="{_fmt(x0)}" y="{_fmt(max(font, y0 - stroke))}" '
            f'font-size="{font}" fill="{colour}" stroke="#000" '
            f'stroke-width="{max(1, stroke // 2)}" paint-order="stroke">'
            f"{_escape(shape.label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
