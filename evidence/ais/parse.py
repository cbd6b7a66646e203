"""Read AIS extracts into raw columns, whatever layout they come in.

Pure: no Django, no ORM. The layout is detected from the content, never the file name:

- ``marinecadastre``: MarineCadastre.gov CSV (``MMSI, BaseDateTime, LAT, LON, ...``),
  optionally gzip-compressed;
- ``marinecadastre_v2``: the newer snake_case layout (``mmsi, base_date_time, ...``)
  with literal ``NULL`` for unknowns, often zstandard-compressed (``.csv.zst``);
- ``dma``: Danish Maritime Authority CSV (``# Timestamp,Type of mobile,MMSI,...``,
  times ``dd/mm/yyyy HH:MM:SS`` UTC);
- ``nmea``: raw NMEA 0183 ``!AIVDM``/``!AIVDO`` lines, each with an optional leading
  time (ISO 8601, ``YYYY-MM-DD HH:MM:SS`` or Unix seconds) or an NMEA 4.0 tag block
  whose ``c:`` field is Unix time. Decoded with pyais.

CSV is read column-wise with pyarrow (a million rows must load in well under a second);
only NMEA is read line by line, as it must be. Parsing never rejects a row on content:
it records what it saw (``RawReports``) and ``validate`` decides. The only rejections
made here are lines that are not AIS data at all (bad checksum, undecodable, orphan
fragments of multi-sentence messages).

Memory is bounded whatever the input: compressed content is expanded as a stream and
refused (``ExpansionRefused``) once it passes ``ExpansionLimits`` (an absolute size
and a ratio to the compressed size), and no line longer than ``MAX_LINE_BYTES`` is
ever copied out whole (the CSV header, NMEA lines).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import zstandard
from pyais import NMEAMessage, TagBlock

FORMATS = ("marinecadastre", "marinecadastre_v2", "dma", "nmea")
REQUIRED_COLUMNS = ("MMSI", "timestamp", "latitude", "longitude")

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

# Parsing holds the expanded content and then columns built from it (measured: peak
# memory about 4-5x the expanded size), so the absolute cap is what a worker can hold.
DEFAULT_MAX_EXPANDED_BYTES = 1 << 30
# Real AIS compresses 2-21x (measured with gzip and zstd -19 on the test data and on
# synthetic tracks, a ship moored for a month being the worst); zeros or repeated
# rows compress 300-30,000x.
DEFAULT_MAX_EXPANSION_RATIO = 100
# Below this much expanded content the ratio is not judged: it cannot hurt, and tiny
# repetitive files (or their truncated gzip streams) can pass any ratio.
RATIO_FLOOR_BYTES = 16 << 20
# Real lines are under 1 KiB (a MarineCadastre header is ~150 bytes, an NMEA
# sentence at most 82 plus a tag block).
MAX_LINE_BYTES = 64 << 10
_READ_CHUNK = 1 << 20
# pyarrow's CSV block: also the longest row it can hold (longer ones are refused).
_CSV_BLOCK_BYTES = 1 << 24
# A zstd frame may ask for a window this large at most (zstd's own default limit).
ZSTD_MAX_WINDOW = 1 << 27

# Timestamp states in RawReports.timestamp_state.
TS_OK, TS_MISSING, TS_BAD = 0, 1, 2

Progress = Callable[[int, int], None]


class UnknownFormat(ValueError):
    """The content is not an AIS layout we can read."""


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


@dataclass(eq=False)
class RawReports:
    """Position reports as read, before validation; one array element per report.

    ``mmsi`` is int64 (0 where ``mmsi_ok`` is False). ``timestamp_us`` is int64
    microseconds since the Unix epoch, UTC (meaningless unless ``timestamp_state`` is
    ``TS_OK``). Numbers are float64 with NaN where absent; ``position_unparseable``
    marks rows whose latitude or longitude text was present but not a number.
    ``static`` holds static data (one row per report or message) with columns
    mmsi (int64), imo, name, call_sign, ship_type (strings, null when absent).
    """

    format: str
    rows_read: int
    rejected: Counter[str]
    mmsi: np.ndarray
    mmsi_ok: np.ndarray
    timestamp_us: np.ndarray
    timestamp_state: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    position_unparseable: np.ndarray
    sog: np.ndarray
    cog: np.ndarray
    heading: np.ndarray
    static: pa.Table
    other_messages: int = 0
    extra: dict[str, object] = field(default_factory=dict)


# Canonical field -> accepted header names per layout (compared after _norm()).
_LAYOUTS: dict[str, dict[str, tuple[str, ...]]] = {
    "marinecadastre": {
        "mmsi": ("mmsi",),
        "timestamp": ("basedatetime",),
        "lat": ("lat",),
        "lon": ("lon",),
        "sog": ("sog",),
        "cog": ("cog",),
        "heading": ("heading",),
        "imo": ("imo",),
        "name": ("vesselname",),
        "call_sign": ("callsign",),
        "ship_type": ("vesseltype",),
    },
    "marinecadastre_v2": {
        "mmsi": ("mmsi",),
        "timestamp": ("basedatetime",),
        "lat": ("latitude",),
        "lon": ("longitude",),
        "sog": ("sog",),
        "cog": ("cog",),
        "heading": ("heading",),
        "imo": ("imo",),
        "name": ("vesselname",),
        "call_sign": ("callsign",),
        "ship_type": ("vesseltype",),
    },
    "dma": {
        "mmsi": ("mmsi",),
        "timestamp": ("timestamp",),
        "lat": ("latitude",),
        "lon": ("longitude",),
        "sog": ("sog",),
        "cog": ("cog",),
        "heading": ("heading",),
        "imo": ("imo",),
        "name": ("name",),
        "call_sign": ("callsign",),
        "ship_type": ("shiptype",),
    },
}
_STATIC_FIELDS = ("imo", "name", "call_sign", "ship_type")
_NUMERIC_FIELDS = ("lat", "lon", "sog", "cog", "heading")
# Placeholders the providers write for "unknown"; read as null.
_NULL_TEXTS = ["", "NULL", "null", "Null", "NA", "N/A", "Unknown", "Undefined"]
_TIMESTAMP_FORMATS = {
    "marinecadastre": ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"),
    "marinecadastre_v2": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"),
    "dma": ("%d/%m/%Y %H:%M:%S",),
}
_NUMBER_RE = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
_SENTENCE_RE = re.compile(rb"![A-Z]{2}VD[MO],")
_UNIX_RE = re.compile(r"^\d{9,13}(\.\d+)?$")


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
    magic = raw.read(4)
    raw.seek(0)
    reader: IO[bytes] = raw
    compressed = magic.startswith(GZIP_MAGIC) or magic.startswith(ZSTD_MAGIC)
    if magic.startswith(GZIP_MAGIC):
        reader = gzip.GzipFile(fileobj=raw, mode="rb")
    elif magic.startswith(ZSTD_MAGIC):
        reader = zstandard.ZstdDecompressor(
            max_window_size=ZSTD_MAX_WINDOW
        ).stream_reader(raw, read_across_frames=True)
    max_bytes = limits.max_bytes
    ratio_cap = max(limits.max_ratio * stored_size, RATIO_FLOOR_BYTES)
    out = io.BytesIO()
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
                raise ExpansionRefused(
                    f"the content expands more than {limits.max_ratio:g} times "
                    f"its compressed size of {stored_size:,} bytes "
                    "(AIS_MAX_EXPANSION_RATIO); real AIS data compresses far "
                    "less, so this looks like a decompression bomb."
                )
            out.write(chunk)
    except (OSError, EOFError, zstandard.ZstdError) as exc:
        raise UnknownFormat(f"compressed content could not be read: {exc}") from exc
    # BytesIO hands over its buffer without a copy when nothing else holds it.
    return out.getvalue()


def _norm(name: str) -> str:
    # "# Timestamp" / "BaseDateTime" / "base_date_time" all compare alike.
    return re.sub(r"[^a-z0-9]", "", name.lower())


def detect_format(data: bytes) -> str:
    """Name the layout of decompressed content, or raise UnknownFormat."""
    head = data[:65536]
    if _SENTENCE_RE.search(head):
        return "nmea"
    header = _header(data)
    names = {_norm(n) for n in header}
    raw = {n.strip() for n in header}
    if header and header[0].lstrip().startswith("#") and "timestamp" in names:
        return "dma"
    if "base_date_time" in raw or ({"mmsi", "latitude", "basedatetime"} <= names):
        return "marinecadastre_v2"
    if {"mmsi", "basedatetime", "lat", "lon"} <= names:
        return "marinecadastre"
    shown = ", ".join(n.strip() for n in header[:20]) or "none"
    raise UnknownFormat(
        "Unrecognised AIS layout. Expected a MarineCadastre or Danish Maritime "
        "Authority CSV, or NMEA !AIVDM lines. A CSV needs columns for "
        f"{', '.join(REQUIRED_COLUMNS)}; this file's header has: {shown}."
    )


def _header(data: bytes) -> list[str]:
    end = data.find(b"\n", 0, MAX_LINE_BYTES + 1)
    if end < 0:
        if len(data) > MAX_LINE_BYTES:
            raise UnknownFormat(
                f"The first line is longer than {MAX_LINE_BYTES:,} bytes, which no "
                "AIS header is."
            )
        end = len(data)
    first = data[:end].decode("utf-8", "replace")
    first = first.lstrip("\ufeff")
    try:
        return next(csv.reader([first.rstrip("\r")]), [])
    except csv.Error:
        return []


def parse(
    source: bytes | str | Path,
    *,
    progress: Progress | None = None,
    limits: ExpansionLimits | None = None,
) -> RawReports:
    """Read an AIS extract (path or bytes) into RawReports. Raises UnknownFormat
    (ExpansionRefused past ``limits``, by default ``ExpansionLimits()``)."""
    data = read_source(source, limits=limits)
    fmt = detect_format(data)
    if fmt == "nmea":
        total = data.count(b"\n") + (not data.endswith(b"\n"))
        return parse_nmea(iter_lines(data), progress=progress, total=total)
    return parse_csv(data, fmt)


_LINE_RE = re.compile(rb"[^\r\n]+")


def iter_lines(data: bytes, max_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The non-empty lines of ``data`` (split as ``splitlines`` splits), each cut
    to ``max_bytes + 1`` bytes so an overlong line is never copied whole."""
    for match in _LINE_RE.finditer(data):
        start, end = match.span()
        yield data[start : min(end, start + max_bytes + 1)]


