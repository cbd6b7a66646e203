"""Validate parsed AIS reports, column-wise, counting every rejection by reason.

Pure: no Django, no ORM. Conventions for everything downstream:

- ``mmsi`` is int64; show it zero-padded to nine digits (``f"{mmsi:09d}"``).
- ``timestamp`` is int64 **microseconds since the Unix epoch, UTC** (``timestamp_us``).
- lat/lon are float64 degrees; sog (knots), cog (degrees) and heading (degrees) are
  float64 with NaN where absent or "not available".

Rules, applied in this order; a row is rejected for the first rule it fails and each
rejected row is counted once, so ``rows_read == rows_kept + sum(rejected.values())``:

``bad_mmsi``        MMSI not nine digits (or zero).
``no_timestamp``    no time at all (blank, or an NMEA line without time).
``bad_timestamp``   a time that does not parse.
``no_position``     latitude or longitude missing or "not available" (91 / 181).
``bad_position``    latitude outside [-90, 90], longitude outside [-180, 180], or text
                    that is not a number.
``duplicate``       same MMSI, time and position as a report already kept.
``impossible_jump`` the vessel would have had to move faster than ``max_jump_knots``
                    (default 50 kn) from its previous kept report. Such rows are
                    rejected, not just flagged, so gaps and port calls are not drawn
                    through bad fixes. An allowance of ``JUMP_ALLOWANCE_KM`` covers GPS
                    noise and whole-second timestamps.

Parse-stage reasons (NMEA): ``bad_checksum``, ``unparseable``, ``incomplete``
(fragments of a multi-sentence message missing); CSV: ``malformed`` (wrong number of
fields). A bad IMO check digit does not reject the row: the IMO is set to missing and
counted in ``cleared["bad_imo"]``. "Not available" SOG (102.3), COG (360) and heading
(511) become NaN; the row is kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evidence.ais.parse import VesselInfo, parse
from evidence.ais.reports import (
    EPOCH,
    TS_BAD,
    TS_MISSING,
    Progress,
    RawReports,
    epoch_us,
)
from evidence.ais.stations import Station, StationEvidence
from evidence.ais.vessels import best_imos, vessels_from_static

DEFAULT_MAX_JUMP_KNOTS = 50.0
JUMP_ALLOWANCE_KM = 1.0
EARTH_RADIUS_KM = 6371.0088
KM_PER_NM = 1.852
# After this many vectorised passes, any vessel still showing impossible jumps is
# finished by a plain sequential walk (pathological tracks only).
_JUMP_ROUNDS = 16

REASONS = (
    "malformed",
    "unparseable",
    "bad_checksum",
    "incomplete",
    "bad_mmsi",
    "no_timestamp",
    "bad_timestamp",
    "no_position",
    "bad_position",
    "duplicate",
    "impossible_jump",
)


@dataclass(frozen=True, eq=False)
class Positions:
    """Kept position reports as columns, sorted by mmsi then timestamp."""

    mmsi: np.ndarray  # int64
    timestamp_us: np.ndarray  # int64, microseconds since epoch, UTC
    lat: np.ndarray  # float64
    lon: np.ndarray  # float64
    sog: np.ndarray  # float64, NaN = missing
    cog: np.ndarray  # float64, NaN = missing
    heading: np.ndarray  # float64, NaN = missing

    def __len__(self) -> int:
        return len(self.mmsi)

    @classmethod
    def empty(cls) -> Positions:
        f, i = np.empty(0, np.float64), np.empty(0, np.int64)
        return cls(i, i, f, f, f, f, f)

    def take(self, index: np.ndarray | slice) -> Positions:
        return Positions(
            *(getattr(self, name)[index] for name in _POSITION_COLUMNS)  # type: ignore[arg-type]
        )

    def vessel_slices(self) -> dict[int, slice]:
        """mmsi -> slice of this vessel's rows (rows are grouped by mmsi)."""
        if not len(self):
            return {}
        starts = np.flatnonzero(np.r_[True, self.mmsi[1:] != self.mmsi[:-1]])
        ends = np.r_[starts[1:], len(self)]
        return {
            int(self.mmsi[s]): slice(int(s), int(e))
            for s, e in zip(starts, ends, strict=True)
        }

    def for_vessel(self, mmsi: int) -> Positions:
        lo, hi = np.searchsorted(self.mmsi, [mmsi, mmsi + 1])
        return self.take(slice(int(lo), int(hi)))

    def to_table(self) -> pa.Table:
        """Arrow table; timestamp as timestamp[us, UTC], NaN as null."""
        return pa.table(
            {
                "mmsi": self.mmsi,
                "timestamp": pa.array(self.timestamp_us).cast(
                    pa.timestamp("us", tz="UTC")
                ),
                "lat": self.lat,
                "lon": self.lon,
                "sog": pa.array(self.sog, from_pandas=True),
                "cog": pa.array(self.cog, from_pandas=True),
                "heading": pa.array(self.heading, from_pandas=True),
            }
        )


