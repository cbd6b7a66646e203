"""What an AIS upload is, judged from the head of the file before it is accepted:
its compression and layout, and (for a zstd frame that declares its size) whether
it would expand past the limits."""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

import zstandard
from django.conf import settings

from evidence.ais.csv_reader import read_header
from evidence.ais.layouts import Layout
from evidence.ais.parse import (
    GZIP_MAGIC,
    RATIO_FLOOR_BYTES,
    ZSTD_MAGIC,
    ZSTD_MAX_WINDOW,
    ExpansionLimits,
    UnknownFormat,
    UnknownLayout,
    detect_layout,
)
from evidence.services import FileRefused

# Head of the file (compressed) read to detect the layout before accepting it.
SNIFF_BYTES = 1 << 20
SNIFF_DECOMPRESSED = 1 << 18


class LayoutRefused(FileRefused):
    """A CSV in no known layout: the header and a sample row, for the mapping form."""

    def __init__(self, message: str, *, header: list[str], sample: list[str]) -> None:
        super().__init__(message, code="not_ais")
        self.header = header
        self.sample = sample


@dataclass(frozen=True)
class Sniffed:
    format: str  # one of evidence.ais.parse.FORMATS
    compression: str  # "gzip", "zstd" or ""
    layout: Layout | None = None  # the CSV layout (None for NMEA)
    header: list[str] = field(default_factory=list)


def sniff_ais(
    upload: IO[bytes],
    *,
    layout: Layout | None = None,
    team_layouts: Sequence[Layout] = (),
) -> Sniffed:
    """Detect compression and layout from the head of the file. Raises FileRefused
    (LayoutRefused for a CSV in no known layout).

    Only the first MiB is read (and at most 256 KiB of it decompressed), so a
    500 MB upload (or a decompression bomb) is judged without being read twice in
    the web process. A zstd frame declaring a bomb's size is refused here.
    """
    if upload.seekable():
        upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    if upload.seekable():
        upload.seek(0)
    if not head:
        raise FileRefused("The file is empty.", code="empty")
    compression = ""
    try:
        if head.startswith(GZIP_MAGIC):
            compression = "gzip"
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(
                head, SNIFF_DECOMPRESSED
            )
        elif head.startswith(ZSTD_MAGIC):
            compression = "zstd"
            _check_declared_size(zstandard.frame_content_size(head), upload)
            reader = zstandard.ZstdDecompressor(
                max_window_size=ZSTD_MAX_WINDOW
            ).stream_reader(io.BytesIO(head))
            head = reader.read(SNIFF_DECOMPRESSED)
    except (zlib.error, zstandard.ZstdError) as exc:
        raise FileRefused(
            f"Not an AIS extract: the compressed content could not be read ({exc}).",
            code="not_ais",
        ) from exc
    try:
        fmt, csv_layout = detect_layout(head, layout=layout, team_layouts=team_layouts)
    except UnknownLayout as exc:
        raise LayoutRefused(
            f"Not an AIS extract. {exc}", header=exc.header, sample=exc.sample
        ) from exc
    except UnknownFormat as exc:
        raise FileRefused(f"Not an AIS extract. {exc}", code="not_ais") from exc
    header = [h.strip() for h in read_header(head)] if csv_layout else []
    return Sniffed(
        format=fmt, compression=compression, layout=csv_layout, header=header
    )


def _check_declared_size(declared: int, upload: IO[bytes]) -> None:
    """Refuse at upload a zstd frame whose header already declares a bomb.

    Only a shortcut: a frame need not declare its size (and a gzip trailer's is
    modulo 4 GiB), so processing applies the same limits while it expands.
    """
    if declared < 0:  # not declared
        return
    limits = expansion_limits()
    if declared > limits.max_bytes:
        raise FileRefused(
            f"The file declares {declared:,} bytes of content, more than the "
            f"{limits.max_bytes:,}-byte limit for AIS extracts "
            "(AIS_MAX_EXPANDED_BYTES).",
            code="too_large",
        )
    stored = _upload_size(upload)
    if declared > max(limits.max_ratio * stored, RATIO_FLOOR_BYTES):
        raise FileRefused(
            f"The file declares {declared:,} bytes of content, more than "
            f"{limits.max_ratio:g} times its compressed size of {stored:,} bytes "
            "(AIS_MAX_EXPANSION_RATIO): refused as a decompression bomb.",
            code="too_large",
        )


def _upload_size(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        position = upload.tell()
        size = upload.seek(0, io.SEEK_END)
        upload.seek(position)
    return int(size)


def expansion_limits() -> ExpansionLimits:
    """The settings' caps on how far an extract may expand when decompressed."""
    return ExpansionLimits(
        max_bytes=settings.AIS_MAX_EXPANDED_BYTES,
        max_ratio=settings.AIS_MAX_EXPANSION_RATIO,
    )
