"""Read AIS extracts into raw columns, whatever layout they come in.

Pure: no Django, no ORM. The layout is detected from the content, never the file name:

- ``marinecadastre``: MarineCadastre.gov CSV (``MMSI, BaseDateTime, LAT, LON, ...``),
  optionally gzip-compressed;
- ``marinecadastre_v2``: the newer snake_case layout (``mmsi, base_date_time, ...``)
  with literal ``NULL`` for unknowns, often zstandard-compressed (``.csv.zst``);
- ``dma``: Danish Maritime Authority CSV (``# Timestamp,Type of mobile,MMSI,...``,
  times ``dd/mm/yyyy HH:MM:SS`` UTC);
- the other CSV layouts of ``layouts`` (exactEarth/Spire, MarineTraffic,
  VesselsValue, NARI, AISHub, Global Fishing Watch), and a team's own layouts
  (``custom``), matched by their header or chosen by the uploader;
- ``nmea``: raw NMEA 0183 ``!AIVDM``/``!AIVDO`` lines, timed by a tag block ``c:``,
  a leading time, a NAIS trailer, a ``$PGHP`` header, the last ``$--RMC``/``$--ZDA``
  receiver clock or base station report (``nmea_reader`` gives the order). Decoded
  with pyais.

This module expands the content and detects the layout; ``csv_reader`` reads CSV
column-wise with pyarrow (a million rows must load in well under a second) and
``nmea_reader`` reads NMEA line by line, as it must be; both hand ``RawReports``
(``reports``) to ``validate``. Parsing never rejects a row on content:
it records what it saw (``RawReports``) and ``validate`` decides. The only rejections
made here are lines that are not AIS data at all (bad checksum, undecodable, orphan
fragments of multi-sentence messages).

Memory is bounded whatever the input: compressed content is expanded as a stream and
refused (``ExpansionRefused``) once it passes ``ExpansionLimits`` (an absolute size
and a ratio to the compressed size), and no line longer than ``MAX_LINE_BYTES`` is
ever copied out whole (the CSV header, NMEA lines).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO

import zstandard

from evidence.ais.csv_reader import LineTooLong, iter_csv, parse_csv, read_header
from evidence.ais.layouts import (
    BUILTIN,
    Layout,
    detect,
    match_team_layout,
    refusal_message,
)
from evidence.ais.nmea_reader import SENTENCE_RE, iter_nmea, parse_nmea
from evidence.ais.reports import MAX_LINE_BYTES, Progress, RawReports, UnknownFormat

FORMATS = (*BUILTIN, "nmea", "custom")

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# Processing streams (``open_reports``), so memory no longer grows with the expanded
# size; the absolute cap bounds the disk, database rows and time one extract may
# take (``parse`` and ``read_source``, used by tests and tools, still hold it whole).
DEFAULT_MAX_EXPANDED_BYTES = 1 << 30
# Real AIS compresses 2-21x (measured with gzip and zstd -19 on the test data and on
# synthetic tracks, a ship moored for a month being the worst); zeros or repeated
# rows compress 300-30,000x.
DEFAULT_MAX_EXPANSION_RATIO = 100
# Below this much expanded content the ratio is not judged: it cannot hurt, and tiny
# repetitive files (or their truncated gzip streams) can pass any ratio.
RATIO_FLOOR_BYTES = 16 << 20
_READ_CHUNK = 1 << 20
# Expanded CSV text per batch (pyarrow block): ~15,000 MarineCadastre rows. Measured
# on 10M rows: 2 MiB blocks hold the resident peak flat at ~220 MB in all (with the
# imports), 8 MiB ones let it creep to ~530 MB as Arrow's allocator fragments, and
# parsing is no faster with larger blocks.
CSV_BATCH_BYTES = 1 << 21
# A zstd frame may ask for a window this large at most (zstd's own default limit).
ZSTD_MAX_WINDOW = 1 << 27


class UnknownLayout(UnknownFormat):
    """A CSV whose header matches no layout; carries the header and a sample row
    so the uploader can map the columns."""

    def __init__(self, message: str, *, header: list[str], sample: list[str]) -> None:
        super().__init__(message)
        self.header = header
        self.sample = sample


class ExpansionRefused(UnknownFormat):
    """The content expands past ExpansionLimits (a decompression bomb or too big).

    A subclass of UnknownFormat, so callers that refuse unreadable input refuse
    this too; those that show a reason can name it apart.
    """


@dataclass(frozen=True)
class ExpansionLimits:
    """How far content may expand: bytes in all, and times the stored size."""

    max_bytes: int = DEFAULT_MAX_EXPANDED_BYTES
    max_ratio: float = DEFAULT_MAX_EXPANSION_RATIO


@dataclass(frozen=True)
class VesselInfo:
    """What a vessel said about itself (static AIS data), as last reported."""

    mmsi: int
    imo: int | None = None
    name: str | None = None
    call_sign: str | None = None
    ship_type: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "mmsi": f"{self.mmsi:09d}",
            # Zero-padded like the MMSI: 0000012 is a valid (synthetic) IMO.
            "imo": None if self.imo is None else f"{self.imo:07d}",
            "name": self.name,
            "call_sign": self.call_sign,
            "ship_type": self.ship_type,
        }


def read_source(
    source: bytes | str | Path, *, limits: ExpansionLimits | None = None
) -> bytes:
    """Return the decompressed content of a path or bytes (gzip/zstd by magic bytes).

    Expanded as a stream, chunk by chunk, so a bomb is refused (ExpansionRefused)
    having held at most the limit in memory, never its whole expansion.
    """
    limits = limits or ExpansionLimits()
    if isinstance(source, str | Path):
        with Path(source).open("rb") as raw:
            return _expand(raw, Path(source).stat().st_size, limits)
    return _expand(io.BytesIO(source), len(source), limits)


def _expand(raw: IO[bytes], stored_size: int, limits: ExpansionLimits) -> bytes:
    out = io.BytesIO()
    for chunk in expanded_chunks(raw, stored_size, limits):
        out.write(chunk)
    # BytesIO hands over its buffer without a copy when nothing else holds it.
    return out.getvalue()


def ratio_refusal(limits: ExpansionLimits, stored_size: int) -> ExpansionRefused:
    return ExpansionRefused(
        f"the content expands more than {limits.max_ratio:g} times "
        f"its compressed size of {stored_size:,} bytes "
        "(AIS_MAX_EXPANSION_RATIO); real AIS data compresses far "
        "less, so this looks like a decompression bomb."
    )


def is_compressed(magic: bytes) -> bool:
    return magic.startswith(GZIP_MAGIC) or magic.startswith(ZSTD_MAGIC)


def expanded_chunks(
    raw: IO[bytes],
    stored_size: int,
    limits: ExpansionLimits,
    expanded: list[int] | None = None,
) -> Iterator[bytes]:
    """The decompressed content (gzip/zstd by magic bytes) chunk by chunk, refused
    (ExpansionRefused) as soon as it passes ``limits``; the size of each chunk
    given is appended to ``expanded`` when given."""
    magic = raw.read(4)
    raw.seek(0)
    reader: IO[bytes] = raw
    compressed = is_compressed(magic)
    if magic.startswith(GZIP_MAGIC):
        reader = gzip.GzipFile(fileobj=raw, mode="rb")
    elif magic.startswith(ZSTD_MAGIC):
        reader = zstandard.ZstdDecompressor(
            max_window_size=ZSTD_MAX_WINDOW
        ).stream_reader(raw, read_across_frames=True)
    max_bytes = limits.max_bytes
    ratio_cap = max(limits.max_ratio * stored_size, RATIO_FLOOR_BYTES)
    size = 0
    try:
        while chunk := reader.read(_READ_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise ExpansionRefused(
                    f"the content expands past the {max_bytes:,}-byte limit for "
                    "AIS extracts (AIS_MAX_EXPANDED_BYTES); split the extract "
                    "into smaller files."
                )
            if compressed and size > ratio_cap:
                raise ratio_refusal(limits, stored_size)
            if expanded is not None:
                expanded.append(len(chunk))
            yield chunk
    except (OSError, EOFError, zstandard.ZstdError) as exc:
        raise UnknownFormat(f"compressed content could not be read: {exc}") from exc


class _ChunkStream(io.RawIOBase):
    """A read-only binary stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _valid_utf8(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Bad UTF-8 replaced (U+FFFD), as ``csv_reader`` does on whole content; ASCII
    chunks pass through untouched, so the common case costs a scan."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = False
    for chunk in chunks:
        if not pending and chunk.isascii():
            yield chunk
            continue
        text = decoder.decode(chunk)
        pending = bool(decoder.getstate()[0])
        yield text.encode("utf-8")
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail.encode("utf-8")


def detect_layout(
    data: bytes,
    *,
    layout: Layout | None = None,
    team_layouts: Sequence[Layout] = (),
) -> tuple[str, Layout | None]:
    """The format of decompressed content and, for CSV, the layout to read it with.

    NMEA is recognised first. A CSV is read with ``layout`` when given (refused if
    its header lacks a mapped required column), else with the first team layout
    made from the same header, else with the built-in layout its header names.
    Raises UnknownLayout (an UnknownFormat) naming the header otherwise.
    """
    head = data[:65536]
    if SENTENCE_RE.search(head):
        return "nmea", None
    header = read_header(data)
    if layout is not None:
        missing = layout.missing(header)
        if missing:
            raise UnknownFormat(
                f"the layout {layout.layout_name or layout.name!r} needs columns for "
                f"{', '.join(missing)}, which this file's header lacks."
            )
        return layout.name, layout
    team = match_team_layout(header, team_layouts)
    if team is not None:
        return team.name, team
    fmt = detect(header)
    if fmt is None:
        raise UnknownLayout(
            refusal_message(header), header=header, sample=read_sample(head)
        )
    return fmt, BUILTIN[fmt]


def detect_format(
    data: bytes,
    *,
    layout: Layout | None = None,
    team_layouts: Sequence[Layout] = (),
) -> str:
    """Name the layout of decompressed content, or raise UnknownFormat."""
    return detect_layout(data, layout=layout, team_layouts=team_layouts)[0]


def read_sample(head: bytes) -> list[str]:
    """The first data row after the header, as CSV fields ([] if none)."""
    lines = head.split(b"\n", 3)[1:3]
    for line in lines:
        text = line.decode("utf-8", "replace").rstrip("\r")
        if not text.strip():
            continue
        try:
            return next(csv.reader([text]), [])
        except csv.Error:
            return []
    return []


def parse(
    source: bytes | str | Path,
    *,
    progress: Progress | None = None,
    limits: ExpansionLimits | None = None,
    layout: Layout | None = None,
    team_layouts: Sequence[Layout] = (),
) -> RawReports:
    """Read an AIS extract (path or bytes) into RawReports. Raises UnknownFormat
    (ExpansionRefused past ``limits``, by default ``ExpansionLimits()``)."""
    data = read_source(source, limits=limits)
    _fmt, csv_layout = detect_layout(data, layout=layout, team_layouts=team_layouts)
    if csv_layout is None:
        total = data.count(b"\n") + (not data.endswith(b"\n"))
        return parse_nmea(iter_lines(data), progress=progress, total=total)
    return parse_csv(data, csv_layout)


# Expanded content read before the layout is judged: the sniffed head and the
# longest header line allowed.
_HEAD_BYTES = 65536 + MAX_LINE_BYTES + 1


@contextmanager
def open_reports(
    source: bytes | str | Path,
    *,
    limits: ExpansionLimits | None = None,
    batch_bytes: int = CSV_BATCH_BYTES,
    layout: Layout | None = None,
    team_layouts: Sequence[Layout] = (),
) -> Iterator[tuple[str, Iterator[RawReports]]]:
    """The layout of an AIS extract and its RawReports in batches, read as a stream.

    CSV comes in batches of about ``batch_bytes`` of expanded text (pyarrow's
    streaming reader) and NMEA in batches of ``NMEA_BATCH_LINES`` lines, so
    memory does not grow with the file. ``ExpansionLimits`` are
    applied as the content expands. A CSV is read with ``layout`` or as
    ``detect_layout`` finds. Raises UnknownFormat.
    """
    limits = limits or ExpansionLimits()
    with ExitStack() as stack:
        if isinstance(source, str | Path):
            raw: IO[bytes] = stack.enter_context(Path(source).open("rb"))
            stored = Path(source).stat().st_size
        else:
            raw, stored = io.BytesIO(source), len(source)
        expanded: list[int] = []
        compressed = is_compressed(raw.read(4))
        raw.seek(0)
        chunks = expanded_chunks(raw, stored, limits, expanded)
        head = bytearray()
        for chunk in chunks:
            head += chunk
            if len(head) >= _HEAD_BYTES:
                break
        fmt, csv_layout = detect_layout(
            bytes(head), layout=layout, team_layouts=team_layouts
        )
        if csv_layout is None:
            yield fmt, iter_nmea(iter_chunk_lines(chain([bytes(head)], chunks)))
            return
        header = read_header(bytes(head))
        stream = io.BufferedReader(
            _ChunkStream(_valid_utf8(chain([bytes(head)], chunks))), _READ_CHUNK
        )
        del head
        reports = iter_csv(stream, csv_layout, header, block_bytes=batch_bytes)
        if compressed:
            reports = _bomb_before_long_line(reports, expanded, stored, limits)
        yield fmt, reports


def _bomb_before_long_line(
    reports: Iterator[RawReports],
    expanded: list[int],
    stored: int,
    limits: ExpansionLimits,
) -> Iterator[RawReports]:
    """A compressed line too long to read is refused as the bomb it is when the
    content read so far already expands past the ratio: with batches smaller than
    ``RATIO_FLOOR_BYTES``, such a line (zeros behind a header) is met before the
    ratio is judged."""
    try:
        yield from reports
    except LineTooLong as exc:
        if sum(expanded) > limits.max_ratio * stored:
            raise ratio_refusal(limits, stored) from exc
        raise


_LINE_RE = re.compile(rb"[^\r\n]+")


def iter_chunk_lines(
    chunks: Iterable[bytes], max_bytes: int = MAX_LINE_BYTES
) -> Iterator[bytes]:
    """``iter_lines`` over content that comes in chunks: the same lines, and an
    overlong line is cut to ``max_bytes + 1`` bytes without ever being held
    whole (its rest is skipped up to the next line end)."""
    pending = b""
    skipping = False  # inside an overlong line already given
    for chunk in chunks:
        data = pending + chunk
        end = max(data.rfind(b"\n"), data.rfind(b"\r"))
        if end < 0:
            complete, pending = b"", data
        else:
            complete, pending = data[: end + 1], data[end + 1 :]
        if skipping and complete:
            # The overlong line ends at the first line end here.
            cut = min(i for i in (complete.find(b"\n"), complete.find(b"\r")) if i >= 0)
            complete, skipping = complete[cut:], False
        yield from iter_lines(complete, max_bytes)
        if not skipping and len(pending) > max_bytes:
            yield pending[: max_bytes + 1]
            pending, skipping = b"", True
        elif skipping:
            pending = b""
    if pending and not skipping:
        yield from iter_lines(pending, max_bytes)


def iter_lines(data: bytes, max_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The non-empty lines of ``data`` (split as ``splitlines`` splits), each cut
    to ``max_bytes + 1`` bytes so an overlong line is never copied whole."""
    for match in _LINE_RE.finditer(data):
        start, end = match.span()
        yield data[start : min(end, start + max_bytes + 1)]
