"""EXIF metadata: a JSON-safe copy, the GPS position and the capture time.

Pure functions with no Django imports. Odd or damaged values are described or
dropped, never fatal: metadata is evidence to show, not a reason to refuse a file.
Long values are capped (TIFFs carry strip offset tables, cameras megabyte
MakerNotes) and anything cut is marked, never silently dropped. GeoTIFF tags are
named and kept whole up to a larger cap (georeferencing needs every number);
blocks read elsewhere (XMP, IPTC, Photoshop resources, ICC) and MakerNotes are
summarised by size rather than dumped as hex. Capture times: ``capture_time``;
XMP and IPTC by name: ``xmp_iptc``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import ExifTags, Image, TiffImagePlugin

from evidence.images.capture_time import CaptureTimes, capture_times
from evidence.images.xmp_iptc import (
    NamedMetadata,
    named_from_tiff,
    read_named_metadata,
)

_MAX_EXIF_BYTES = 256
_MAX_EXIF_ITEMS = 64
# GeoTIFF and GDAL tags: names, and a cap generous enough for real tie-point
# grids and GDAL's XML while still bounding what one tag can put in the JSON.
GEOTIFF_TAGS = {
    33550: "ModelPixelScaleTag",
    33922: "ModelTiepointTag",
    34264: "ModelTransformationTag",
    34735: "GeoKeyDirectoryTag",
    34736: "GeoDoubleParamsTag",
    34737: "GeoAsciiParamsTag",
    42112: "GDAL_METADATA",
    42113: "GDAL_NODATA",
}
_MAX_GEOTIFF_ITEMS = 4096
_MAX_GEOTIFF_TEXT = 64 * 1024
_MAKER_NOTE = 0x927C
# Blocks another reader names (xmp_iptc) or that are binary by nature.
_BLOCKS = {
    700: "XMP packet (read by name under XMP)",
    33723: "IPTC-NAA record (read by name under IPTC)",
    34377: "Photoshop image resources",
    34675: "ICC colour profile",
}


@dataclass(frozen=True, slots=True)
class GpsPosition:
    latitude: float  # decimal degrees, south negative
    longitude: float  # decimal degrees, west negative
    altitude_m: float | None  # metres, below sea level negative
    fixed_at: datetime | None  # GPSDateStamp + GPSTimeStamp, always UTC


@dataclass(frozen=True, slots=True)
class Metadata:
    """What the EXIF says, as ProcessedImage carries it (see its comments)."""

    orientation: int | None
    exif: dict[str, Any]
    gps: GpsPosition | None
    captured_at: datetime | None
    captured_at_local: str | None
    capture: CaptureTimes
    named: NamedMetadata


def read_metadata(img: Image.Image | None, exif: Image.Exif | None = None) -> Metadata:
    """Everything the evidence page shows from one image's EXIF, XMP and IPTC.
    Without an open image (a TIFF read through GDAL), from its header's `exif`:
    the XMP packet of TIFF tag 700 is read from there."""
    exif = exif if exif is not None else img.getexif()
    exif_ifd = exif.get_ifd(ExifTags.IFD.Exif)
    gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
    named = read_named_metadata(img) if img is not None else named_from_tiff(exif)
    times = capture_times(
        ifd0=exif, exif_ifd=exif_ifd, gps_ifd=gps_ifd, xmp=named.xmp, iptc=named.iptc
    )
    chosen = times.chosen
    return Metadata(
        orientation=_orientation(exif),
        exif=exif_to_json(exif),
        gps=gps_position(gps_ifd),
        captured_at=chosen.instant if chosen else None,
        captured_at_local=chosen.candidate.wall_clock if chosen else None,
        capture=times,
        named=named,
    )


def _orientation(exif: Image.Exif) -> int | None:
    value = exif.get(ExifTags.Base.Orientation)
    return value if isinstance(value, int) and 1 <= value <= 8 else None


def exif_to_json(exif: Image.Exif) -> dict[str, Any]:
    """EXIF as a JSON-safe dict keyed by tag name.

    Base and Exif-IFD tags are merged at the top level (as tools show them); GPS
    tags sit under "GPSInfo". Unknown tags become "Tag0x1234".
    """
    result: dict[str, Any] = {}
    make = _ascii(exif.get(ExifTags.Base.Make)) or ""
    for tag, value in exif.items():
        if tag in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, ExifTags.IFD.Interop):
            continue  # IFD pointers: their contents are read below
        result[_tag_name(tag, ExifTags.TAGS)] = _tag_value(tag, value, make)
    for tag, value in exif.get_ifd(ExifTags.IFD.Exif).items():
        if tag == ExifTags.Base.UserComment and isinstance(value, bytes):
            value = _user_comment(value)
        result[_tag_name(tag, ExifTags.TAGS)] = _tag_value(tag, value, make)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        result["GPSInfo"] = {
            _tag_name(tag, ExifTags.GPSTAGS): _json_safe(value)
            for tag, value in gps.items()
        }
    return result


def _user_comment(value: bytes) -> str | bytes:
    """UserComment opens with an 8-byte charset code; decode the text after it."""
    codecs = {b"ASCII\0\0\0": "ascii", b"UNICODE\0": "utf-16", b"\0" * 8: "utf-8"}
    codec = codecs.get(value[:8])
    if codec is None:
        return value  # JIS or unknown: left to the generic bytes rule
    try:
        return value[8:].decode(codec).replace("\x00", "").strip()
    except UnicodeDecodeError:
        return value


def _tag_name(tag: int, names: dict[int, str]) -> str:
    return names.get(tag) or GEOTIFF_TAGS.get(tag) or f"Tag0x{tag:04X}"


def _tag_value(tag: int, value: Any, make: str) -> Any:
    """One tag's JSON value: GeoTIFF kept whole (to a cap), blocks summarised."""
    if tag in GEOTIFF_TAGS:
        return _geotiff_value(value)
    if tag == _MAKER_NOTE and isinstance(value, bytes):
        return maker_note_summary(value, make)
    if tag in _BLOCKS:
        if isinstance(value, bytes | str):
            return f"{_BLOCKS[tag]}, {len(value):,} bytes"
        return _BLOCKS[tag]  # e.g. IPTC that TIFF writers store as LONGs
    return _json_safe(value)


