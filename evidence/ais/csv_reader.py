"""Read the CSV AIS layouts (``layouts``: built-in and team layouts) column-wise.

Pure: no Django, no ORM. pyarrow reads every column as text (a million rows must
load in well under a second) and the conversions run on whole columns, so a stray
"abc" in LAT rejects one row, never the file. Rows are not judged here: what was
seen goes into ``RawReports`` and ``validate`` decides.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterator
from typing import IO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from evidence.ais.layouts import (
    ISO8601,
    ISO_PATTERNS,
    UNIX_MS,
    UNIX_SECONDS,
    Layout,
    parse_one_time,
    pattern_is_absolute,
)
from evidence.ais.reports import (
    MAX_LINE_BYTES,
    TS_BAD,
    TS_MISSING,
    TS_OK,
    UNIX_RE,
    RawReports,
    UnknownFormat,
    parse_time_text,
)
from evidence.ais.stations import station_evidence

# pyarrow's CSV block: also the longest row it can hold (longer ones are refused).
_CSV_BLOCK_BYTES = 1 << 24

_NUMERIC_FIELDS = ("lat", "lon", "sog", "cog", "heading")
# Placeholders the providers write for "unknown"; read as null.
_NULL_TEXTS = ["", "NULL", "null", "Null", "NA", "N/A", "Unknown", "Undefined"]
_NUMBER_RE = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"


def read_header(data: bytes) -> list[str]:
    """The first line's fields, as CSV; UnknownFormat if that line is overlong."""
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


def parse_csv(data: bytes, layout: Layout) -> RawReports:
    """Column-wise read of a detected CSV layout (no per-row Python)."""
    header = [h.strip() for h in read_header(data)]
    columns = layout.resolve(header)
    table, malformed = _read_text_table(data, header, columns)
    return reports_from_table(table, columns, layout, malformed)


def iter_csv(
    stream: IO[bytes], layout: Layout, header: list[str], *, block_bytes: int
) -> Iterator[RawReports]:
    """The CSV of ``stream`` (header line included, valid UTF-8) as RawReports, one
    per pyarrow block of ``block_bytes``: the same columns, options and rules as
    ``parse_csv``, with only one block's text in memory at a time."""
    header = [h.strip() for h in header]
    columns = layout.resolve(header)
    include = [c for c in dict.fromkeys(columns.values()) if c is not None]
    malformed = 0

    def skip_bad_row(_row: object) -> str:
        nonlocal malformed
        malformed += 1
        return "skip"

    seen = False
    try:
        reader = pacsv.open_csv(
            stream,
            **_csv_options(header, include, skip_bad_row, block_bytes),
        )
        for batch in reader:
            before, malformed = malformed, 0
            seen = True
            yield reports_from_table(
                pa.Table.from_batches([batch]), columns, layout, before
            )
    except pa.ArrowInvalid as exc:
        raise _unreadable(exc, block_bytes) from exc
    if not seen or malformed:
        empty = pa.table({c: pa.array([], pa.string()) for c in include})
        yield reports_from_table(empty, columns, layout, malformed)


def reports_from_table(
    table: pa.Table, columns: dict[str, str | None], layout: Layout, malformed: int
) -> RawReports:
    """RawReports from the text columns of a CSV layout (``Layout.resolve``)."""
    n = table.num_rows

    def col(key: str) -> pa.ChunkedArray:
        name = columns.get(key)
        if name is None:
            return pa.chunked_array([pa.nulls(n, pa.string())])
        return table.column(name)

    mmsi_text = pc.utf8_trim_whitespace(col("mmsi"))
    mmsi_ok = pc.fill_null(pc.match_substring_regex(mmsi_text, r"^\d{9}$"), False)
    mmsi = pc.cast(pc.if_else(mmsi_ok, mmsi_text, "0"), pa.int64())
    time_text = pc.utf8_trim_whitespace(col("timestamp"))
    ts_us, ts_state = _parse_timestamps(time_text, layout)
    numbers = {}
    unparseable = np.zeros(n, dtype=bool)
    for key in _NUMERIC_FIELDS:
        values, bad = _parse_numbers(col(key))
        numbers[key] = values
        if key in ("lat", "lon"):
            unparseable |= bad
    for key in layout.tenths_when_integer:
        integer = _np(
            pc.fill_null(pc.match_substring_regex(col(key), r"^\s*\d+\s*$"), False),
            bool,
        )
        numbers[key] = np.where(integer, numbers[key] / 10, numbers[key])
    if layout.encoded_scale:
        # Rows timed by a bare Unix integer carry AISHub's integer encoding.
        encoded = _np(
            pc.fill_null(pc.match_substring_regex(time_text, r"^\d+$"), False), bool
        )
        for key, divisor in layout.encoded_scale.items():
            numbers[key] = np.where(encoded, numbers[key] / divisor, numbers[key])

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
        format=layout.name,
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
        station_evidence=station_evidence(
            pc.filter(mmsi, mmsi_ok), declared=pc.filter(col("station_type"), mmsi_ok)
        ),
    )


def _read_text_table(
    data: bytes, header: list[str], columns: dict[str, str | None]
) -> tuple[pa.Table, int]:
    """The wanted columns as text, and how many rows had the wrong field count."""
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
        raise _unreadable(exc, _CSV_BLOCK_BYTES) from exc
    return table, malformed


