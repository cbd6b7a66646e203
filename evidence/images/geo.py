"""GeoTIFF and Cloud-Optimised GeoTIFF through rasterio (GDAL): where the image
lies on Earth, and display pixels from any band layout.

Pure functions with no Django imports. The file is read from memory
(``MemoryFile``) by the GTiff driver only, with no sibling files looked up (no
``.aux.xml``, ``.ovr`` or world file) and a small block cache, so what is read is
the upload and nothing else, in bounded memory:

- the pixel cap is checked from the header before any pixel is read, and a
  single compressed block bigger than ``MAX_BLOCK_BYTES`` is refused (GDAL must
  inflate a block whole);
- display pixels are read straight at display size (``out_shape``): GDAL takes
  the nearest overview when the file has them (a COG's are built for this) and
  otherwise averages full-resolution blocks one at a time.

``read_geo`` says nothing about pixels; ``read_display_pixels`` nothing about
place.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import rasterio
from rasterio._err import CPLE_BaseError  # GDAL errors rasterio passes through
from rasterio.enums import ColorInterp, MaskFlags, Resampling
from rasterio.errors import NotGeoreferencedWarning, RasterioError
from rasterio.io import DatasetReader, MemoryFile
from rasterio.transform import from_gcps
from rasterio.warp import transform as warp_transform

from evidence.images.safety import ImageRejected, too_many_pixels

GDAL_VERSION: str = rasterio.__gdal_version__
# Largest block (tile or strip, all bands if interleaved) GDAL may inflate.
MAX_BLOCK_BYTES = 256 * 1024 * 1024
# Points per footprint edge: a projected rectangle's edges are curves in WGS84.
FOOTPRINT_POINTS_PER_EDGE = 8
_COORD_DIGITS = 7  # ~1 cm in degrees
_GDAL_ENV = {
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",  # no sidecar files
    "GDAL_CACHEMAX": 64,  # MB of block cache
    "GTIFF_IGNORE_READ_ERRORS": "NO",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".none",  # no network, ever
}


@contextlib.contextmanager
def _dataset(data: bytes) -> Iterator[DatasetReader]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with (
                rasterio.Env(**_GDAL_ENV),
                MemoryFile(data) as memory,
                memory.open(driver="GTiff") as ds,
            ):
                yield ds
    except (RasterioError, CPLE_BaseError) as exc:
        raise _refusal(exc) from exc


def _refusal(exc: BaseException) -> ImageRejected:
    """GDAL's error chain as a message for the person uploading."""
    chain = []
    cause: BaseException | None = exc
    while cause is not None and len(chain) < 8:
        chain.append(str(cause))
        cause = cause.__cause__ or cause.__context__
    text = " ".join(chain).lower()
    if "not recognized as being in a supported file format" in text:
        return ImageRejected(
            "This file starts like a TIFF image but cannot be read as one; it may "
            "be damaged.",
            code="corrupt",
        )
    if "got 0 bytes" in text or "read error" in text or "truncat" in text:
        return ImageRejected(
            "The image file is incomplete (truncated); upload it again.",
            code="truncated",
        )
    return ImageRejected(
        "The image data is damaged and cannot be decoded.", code="corrupt"
    )


# -- where ---------------------------------------------------------------------------


