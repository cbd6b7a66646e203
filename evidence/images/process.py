"""Image evidence: refuse what is not a safe image, then derive what the page shows.

Pure functions with no Django imports: limits (bytes, pixels, sizes) come in as
arguments so the one settings module stays the only place they are configured.

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

import contextlib
import hashlib
import io
import json
import math
import os
import re
import threading
import warnings
from collections.abc import Hashable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar

import imagehash
import numpy as np
from PIL import (
    ExifTags,
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    TiffImagePlugin,
    UnidentifiedImageError,
)

DEFAULT_MAX_PIXELS = 50_000_000
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# 64-bit pHash: re-encodes and resizes of one picture usually land within 0-6 bits,
# unrelated pictures around 32. 10 is the customary cut-off (imagehash's own docs
# and most de-duplication tools); raise it for crops/edits at the cost of noise.
NEAR_DUPLICATE_THRESHOLD = 10

ALLOWED_MIME_TYPES = ("image/jpeg", "image/png", "image/webp", "image/tiff")
_EXTENSIONS = {
    "image/jpeg": frozenset({".jpg", ".jpeg", ".jpe", ".jfif"}),
    "image/png": frozenset({".png"}),
    "image/webp": frozenset({".webp"}),
    "image/tiff": frozenset({".tif", ".tiff"}),
}
# Plugin to open each sniffed type with, and the formats that plugin may report
# (camera JPEGs with a second picture come back as MPO).
_PIL_PLUGIN = {
    "image/jpeg": ("JPEG", frozenset({"JPEG", "MPO"})),
    "image/png": ("PNG", frozenset({"PNG"})),
    "image/webp": ("WEBP", frozenset({"WEBP"})),
    "image/tiff": ("TIFF", frozenset({"TIFF"})),
}
_CHUNK = 1 << 20
_SNIFF_BYTES = 1024
# Caps keep the EXIF JSON small: TIFFs carry strip offset tables, cameras carry
# megabyte MakerNotes. Anything cut is marked, never silently dropped.
_MAX_EXIF_BYTES = 256
_MAX_EXIF_ITEMS = 64
_PHASH_HEX_RE = re.compile(r"[0-9a-f]{16}")

Source = str | os.PathLike[str] | BinaryIO
DerivativeFormat = Literal["JPEG", "WEBP"]
K = TypeVar("K", bound=Hashable)


class ImageRejected(ValueError):
    """An upload we refuse to store as image evidence.

    ``message`` is for the person uploading; ``code`` is stable for code and tests:
    ``empty``, ``too_large``, ``unsupported_type``, ``corrupt``, ``truncated``,
    ``too_many_pixels``.
    """

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


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
class GpsPosition:
    latitude: float  # decimal degrees, south negative
    longitude: float  # decimal degrees, west negative
    altitude_m: float | None  # metres, below sea level negative
    fixed_at: datetime | None  # GPSDateStamp + GPSTimeStamp, always UTC


@dataclass(frozen=True, slots=True)
class Derivative:
    data: bytes
    mime: str
    width: int
    height: int


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
    with _opened(data, facts.mime, max_pixels=max_pixels) as img:
        facts = replace(facts, width=img.width, height=img.height)
        # Decoding at 1/8 scale is the cheapest complete pass over a JPEG scan.
        _decode(img, draft_to=(1, 1))
    return facts


_pool: ThreadPoolExecutor | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def _derivative_pool() -> ThreadPoolExecutor:
    """One encoding thread per process, made lazily: a pool inherited through fork
    (Celery's prefork workers) has no live thread and would never run a job."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="derivative")
            _pool_pid = os.getpid()
        return _pool


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
    with _opened(data, facts.mime, max_pixels=max_pixels) as img:
        facts = replace(facts, width=img.width, height=img.height)
        # The display box is square, so EXIF rotation does not change this target.
        _decode(img, draft_to=_fit(img.size, (display_min, display_min)))
        if getattr(img, "n_frames", 1) > 1:
            notes.append(f"{img.n_frames} frames: the first is shown")
        # PNG can carry eXIf after the pixels, so read EXIF after the decode.
        raw_exif = img.getexif()
        orientation = _orientation(raw_exif)
        exif = exif_to_json(raw_exif)
        gps = gps_position(raw_exif.get_ifd(ExifTags.IFD.GPSInfo))
        captured_at, captured_at_local = capture_time(
            raw_exif.get_ifd(ExifTags.IFD.Exif)
        )

        # All pixel work stays inside the block: closing the file frees its pixels.
        ImageOps.exif_transpose(img, in_place=True)
        pixels = _to_srgb(img, notes)
        if max(pixels.size) > display_max:
            pixels = _resize(pixels, _fit(pixels.size, (display_max, display_max)))
        # Pillow releases the GIL while encoding: the display copy is encoded on
        # another thread while this one makes the thumbnail and the pHash.
        display_job = _derivative_pool().submit(
            _encode, pixels, derivative_format, quality
        )
        thumb = _resize(pixels, _fit(pixels.size, thumb_size))
        thumbnail = _encode(thumb, derivative_format, quality)
        # pHash shrinks to 32x32 greyscale anyway; the thumbnail is the cheap input.
        phash = str(imagehash.phash(thumb, hash_size=8))
        display = display_job.result()

    return ProcessedImage(
        sha256=facts.sha256,
        size_bytes=facts.size_bytes,
        mime=facts.mime,
        extension_mismatch=facts.extension_mismatch,
        width=facts.width,
        height=facts.height,
        orientation=orientation,
        exif=exif,
        gps=gps,
        captured_at=captured_at,
        captured_at_local=captured_at_local,
        phash=phash,
        thumbnail=thumbnail,
        display=display,
        notes=tuple(notes),
        trailing_bytes=trailing,
        trailing_kind=trailing_kind(data[len(data) - trailing :]) if trailing else None,
    )


def sniff_mime(head: bytes) -> str | None:
    """The allowed image type these leading bytes announce, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    # Classic TIFF and BigTIFF, both byte orders.
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "image/tiff"
    return None


_TRAILING_KINDS = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"%PDF-", "pdf"),
    (b"Rar!\x1a\x07", "rar"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x1f\x8b", "gzip"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG", "png"),
)


def trailing_kind(payload: bytes) -> str:
    """What bytes appended after an image look like, from their signature."""
    for magic, kind in _TRAILING_KINDS:
        if payload.startswith(magic):
            return kind
    return "data"


def trailing_bytes(data: bytes, mime: str) -> int | None:
    """How many bytes follow the image's own end (0 for a clean file).

    Decoders stop at the end marker and ignore the rest, which is where ZIP
    archives and other payloads are hidden (a "polyglot" file). None when the
    end cannot be found cheaply (TIFF, or a structure this walk does not follow).
    """
    end: int | None = None
    if mime == "image/jpeg":
        end = _jpeg_end(data)
    elif mime == "image/png":
        end = _png_end(data)
    elif mime == "image/webp" and len(data) >= 8:
        end = 8 + int.from_bytes(data[4:8], "little")
        end += end % 2  # RIFF pads chunks to even sizes
    if end is None or end > len(data):
        return None
    return len(data) - end


def _jpeg_end(data: bytes) -> int | None:
    """Offset just past the EOI marker, walking segments (a payload may itself
    contain FFD9, so searching for the last one would be wrong)."""
    i, n = 2, len(data)
    while i + 1 < n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:
            return i + 2
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        if i + 4 > n:
            return None
        i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == 0xDA:  # entropy-coded data runs to the next real marker
            while True:
                i = data.find(b"\xff", i)
                if i < 0 or i + 1 >= n:
                    return None
                following = data[i + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    i += 2
                    continue
                break
    return None


def _png_end(data: bytes) -> int | None:
    i, n = 8, len(data)
    while i + 8 <= n:
        length = int.from_bytes(data[i : i + 4], "big")
        kind = data[i + 4 : i + 8]
        i += 12 + length  # length, type, data, CRC
        if kind == b"IEND":
            return i
    return None


def _describe_refused(head: bytes) -> str:
    """Name what a refused file looks like, for the message only."""
    if head.startswith(b"%PDF-"):
        return "a PDF document"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            text = head[2:].decode(codec, "ignore").encode().lstrip().lower()
    if b"<svg" in text:
        return "an SVG drawing"
    if text.startswith(b"<!doctype html") or b"<html" in text:
        return "an HTML page"
    if text.startswith(b"<"):
        return "an XML or markup file"
    if head.startswith(b"\x1f\x8b"):
        return "a compressed (gzip) file"
    if head.startswith(b"GIF8"):
        return "a GIF"
    return "not a recognised image"


def _read_and_identify(
    source: Source, filename: str | None, *, max_bytes: int
) -> tuple[bytes, ImageFacts]:
    if filename is None and isinstance(source, (str, os.PathLike)):
        filename = os.fspath(source)
    data, sha256 = _read_hashed(source, max_bytes=max_bytes)
    mime = sniff_mime(data[:_SNIFF_BYTES])
    if mime is None:
        kind = _describe_refused(data[:_SNIFF_BYTES])
        raise ImageRejected(
            f"This file is {kind}, not an accepted image. "
            "Upload a JPEG, PNG, WebP or TIFF file.",
            code="unsupported_type",
        )
    suffix = Path(filename or "").suffix.lower()
    return data, ImageFacts(
        sha256=sha256,
        size_bytes=len(data),
        mime=mime,
        width=0,
        height=0,
        # No extension claims nothing, so it cannot disagree.
        extension_mismatch=bool(suffix) and suffix not in _EXTENSIONS[mime],
    )


def _read_hashed(source: Source, *, max_bytes: int) -> tuple[bytes, str]:
    """Read all bytes once, hashing as they arrive; stop as soon as over the cap."""
    too_large = ImageRejected(
        f"The file is larger than the {max_bytes:,}-byte limit.", code="too_large"
    )
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    total = 0
    with _binary(source) as fh:
        if isinstance(source, (str, os.PathLike)) and os.fstat(fh.fileno()).st_size > (
            max_bytes
        ):
            raise too_large
        while chunk := fh.read(_CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise too_large
            digest.update(chunk)
            chunks.append(chunk)
    if total == 0:
        raise ImageRejected("The file is empty.", code="empty")
    return b"".join(chunks), digest.hexdigest()


@contextlib.contextmanager
def _binary(source: Source) -> Iterator[BinaryIO]:
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            yield fh
        return
    # An upload object may have been read already (e.g. by a form's validation).
    if source.seekable():
        source.seek(0)
    yield source


@contextlib.contextmanager
def _opened(
    data: bytes, mime: str, *, max_pixels: int
) -> Iterator[ImageFile.ImageFile]:
    """Open with only the sniffed type's plugin; refuse oversize from the header.

    Pillow's DecompressionBombWarning is an error here, so the effective cap is
    min(max_pixels, Image.MAX_IMAGE_PIXELS). Raise Pillow's global at start-up
    if a deployment needs bigger than ~89 Mpx.
    """
    plugin, reported = _PIL_PLUGIN[mime]
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=[plugin])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_many_pixels(max_pixels) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ImageRejected(
                f"This file starts like a {mime} image but cannot be read "
                "as one; it may be damaged.",
                code="corrupt",
            ) from exc
    with img:
        if img.format not in reported:
            raise ImageRejected(
                f"The file's contents do not match its {mime} header.",
                code="corrupt",
            )
        width, height = img.size
        if width < 1 or height < 1:
            raise ImageRejected("The image has no pixels.", code="corrupt")
        if width * height > max_pixels:
            raise _too_many_pixels(max_pixels)
        yield img


def _too_many_pixels(max_pixels: int) -> ImageRejected:
    return ImageRejected(
        f"The image is larger than the {max_pixels:,}-pixel limit.",
        code="too_many_pixels",
    )


def _decode(img: ImageFile.ImageFile, *, draft_to: tuple[int, int]) -> None:
    """Decode every pixel (at reduced DCT scale for JPEG); refuse damaged files."""
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # Someone flipped Pillow's global; truncated evidence would pass silently.
        msg = "PIL.ImageFile.LOAD_TRUNCATED_IMAGES must be False"
        raise RuntimeError(msg)
    if img.format in ("JPEG", "MPO"):
        img.draft(None, draft_to)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected(
                "The image is too large to decode safely.", code="too_many_pixels"
            ) from exc
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            if isinstance(exc, EOFError) or "truncated" in str(exc):
                raise ImageRejected(
                    "The image file is incomplete (truncated); upload it again.",
                    code="truncated",
                ) from exc
            raise ImageRejected(
                "The image data is damaged and cannot be decoded.", code="corrupt"
            ) from exc


# -- metadata ------------------------------------------------------------------


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


# -- derivatives ---------------------------------------------------------------

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _to_srgb(img: Image.Image, notes: list[str]) -> Image.Image:
    """RGB or L pixels in sRGB; alpha flattened on white; no metadata attached."""
    mode = img.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        out = _stretch_to_l(img)
        notes.append(f"{mode} pixels stretched to 8-bit for display")
    elif mode in ("RGB", "L"):
        out = img
    elif mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in img.info
    ):
        rgba = img.convert("RGBA")
        out = Image.new("RGB", rgba.size, (255, 255, 255))
        out.paste(rgba, mask=rgba.getchannel("A"))
    elif mode == "CMYK":
        out = img  # converted by the ICC profile below, or plainly after
    else:
        out = img.convert("RGB")

    icc = img.info.get("icc_profile")
    if icc and out.mode in ("RGB", "CMYK"):
        out = _apply_icc(out, icc, notes)
    if out.mode not in ("RGB", "L"):
        out = out.convert("RGB")
    # Savers take metadata from their kwargs only; clearing is belt and braces.
    # ``img`` is our private decode, so clearing it in place is safe and cheap.
    out.info.clear()
    return out


def _apply_icc(img: Image.Image, icc: bytes, notes: list[str]) -> Image.Image:
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(profile) or ""
        if img.mode == "RGB" and "srgb" in description.lower():
            return img  # already sRGB: skip a costly no-op transform
        converted = ImageCms.profileToProfile(img, profile, _SRGB, outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        notes.append(f"embedded colour profile ignored: {exc}")
        return img
    assert converted is not None  # noqa: S101 - inPlace=False always returns
    return converted


def _stretch_to_l(img: Image.Image) -> Image.Image:
    """Linear stretch between the 0.5th and 99.5th percentiles (satellite bands)."""
    arr = np.asarray(img, dtype=np.float32)
    sample = arr[:: max(1, arr.shape[0] // 512), :: max(1, arr.shape[1] // 512)]
    finite = sample[np.isfinite(sample)]
    lo, hi = np.percentile(finite, [0.5, 99.5]) if finite.size else (0.0, 1.0)
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    out = np.nan_to_num((arr - lo) * scale, nan=0.0)
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))


def _fit(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """Largest size within box keeping the aspect ratio; never enlarges."""
    width, height = size
    scale = min(box[0] / width, box[1] / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    if img.size == size:
        return img
    # What Image.thumbnail does: a cheap integer box reduce, then bicubic on the
    # smaller image. Lanczos from full size cost twice the time for no visible gain.
    return img.resize(size, Image.Resampling.BICUBIC, reducing_gap=2.0)


def _encode(img: Image.Image, fmt: DerivativeFormat, quality: int) -> Derivative:
    buf = io.BytesIO()
    img.save(buf, fmt, quality=quality)
    mime = "image/jpeg" if fmt == "JPEG" else "image/webp"
    return Derivative(
        data=buf.getvalue(), mime=mime, width=img.width, height=img.height
    )


# -- near-duplicates -----------------------------------------------------------


def hamming(a_hex: str, b_hex: str) -> int:
    """Bits that differ between two 64-bit pHashes given as 16 hex chars."""
    return (_phash_int(a_hex) ^ _phash_int(b_hex)).bit_count()


def _phash_int(value: str) -> int:
    if not _PHASH_HEX_RE.fullmatch(value.lower()):
        msg = f"not a 64-bit pHash in hex: {value!r}"
        raise ValueError(msg)
    return int(value, 16)


def near_duplicates(
    phash_hex: str,
    candidates: Iterable[tuple[K, str | None]],
    threshold: int = NEAR_DUPLICATE_THRESHOLD,
) -> list[tuple[K, int]]:
    """(id, distance) of candidates within ``threshold`` bits, nearest first.

    Candidates without a hash (None or "") are skipped; ties keep input order.
    """
    target = _phash_int(phash_hex)
    found = []
    for key, other in candidates:
        if not other:
            continue
        distance = (target ^ _phash_int(other)).bit_count()
        if distance <= threshold:
            found.append((key, distance))
    found.sort(key=lambda pair: pair[1])
    return found


# -- Content Credentials (C2PA) ------------------------------------------------

# Offline: never fetch a remote manifest or an OCSP response while reading
# evidence (it would leak what we are looking at, and make results time-variant).
C2PA_READ_SETTINGS = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}


def read_content_credentials(
    path: str | os.PathLike[str], mime: str
) -> dict[str, Any] | None:
    """Summarise the C2PA manifest store, or None when the file has none.

    ``state`` is "trusted" (signer on a configured trust list), "valid"
    (intact and correctly signed, signer not on a trust list), "invalid"
    (e.g. pixels changed after signing) or "unreadable" (a manifest is
    present but could not be parsed). ``validation_errors`` lists the
    failure codes; ``signed_at`` needs an RFC 3161 timestamp, else None.
    """
    import c2pa  # deferred: loads a native library most requests never need

    try:
        with c2pa.Context.from_dict(C2PA_READ_SETTINGS) as ctx, open(path, "rb") as fh:
            reader = c2pa.Reader.try_create(mime, fh, None, ctx)
            if reader is None:
                return None
            with reader:
                store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        return {
            "state": "unreadable",
            "signer": None,
            "signed_at": None,
            "claim_generator": None,
            "tools": [],
            "actions": [],
            "title": None,
            "manifest_count": 0,
            "validation_errors": [
                {"code": type(exc).__name__.lstrip("_"), "explanation": str(exc)}
            ],
        }
    return _summarise_manifest_store(store)


def _summarise_manifest_store(store: dict[str, Any]) -> dict[str, Any]:
    manifests = store.get("manifests") or {}
    active = manifests.get(store.get("active_manifest")) or {}
    signature = active.get("signature_info") or {}
    tools = [
        {"name": info.get("name"), "version": info.get("version")}
        for info in active.get("claim_generator_info") or []
        if isinstance(info, dict)
    ]
    generator = active.get("claim_generator") or ", ".join(
        " ".join(str(p) for p in (t["name"], t["version"]) if p) for t in tools
    )
    actions = []
    for assertion in active.get("assertions") or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            agent = action.get("softwareAgent")
            if isinstance(agent, dict):
                agent = agent.get("name")
            actions.append(
                {
                    "action": action.get("action"),
                    "when": action.get("when"),
                    "software_agent": agent,
                    "digital_source_type": action.get("digitalSourceType"),
                    "description": action.get("description"),
                }
            )
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = results.get("failure")
    if failures is None:
        failures = store.get("validation_status") or []
    state = str(store.get("validation_state") or "").lower()
    if state not in ("trusted", "valid", "invalid"):
        state = "invalid" if failures else "valid"
    return {
        "state": state,
        "signer": {
            "common_name": signature.get("common_name"),
            "issuer": signature.get("issuer"),
            "algorithm": signature.get("alg"),
            "certificate_serial_number": signature.get("cert_serial_number"),
        },
        "signed_at": signature.get("time"),
        "claim_generator": generator or None,
        "tools": tools,
        "actions": actions,
        "title": active.get("title"),
        "manifest_count": len(manifests),
        "validation_errors": [
            {"code": f.get("code"), "explanation": f.get("explanation")}
            for f in failures
        ],
    }


# -- chain of custody ----------------------------------------------------------


def tool_versions() -> dict[str, str]:
    """Versions of the libraries that produced the derived data, for the custody log."""
    versions = {}
    for label, dist in (
        ("Pillow", "pillow"),
        ("imagehash", "ImageHash"),
        ("c2pa-python", "c2pa-python"),
    ):
        try:
            versions[label] = version(dist)
        except PackageNotFoundError:
            versions[label] = "not installed"
    return versions