# --- CSV -------------------------------------------------------------------------


def parse_csv(data: bytes, fmt: str) -> RawReports:
    """Column-wise read of a detected CSV layout (no per-row Python)."""
    header = [h.strip() for h in _header(data)]
    wanted = _LAYOUTS[fmt]
    by_norm = {_norm(h): h for h in header}
    columns = {
        key: next((by_norm[n] for n in names if n in by_norm), None)
        for key, names in wanted.items()
    }
    malformed = 0

    def skip_bad_row(_row: object) -> str:
        nonlocal malformed
        malformed += 1
        return "skip"

    include = [c for c in dict.fromkeys(columns.values()) if c is not None]
    # Bad UTF-8 is replaced up front: pyarrow would otherwise fail on the whole file
    # (or inside the bad-row callback). isascii() makes the common case ~free.
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = data.decode("utf-8", "replace").encode("utf-8")
    try:
        table = _read_table(data, header, include, skip_bad_row)
    except pa.ArrowInvalid as exc:
        if "straddling object" in str(exc):
            # pyarrow reads in blocks and refuses a row that spans two.
            raise UnknownFormat(
                f"a line is longer than {_CSV_BLOCK_BYTES:,} bytes, which no AIS "
                "row is."
            ) from exc
        raise UnknownFormat(f"the CSV could not be read: {exc}") from exc

    n = table.num_rows

    def col(key: str) -> pa.ChunkedArray:
        name = columns[key]
        if name is None:
            return pa.chunked_array([pa.nulls(n, pa.string())])
        return table.column(name)

    mmsi_text = pc.utf8_trim_whitespace(col("mmsi"))
    mmsi_ok = pc.fill_null(pc.match_substring_regex(mmsi_text, r"^\d{9}$"), False)
    mmsi = pc.cast(pc.if_else(mmsi_ok, mmsi_text, "0"), pa.int64())
    ts_us, ts_state = _parse_timestamps(col("timestamp"), _TIMESTAMP_FORMATS[fmt])
    numbers = {}
    unparseable = np.zeros(n, dtype=bool)
    for key in _NUMERIC_FIELDS:
        values, bad = _parse_numbers(col(key))
        numbers[key] = values
        if key in ("lat", "lon"):
            unparseable |= bad

    static = pa.table(
        {
            "mmsi": mmsi,
            "imo": col("imo"),
            "name": pc.utf8_trim_whitespace(col("name")),
            "call_sign": pc.utf8_trim_whitespace(col("call_sign")),
            "ship_type": pc.utf8_trim_whitespace(col("ship_type")),
        }
    ).filter(mmsi_ok)
    rejected: Counter[str] = Counter()
    if malformed:
        rejected["malformed"] = malformed
    return RawReports(
        format=fmt,
        rows_read=n + malformed,
        rejected=rejected,
        mmsi=_np(mmsi, np.int64),
        mmsi_ok=_np(mmsi_ok, bool),
        timestamp_us=ts_us,
        timestamp_state=ts_state,
        lat=numbers["lat"],
        lon=numbers["lon"],
        position_unparseable=unparseable,
        sog=numbers["sog"],
        cog=numbers["cog"],
        heading=numbers["heading"],
        static=static,
    )