def _read_table(
    data: bytes,
    header: list[str],
    include: list[str],
    on_bad_row: Callable[[object], str],
) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(data),
        **_csv_options(header, include, on_bad_row, _CSV_BLOCK_BYTES),
    )


def _csv_options(
    header: list[str],
    include: list[str],
    on_bad_row: Callable[[object], str],
    block_bytes: int,
) -> dict[str, object]:
    # Everything as text first: a stray "abc" in LAT must reject one row, not the
    # file, so conversion happens afterwards with nulls for what does not parse.
    return {
        "read_options": pacsv.ReadOptions(
            column_names=header, skip_rows=1, block_size=block_bytes
        ),
        "parse_options": pacsv.ParseOptions(invalid_row_handler=on_bad_row),
        "convert_options": pacsv.ConvertOptions(
            column_types=dict.fromkeys(include, pa.string()),
            include_columns=include,
            null_values=_NULL_TEXTS,
            strings_can_be_null=True,
        ),
    }


class LineTooLong(UnknownFormat):
    """A row longer than the reading block (pyarrow refuses a row spanning two)."""


def _unreadable(exc: Exception, block_bytes: int) -> UnknownFormat:
    if "straddling object" in str(exc):
        # pyarrow reads in blocks and refuses a row that spans two.
        return LineTooLong(
            f"a line is longer than {block_bytes:,} bytes, which no AIS row is."
        )
    return UnknownFormat(f"the CSV could not be read: {exc}")


def _np(array: pa.Array | pa.ChunkedArray, dtype: type) -> np.ndarray:
    # A writable copy: Arrow-backed views are read-only.
    return np.array(array.to_numpy(zero_copy_only=False), dtype=dtype)


def _parse_numbers(text: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Text -> float64 with NaN for null; also a mask of present-but-unparseable."""
    present = _np(pc.is_valid(text), bool)
    try:
        values = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        trimmed = pc.utf8_trim_whitespace(text)
        try:
            # Padded but clean (MarineTraffic writes ", 12.3").
            values = pc.cast(trimmed, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # Slow path only for dirty columns: null out what is not a number.
            ok = pc.fill_null(pc.match_substring_regex(trimmed, _NUMBER_RE), False)
            values = pc.cast(
                pc.if_else(ok, trimmed, pa.scalar(None, pa.string())), "f8"
            )
    out = _np(pc.fill_null(values, np.nan), np.float64)
    return out, present & ~_np(pc.is_valid(values), bool)


def _parse_timestamps(
    text: pa.ChunkedArray, layout: Layout
) -> tuple[np.ndarray, np.ndarray]:
    """Text -> (epoch microseconds UTC, state), trying the layout's formats in turn;
    wall-clock times are in the layout's zone."""
    present = _np(pc.is_valid(text), bool)
    result = None
    for parsed in _parsed_times(text, layout):
        result = parsed if result is None else pc.coalesce(result, parsed)
        if result.null_count == text.null_count:
            break  # every present time read: the later formats cannot change it
    if result is None:
        result = pa.chunked_array([pa.nulls(len(text), pa.int64())])
    us = _np(pc.fill_null(result, 0), np.int64)
    ok = _np(pc.is_valid(result), bool)
    # Rare leftovers (fractions, offsets, "Z"): per-value fallback on those only.
    for i in np.flatnonzero(present & ~ok):
        when = _parse_leftover(str(text[int(i)]), layout)
        if when is not None:
            us[i] = when
            ok[i] = True
    state = np.where(ok, TS_OK, np.where(present, TS_BAD, TS_MISSING)).astype(np.int8)
    return us, state


def _parsed_times(text: pa.ChunkedArray, layout: Layout) -> Iterator[pa.ChunkedArray]:
    for time_format in layout.time_formats:
        yield from _parse_time_format(text, time_format, layout.time_zone)


def _parse_time_format(
    text: pa.ChunkedArray, time_format: str, time_zone: str
) -> Iterator[pa.ChunkedArray]:
    """One format's column-wise reading (epoch us as int64, null where it fails)."""
    if time_format in (UNIX_SECONDS, UNIX_MS):
        ok = pc.fill_null(pc.match_substring_regex(text, UNIX_RE.pattern), False)
        seconds = pc.cast(pc.if_else(ok, text, pa.scalar(None, pa.string())), "f8")
        scale = 1_000_000 if time_format == UNIX_SECONDS else 1_000
        yield pc.cast(pc.round(pc.multiply(seconds, scale)), pa.int64())
        return
    patterns = ISO_PATTERNS if time_format == ISO8601 else (time_format,)
    for pattern in patterns:
        parsed = pc.strptime(text, format=pattern, unit="us", error_is_null=True)
        if time_zone != "UTC" and not pattern_is_absolute(pattern):
            # Wall-clock times of the zone: an hour that occurs twice (autumn) is
            # read as its first occurrence, one that does not exist (spring) as
            # the end of the gap.
            parsed = pc.assume_timezone(
                parsed, timezone=time_zone, ambiguous="earliest", nonexistent="latest"
            )
        yield pc.cast(parsed, pa.int64())


def _parse_leftover(value: str, layout: Layout) -> int | None:
    if layout.is_custom:
        return parse_one_time(value, layout.time_formats[0], layout.time_zone)
    return parse_time_text(value)
