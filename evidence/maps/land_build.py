"""Build the map's offline land layer: a world-atlas TopoJSON object as an RFC
7946 GeoJSON FeatureCollection (one MultiPolygon), coordinates rounded.

Run once when the layer is updated (see static/vendor/MANIFEST.json):
``python -m evidence.maps.land_build land-50m.json \
  static/vendor/natural-earth/land-50m.geojson``
Pure: no Django. Exterior rings are turned counter-clockwise and holes clockwise,
as RFC 7946 asks (world-atlas follows d3's spherical winding, the other way).
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

DIGITS = 3  # ~100 m: finer than the 1:50m data itself


def _signed_area(ring: list[list[float]]) -> float:
    return sum(a[0] * b[1] - b[0] * a[1] for a, b in itertools.pairwise(ring)) / 2


def topojson_to_geojson(
    topology: dict[str, Any], name: str = "land", digits: int = DIGITS
) -> dict[str, Any]:
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append([round(x * sx + tx, digits), round(y * sy + ty, digits)])
        arcs.append(points)

    def ring(indexes: list[int]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in indexes:
            part = arcs[i] if i >= 0 else arcs[~i][::-1]
            out.extend(part if not out else part[1:])
        return [out[0], *(p for a, p in itertools.pairwise(out) if p != a)]

    polygons = []
    for geometry in topology["objects"][name]["geometries"]:
        parts = (
            [geometry["arcs"]] if geometry["type"] == "Polygon" else geometry["arcs"]
        )
        for part in parts:
            # Rings rounding flattened to (next to) no area are dropped.
            rings = [
                r
                for r in (ring(ids) for ids in part)
                if len(r) >= 4 and abs(_signed_area(r)) > 1e-9
            ]
            for k, r in enumerate(rings):
                clockwise = _signed_area(r) < 0
                if clockwise == (k == 0):  # exterior must be CCW, holes CW
                    r.reverse()
            if rings:
                polygons.append(rings)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {"type": "MultiPolygon", "coordinates": polygons},
            }
        ],
    }


def main(source: str, target: str) -> None:
    topology = json.loads(Path(source).read_text())
    Path(target).write_text(
        json.dumps(topojson_to_geojson(topology), separators=(",", ":"))
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
