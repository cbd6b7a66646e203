"""Land polygons for the AIS map, from Natural Earth 1:10m (packaged, see
data/README.md): decoded once per process, then cut to a map's bounding box.

Pure: no Django. The TopoJSON is decoded with numpy (arcs are delta-encoded,
quantised integers); each ring keeps its bounding box so a map reads only the rings
it touches, and rings are clipped to the box (Sutherland–Hodgman, vectorised per
edge of the box) so a map of Rajin does not carry Eurasia's 100,000 points.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import orjson
import zstandard

DATA = Path(__file__).resolve().parent / "data" / "land-10m.json.zst"


@lru_cache(maxsize=1)
def land_rings() -> tuple[list[np.ndarray], np.ndarray]:
    """All land rings as (n, 2) arrays of lon, lat, and their boxes as an (m, 4)
    array of lon_min, lat_min, lon_max, lat_max. About 0.5 s, once per process."""
    topology = orjson.loads(zstandard.ZstdDecompressor().decompress(DATA.read_bytes()))
    scale = np.array(topology["transform"]["scale"])
    translate = np.array(topology["transform"]["translate"])
    arcs = [
        np.cumsum(np.asarray(arc, dtype=np.int64), axis=0) * scale + translate
        for arc in topology["arcs"]
    ]
    rings: list[np.ndarray] = []
    for geometry in topology["objects"]["land"]["geometries"]:
        polygons = geometry["arcs"]
        if geometry["type"] == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            for ring in polygon:
                parts = [arcs[i] if i >= 0 else arcs[~i][::-1] for i in ring]
                # Consecutive arcs share their joining point.
                joined = [parts[0], *(part[1:] for part in parts[1:])]
                rings.append(np.concatenate(joined))
    boxes = np.array(
        [[r[:, 0].min(), r[:, 1].min(), r[:, 0].max(), r[:, 1].max()] for r in rings]
    )
    return rings, boxes


def _clip_edge(ring: np.ndarray, axis: int, limit: float, keep_low: bool) -> np.ndarray:
    """One Sutherland–Hodgman pass: keep the side of `axis = limit` asked for."""
    if len(ring) == 0:
        return ring
    following = np.roll(ring, -1, axis=0)
    inside = ring[:, axis] <= limit if keep_low else ring[:, axis] >= limit
    next_inside = np.roll(inside, -1)
    crosses = inside != next_inside
    delta = following[:, axis] - ring[:, axis]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(delta != 0, (limit - ring[:, axis]) / delta, 0.0)
    crossing = ring + (following - ring) * t[:, None]
    # Per edge i -> i+1: the crossing point if it crosses, then the next point if
    # that is inside; in that order.
    points = np.stack([crossing, following], axis=1)
    keep = np.stack([crosses, next_inside], axis=1)
    return points[keep]


def clip_ring(
    ring: np.ndarray, lon_min: float, lat_min: float, lon_max: float, lat_max: float
) -> np.ndarray:
    for axis, limit, keep_low in (
        (0, lon_min, False),
        (0, lon_max, True),
        (1, lat_min, False),
        (1, lat_max, True),
    ):
        ring = _clip_edge(ring, axis, limit, keep_low)
    return ring


def land_in_box(
    lon_min: float, lat_min: float, lon_max: float, lat_max: float
) -> list[np.ndarray]:
    """The land rings that touch the box, clipped to it (lon, lat arrays)."""
    rings, boxes = land_rings()
    touching = np.nonzero(
        (boxes[:, 0] <= lon_max)
        & (boxes[:, 2] >= lon_min)
        & (boxes[:, 1] <= lat_max)
        & (boxes[:, 3] >= lat_min)
    )[0]
    clipped = (
        clip_ring(rings[i], lon_min, lat_min, lon_max, lat_max) for i in touching
    )
    return [ring for ring in clipped if len(ring) >= 3]