def _read_table(
    data: bytes,
    header: list[str],
    include: list[str],
    on_bad_row: Callable[[object], str],
) -> pa.Table:
    # Everything as text first: a stray "abc" in LAT must reject one row, not the
    # file, so conversion happens afterwards with nulls for what does not parse.
    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(
            column_names=header, skip_rows=1, block_size=_CSV_BLOCK_BYTES
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad_row),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(include, pa.string()),
            include_columns=include,
            null_values=_NULL_TEXTS,
            strings_can_be_null=True,
        ),
    )


def _np(array: pa.Array | pa.ChunkedArray, dtype: type) -> np.ndarray:
    # A writable copy: Arrow-backed views are read-only.
    return np.array(array.to_numpy(zero_copy_only=False), dtype=dtype)


def _parse_numbers(text: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Text -> float64 with NaN for null; also a mask of present-but-unparseable."""
    present = _np(pc.is_valid(text), bool)
    try:
        values = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        # Slow path only for dirty columns: null out what is not a number.
        trimmed = pc.utf8_trim_whitespace(text)
        ok = pc.fill_null(pc.match_substring_regex(trimmed, _NUMBER_RE), False)
        values = pc.cast(pc.if_else(ok, trimmed, pa.scalar(None, pa.string())), "f8")
    out = _np(pc.fill_null(values, np.nan), np.float64)
    return out, present & ~_np(pc.is_valid(values), bool)


def _parse_timestamps(
    text: pa.ChunkedArray, formats: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Text -> (epoch microseconds UTC, state), trying the layout's formats in turn."""
    present = _np(pc.is_valid(text), bool)
    result = pc.strptime(text, format=formats[0], unit="us", error_is_null=True)
    for fmt in formats[1:]:
        parsed = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
        result = pc.coalesce(result, parsed)
    us = _np(pc.fill_null(pc.cast(result, pa.int64()), 0), np.int64)
    ok = _np(pc.is_valid(result), bool)
    # Rare leftovers (fractions, offsets, "Z"): per-value fallback on those only.
    for i in np.flatnonzero(present & ~ok):
        when = _parse_time_text(str(text[int(i)]))
        if when is not None:
            us[i] = when
            ok[i] = True
    state = np.where(ok, TS_OK, np.where(present, TS_BAD, TS_MISSING)).astype(np.int8)
    return us, state


def _parse_time_text(value: str) -> int | None:
    """ISO 8601 or Unix seconds -> epoch microseconds UTC; naive means UTC."""
    value = value.strip()
    if _UNIX_RE.match(value):
        seconds = float(value)
        if seconds > 1e11:  # some receivers log milliseconds
            seconds /= 1000
        return round(seconds * 1_000_000)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return _epoch_us(when)


def _epoch_us(when: datetime) -> int:
    delta = when - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


# --- NMEA ------------------------------------------------------------------------

_POSITION_TYPES = frozenset({1, 2, 3, 18, 19})
_NMEA_PROGRESS_EVERY = 20_000


@dataclass
class _Reports:
    mmsi: list[int] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    ts_state: list[int] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    sog: list[float] = field(default_factory=list)
    cog: list[float] = field(default_factory=list)
    heading: list[float] = field(default_factory=list)
    static: list[tuple[int, str | None, str | None, str | None, str | None]] = field(
        default_factory=list
    )


def parse_nmea(
    lines: Iterable[bytes],
    *,
    progress: Progress | None = None,
    total: int | None = None,
) -> RawReports:
    """Decode NMEA lines; a "row" is one AIS message (or one unusable line).

    ``rows_read`` counts position reports plus lines or fragments that could not be
    used; decoded messages of other kinds (static data, base stations, ...) are
    counted in ``other_messages`` instead, so rows_read = kept + rejected holds.
    A line longer than ``MAX_LINE_BYTES`` is rejected as unparseable. ``total``
    (lines, for progress) spares listing ``lines`` up front.
    """
    if total is None:
        lines = list(lines)
        total = len(lines)
    rejected: Counter[str] = Counter()
    out = _Reports()
    other = 0
    # (fragment count, sequence id, channel) -> [(sentence, time, state), ...]
    pending: dict[tuple[int, int | None, str], list[tuple[NMEAMessage, int, int]]] = {}

    for number, line in enumerate(lines, 1):
        if progress is not None and number % _NMEA_PROGRESS_EVERY == 0:
            progress(number, total)
        if len(line) > MAX_LINE_BYTES:
            rejected["unparseable"] += 1
            continue
        line = line.strip()
        if not line:
            continue
        split = _split_line(line)
        if split is None:
            if line[:1] in (b"$", b"!"):
                other += 1  # another NMEA sentence (GPS fix, ...), not AIS
            else:
                rejected["unparseable"] += 1
            continue
        sentence_bytes, when, state, tag_ok = split
        try:
            sentence = NMEAMessage(sentence_bytes)
        except Exception:  # pyais raises several types for malformed input
            rejected["unparseable"] += 1
            continue
        if not (tag_ok and sentence.is_valid):
            rejected["bad_checksum"] += 1
            continue
        if sentence.frag_cnt == 1:
            fragments = [(sentence, when, state)]
        else:
            key = (sentence.frag_cnt, sentence.seq_id, sentence.channel)
            group = pending.setdefault(key, [])
            if sentence.frag_num == 1 and group:
                rejected["incomplete"] += 1  # an earlier message never finished
                group.clear()
            elif sentence.frag_num != len(group) + 1:
                rejected["incomplete"] += 1
                group.clear()
                continue
            group.append((sentence, when, state))
            if len(group) < sentence.frag_cnt:
                continue
            fragments = pending.pop(key)
        other += _decode_into(out, rejected, fragments)

    rejected["incomplete"] += len(pending)
    rejected = +rejected  # drop zero counts
    if progress is not None:
        progress(total, total)
    positions = len(out.mmsi)
    mmsi = np.array(out.mmsi, dtype=np.int64)
    mmsi_ok = (mmsi > 0) & (mmsi <= 999_999_999)
    static_rows = [r for r in out.static if 0 < r[0] <= 999_999_999]
    static = pa.table(
        {
            "mmsi": pa.array([r[0] for r in static_rows], pa.int64()),
            "imo": pa.array([r[1] for r in static_rows], pa.string()),
            "name": pa.array([r[2] for r in static_rows], pa.string()),
            "call_sign": pa.array([r[3] for r in static_rows], pa.string()),
            "ship_type": pa.array([r[4] for r in static_rows], pa.string()),
        }
    )
    return RawReports(
        format="nmea",
        rows_read=positions + sum(rejected.values()),
        rejected=rejected,
        mmsi=np.where(mmsi_ok, mmsi, 0),
        mmsi_ok=mmsi_ok,
        timestamp_us=np.array(out.ts, dtype=np.int64),
        timestamp_state=np.array(out.ts_state, dtype=np.int8),
        lat=np.array(out.lat, dtype=np.float64),
        lon=np.array(out.lon, dtype=np.float64),
        position_unparseable=np.zeros(positions, dtype=bool),
        sog=np.array(out.sog, dtype=np.float64),
        cog=np.array(out.cog, dtype=np.float64),
        heading=np.array(out.heading, dtype=np.float64),
        static=static,
        other_messages=other,
    )


def _split_line(line: bytes) -> tuple[bytes, int, int, bool] | None:
    """Find the sentence and its time: (sentence, epoch us, TS_* state, tag ok)."""
    if line.startswith(b"\\"):
        end = line.find(b"\\", 1)
        if end < 0:
            return None
        tag = TagBlock(line[1:end])
        tag.init()
        sentence = line[end + 1 :]
        if not _SENTENCE_RE.match(sentence):
            return None
        stamp = tag.receiver_timestamp
        if stamp is None:
            return sentence, 0, TS_MISSING, tag.is_valid
        when = _parse_time_text(stamp) if _UNIX_RE.match(stamp.strip()) else None
        return (
            sentence,
            when or 0,
            TS_BAD if when is None else TS_OK,
            tag.is_valid,
        )
    found = _SENTENCE_RE.search(line)
    if found is None:
        return None
    prefix = line[: found.start()].decode("ascii", "replace").strip(" \t,;|")
    if not prefix:
        return line[found.start() :], 0, TS_MISSING, True
    when = _parse_time_text(prefix)
    state = TS_BAD if when is None else TS_OK
    return line[found.start() :], when or 0, state, True


def _decode_into(
    out: _Reports, rejected: Counter[str], fragments: list[tuple[NMEAMessage, int, int]]
) -> int:
    """Decode one complete message into `out`; return 1 if it was not a position."""
    _, when, state = fragments[0]
    for _, w, s in fragments[1:]:
        if state != TS_OK and s == TS_OK:
            when, state = w, s
    try:
        sentence = NMEAMessage.assemble_from_iterable([f[0] for f in fragments])
        msg = sentence.decode()
    except Exception:  # malformed payloads raise assorted pyais/bit errors
        rejected["unparseable"] += 1
        return 0
    kind = msg.msg_type
    mmsi = int(msg.mmsi)
    if kind in _POSITION_TYPES:
        out.mmsi.append(mmsi)
        out.ts.append(when)
        out.ts_state.append(state)
        out.lat.append(float(msg.lat))
        out.lon.append(float(msg.lon))
        out.sog.append(float(msg.speed))
        out.cog.append(float(msg.course))
        out.heading.append(float(msg.heading))
        if kind == 19:
            out.static.append(
                (mmsi, None, _text(msg.shipname), None, _ship_type(msg.ship_type))
            )
        return 0
    if kind == 5:
        imo = str(msg.imo) if msg.imo else None
        out.static.append(
            (
                mmsi,
                imo,
                _text(msg.shipname),
                _text(msg.callsign),
                _ship_type(msg.ship_type),
            )
        )
    elif kind == 24:
        if msg.partno == 0:
            out.static.append((mmsi, None, _text(msg.shipname), None, None))
        else:
            out.static.append(
                (mmsi, None, None, _text(msg.callsign), _ship_type(msg.ship_type))
            )
    return 1


def _text(value: object) -> str | None:
    # AIS six-bit text pads with "@" and spaces.
    text = str(value or "").replace("@", "").strip()
    return text or None


def _ship_type(value: object) -> str | None:
    code = int(value or 0)  # pyais gives an IntEnum; 0 means not available
    return str(code) if code else None