def read_geo(data: bytes) -> dict[str, Any] | None:
    """The georeferencing of a TIFF, or None when it has none. JSON-safe:

    ``crs`` ("EPSG:26711", else the WKT), ``crs_name``, ``bounds`` [left, bottom,
    right, top] in the CRS, ``bounds_wgs84`` [west, south, east, north],
    ``footprint`` (GeoJSON Polygon in WGS84 longitude/latitude, edges densified;
    None when the corners fall outside the projection's domain), ``resolution``
    [x, y] in ``units`` per pixel, ``width``, ``height``, ``bands``, ``dtype``
    ("uint16"; "uint8, float32" when bands differ), ``nodata``, ``mask`` ("alpha",
    "per-dataset", "nodata" or None), ``overviews`` ([[width, height], ...]),
    ``is_cog`` (GDAL's LAYOUT=COG) and ``georeferencing`` ("transform" or
    "gcps"). Raises ImageRejected when GDAL cannot read the file at all.
    """
    with _dataset(data) as ds:
        crs, transform, source = ds.crs, ds.transform, "transform"
        if crs is None or transform.is_identity:
            gcps, gcp_crs = ds.gcps
            if not gcps or gcp_crs is None:
                return None
            crs, transform, source = gcp_crs, from_gcps(gcps), "gcps"
        width, height = ds.width, ds.height
        corners = [transform @ xy for xy in _edge_points(width, height)]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        footprint = _footprint(crs, xs, ys)
        dtypes = list(dict.fromkeys(ds.dtypes))
        epsg = crs.to_epsg()
        try:
            units: str | None = crs.units_factor[0]
        except (RasterioError, ValueError):
            units = None
        return {
            "crs": f"EPSG:{epsg}" if epsg else crs.to_wkt(),
            "crs_name": _crs_name(crs.to_wkt()),
            "bounds": [_round(v) for v in (min(xs), min(ys), max(xs), max(ys))],
            "bounds_wgs84": _bbox(footprint),
            "footprint": footprint,
            "resolution": [_round(abs(transform.a)), _round(abs(transform.e))]
            if transform.b == transform.d == 0
            else [
                _round(math.hypot(transform.a, transform.d)),
                _round(math.hypot(transform.b, transform.e)),
            ],
            "units": units,
            "width": width,
            "height": height,
            "bands": ds.count,
            "dtype": ", ".join(dtypes),
            "nodata": _json_number(ds.nodata),
            "mask": _mask_kind(ds),
            "overviews": [[-(-width // f), -(-height // f)] for f in ds.overviews(1)],
            "is_cog": ds.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG",
            "georeferencing": source,
        }


def _edge_points(width: int, height: int) -> list[tuple[float, float]]:
    """Pixel-corner coordinates around the image from the top left, down the
    left edge first: counter-clockwise on a north-up map, as RFC 7946 wants an
    exterior ring, and in gdalinfo's corner order (UL, LL, LR, UR). Closed."""
    n = FOOTPRINT_POINTS_PER_EDGE
    top = [(width * i / n, 0.0) for i in range(n)]
    right = [(float(width), height * i / n) for i in range(n)]
    bottom = [(width * (n - i) / n, float(height)) for i in range(n)]
    left = [(0.0, height * (n - i) / n) for i in range(n)]
    ring = top + right + bottom + left  # clockwise
    ring = ring[:1] + ring[:0:-1]
    return [*ring, ring[0]]


def _footprint(crs: Any, xs: list[float], ys: list[float]) -> dict[str, Any] | None:
    """The ring in WGS84 as a GeoJSON Polygon; points GDAL cannot project (off
    the Earth's disc for a geostationary view) make it None."""
    try:
        lons, lats = warp_transform(crs, "EPSG:4326", xs, ys)
    except (RasterioError, CPLE_BaseError):
        return None
    ring = [[_round(lon), _round(lat)] for lon, lat in zip(lons, lats, strict=True)]
    if not all(math.isfinite(v) for point in ring for v in point):
        return None
    return {"type": "Polygon", "coordinates": [ring]}


def _bbox(footprint: dict[str, Any] | None) -> list[float] | None:
    if footprint is None:
        return None
    ring = footprint["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return [min(lons), min(lats), max(lons), max(lats)]


def _round(value: float) -> float:
    return round(float(value), _COORD_DIGITS)


def _json_number(value: float | None) -> float | str | None:
    if value is None:
        return None
    if not math.isfinite(value):
        return str(value)  # "nan": JSON has no NaN
    return int(value) if float(value).is_integer() else float(value)


def _crs_name(wkt: str) -> str:
    """The CRS's own name: the first quoted string of its WKT."""
    parts = wkt.split('"')
    return parts[1] if len(parts) > 2 else ""


def _mask_kind(ds: DatasetReader) -> str | None:
    flags = set(ds.mask_flag_enums[0]) if ds.count else set()
    if MaskFlags.alpha in flags:
        return "alpha"
    if MaskFlags.per_dataset in flags:
        return "per-dataset"
    if MaskFlags.nodata in flags:
        return "nodata"
    return None


# -- what it looks like --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DisplayPixels:
    """Bands chosen for display, read at display size, with validity."""

    bands: np.ndarray  # (1 or 3, height, width), the file's own data type
    valid: np.ndarray  # (height, width) bool: not masked, not nodata, finite
    dtype: str
    width: int  # of the full image
    height: int
    notes: tuple[str, ...]


def read_display_pixels(
    data: bytes, *, max_pixels: int, box: tuple[int, int]
) -> DisplayPixels:
    """Read the bands to show, at most ``box``, in bounded memory.

    Bands: red, green and blue by their colour interpretation; else the first
    three of three or more; else the first (grey). Masks (alpha band, internal
    mask, nodata) mark pixels invalid. Raises ImageRejected.
    """
    with _dataset(data) as ds:
        width, height = ds.width, ds.height
        if width < 1 or height < 1 or ds.count < 1:
            raise ImageRejected("The image has no pixels.", code="corrupt")
        if width * height > max_pixels:
            raise too_many_pixels(max_pixels)
        _check_block_size(ds)
        indexes, notes = _display_bands(ds)
        scale = min(box[0] / width, box[1] / height, 1.0)
        out_w, out_h = max(1, round(width * scale)), max(1, round(height * scale))
        # Average uses every source pixel, so a damaged block fails the read.
        bands = ds.read(
            indexes,
            out_shape=(len(indexes), out_h, out_w),
            resampling=Resampling.average if scale < 1 else Resampling.nearest,
        )
        valid = ds.dataset_mask(out_shape=(out_h, out_w)) > 0
        if bands.dtype.kind == "f":
            valid &= np.isfinite(bands).all(axis=0)
        if len(indexes) == 1 and ds.colorinterp[indexes[0] - 1] == ColorInterp.palette:
            bands = _apply_palette(bands[0], ds.colormap(indexes[0]))
        return DisplayPixels(
            bands=bands,
            valid=valid,
            dtype=str(bands.dtype),
            width=width,
            height=height,
            notes=tuple(notes),
        )


def _apply_palette(indices: np.ndarray, colormap: dict[int, tuple]) -> np.ndarray:
    """(3, h, w) uint8 colours of a palette band's indices."""
    table = np.zeros((max(256, max(colormap, default=0) + 1), 3), dtype=np.uint8)
    for index, rgba in colormap.items():
        table[index] = rgba[:3]
    return np.moveaxis(table[indices.astype(np.intp)], -1, 0)


def _check_block_size(ds: DatasetReader) -> None:
    rows, cols = ds.block_shapes[0]
    itemsize = max(np.dtype(t).itemsize for t in ds.dtypes)
    interleaved = ds.interleaving is not None and ds.interleaving.name == "PIXEL"
    block_bytes = rows * cols * itemsize * (ds.count if interleaved else 1)
    if block_bytes > MAX_BLOCK_BYTES:
        raise ImageRejected(
            f"The TIFF stores its pixels in blocks of {block_bytes:,} bytes, more "
            f"than the {MAX_BLOCK_BYTES:,} bytes that can be read safely; save it "
            "tiled (e.g. as a Cloud-Optimised GeoTIFF) and upload it again.",
            code="too_many_pixels",
        )


def _display_bands(ds: DatasetReader) -> tuple[list[int], list[str]]:
    interp = list(ds.colorinterp)
    try:
        rgb = [
            interp.index(c) + 1
            for c in (ColorInterp.red, ColorInterp.green, ColorInterp.blue)
        ]
    except ValueError:
        rgb = []
    if rgb:
        return rgb, []
    data_bands = [i + 1 for i, c in enumerate(interp) if c != ColorInterp.alpha]
    if len(data_bands) >= 3:
        return data_bands[:3], [
            f"{ds.count} bands without colour names: bands "
            f"{data_bands[0]}, {data_bands[1]} and {data_bands[2]} shown as red, "
            "green and blue"
        ]
    if ds.count > 1:
        return data_bands[:1] or [1], [f"band {data_bands[0]} shown in grey"]
    return [1], []
