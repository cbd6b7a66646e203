"""Image safety checks: refuse what is not a safe, whole image before it is used.

Pure functions with no Django imports; limits come in as arguments. Each check
raises ``ImageRejected`` with a message for the person uploading:

- the bytes are read once, hashed as they arrive, and refused past ``max_bytes``;
- the type is sniffed from the magic number (the file name is never trusted), and
  Pillow must identify it with only that format's plugin;
- the pixel count is refused from the header, before any pixel is decoded;
- the full decode catches truncated and damaged files.

``trailing_bytes`` finds what is stored after the image's own end (an appended
archive, a polyglot), which decoders silently ignore.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pillow_heif
from PIL import Image, ImageFile, UnidentifiedImageError

from evidence.images.formats import (
    describe_other_format,
    sniff_heif_family,
    sniff_jpeg2000,
)

# HEIF (HEVC) through libheif; Pillow reads AVIF and JPEG 2000 itself.
pillow_heif.register_heif_opener()

# Extensions that name each type. Formats built on another share its type:
# MPO (multi-picture) is JPEG; DNG and TIFF-based raws, and BigTIFF, are TIFF.
_EXTENSIONS = {
    "image/jpeg": frozenset({".jpg", ".jpeg", ".jpe", ".jfif", ".jif", ".mpo"}),
    "image/png": frozenset({".png"}),
    "image/webp": frozenset({".webp"}),
    "image/tiff": frozenset(
        {".tif", ".tiff", ".btf", ".tf8", ".bigtiff", ".gtiff", ".dng"}
        | {".cr2", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".pef", ".3fr", ".iiq"}
    ),
    "image/heif": frozenset({".heic", ".heif", ".hif", ".heics", ".heifs"}),
    "image/avif": frozenset({".avif", ".avifs"}),
    "image/jp2": frozenset({".jp2", ".j2k", ".j2c", ".jpc", ".jpf", ".jpx", ".jph"}),
}
# Plugin to open each sniffed type with, and the formats that plugin may report
# (camera JPEGs with a second picture come back as MPO).
_PIL_PLUGIN = {
    "image/jpeg": ("JPEG", frozenset({"JPEG", "MPO"})),
    "image/png": ("PNG", frozenset({"PNG"})),
    "image/webp": ("WEBP", frozenset({"WEBP"})),
    "image/tiff": ("TIFF", frozenset({"TIFF"})),
    "image/heif": ("HEIF", frozenset({"HEIF"})),
    "image/avif": ("AVIF", frozenset({"AVIF"})),
    "image/jp2": ("JPEG2000", frozenset({"JPEG2000"})),
}
ACCEPTED_NAMES = "JPEG, PNG, WebP, TIFF (GeoTIFF, DNG), HEIC/HEIF, AVIF or JPEG 2000"
_CHUNK = 1 << 20
SNIFF_BYTES = 1024

Source = str | os.PathLike[str] | BinaryIO


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


# -- the type ------------------------------------------------------------------


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
    if sniff_jpeg2000(head):
        return "image/jp2"
    return sniff_heif_family(head)


def unsupported_type(head: bytes) -> ImageRejected:
    """The refusal for a file whose leading bytes announce no allowed type."""
    described = _describe_refused(head)
    if described is None:
        # Say so plainly rather than guess: the first bytes match nothing we know.
        return ImageRejected(
            "This file is not in a recognised image format. "
            f"Upload a {ACCEPTED_NAMES} file.",
            code="unsupported_type",
        )
    return ImageRejected(
        f"This file is {described}, not an accepted image. "
        f"Upload a {ACCEPTED_NAMES} file.",
        code="unsupported_type",
    )


def extension_mismatch(filename: str | None, mime: str) -> bool:
    """Does the name's extension name another type? No extension claims nothing."""
    suffix = Path(filename or "").suffix.lower()
    return bool(suffix) and suffix not in _EXTENSIONS[mime]


def _describe_refused(head: bytes) -> str | None:
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
    return describe_other_format(head)


# -- the bytes -----------------------------------------------------------------


def read_hashed(source: Source, *, max_bytes: int) -> tuple[bytes, str]:
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


# -- the pixels ----------------------------------------------------------------


@contextlib.contextmanager
def opened(data: bytes, mime: str, *, max_pixels: int) -> Iterator[ImageFile.ImageFile]:
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
            raise too_many_pixels(max_pixels) from exc
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
            raise too_many_pixels(max_pixels)
        yield img


def pillow_opens(data: bytes, mime: str) -> bool:
    """Can Pillow parse this file's header? TIFF layouts it has no mode for
    (16-bit RGBA, 64-bit float, 4+ bands of satellite data) cannot, and are
    read through GDAL instead (``geo.read_display_pixels``)."""
    plugin, _ = _PIL_PLUGIN[mime]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[plugin]):
                return True
        except Image.DecompressionBombError:
            return True  # readable; opened() refuses it with the pixel cap
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            return False


def frame_count(img: Image.Image) -> int | None:
    """How many frames or sub-images; None when a later one cannot be parsed
    (e.g. a COG's transparency-mask sub-image: "unknown pixel mode")."""
    try:
        return int(getattr(img, "n_frames", 1))
    except (OSError, SyntaxError, ValueError, EOFError):
        return None
    finally:
        with contextlib.suppress(OSError, SyntaxError, ValueError, EOFError):
            img.seek(0)


def too_many_pixels(max_pixels: int) -> ImageRejected:
    return ImageRejected(
        f"The image is larger than the {max_pixels:,}-pixel limit.",
        code="too_many_pixels",
    )


def decode(img: ImageFile.ImageFile, *, draft_to: tuple[int, int]) -> None:
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
