"""Image evidence entry points: refuse what is not a safe image, then derive what
the page shows; compare hashes; read Content Credentials.

Pure functions with no Django imports: limits (bytes, pixels, sizes) come in as
arguments so the one settings module stays the only place they are configured.
The steps live beside this module: ``safety`` (refusals), ``exif`` (metadata),
``render`` (derivatives), ``phash`` (near-duplicates), ``credentials`` (C2PA).

Pipeline, decoding the pixels once:

1. read the bytes once, hashing them (SHA-256) as they arrive and refusing files
   over ``max_bytes``;
2. sniff the type from the magic number, then make Pillow identify it with only
   that format's plugin, so both must agree (the file name is never trusted);
3. refuse over ``max_pixels`` from the header, before any pixel is decoded;
4. decode fully (truncated files fail here), JPEGs at a reduced DCT scale via
   ``Image.draft`` when no derivative needs the full size: libjpeg still
   entropy-decodes the whole scan at any scale, so truncation is still caught;
5. read EXIF, GPS and capture time; orient, convert to sRGB, re-encode the
   display derivative and thumbnail from pixels only; pHash the thumbnail.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, TypeVar

from PIL import Image, ImageOps

from evidence.images.capture_time import NO_CAPTURE_TIME, CaptureTimes
from evidence.images.credentials import read_content_credentials
from evidence.images.exif import GpsPosition, read_metadata
from evidence.images.formats import format_name, tiff_full_size, tiff_kind
from evidence.images.geo import GDAL_VERSION, read_display_pixels, read_geo
from evidence.images.phash import (
    NEAR_DUPLICATE_THRESHOLD,
    is_low_information,
    phash_int,
    phash_of,
)
from evidence.images.render import (
    Derivative,
    DerivativeFormat,
    derivative_pool,
    encode,
    fit,
    raster_to_image,
    resize,
    to_srgb,
)
from evidence.images.safety import (
    SNIFF_BYTES,
    ImageRejected,
    Source,
    decode,
    extension_mismatch,
    frame_count,
    opened,
    pillow_opens,
    read_hashed,
    sniff_mime,
    trailing_bytes,
    trailing_kind,
    unsupported_type,
)

# What the evidence services use. ImageRejected (which every entry point may
# raise) and sniff_mime are at home in safety; callers reach them all here.
__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PIXELS",
    "ImageFacts",
    "ImageRejected",
    "ProcessedImage",
    "extension_mismatch",
    "inspect_image",
    "near_duplicates",
    "process_image",
    "read_content_credentials",
    "sniff_mime",
    "tool_versions",
]

DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MAX_BYTES = 50 * 1024 * 1024

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class ImageFacts:
    """What validation established about an upload."""

    sha256: str
    size_bytes: int
    mime: str
    width: int  # as stored, before EXIF orientation
    height: int
    extension_mismatch: bool  # the name's extension names another type


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    sha256: str  # of the original bytes, exactly as uploaded
    size_bytes: int
    mime: str
    extension_mismatch: bool
    width: int  # as stored, before EXIF orientation
    height: int
    orientation: int | None  # EXIF Orientation 1-8 when present
    exif: dict[str, Any]  # JSON-safe; GPS tags under "GPSInfo"
    gps: GpsPosition | None
    # The camera clock is local time. With OffsetTimeOriginal we know the zone and
    # give an aware datetime; without it ``captured_at`` is None and the wall clock
    # is kept as written in ``captured_at_local`` (ISO, no zone) — guessing UTC
    # would put a wrong instant on the timeline.
    captured_at: datetime | None
    captured_at_local: str | None
    # 64-bit pHash (16 hex chars) of the oriented thumbnail: keep thumb_size the
    # same across a deployment so stored hashes stay comparable.
    phash: str
    thumbnail: Derivative
    display: Derivative
    notes: tuple[str, ...]  # things worth showing that did not stop processing
    # Bytes stored after the image's own end (an appended archive, a polyglot);
    # None where the format's end is not found cheaply (TIFF).
    trailing_bytes: int | None = None
    trailing_kind: str | None = None  # "zip", "pdf", ... or "data"
    # Every capture time the file carries and the one chosen (see capture_time);
    # ``captured_at``/``captured_at_local`` above are the chosen one's.
    capture: CaptureTimes = NO_CAPTURE_TIME
    metadata: dict[str, Any] = field(default_factory=dict)  # {"xmp", "iptc"} by name
    image_format: str = ""  # "JPEG", "MPO", "HEIF", "GeoTIFF", "DNG"... (formats)
    geo: dict[str, Any] | None = None  # georeferencing (geo.read_geo), or None
    # The pHash is of a near-flat picture and says nothing (phash.is_low_information).
    phash_low_information: bool = False


# -- reading and validating -----------------------------------------------------


def inspect_image(
    source: Source,
    *,
    filename: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ImageFacts:
    """Validate an upload: real type from the bytes, size and pixel caps, full decode.

    Raises ``ImageRejected``. ``filename`` defaults to the path's name; it only
    feeds ``extension_mismatch``. File objects are read from the start.
    """
    data, facts = _read_and_identify(source, filename, max_bytes=max_bytes)
    if _read_by_gdal(data, facts.mime, _geo(data, facts.mime)):
        # Averaging down to a small size still reads every block (or overview).
        pixels = read_display_pixels(data, max_pixels=max_pixels, box=(256, 256))
        return replace(facts, width=pixels.width, height=pixels.height)
    with opened(data, facts.mime, max_pixels=max_pixels) as img:
        facts = replace(facts, width=img.width, height=img.height)
        # Decoding at 1/8 scale is the cheapest complete pass over a JPEG scan.
        decode(img, draft_to=(1, 1))
    return _full_size(data, facts, [])


def _geo(data: bytes, mime: str) -> dict[str, Any] | None:
    """GeoTIFF georeferencing; None for other types, or when GDAL cannot read
    the file (Pillow may still, and then has the last word)."""
    if mime != "image/tiff":
        return None
    try:
        return read_geo(data)
    except ImageRejected:
        return None


def _read_by_gdal(data: bytes, mime: str, geo: dict[str, Any] | None) -> bool:
    """Georeferenced TIFFs (masks, nodata, any band count) and TIFF layouts
    Pillow has no mode for (16-bit RGBA, 64-bit float) are read through GDAL."""
    return mime == "image/tiff" and (geo is not None or not pillow_opens(data, mime))


def _full_size(data: bytes, facts: ImageFacts, notes: list[str]) -> ImageFacts:
    """A raw file's (DNG, NEF...) full-resolution size when IFD0 is its preview."""
    if facts.mime != "image/tiff":
        return facts
    full = tiff_full_size(data)
    if full is None:
        return facts
    notes.append(
        f"{tiff_kind(data)}: the full {full[0]}x{full[1]} raw image is not decoded; "
        f"the display is made from its {facts.width}x{facts.height} embedded preview"
    )
    return replace(facts, width=full[0], height=full[1])