_POSITION_COLUMNS = ("mmsi", "timestamp_us", "lat", "lon", "sog", "cog", "heading")


@dataclass(frozen=True, eq=False)
class ExtractResult:
    """Outcome of parse + validate for one file."""

    format: str
    rows_read: int
    rows_kept: int
    rejected: dict[str, int]
    cleared: dict[str, int]
    vessels: dict[int, VesselInfo]
    positions: Positions
    other_messages: int = 0
    max_jump_knots: float = DEFAULT_MAX_JUMP_KNOTS
    batches: int = 1  # how many batches the rows came in
    comment_lines: int = 0
    # mmsi -> what kind of station it is (evidence.ais.stations); only vessels
    # become vessel entities.
    stations: dict[int, Station] = field(default_factory=dict)
    # The MMSIs with kept positions (``positions`` may be empty when the rows
    # went to storage as they streamed in).
    kept_mmsis: frozenset[int] = frozenset()

    def summary(self) -> dict[str, object]:
        """JSON-ready counts (not the positions), to store beside the extract."""
        return {
            "format": self.format,
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "rejected": dict(sorted(self.rejected.items())),
            "cleared": dict(sorted(self.cleared.items())),
            "other_messages": self.other_messages,
            "comment_lines": self.comment_lines,
            "max_jump_knots": self.max_jump_knots,
            "vessels": [v.to_dict() for _, v in sorted(self.vessels.items())],
        }


def parse_and_validate(
    source: bytes | str | Path,
    *,
    max_jump_knots: float = DEFAULT_MAX_JUMP_KNOTS,
    progress: Progress | None = None,
) -> ExtractResult:
    """Read, detect, parse and validate an AIS extract. Raises only UnknownFormat.

    ``progress(done, total)`` is called as work advances (rows for NMEA, stages for
    CSV, which is processed in whole columns).
    """
    raw = parse(source, progress=progress)
    return validate(raw, max_jump_knots=max_jump_knots, progress=progress)


def validate(
    raw: RawReports,
    *,
    max_jump_knots: float = DEFAULT_MAX_JUMP_KNOTS,
    progress: Progress | None = None,
) -> ExtractResult:
    """Apply the rules in the module docstring to RawReports."""
    return validate_batches(
        raw.format, [raw], max_jump_knots=max_jump_knots, progress=progress
    )


