"""What the AIS readers hand to validation: ``RawReports`` and its conventions.

Pure: no Django, no ORM. Shared by the CSV and NMEA readers and by ``validate``:
the timestamp states, the refusal for unreadable input (``UnknownFormat``), the
longest line ever copied out whole, and the time texts both readers accept.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from evidence.ais.stations import empty_station_evidence

# Real lines are under 1 KiB (a MarineCadastre header is ~150 bytes, an NMEA
# sentence at most 82 plus a tag block).
MAX_LINE_BYTES = 64 << 10

# Timestamp states in RawReports.timestamp_state.
TS_OK, TS_MISSING, TS_BAD = 0, 1, 2

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNIX_RE = re.compile(r"^\d{9,13}(\.\d+)?$")

Progress = Callable[[int, int], None]


class UnknownFormat(ValueError):
    """The content is not an AIS layout we can read."""


@dataclass(eq=False)
class RawReports:
    """Position reports as read, before validation; one array element per report.

    ``mmsi`` is int64 (0 where ``mmsi_ok`` is False). ``timestamp_us`` is int64
    microseconds since the Unix epoch, UTC (meaningless unless ``timestamp_state`` is
    ``TS_OK``). Numbers are float64 with NaN where absent; ``position_unparseable``
    marks rows whose latitude or longitude text was present but not a number.
    ``static`` holds static data (one row per report or message) with columns
    mmsi (int64), imo, name, call_sign, ship_type (strings, null when absent).
    ``station_evidence`` is what the batch says of each station's kind (message
    types seen, the layout's "type of mobile"; ``stations.STATION_EVIDENCE_SCHEMA``),
    one row per distinct fact.
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
    comment_lines: int = 0  # "#..." lines: neither rows nor rejected
    extra: dict[str, object] = field(default_factory=dict)
    station_evidence: pa.Table = field(default_factory=empty_station_evidence)


def parse_time_text(value: str) -> int | None:
    """ISO 8601 or Unix seconds -> epoch microseconds UTC; naive means UTC."""
    value = value.strip()
    if UNIX_RE.match(value):
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
    return epoch_us(when)


def epoch_us(when: datetime) -> int:
    """Aware datetime -> microseconds since the Unix epoch, in integer arithmetic."""
    delta = when - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