def _read_and_identify(
    source: Source, filename: str | None, *, max_bytes: int
) -> tuple[bytes, ImageFacts]:
    if filename is None and isinstance(source, (str, os.PathLike)):
        filename = os.fspath(source)
    data, sha256 = read_hashed(source, max_bytes=max_bytes)
    mime = sniff_mime(data[:SNIFF_BYTES])
    if mime is None:
        raise unsupported_type(data[:SNIFF_BYTES])
    return data, ImageFacts(
        sha256=sha256,
        size_bytes=len(data),
        mime=mime,
        width=0,
        height=0,
        extension_mismatch=extension_mismatch(filename, mime),
    )


def process_image(
    source: Source,
    *,
    filename: str | None = None,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    thumb_size: tuple[int, int] = (320, 320),
    display_max: int = 2048,
    display_min: int = 1000,
    derivative_format: DerivativeFormat = "JPEG",
    quality: int = 85,
) -> ProcessedImage:
    """Validate and derive everything the evidence page needs, decoding once.

    JPEGs decode at the coarsest DCT scale whose long side still reaches
    ``display_min`` (a 2000 px photo decodes at 1000 px, a 6000 px one at 1500 px):
    the display derivative is for reading on a page, the original stays available
    for full-resolution work, and a full-size decode would double the cost.

    The original is only read. Derivatives are re-encoded from pixels, oriented
    per EXIF, in sRGB, with no EXIF/XMP/ICC and nothing past the image's end.
    Raises ``ImageRejected``.
    """
    data, facts = _read_and_identify(source, filename, max_bytes=max_bytes)
    notes: list[str] = []
    trailing = trailing_bytes(data, facts.mime)
    derive = {
        "thumb_size": thumb_size,
        "display_max": display_max,
        "derivative_format": derivative_format,
        "quality": quality,
    }
    geo = _geo(data, facts.mime)
    pil_format = None
    if _read_by_gdal(data, facts.mime, geo):
        pixels = read_display_pixels(
            data, max_pixels=max_pixels, box=(display_max, display_max)
        )
        facts = replace(facts, width=pixels.width, height=pixels.height)
        notes.extend(pixels.notes)
        meta = read_metadata(None, exif=_tiff_exif(data))
        thumbnail, display, phash, low_information = _derive(
            raster_to_image(pixels.bands, pixels.valid, notes), notes, **derive
        )
    else:
        with opened(data, facts.mime, max_pixels=max_pixels) as img:
            facts = replace(facts, width=img.width, height=img.height)
            pil_format = img.format
            # The display box is square: EXIF rotation does not change this target.
            decode(img, draft_to=fit(img.size, (display_min, display_min)))
            frames = frame_count(img)
            if frames is None:
                notes.append("sub-images after the first could not be read")
            elif frames > 1:
                notes.append(f"{frames} frames: the first is shown")
            # PNG can carry eXIf after the pixels, so read EXIF after the decode.
            meta = read_metadata(img)
            # All pixel work stays inside the block: closing the file frees pixels.
            thumbnail, display, phash, low_information = _derive(img, notes, **derive)
        facts = _full_size(data, facts, notes)

    return ProcessedImage(
        sha256=facts.sha256,
        size_bytes=facts.size_bytes,
        mime=facts.mime,
        extension_mismatch=facts.extension_mismatch,
        width=facts.width,
        height=facts.height,
        orientation=meta.orientation,
        exif=meta.exif,
        gps=meta.gps,
        captured_at=meta.captured_at,
        captured_at_local=meta.captured_at_local,
        phash=phash,
        thumbnail=thumbnail,
        display=display,
        notes=tuple(notes),
        trailing_bytes=trailing,
        trailing_kind=trailing_kind(data[len(data) - trailing :]) if trailing else None,
        capture=meta.capture,
        metadata=meta.named.to_json(),
        image_format=format_name(facts.mime, data, pil_format=pil_format, geo=geo),
        geo=geo,
        phash_low_information=low_information,
    )