def _geotiff_value(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, str):
        text = value.replace("\x00", "").strip()
        if len(text) > _MAX_GEOTIFF_TEXT:
            return text[:_MAX_GEOTIFF_TEXT] + "…"
        return text
    if isinstance(value, tuple | list):
        items = [_json_safe(v, 1) for v in value[:_MAX_GEOTIFF_ITEMS]]
        if len(value) > _MAX_GEOTIFF_ITEMS:
            items.append(f"… {len(value) - _MAX_GEOTIFF_ITEMS} more")
        return items
    return _json_safe(value)


def maker_note_summary(value: bytes, make: str) -> dict[str, Any]:
    """What a MakerNote is without dumping it: the maker (EXIF Make), its size
    and the signature it opens with when it has one ("Apple iOS", "Nikon")."""
    head = value[:16].split(b"\x00", 1)[0]
    printable = head and all(32 <= b < 127 for b in head)
    return {
        "maker": make,
        "bytes": len(value),
        "signature": head.decode("ascii").strip() if printable else "",
    }


def _json_safe(value: Any, depth: int = 0) -> Any:
    """Make one EXIF value JSON-safe; odd values are described, never fatal."""
    if depth > 4:
        return repr(value)[:_MAX_EXIF_BYTES]
    if isinstance(value, bool | int | str):
        return value.replace("\x00", "").strip() if isinstance(value, str) else value
    if isinstance(value, TiffImagePlugin.IFDRational | float):
        number = _to_float(value)
        return number  # None for 0/0 and other non-finite values
    if isinstance(value, bytes):
        cut = value[:_MAX_EXIF_BYTES]
        suffix = "…" if len(value) > _MAX_EXIF_BYTES else ""
        text = cut.rstrip(b"\x00")
        if text and all(32 <= b < 127 or b in (9, 10, 13) for b in text):
            return text.decode("ascii") + suffix
        return cut.hex() + suffix
    if isinstance(value, tuple | list):
        items = [_json_safe(v, depth + 1) for v in value[:_MAX_EXIF_ITEMS]]
        if len(value) > _MAX_EXIF_ITEMS:
            items.append(f"… {len(value) - _MAX_EXIF_ITEMS} more")
        return items
    if isinstance(value, dict):
        return {str(k): _json_safe(v, depth + 1) for k, v in value.items()}
    return repr(value)[:_MAX_EXIF_BYTES]


def _to_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None


def _ascii(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if isinstance(value, str):
        return value.replace("\x00", "").strip() or None
    return None


def _degrees(value: Any) -> float | None:
    """Degrees from EXIF (deg, min, sec) rationals; some writers store one number."""
    parts = value if isinstance(value, tuple | list) else (value,)
    numbers = [_to_float(p) for p in parts[:3]]
    if not numbers or any(n is None for n in numbers):
        return None
    return sum(n / 60**i for i, n in enumerate(numbers))  # type: ignore[operator]


def gps_position(gps: dict[int, Any]) -> GpsPosition | None:
    """Decimal position from a GPS IFD, or None when absent or nonsensical.

    A missing N/S or E/W reference leaves the sign unknown, so we return None
    rather than guess a hemisphere.
    """
    tags = ExifTags.GPS
    lat = _degrees(gps.get(tags.GPSLatitude))
    lon = _degrees(gps.get(tags.GPSLongitude))
    lat_ref = (_ascii(gps.get(tags.GPSLatitudeRef)) or "").upper()[:1]
    lon_ref = (_ascii(gps.get(tags.GPSLongitudeRef)) or "").upper()[:1]
    if lat is None or lon is None or lat_ref not in ("N", "S"):
        return None
    if lon_ref not in ("E", "W"):
        return None
    lat = -lat if lat_ref == "S" else lat
    lon = -lon if lon_ref == "W" else lon
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None

    altitude = _to_float(gps.get(tags.GPSAltitude))
    alt_ref = gps.get(tags.GPSAltitudeRef)
    if isinstance(alt_ref, bytes):
        alt_ref = alt_ref[:1] == b"\x01"
    if altitude is not None and alt_ref in (1, True):
        altitude = -altitude

    return GpsPosition(
        latitude=round(lat, 7),  # ~1 cm: more digits are noise
        longitude=round(lon, 7),
        altitude_m=round(altitude, 2) if altitude is not None else None,
        fixed_at=_gps_time(gps.get(tags.GPSDateStamp), gps.get(tags.GPSTimeStamp)),
    )


def _gps_time(date_stamp: Any, time_stamp: Any) -> datetime | None:
    date_text = _ascii(date_stamp)
    if (
        not date_text
        or not isinstance(time_stamp, tuple | list)
        or len(time_stamp) != 3
    ):
        return None
    hms = [_to_float(v) for v in time_stamp]
    if any(v is None for v in hms):
        return None
    try:
        day = datetime.strptime(date_text, "%Y:%m:%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    h, m, s = hms
    return day + timedelta(hours=h, minutes=m, seconds=s)  # type: ignore[arg-type]
