"""EXIF metadata: a JSON-safe copy, the GPS position and the capture time.

Pure functions with no Django imports. Odd or damaged values are described or
dropped, never fatal: metadata is evidence to show, not a reason to refuse a file.
Long values are capped (TIFFs carry strip offset tables, cameras megabyte
MakerNotes) and anything cut is marked, never silently dropped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from PIL import ExifTags, Image, TiffImagePlugin

_MAX_EXIF_BYTES = 256
_MAX_EXIF_ITEMS = 64


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


def read_metadata(exif: Image.Exif) -> Metadata:
    """Everything the evidence page shows from one image's EXIF."""
    captured_at, captured_at_local = capture_time(exif.get_ifd(ExifTags.IFD.Exif))
    return Metadata(
        orientation=_orientation(exif),
        exif=exif_to_json(exif),
        gps=gps_position(exif.get_ifd(ExifTags.IFD.GPSInfo)),
        captured_at=captured_at,
        captured_at_local=captured_at_local,
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
    for tag, value in exif.items():
        if tag in (ExifTags.IFD.Exif, ExifTags.IFD.GPSInfo, ExifTags.IFD.Interop):
            continue  # IFD pointers: their contents are read below
        result[_tag_name(tag, ExifTags.TAGS)] = _json_safe(value)
    for tag, value in exif.get_ifd(ExifTags.IFD.Exif).items():
        if tag == ExifTags.Base.UserComment and isinstance(value, bytes):
            value = _user_comment(value)
        result[_tag_name(tag, ExifTags.TAGS)] = _json_safe(value)
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
    return names.get(tag) or f"Tag0x{tag:04X}"


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


_OFFSET_RE = re.compile(r"([+-])(\d{2}):(\d{2})")


def capture_time(exif_ifd: dict[int, Any]) -> tuple[datetime | None, str | None]:
    """(aware capture time or None, wall-clock ISO text or None) from the Exif IFD.

    Uses DateTimeOriginal with SubsecTimeOriginal and OffsetTimeOriginal. The
    aware value exists only when the offset is recorded; see ProcessedImage.
    """
    text = _ascii(exif_ifd.get(ExifTags.Base.DateTimeOriginal))
    if not text:
        return None, None
    try:
        local = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007
    except ValueError:
        return None, None  # e.g. "0000:00:00 00:00:00" from unset camera clocks
    subsec = _ascii(exif_ifd.get(ExifTags.Base.SubsecTimeOriginal))
    if subsec and subsec.isdigit():
        local = local.replace(microsecond=int(subsec[:6].ljust(6, "0")))
    offset = _ascii(exif_ifd.get(ExifTags.Base.OffsetTimeOriginal))
    match = _OFFSET_RE.fullmatch(offset or "")
    if match is None:
        return None, local.isoformat()
    sign = -1 if match[1] == "-" else 1
    delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
    if delta > timedelta(hours=14):
        return None, local.isoformat()
    return local.replace(tzinfo=timezone(sign * delta)), local.isoformat()