def _tiff_exif(data: bytes) -> Image.Exif:
    """IFD0 and its EXIF/GPS directories, read by Pillow from the header alone
    (for TIFFs whose pixels Pillow cannot read)."""
    exif = Image.Exif()
    try:
        exif.load(data)
    except (OSError, SyntaxError, ValueError, KeyError, struct.error):
        return Image.Exif()
    return exif


def _derive(
    img: Image.Image,
    notes: list[str],
    *,
    thumb_size: tuple[int, int],
    display_max: int,
    derivative_format: DerivativeFormat,
    quality: int,
) -> tuple[Derivative, Derivative, str, bool]:
    """(thumbnail, display derivative, pHash of the thumbnail, whether that hash
    is low-information) from decoded pixels, oriented per EXIF (``img`` is turned
    in place)."""
    ImageOps.exif_transpose(img, in_place=True)
    pixels = to_srgb(img, notes)
    if max(pixels.size) > display_max:
        pixels = resize(pixels, fit(pixels.size, (display_max, display_max)))
    # Pillow releases the GIL while encoding: the display copy is encoded on
    # another thread while this one makes the thumbnail and the pHash.
    display_job = derivative_pool().submit(encode, pixels, derivative_format, quality)
    thumb = resize(pixels, fit(pixels.size, thumb_size))
    thumbnail = encode(thumb, derivative_format, quality)
    # pHash shrinks to 32x32 greyscale anyway; the thumbnail is the cheap input.
    phash = phash_of(thumb)
    return thumbnail, display_job.result(), phash, is_low_information(thumb)


# -- near-duplicates -----------------------------------------------------------


def near_duplicates(
    phash_hex: str,
    candidates: Iterable[tuple[K, str | None]],
    threshold: int = NEAR_DUPLICATE_THRESHOLD,
) -> list[tuple[K, int]]:
    """(id, distance) of candidates within ``threshold`` bits, nearest first.

    Candidates without a hash (None or "") are skipped; ties keep input order.
    """
    target = phash_int(phash_hex)
    found = []
    for key, other in candidates:
        if not other:
            continue
        distance = (target ^ phash_int(other)).bit_count()
        if distance <= threshold:
            found.append((key, distance))
    found.sort(key=lambda pair: pair[1])
    return found


# -- chain of custody ----------------------------------------------------------


def tool_versions() -> dict[str, str]:
    """Versions of the libraries that produced the derived data, for the custody log."""
    versions = {}
    for label, dist in (
        ("Pillow", "pillow"),
        ("imagehash", "ImageHash"),
        ("c2pa-python", "c2pa-python"),
        ("rasterio", "rasterio"),
        ("pillow-heif", "pillow-heif"),
    ):
        try:
            versions[label] = version(dist)
        except PackageNotFoundError:
            versions[label] = "not installed"
    versions["rasterio"] += f" (GDAL {GDAL_VERSION})"
    return versions
