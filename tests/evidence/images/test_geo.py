"""GeoTIFF and COG through rasterio: the values expected here are gdalinfo's
(tests/data/real/images_formats/SOURCES.md), not our own output."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.control import GroundControlPoint
from rasterio.errors import NotGeoreferencedWarning

from evidence.images import geo
from evidence.images.geo import read_display_pixels, read_geo
from evidence.images.process import ImageRejected, inspect_image, process_image

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "images_formats"

# gdalinfo -json: wgs84Extent corners (UL, LL, LR, UR), written down in SOURCES.md.
GDALINFO_WGS84_CORNERS = {
    "byte.tif": [
        [-117.6420428, 33.9023684],
        [-117.6419617, 33.8915461],
        [-117.6289846, 33.8916131],
        [-117.629064, 33.9024353],
    ],
    "cogeo.tif": [
        [128.6553955, 37.6707774],
        [128.6553955, 37.6664292],
        [128.6608887, 37.6664292],
        [128.6608887, 37.6707774],
    ],
    "RGBA.uint16.tif": [
        [-108.3846431, 36.8218433],
        [-108.3848169, 36.8167381],
        [-108.3750176, 36.816522],
        [-108.3748431, 36.8216272],
    ],
    "rgb-byte-tenth.tif": [
        [-78.95865, 25.5060874],
        [-78.8981334, 23.5649912],
        [-76.5749237, 23.605947],
        [-76.5994383, 25.5508738],
    ],
    "all-nodata.tif": [
        [-16.4664731, 14.5033496],
        [-16.4660326, 14.4362376],
        [-16.4640571, 14.4362498],
        [-16.464497, 14.503362],
    ],
    "world.byte.tif": [[-180.0, 75.0], [-180.0, -75.0], [180.0, -75.0], [180.0, 75.0]],
    "test_esri_wkt.tif": [
        [-96.1767947, 44.3067049],
        [-96.1767942, 44.3065255],
        [-96.1765428, 44.3065258],
        [-96.1765433, 44.3067053],
    ],
    "GeoTiff.tif": [
        [-79.0944673, 25.2295329],
        [-79.0860465, 25.2221837],
        [-79.0776301, 25.2301623],
        [-79.0860509, 25.237512],
    ],
}


def geo_of(name: str) -> dict | None:
    return read_geo((REAL / name).read_bytes())


def corners(footprint: dict) -> list[list[float]]:
    """UL, LL, LR, UR of our densified ring (8 points per edge)."""
    ring = footprint["coordinates"][0]
    return [ring[i] for i in (0, 8, 16, 24)]


@pytest.mark.parametrize("name", sorted(GDALINFO_WGS84_CORNERS))
def test_footprint_corners_are_gdalinfos_wgs84_extent(name: str) -> None:
    footprint = geo_of(name)["footprint"]

    assert footprint["type"] == "Polygon"
    assert corners(footprint) == GDALINFO_WGS84_CORNERS[name]
    ring = footprint["coordinates"][0]
    assert len(ring) == 33
    assert ring[0] == ring[-1]  # closed


def test_footprint_ring_is_counter_clockwise_as_geojson_wants() -> None:
    ring = geo_of("byte.tif")["footprint"]["coordinates"][0]
    # Shoelace: positive area for a counter-clockwise ring (RFC 7946 section 3.1.6).
    area2 = sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))
    assert area2 > 0


def test_byte_tif_has_gdalinfos_crs_bounds_and_resolution() -> None:
    g = geo_of("byte.tif")

    assert g["crs"] == "EPSG:26711"
    assert g["crs_name"] == "NAD27 / UTM zone 11N"
    # geoTransform 440720, 60, 0, 3751320, 0, -60 over 20 x 20 pixels.
    assert g["bounds"] == [440720.0, 3750120.0, 441920.0, 3751320.0]
    assert g["resolution"] == [60.0, 60.0]
    assert g["units"] == "metre"
    assert (g["width"], g["height"], g["bands"], g["dtype"]) == (20, 20, 1, "uint8")
    assert g["overviews"] == []
    assert g["mask"] is None
    assert g["is_cog"] is False
    assert g["bounds_wgs84"] == [-117.6420428, 33.8915461, -117.6289846, 33.9024353]


def test_cog_lists_gdalinfos_overviews_and_its_mask() -> None:
    g = geo_of("cogeo.tif")

    assert g["crs"] == "EPSG:3857"
    assert g["overviews"] == [[512, 512], [256, 256], [128, 128], [64, 64], [32, 32],
                              [16, 16]]  # fmt: skip
    assert g["mask"] == "per-dataset"
    assert (g["bands"], g["dtype"]) == (3, "uint8")


def test_geostationary_cog_has_no_footprint_and_is_named_cog() -> None:
    g = geo_of("goes.tif")

    assert g["crs_name"] == "unnamed"
    assert "+proj=geos" in g["crs"]  # no EPSG code: the WKT is kept
    assert g["bounds"] == [-5434895.08164, -5434894.8375644, 5434894.8375644,
                           5434895.08164]  # fmt: skip
    assert g["footprint"] is None  # gdalinfo's wgs84Extent is empty too
    assert g["bounds_wgs84"] is None
    assert g["overviews"] == [[271, 271]]
    assert g["is_cog"] is True  # gdalinfo: LAYOUT=COG


def test_rotated_geotransform_gives_the_pixel_size_not_the_axis_terms() -> None:
    g = geo_of("GeoTiff.tif")

    # geoTransform a=33.418, b=35.836: the pixel side is hypot(a, b) = 49 m.
    assert g["resolution"] == [49.0, 49.0]
    assert g["crs_name"] == "Hough UTM zone 17N"


def test_nodata_and_alpha_are_reported() -> None:
    assert geo_of("rgb-byte-tenth.tif")["nodata"] == 0
    assert geo_of("RGBA.uint16.tif")["mask"] == "alpha"
    assert geo_of("RGBA.uint16.tif")["dtype"] == "uint16"


@pytest.mark.parametrize("name", ["float.tif", "BigTIFF.btf", "DNG.dng"])
def test_tiffs_without_a_crs_are_not_georeferenced(name: str) -> None:
    assert geo_of(name) is None


def test_geo_is_json_safe() -> None:
    for name in GDALINFO_WGS84_CORNERS:
        json.dumps(geo_of(name), allow_nan=False)


@pytest.mark.skipif(shutil.which("gdalinfo") is None, reason="gdalinfo not installed")
@pytest.mark.parametrize("name", sorted(GDALINFO_WGS84_CORNERS))
def test_footprint_matches_gdalinfo_run_now(name: str) -> None:
    out = subprocess.run(
        ["gdalinfo", "-json", str(REAL / name)],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    extent = json.loads(out)["wgs84Extent"]["coordinates"][0]

    assert corners(geo_of(name)["footprint"]) == extent[:4]


# -- display pixels ------------------------------------------------------------------


def test_rgba_uint16_is_displayed_with_its_alpha_as_mask() -> None:
    pixels = read_display_pixels(
        (REAL / "RGBA.uint16.tif").read_bytes(), max_pixels=10**6, box=(2048, 2048)
    )

    assert (pixels.width, pixels.height) == (634, 411)
    assert pixels.bands.shape == (3, 411, 634)
    assert pixels.dtype == "uint16"
    assert 0 < pixels.valid.sum() < 634 * 411  # the alpha band cuts the corners


def test_display_read_is_bounded_by_the_box() -> None:
    pixels = read_display_pixels(
        (REAL / "cogeo.tif").read_bytes(), max_pixels=10**7, box=(256, 256)
    )

    assert pixels.bands.shape == (3, 256, 256)
    assert (pixels.width, pixels.height) == (1024, 1024)


def test_gdal_read_respects_the_pixel_cap() -> None:
    with pytest.raises(ImageRejected) as caught:
        read_display_pixels(
            (REAL / "byte.tif").read_bytes(), max_pixels=399, box=(64, 64)
        )

    assert caught.value.code == "too_many_pixels"
    assert caught.value.message == "The image is larger than the 399-pixel limit."


def test_oversized_blocks_are_refused_before_reading(monkeypatch) -> None:
    monkeypatch.setattr(geo, "MAX_BLOCK_BYTES", 100)

    with pytest.raises(ImageRejected) as caught:
        read_display_pixels(
            (REAL / "byte.tif").read_bytes(), max_pixels=10**6, box=(64, 64)
        )

    assert caught.value.code == "too_many_pixels"
    assert caught.value.message.startswith(
        "The TIFF stores its pixels in blocks of 400 bytes"
    )


def test_truncated_geotiff_is_refused(tmp_path) -> None:
    data = (REAL / "cogeo.tif").read_bytes()
    cut = tmp_path / "cut.tif"
    cut.write_bytes(data[: len(data) // 2])

    with pytest.raises(ImageRejected) as caught:
        process_image(cut)

    assert caught.value.code == "truncated"
    assert caught.value.message == (
        "The image file is incomplete (truncated); upload it again."
    )


def test_tiff_header_with_nothing_behind_it_is_refused_plainly() -> None:
    with pytest.raises(ImageRejected) as caught:
        read_geo(b"II*\x00" + b"\x00" * 200)

    assert caught.value.code == "corrupt"
    assert caught.value.message == (
        "This file starts like a TIFF image but cannot be read as one; it may be "
        "damaged."
    )


# -- through process_image -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "size", "image_format"),
    [
        ("cogeo.tif", (1024, 1024), "GeoTIFF"),
        ("goes.tif", (542, 542), "Cloud-Optimised GeoTIFF"),
        ("RGBA.uint16.tif", (634, 411), "GeoTIFF"),
        ("float.tif", (3, 2), "TIFF"),
        ("byte.tif", (20, 20), "GeoTIFF"),
    ],
)
def test_tiffs_pillow_refused_or_crashed_on_are_processed(
    name: str, size: tuple[int, int], image_format: str
) -> None:
    result = process_image(REAL / name)

    assert (result.width, result.height) == size
    assert result.image_format == image_format
    assert result.display.mime == "image/jpeg"
    assert len(result.phash) == 16


def test_upload_check_accepts_what_only_gdal_reads() -> None:
    facts = inspect_image(REAL / "float.tif")

    assert (facts.mime, facts.width, facts.height) == ("image/tiff", 3, 2)


def test_16_bit_display_is_stretched_and_says_so() -> None:
    result = process_image(REAL / "test_esri_wkt.tif")

    # gdal_translate -of AAIGrid: the 2x2 pixels are 1 2 / 3 4; numpy's linear
    # percentiles of those are 1 + 0.005 * 3 and 4 - 0.005 * 3.
    assert result.notes == (
        "uint16 pixels stretched to 8-bit for display "
        "(0.5th-99.5th percentile: 1.015 to 3.985)",
    )


def test_all_nodata_image_is_white_and_low_information() -> None:
    result = process_image(REAL / "all-nodata.tif")

    assert "no valid pixels (all masked or nodata): shown white" in result.notes
    assert result.phash_low_information is True
    assert result.geo["crs"] == "EPSG:32628"


def test_plain_tiff_with_a_mask_sub_image_is_processed_with_a_note(tmp_path) -> None:
    # cogeo.tif's pixels and internal mask, written again without georeferencing:
    # Pillow reads the first image but has no mode for the 1-bit mask IFD.
    with rasterio.open(REAL / "cogeo.tif") as src:
        profile = {**src.profile, "crs": None, "transform": None}
        pixels, mask = src.read(), src.dataset_mask()
    path = tmp_path / "masked.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with (
            rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True),
            rasterio.open(path, "w", **profile) as dst,
        ):
            dst.write(pixels)
            dst.write_mask(mask)

    result = process_image(path)

    assert (result.width, result.height, result.geo) == (1024, 1024, None)
    assert result.image_format == "TIFF"
    assert result.notes == ("sub-images after the first could not be read",)
    # The same pixels as the georeferenced original, read through GDAL.
    assert result.phash == process_image(REAL / "cogeo.tif").phash


def test_gcp_georeferenced_tiff_gets_a_footprint_from_its_control_points(
    tmp_path,
) -> None:
    # Four corner GCPs in WGS84, as scanned maps and raw satellite scenes carry.
    gcps = [
        GroundControlPoint(row=0, col=0, x=10.0, y=50.0),
        GroundControlPoint(row=0, col=40, x=10.4, y=50.0),
        GroundControlPoint(row=20, col=40, x=10.4, y=49.8),
        GroundControlPoint(row=20, col=0, x=10.0, y=49.8),
    ]
    path = tmp_path / "gcps.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(
            path, "w", driver="GTiff", width=40, height=20, count=1, dtype="uint8"
        ) as dst:
            dst.gcps = (gcps, rasterio.crs.CRS.from_epsg(4326))
            dst.write(np.arange(800, dtype=np.uint8).reshape(1, 20, 40))

    g = read_geo(path.read_bytes())

    assert g["georeferencing"] == "gcps"
    assert g["crs"] == "EPSG:4326"
    assert corners(g["footprint"]) == [[10.0, 50.0], [10.0, 49.8], [10.4, 49.8],
                                       [10.4, 50.0]]  # fmt: skip
    assert g["resolution"] == [0.01, 0.01]
