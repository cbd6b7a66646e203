"""Where the positions' times come from, and the time an uploader gives.

Pure: no Django, no ORM. ``nmea_reader`` names the source of each position's time
(the names below); this module counts them per file, picks the main one, and
applies a time given by the uploader to the positions that have none.

A given time means "the capture started then": every position read without a time
gets exactly that time (NMEA files only). Lines carry no spacing, so none is
invented: their order within the capture cannot be placed honestly on the timeline,
and the page says so. A time the file carries always wins; an unreadable time
stays unreadable (``bad_timestamp``), it is not replaced.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping

import numpy as np

from evidence.ais.reports import TS_BAD, TS_MISSING, TS_OK, RawReports

TAG_BLOCK = "tag_block"
LEADING = "leading_timestamp"
NAIS = "nais_trailer"
PGHP = "pghp"
RMC = "receiver_clock_rmc"
ZDA = "receiver_clock_zda"
BASE_STATION = "base_station"
GIVEN = "given"
CSV_COLUMN = "csv_column"
NONE = "none"
UNREADABLE = "unreadable"

# Most trusted first: a line's own time, then the header just before it, then the
# running clocks, then the uploader's word. Ties for the main source go this way.
TRUST_ORDER = (
    TAG_BLOCK,
    LEADING,
    NAIS,
    PGHP,
    RMC,
    ZDA,
    BASE_STATION,
    CSV_COLUMN,
    GIVEN,
)

LABELS = {
    TAG_BLOCK: "NMEA 4.0 tag block (c:)",
    LEADING: "timestamp at the start of each line",
    NAIS: "US Coast Guard NAIS time after the checksum",
    PGHP: "Gatehouse $PGHP header before the sentence",
    RMC: "receiver clock ($--RMC) before the line",
    ZDA: "receiver clock ($--ZDA) before the line",
    BASE_STATION: "AIS base station report (type 4/11) before the line",
    CSV_COLUMN: "the CSV time column",
    GIVEN: "the capture start given by the uploader",
    NONE: "none (no time)",
    UNREADABLE: "a time that could not be read",
}


def count_sources(raw: RawReports) -> Counter[str]:
    """Position reports of one batch by the source of their time.

    The NMEA reader counts its sources (``extra["time_sources"]``); a CSV batch
    takes its times from its time column.
    """
    counted = raw.extra.get("time_sources")
    if isinstance(counted, Mapping):
        return Counter({str(k): int(v) for k, v in counted.items()})
    state = raw.timestamp_state
    counts = Counter(
        {
            CSV_COLUMN: int((state == TS_OK).sum()),
            NONE: int((state == TS_MISSING).sum()),
            UNREADABLE: int((state == TS_BAD).sum()),
        }
    )
    return +counts


def main_source(counts: Mapping[str, int]) -> str:
    """The source that timed the most positions (ties by trust), else ``none``."""
    timed = [(n, s) for s, n in counts.items() if s in TRUST_ORDER and n > 0]
    if not timed:
        return NONE
    return max(timed, key=lambda ns: (ns[0], -TRUST_ORDER.index(ns[1])))[1]


def apply_given_time(raw: RawReports, when_us: int) -> RawReports:
    """``raw`` with every position that has no time given ``when_us`` (source
    ``given``); positions with a time, readable or not, are left alone."""
    missing = raw.timestamp_state == TS_MISSING
    if not missing.any():
        return raw
    counts = count_sources(raw)
    counts[GIVEN] += counts.pop(NONE, 0)
    return dataclasses.replace(
        raw,
        timestamp_us=np.where(missing, np.int64(when_us), raw.timestamp_us),
        timestamp_state=np.where(missing, np.int8(TS_OK), raw.timestamp_state).astype(
            np.int8
        ),
        extra={**raw.extra, "time_sources": dict(+counts)},
    )
