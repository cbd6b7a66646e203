"""Footprints of real GeoTIFFs (rasterio's test data, CC0; tests/data/real/
images_formats/SOURCES.md) against independent readers: rasterio's
transform_bounds and gdalinfo's wgs84Extent."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import rasterio
from rasterio.warp import transform_bounds

from evidence.images.geo import read_geo
from evidence.maps.geometry import polygon_contains

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "images_formats"
# Degrees: ~1 m. The footprint's edges are densified (8 points each); a projected
# rectangle's extreme longitudes and latitudes lie at corners for these files.
TOLERANCE = 1e-5


@pytest.mark.parametrize("name", ["byte.tif", "rgb-byte-tenth.tif", "cogeo.tif"])
def test_footprint_bounds_match_rasterio_transform_bounds(name):
    data = (REAL / name).read_bytes()
    geo = read_geo(data)
    with rasterio.open(REAL / name) as ds:
        expected = transform_bounds(ds.crs, "EPSG:4326", *ds.bounds, densify_pts=21)
    assert geo["bounds_wgs84"] == pytest.approx(list(expected), abs=TOLERANCE)
    ring = geo["footprint"]["coordinates"][0]
    assert ring[0] == ring[-1]


@pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="gdalinfo not installed")
def test_footprint_corners_lie_on_gdalinfos_wgs84_extent():
    path = REAL / "byte.tif"
    info = json.loads(
        subprocess.run(
            ["gdalinfo", "-json", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    extent = info["wgs84Extent"]["coordinates"][0]
    footprint = read_geo(path.read_bytes())["footprint"]["coordinates"][0]
    # gdalinfo gives the four corners (UL, LL, LR, UR); ours starts the same way
    # and puts a corner every 8 points.
    corners = [footprint[i] for i in (0, 8, 16, 24)]
    for ours, theirs in zip(corners, extent[:4], strict=True):
        assert ours == pytest.approx(theirs, abs=TOLERANCE)


def test_a_real_footprint_contains_its_own_centre():
    geo = read_geo((REAL / "byte.tif").read_bytes())
    west, south, east, north = geo["bounds_wgs84"]
    assert polygon_contains(geo["footprint"], (west + east) / 2, (south + north) / 2)
