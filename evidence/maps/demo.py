"""The demo's synthetic satellite scene (no Django, no network): the synthetic
Rajin stand-in written as a georeferenced GeoTIFF (UTM zone 52N, 5 m pixels) whose
footprint covers Rajin harbour, so the maps draw it and the scene suggests the
port as a subject. Labelled synthetic in its pixels, tags and description."""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import rasterio
from affine import Affine
from PIL import Image
from rasterio.io import MemoryFile
from rasterio.warp import transform as warp_transform

from evidence.images.demo import SITES, synthetic_site_image

CRS = "EPSG:32652"  # WGS 84 / UTM zone 52N: Rajin is at 130.28 E
PIXEL_M = 5.0
SIZE = (1200, 800)  # 6 km x 4 km
DESCRIPTION = (
    "SYNTHETIC DEMO SCENE — not real satellite imagery. A drawn stand-in for a "
    "commercial scene of Rajin harbour, georeferenced (UTM 52N, 5 m pixels) so the "
    "maps can show a footprint; provider, sensor and cloud cover are illustrative."
)


def synthetic_scene_geotiff(
    *,
    site: str,
    acquired_at: datetime,
    size: tuple[int, int] = SIZE,
    pixel_m: float = PIXEL_M,
) -> bytes:
    """GeoTIFF bytes of a synthetic scene centred on the site (``size`` pixels of
    ``pixel_m`` metres)."""
    place = SITES[site]
    xs, ys = warp_transform("EPSG:4326", CRS, [place.longitude], [place.latitude])
    width, height = size
    left = xs[0] - width * pixel_m / 2
    top = ys[0] + height * pixel_m / 2
    jpeg = synthetic_site_image(site, captured_at=acquired_at, variant=3, size=size)
    pixels = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
    bands = np.moveaxis(pixels, -1, 0)
    with (
        rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True),
        MemoryFile() as memory,
    ):
        with memory.open(
            driver="GTiff",
            width=width,
            height=height,
            count=3,
            dtype="uint8",
            crs=CRS,
            transform=Affine(pixel_m, 0.0, left, 0.0, -pixel_m, top),
            photometric="RGB",
            compress="deflate",
            tiled=True,
        ) as ds:
            ds.write(bands)
            ds.update_tags(
                TIFFTAG_IMAGEDESCRIPTION=DESCRIPTION,
                TIFFTAG_DATETIME=acquired_at.strftime("%Y:%m:%d %H:%M:%S"),
                TIFFTAG_SOFTWARE="Provenance demo (synthetic)",
            )
        return memory.read()
