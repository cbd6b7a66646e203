"""The vendored map assets are what their manifest says (pinned version, sha256),
and the land layer is RFC 7946 GeoJSON with counter-clockwise exterior rings."""

import hashlib
import json
from pathlib import Path

from evidence.maps.land_build import _signed_area

VENDOR = Path(__file__).resolve().parents[3] / "static" / "vendor"


def test_every_vendored_file_matches_its_manifest_hash():
    manifest = json.loads((VENDOR / "MANIFEST.json").read_text())
    assert manifest["leaflet"]["version"] == "1.9.4"
    files = {
        **manifest["leaflet"]["files"],
        **manifest["natural-earth-land-50m"]["files"],
    }
    assert "leaflet-1.9.4/leaflet.js" in files
    for name, digest in files.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_the_land_layer_is_one_multipolygon_wound_as_rfc7946_asks():
    land = json.loads((VENDOR / "natural-earth" / "land-50m.geojson").read_text())
    (feature,) = land["features"]
    assert feature["geometry"]["type"] == "MultiPolygon"
    polygons = feature["geometry"]["coordinates"]
    assert len(polygons) > 1000
    for rings in polygons:
        assert rings[0][0] == rings[0][-1]
        assert _signed_area(rings[0]) > 0  # exterior counter-clockwise
        assert all(_signed_area(hole) < 0 for hole in rings[1:])
