"""Kept positions as rows: Python tuples (``bulk_create``, psycopg
``copy.write_row``) or CSV text for ``COPY ... FROM STDIN``.

Pure: no Django, no ORM. Only the tests call these now: the services load
PostgreSQL by binary COPY and other databases by batched INSERT of their own
(``evidence.ais.storage``), so both are candidates for removal.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from evidence.ais.reports import EPOCH
from evidence.ais.validate import Positions, format_timestamps


def iter_rows(
    positions: Positions,
) -> Iterator[
    tuple[int, datetime, float, float, float | None, float | None, int | None]
]:
    """(mmsi, aware UTC datetime, lat, lon, sog, cog, heading) with None for missing.

    For ``bulk_create`` or psycopg ``copy.write_row``; COPY text from
    ``positions_to_copy_csv`` is much faster for large extracts.
    """
    columns = (
        positions.mmsi.tolist(),
        positions.timestamp_us.tolist(),
        positions.lat.tolist(),
        positions.lon.tolist(),
        positions.sog.tolist(),
        positions.cog.tolist(),
        positions.heading.tolist(),
    )
    for mmsi, ts, lat, lon, sog, cog, heading in zip(*columns, strict=True):
        yield (
            mmsi,
            EPOCH + timedelta(microseconds=ts),
            lat,
            lon,
            None if sog != sog else sog,  # NaN != NaN
            None if cog != cog else cog,
            None if heading != heading else int(heading),
        )


def positions_to_copy_csv(
    positions: Positions, *, leading: Sequence[tuple[str, int | str]] = ()
) -> bytes:
    """CSV bytes (no header) for ``COPY t (...) FROM STDIN WITH (FORMAT csv)``.

    Columns: each ``leading`` constant (e.g. ``[("extract_id", 7)]``) then
    ``validate.COPY_COLUMNS``. MMSI is written zero-padded to nine digits (loads
    into text or integer columns), timestamps as ``YYYY-MM-DD HH:MM:SS[.ffffff]Z``,
    heading as an integer, missing values as empty fields (NULL in CSV COPY).
    """
    n = len(positions)
    data: dict[str, pa.Array] = {}
    for name, value in leading:
        if isinstance(value, int):
            data[name] = pa.array(np.full(n, value, dtype=np.int64))
        else:
            data[name] = pa.array([value] * n, pa.string())
    data["mmsi"] = pc.utf8_lpad(pc.cast(pa.array(positions.mmsi), pa.string()), 9, "0")
    data["timestamp"] = format_timestamps(positions.timestamp_us, sep=" ", zone="Z")
    data["lat"] = pa.array(positions.lat)
    data["lon"] = pa.array(positions.lon)
    data["sog"] = pa.array(positions.sog, from_pandas=True)
    data["cog"] = pa.array(positions.cog, from_pandas=True)
    data["heading"] = pc.cast(pa.array(positions.heading, from_pandas=True), "int16")
    sink = pa.BufferOutputStream()
    pacsv.write_csv(
        pa.table(data),
        sink,
        pacsv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    return sink.getvalue().to_pybytes()