def validate_batches(
    fmt: str,
    batches: Iterable[RawReports],
    *,
    max_jump_knots: float = DEFAULT_MAX_JUMP_KNOTS,
    progress: Progress | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> ExtractResult:
    """``validate`` over RawReports that come in batches, with the same result as
    ``validate`` on them all at once, holding every kept row (see
    ``BatchValidator`` for the streaming form, which holds none).
    ``on_batch(rows_read)`` is called after each batch.
    """
    validator = BatchValidator(fmt, max_jump_knots=max_jump_knots)
    kept: list[Positions] = []
    for raw in batches:
        kept.append(validator.add(raw))
        del raw
        if on_batch is not None:
            on_batch(validator.rows_read)
    rows_read = validator.rows_read
    if progress is not None:
        progress(0, rows_read)
    positions = sort_positions(_concat(kept))
    del kept
    if progress is not None:
        progress(rows_read // 2, rows_read)
    positions = positions.take(validator.keep_sorted(positions))
    if progress is not None:
        progress(rows_read, rows_read)
    return validator.result(positions=positions)


STATIC_REDUCE_ROWS = 100_000


class BatchValidator:
    """The rules of this module applied as rows stream in, batch by batch.

    ``add`` runs the per-row rules on a batch and returns its kept rows in file
    order, so a caller can store them and let them go; counts, static data
    (reduced per batch to what ``vessels_from_static`` keeps: the last values per
    MMSI, and per MMSI/IMO pair its count and last row) and station evidence are
    kept as running tallies whose size grows with the number of stations, not
    rows. The cross-row rules (duplicates, impossible jumps) need each vessel's
    track in time order: ``keep_sorted`` applies them to rows sorted by mmsi,
    time, latitude and longitude (one vessel at a time, or many), counting what
    it drops; ``result`` gives the ExtractResult once every vessel went through.
    """

    def __init__(
        self, fmt: str, *, max_jump_knots: float = DEFAULT_MAX_JUMP_KNOTS
    ) -> None:
        self.format = fmt
        self.max_jump_knots = max_jump_knots
        self.rejected: Counter[str] = Counter()
        self.rows_read = 0
        self.batches = 0
        self._other = self._comments = self._offset = 0
        self._lasts: list[pa.Table] = []
        self._pairs: list[pa.Table] = []
        # Static rows waiting to be reduced: a group-by has a fixed cost, so small
        # batches are reduced together (measured: 0.44 s a million rows when
        # reduced 15,000 rows at a time).
        self._static: list[pa.Table] = []
        self._static_rows = 0
        self._evidence = StationEvidence()

    def add(self, raw: RawReports) -> Positions:
        """The batch's rows passing the per-row rules, unsorted (file order)."""
        self.batches += 1
        self.rows_read += raw.rows_read
        self._other += raw.other_messages
        self._comments += raw.comment_lines
        self.rejected.update(raw.rejected)
        rows = _cleaned(raw)
        kept = rows.take(_alive(raw, rows, self.rejected))
        self._static.append(raw.static)
        self._static_rows += raw.static.num_rows
        if self._static_rows >= STATIC_REDUCE_ROWS:
            self._reduce_static()
        self._evidence.add(raw.station_evidence)
        return kept

    def _reduce_static(self) -> None:
        if not self._static:
            return
        static = pa.concat_tables(self._static)
        self._static, self._static_rows = [], 0
        last, pair = _reduce_static(static, self._offset)
        self._offset += static.num_rows
        self._lasts.append(last)
        self._pairs.append(pair)

    def keep_sorted(self, positions: Positions) -> np.ndarray:
        """Mask of the rows (sorted by mmsi, time, lat, lon; each vessel whole)
        that pass the duplicate and impossible-jump rules; drops are counted."""
        p = positions
        keep = np.ones(len(p), dtype=bool)
        if len(p) < 2:
            return keep
        dup = np.r_[
            False,
            (p.mmsi[1:] == p.mmsi[:-1])
            & (p.timestamp_us[1:] == p.timestamp_us[:-1])
            & (p.lat[1:] == p.lat[:-1])
            & (p.lon[1:] == p.lon[:-1]),
        ]
        if dup.any():
            self.rejected["duplicate"] += int(dup.sum())
            keep = ~dup
            p = p.take(keep)
        ok = _jump_filter(p, self.max_jump_knots)
        jumps = int((~ok).sum())
        if jumps:
            self.rejected["impossible_jump"] += jumps
            keep[np.flatnonzero(keep)[~ok]] = False
        return keep

    def result(
        self,
        *,
        positions: Positions | None = None,
        mmsis: Iterable[int] = (),
        rows_kept: int | None = None,
    ) -> ExtractResult:
        """The outcome: with ``positions`` (all kept rows, sorted) held, or, when
        they went to storage, the ``mmsis`` that kept rows and ``rows_kept``."""
        cleared: Counter[str] = Counter()
        self._reduce_static()
        vessels = _vessels(self._lasts, self._pairs, cleared)
        seen = set(mmsis)
        if positions is not None:
            seen |= set(np.unique(positions.mmsi).tolist())
            rows_kept = len(positions)
        stations = self._evidence.classify(also=seen | set(vessels))
        return ExtractResult(
            format=self.format,
            rows_read=self.rows_read,
            rows_kept=rows_kept or 0,
            rejected=dict(+self.rejected),
            cleared=dict(+cleared),
            vessels=vessels,
            positions=positions if positions is not None else Positions.empty(),
            other_messages=self._other,
            comment_lines=self._comments,
            max_jump_knots=self.max_jump_knots,
            batches=self.batches,
            stations=stations,
            kept_mmsis=frozenset(seen),
        )


_STATIC_TEXT = ("name", "call_sign", "ship_type")


def _reduce_static(static: pa.Table, offset: int) -> tuple[pa.Table, pa.Table]:
    """One batch's static rows as (last text values per MMSI, per MMSI/IMO pair
    its row count and last row number counted from ``offset``)."""
    last = static.group_by("mmsi", use_threads=False).aggregate(
        [(name, "last") for name in _STATIC_TEXT]
    )
    with_row = static.select(["mmsi", "imo"]).append_column(
        "row", pa.array(np.arange(offset, offset + static.num_rows, dtype=np.int64))
    )
    pair = (
        with_row.filter(pc.is_valid(with_row.column("imo")))
        .group_by(["mmsi", "imo"])
        .aggregate([("row", "count"), ("row", "max")])
    )
    return last, pair


def _vessels(
    lasts: list[pa.Table], pairs: list[pa.Table], cleared: Counter[str]
) -> dict[int, VesselInfo]:
    """``vessels_from_static`` of all the batches' static rows, from their
    reductions: the last of the batches' lasts (in batch order) is the last of all,
    counts add up and the last row is the greatest."""
    if not lasts:
        return {}
    last = pa.concat_tables(lasts)
    if last.num_rows == 0:
        return {}
    static = pa.table(
        {
            "mmsi": last.column("mmsi"),
            "imo": pa.nulls(last.num_rows, pa.string()),
            **{name: last.column(f"{name}_last") for name in _STATIC_TEXT},
        }
    )
    vessels = vessels_from_static(static, Counter())
    pair = (
        pa.concat_tables(pairs)
        .group_by(["mmsi", "imo"])
        .aggregate([("row_count", "sum"), ("row_max", "max")])
        .rename_columns({"row_count_sum": "rows", "row_max_max": "last_row"})
    )
    best = best_imos(pair, cleared)
    return {
        mmsi: replace(info, imo=best[mmsi]) if mmsi in best else info
        for mmsi, info in vessels.items()
    }


def _concat(parts: list[Positions]) -> Positions:
    if not parts:
        return Positions.empty()
    if len(parts) == 1:
        return parts[0]
    return Positions(
        *(
            np.concatenate([getattr(p, name) for p in parts])
            for name in _POSITION_COLUMNS
        )
    )


def _cleaned(raw: RawReports) -> Positions:
    """Every row, unsorted, with the "not available" markers read as absence."""
    lat, lon = raw.lat.copy(), raw.lon.copy()
    lat[lat == 91.0] = np.nan
    lon[lon == 181.0] = np.nan
    return Positions(
        raw.mmsi,
        raw.timestamp_us,
        lat,
        lon,
        np.where((raw.sog >= 0) & (raw.sog < 102.3), raw.sog, np.nan),
        np.where((raw.cog >= 0) & (raw.cog < 360.0), raw.cog, np.nan),
        np.where((raw.heading >= 0) & (raw.heading < 360), raw.heading, np.nan),
    )


def _alive(raw: RawReports, rows: Positions, rejected: Counter[str]) -> np.ndarray:
    """The row numbers passing the per-row rules (counted into ``rejected`` by the
    first rule each fails)."""
    alive = np.ones(len(rows), dtype=bool)

    def reject(reason: str, mask: np.ndarray) -> None:
        hit = alive & mask
        count = int(hit.sum())
        if count:
            rejected[reason] += count
            alive[hit] = False

    lat, lon = rows.lat, rows.lon
    reject("bad_mmsi", ~raw.mmsi_ok)
    reject("no_timestamp", raw.timestamp_state == TS_MISSING)
    reject("bad_timestamp", raw.timestamp_state == TS_BAD)
    missing = np.isnan(lat) | np.isnan(lon)
    reject("no_position", missing & ~raw.position_unparseable)
    with np.errstate(invalid="ignore"):
        outside = (np.abs(lat) > 90) | (np.abs(lon) > 180)
    reject("bad_position", raw.position_unparseable | outside | missing)
    return np.flatnonzero(alive)


def sort_positions(rows: Positions) -> Positions:
    """Rows sorted by mmsi, time, latitude and longitude."""
    if len(rows) < 2:
        return rows
    # Arrow's multi-key sort is about twice as fast as np.lexsort here.
    keys = pa.table(
        {"m": rows.mmsi, "t": rows.timestamp_us, "a": rows.lat, "o": rows.lon}
    )
    order = pc.sort_indices(keys, sort_keys=[(k, "ascending") for k in "mtao"])
    del keys
    return rows.take(order.to_numpy())


# --- geometry --------------------------------------------------------------------


def haversine_km(
    lat1: np.ndarray | float,
    lon1: np.ndarray | float,
    lat2: np.ndarray | float,
    lon2: np.ndarray | float,
) -> np.ndarray:
    """Great-circle distance in km (mean Earth radius), element-wise."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _impossible(
    p: Positions, a: np.ndarray, b: np.ndarray, max_knots: float
) -> np.ndarray:
    """Would going from row a to row b need more than max_knots (plus allowance)?"""
    hours = np.abs(p.timestamp_us[b] - p.timestamp_us[a]) / 3.6e9
    km = haversine_km(p.lat[a], p.lon[a], p.lat[b], p.lon[b])
    return km > max_knots * KM_PER_NM * hours + JUMP_ALLOWANCE_KM


def _bad_steps(
    positions: Positions, keep: np.ndarray, max_knots: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Between consecutive kept rows: (kept row numbers, their MMSIs, same vessel,
    impossible jump), the last two per step."""
    idx = np.flatnonzero(keep)
    m = positions.mmsi[idx]
    same = m[1:] == m[:-1]
    bad = same & _impossible(positions, idx[:-1], idx[1:], max_knots)
    return idx, m, same, bad


def _jump_filter(positions: Positions, max_knots: float) -> np.ndarray:
    """Boolean mask of rows to keep after removing impossible jumps.

    For a jump between consecutive reports X -> Y, Y is dropped, unless X is the odd
    one out: X is the vessel's first report (or skipping X makes the track possible)
    and Y agrees with the report after it. Only the first bad jump per vessel is
    resolved per pass, so one bad fix never condemns its good neighbours.
    """
    n = len(positions)
    keep = np.ones(n, dtype=bool)
    if n < 2:
        return keep
    for _ in range(_JUMP_ROUNDS):
        idx, m, same, bad = _bad_steps(positions, keep, max_knots)
        k = np.flatnonzero(bad)  # jump between idx[k] and idx[k+1]
        if not len(k):
            return keep
        _, first = np.unique(m[k], return_index=True)
        k = k[first]
        has_prev = np.r_[False, same][k]
        prev_i = idx[np.maximum(k - 1, 0)]
        skip_ok = ~_impossible(positions, prev_i, idx[k + 1], max_knots)
        earlier_odd = ~has_prev | skip_ok
        has_next = np.r_[same, False][k + 1]
        next_bad = np.r_[bad, False][k + 1]
        later_ok = has_next & ~next_bad
        drop = np.where(earlier_odd & later_ok, idx[k], idx[k + 1])
        keep[drop] = False
    _sequential_jump_filter(positions, keep, max_knots)
    return keep


def _sequential_jump_filter(
    positions: Positions, keep: np.ndarray, max_knots: float
) -> None:
    """Fallback for vessels still jumping: compare each row to the last kept one."""
    _, m, _, bad = _bad_steps(positions, keep, max_knots)
    for mmsi in np.unique(m[1:][bad]):
        lo, hi = np.searchsorted(positions.mmsi, [mmsi, mmsi + 1])
        last = None
        for i in range(int(lo), int(hi)):
            if not keep[i]:
                continue
            if (
                last is not None
                and _impossible(positions, np.array([last]), np.array([i]), max_knots)[
                    0
                ]
            ):
                keep[i] = False
            else:
                last = i


# --- time: epoch microseconds, UTC, in and out -------------------------------------

COPY_COLUMNS = ("mmsi", "timestamp", "lat", "lon", "sog", "cog", "heading")


_DAY_US = 86_400_000_000


@cache
def _time_of_day() -> pa.Array:
    """ "HH:MM:SS" for each second of a day, built once."""
    seconds = np.arange(86_400)
    return pa.array(
        [
            f"{h:02d}:{m:02d}:{x:02d}"
            for h, m, x in zip(
                seconds // 3600, seconds // 60 % 60, seconds % 60, strict=True
            )
        ]
    )


def format_timestamps(timestamp_us: np.ndarray, *, sep: str, zone: str) -> pa.Array:
    """Epoch microseconds -> "YYYY-MM-DD{sep}HH:MM:SS[.ffffff]{zone}" strings.

    Much faster than strftime (which dominated COPY preparation): dates and times
    of day are looked up in small tables and joined column-wise. Fractions are
    written only when some timestamp has one.
    """
    ts = np.asarray(timestamp_us, dtype=np.int64)
    if not len(ts):
        return pa.array([], pa.string())
    day = ts // _DAY_US
    first_day = int(day.min())
    span = int(day.max()) - first_day + 1
    dates = pa.array(
        [
            (EPOCH + timedelta(days=first_day + i)).strftime("%Y-%m-%d")
            for i in range(span)
        ]
    )
    date_text = dates.take(pa.array(day - first_day))
    time_text = _time_of_day().take(pa.array((ts - day * _DAY_US) // 1_000_000))
    text = pc.binary_join_element_wise(date_text, time_text, sep)
    fraction = ts % 1_000_000
    if fraction.any():
        micro = pc.utf8_lpad(pc.cast(pa.array(fraction), pa.string()), 6, "0")
        text = pc.binary_join_element_wise(text, micro, ".")
    return pc.binary_join_element_wise(text, pa.scalar(zone), "")


def timestamp_to_datetime(timestamp_us: int) -> datetime:
    """Epoch microseconds -> aware UTC datetime."""
    return EPOCH + timedelta(microseconds=int(timestamp_us))


def datetime_to_timestamp(when: datetime) -> int:
    """Aware datetime -> epoch microseconds."""
    if when.tzinfo is None:
        raise ValueError("naive datetime: AIS times must be timezone-aware")
    return epoch_us(when)
