"""Where an AIS extract's rows go: progress committed while the work runs, and
positions bulk-loaded (PostgreSQL ``COPY ... FROM STDIN (FORMAT binary)`` through
psycopg 3, tuples built column-wise with numpy; batched inserts elsewhere) and
read back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from django.db import DEFAULT_DB_ALIAS, connection, connections

from evidence.ais.validate import (
    COPY_COLUMNS,
    Positions,
    datetime_to_timestamp,
    format_timestamps,
    timestamp_to_datetime,
)
from evidence.models import AISPosition, EvidenceItem

COPY_CHUNK_ROWS = 200_000
SQLITE_BATCH_ROWS = 5_000
PROGRESS_EVERY_SECONDS = 0.5


# --- progress -------------------------------------------------------------------------


class ProgressWriter:
    """Commits rows done / total on the item, throttled, visible to other sessions.

    Outside a transaction the default connection autocommits each update. Inside
    one (the store step), PostgreSQL gets a second connection so the page still
    sees progress; SQLite (development only) cannot write from a second
    connection while the first holds the write lock, so there the numbers simply
    commit with the transaction.
    """

    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        self.done = 0
        self.total = 0
        self._last = 0.0
        self._side: Any = None

    def __call__(self, done: int, total: int, *, force: bool = False) -> None:
        self.done, self.total = max(0, done), max(0, total)
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        conn = connection
        if connection.in_atomic_block and connection.vendor == "postgresql":
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            conn = self._side
        table = conn.ops.quote_name(EvidenceItem._meta.db_table)
        with conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress_done = %s, progress_total = %s "  # noqa: S608 - table name from the model
                "WHERE id = %s",
                [self.done, self.total, self.item_id],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


@contextmanager
def progress_of(item_id: int) -> Iterator[ProgressWriter]:
    writer = ProgressWriter(item_id)
    try:
        yield writer
    finally:
        writer.close()


# --- positions ------------------------------------------------------------------------


def _position_columns() -> list[str]:
    meta = AISPosition._meta
    names = dict(
        zip(
            COPY_COLUMNS,
            ("mmsi", "timestamp", "latitude", "longitude", "sog", "cog", "heading"),
            strict=True,
        )
    )
    return [meta.get_field("extract").column] + [
        meta.get_field(names[c]).column for c in COPY_COLUMNS
    ]


def store_positions(
    extract_id: int, positions: Positions, *, progress: Callable[[int], None]
) -> str:
    """Bulk-load positions; returns the tool used, for the custody log."""
    if connection.vendor == "postgresql":
        copy_positions(extract_id, positions, progress=progress)
    else:
        _insert_positions(extract_id, positions, progress=progress)
    return store_tool_name()


def store_tool_name() -> str:
    """How ``store_positions`` loads rows on this database, for the custody log."""
    if connection.vendor == "postgresql":
        return "PostgreSQL COPY (binary, psycopg " + _psycopg_version() + ")"
    return f"{connection.display_name} batched INSERT"


def _psycopg_version() -> str:
    import psycopg

    return psycopg.__version__


def copy_positions(
    extract_id: int,
    positions: Positions,
    *,
    progress: Callable[[int], None] = lambda _n: None,
) -> None:
    """``COPY ... FROM STDIN (FORMAT binary)`` on the current connection/transaction.

    Binary COPY spares PostgreSQL parsing a million floats and timestamps from
    text (about half the cost of a text COPY). The rows are built column-wise with
    numpy in chunks, so memory stays bounded, the server works on one chunk while
    the next is built, and the page sees progress between chunks.
    """
    qn = connection.ops.quote_name
    table = qn(AISPosition._meta.db_table)
    columns = ", ".join(qn(c) for c in _position_columns())
    sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)"
    connection.ensure_connection()
    n = len(positions)
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(PGCOPY_HEADER)
        for start in range(0, n, COPY_CHUNK_ROWS):
            chunk = positions.take(slice(start, start + COPY_CHUNK_ROWS))
            for block in pgcopy_rows(chunk, extract_id):
                copy.write(block)
            progress(min(start + COPY_CHUNK_ROWS, n))
        copy.write(PGCOPY_TRAILER)


@contextmanager
def position_sink(extract_id: int) -> Iterator[Callable[[Positions], None]]:
    """A writer of positions, batch after batch, into the extract's rows.

    On PostgreSQL one ``COPY ... FROM STDIN (FORMAT binary)`` stays open for the
    whole stream, so the server loads one batch while the next is parsed (the
    socket's buffers bound what is in flight). While it is open NO other query
    may run on this connection: read what is needed first, and commit progress
    through a second connection (``ProgressWriter`` inside a transaction does).
    Elsewhere each batch is a batched INSERT.
    """
    if connection.vendor != "postgresql":
        yield lambda positions: _insert_positions(
            extract_id, positions, progress=lambda _n: None
        )
        return
    qn = connection.ops.quote_name
    table = qn(AISPosition._meta.db_table)
    columns = ", ".join(qn(c) for c in _position_columns())
    sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(PGCOPY_HEADER)

        def write(positions: Positions) -> None:
            for start in range(0, len(positions), COPY_CHUNK_ROWS):
                chunk = positions.take(slice(start, start + COPY_CHUNK_ROWS))
                for block in pgcopy_rows(chunk, extract_id):
                    copy.write(block)

        yield write
        copy.write(PGCOPY_TRAILER)


DELETE_KEYS_PER_QUERY = 500


def delete_positions_like(extract_id: int, rows: Positions) -> int:
    """Delete the extract's stored rows equal to any of ``rows`` on mmsi, time,
    latitude and longitude (every copy of each), a few hundred keys a query;
    returns how many went."""
    keys = sorted(
        {
            (f"{m:09d}", t, a, o)
            for m, t, a, o in zip(
                rows.mmsi.tolist(),
                rows.timestamp_us.tolist(),
                rows.lat.tolist(),
                rows.lon.tolist(),
                strict=True,
            )
        }
    )
    qn = connection.ops.quote_name
    meta = AISPosition._meta
    table = qn(meta.db_table)
    extract, mmsi, timestamp, lat, lon = (
        qn(meta.get_field(name).column)
        for name in ("extract", "mmsi", "timestamp", "latitude", "longitude")
    )
    deleted = 0
    with connection.cursor() as cursor:
        for start in range(0, len(keys), DELETE_KEYS_PER_QUERY):
            part = keys[start : start + DELETE_KEYS_PER_QUERY]
            match = " OR ".join(
                [f"({mmsi} = %s AND {timestamp} = %s AND {lat} = %s AND {lon} = %s)"]
                * len(part)
            )
            params: list[Any] = [extract_id]
            for m, t, a, o in part:
                when = connection.ops.adapt_datetimefield_value(
                    timestamp_to_datetime(t)
                )
                params.extend([m, when, a, o])
            cursor.execute(
                f"DELETE FROM {table} WHERE {extract} = %s AND ({match})",  # noqa: S608 - names from the model
                params,
            )
            deleted += cursor.rowcount
    return deleted


# PostgreSQL binary COPY: signature, flags, header extension length; -1 ends it.
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
PGCOPY_TRAILER = b"\xff\xff"
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z in Unix microseconds
_NULLABLE = ("sog", "cog", "heading")
_DIGIT_POWERS = 10 ** np.arange(8, -1, -1, dtype=np.int64)


def pgcopy_rows(positions: Positions, extract_id: int) -> Iterator[bytes]:
    """Binary COPY tuples (no header/trailer) for ``_position_columns()``.

    Rows are variable-length only through NULLs, so they are grouped by which of
    sog/cog/heading are missing (at most eight groups, each keeping its order)
    and each group is one fixed-layout numpy record array. Row order in a table
    carries no meaning; readers ORDER BY.
    """
    if not len(positions):
        return
    missing = {name: np.isnan(getattr(positions, name)) for name in _NULLABLE}
    pattern = (
        missing["sog"].astype(np.int8)
        | (missing["cog"].astype(np.int8) << 1)
        | (missing["heading"].astype(np.int8) << 2)
    )
    # MMSI as nine ASCII digits, zero-padded, without per-row Python.
    digits = (positions.mmsi[:, None] // _DIGIT_POWERS % 10 + 48).astype(np.uint8)
    mmsi = digits.view("S9").ravel()
    codes = np.unique(pattern).tolist()
    for code in codes:
        # One group (the usual case): take the columns as they are, no gather.
        rows = None if len(codes) == 1 else np.flatnonzero(pattern == code)
        nulls = {name: bool(code >> bit & 1) for bit, name in enumerate(_NULLABLE)}
        yield _pgcopy_group(positions, extract_id, mmsi, rows, nulls)


def _pgcopy_layout(nulls: dict[str, bool]) -> np.dtype:
    """The record layout of a row whose ``nulls`` columns are NULL (length -1)."""
    fields = [
        ("count", ">i2"),
        ("len_extract", ">i4"),
        ("extract", ">i8"),
        ("len_mmsi", ">i4"),
        ("mmsi", "S9"),
        ("len_timestamp", ">i4"),
        ("timestamp", ">i8"),
        ("len_lat", ">i4"),
        ("lat", ">f8"),
        ("len_lon", ">i4"),
        ("lon", ">f8"),
    ]
    for name in _NULLABLE:
        fields.append((f"len_{name}", ">i4"))
        if not nulls[name]:
            fields.append((name, ">f8"))
    return np.dtype(fields)


def _pgcopy_group(
    positions: Positions,
    extract_id: int,
    mmsi: np.ndarray,
    rows: np.ndarray | None,
    nulls: dict[str, bool],
) -> bytes:
    """The tuples of one NULL pattern (``rows``; None: every row) as bytes."""

    def pick(values: np.ndarray) -> np.ndarray:
        return values if rows is None else values[rows]

    out = np.empty(len(positions) if rows is None else len(rows), _pgcopy_layout(nulls))
    out["count"] = 8
    out["len_extract"], out["extract"] = 8, extract_id
    out["len_mmsi"], out["mmsi"] = 9, pick(mmsi)
    out["len_timestamp"] = 8
    out["timestamp"] = pick(positions.timestamp_us) - _PG_EPOCH_US
    out["len_lat"], out["lat"] = 8, pick(positions.lat)
    out["len_lon"], out["lon"] = 8, pick(positions.lon)
    for name in _NULLABLE:
        if nulls[name]:
            out[f"len_{name}"] = -1
        else:
            out[f"len_{name}"], out[name] = 8, pick(getattr(positions, name))
    return out.tobytes()


def _insert_positions(
    extract_id: int, positions: Positions, *, progress: Callable[[int], None]
) -> None:
    """Batched INSERT (SQLite and other databases): executemany per batch."""
    qn = connection.ops.quote_name
    table = qn(AISPosition._meta.db_table)
    columns = _position_columns()
    marks = ", ".join(["%s"] * len(columns))
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608 - names from the model
        f"VALUES ({marks})"
    )
    n = len(positions)
    with connection.cursor() as cursor:
        for start in range(0, n, SQLITE_BATCH_ROWS):
            chunk = positions.take(slice(start, start + SQLITE_BATCH_ROWS))
            cursor.executemany(sql, list(_db_rows(extract_id, chunk)))
            progress(min(start + SQLITE_BATCH_ROWS, n))


def _db_rows(extract_id: int, p: Positions) -> Iterator[tuple[Any, ...]]:
    # Timestamps as the text Django's SQLite backend stores (naive UTC).
    times = format_timestamps(p.timestamp_us, sep=" ", zone="").to_pylist()

    def nan_none(values: np.ndarray) -> list[float | None]:
        return [None if v != v else v for v in values.tolist()]  # NaN != NaN

    yield from zip(
        [extract_id] * len(p),
        [f"{m:09d}" for m in p.mmsi.tolist()],
        times,
        p.lat.tolist(),
        p.lon.tolist(),
        nan_none(p.sog),
        nan_none(p.cog),
        nan_none(p.heading),
        strict=True,
    )


LOAD_CHUNK_ROWS = 20_000


def load_positions(extract_id: int) -> Positions:
    """The stored positions of an extract, sorted as ``validate`` sorts them (all
    in memory: ``iter_stored_vessels`` reads them a few vessels at a time)."""
    parts = list(iter_stored_vessels(extract_id))
    if not parts:
        return Positions.empty()
    return Positions(
        *(np.concatenate([getattr(p, name) for p in parts]) for name in _FIELDS)
    )


_FIELDS = ("mmsi", "timestamp_us", "lat", "lon", "sog", "cog", "heading")


def iter_stored_vessels(
    extract_id: int, *, chunk_rows: int = LOAD_CHUNK_ROWS
) -> Iterator[Positions]:
    """The stored positions of an extract, whole vessels at a time (each sorted by
    time, vessels in MMSI order), read through a server-side cursor in chunks of
    ``chunk_rows``: memory holds one chunk and the vessel it ends in."""
    rows = (
        AISPosition.objects.filter(extract_id=extract_id)
        .order_by("mmsi", "timestamp", "latitude", "longitude", "pk")
        .values_list(
            "mmsi", "timestamp", "latitude", "longitude", "sog", "cog", "heading"
        )
        .iterator(chunk_size=chunk_rows)
    )
    pending: Positions | None = None
    for chunk in _chunks(rows, chunk_rows):
        if pending is not None:
            chunk = Positions(
                *(
                    np.concatenate([getattr(pending, name), getattr(chunk, name)])
                    for name in _FIELDS
                )
            )
        # The last vessel of the chunk may go on in the next one.
        last = int(np.searchsorted(chunk.mmsi, chunk.mmsi[-1]))
        if last:
            yield chunk.take(slice(0, last))
        pending = chunk.take(slice(last, len(chunk)))
    if pending is not None and len(pending):
        yield pending


def _chunks(rows: Iterator[tuple[Any, ...]], size: int) -> Iterator[Positions]:
    def floats(values: list[Any]) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    while True:
        columns: list[list[Any]] = [[], [], [], [], [], [], []]
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                column.append(value)
            if len(columns[0]) >= size:
                break
        if not columns[0]:
            return
        yield Positions(
            mmsi=np.array([int(m) for m in columns[0]], dtype=np.int64),
            timestamp_us=np.array(
                [datetime_to_timestamp(t) for t in columns[1]], dtype=np.int64
            ),
            lat=floats(columns[2]),
            lon=floats(columns[3]),
            sog=floats(columns[4]),
            cog=floats(columns[5]),
            heading=floats(columns[6]),
        )
