"""Find dark periods, port calls and voyages in validated AIS positions.

Pure: no Django, no ORM. Input is ``validate.Positions`` (sorted by mmsi, then time);
every result is a frozen dataclass whose ``to_dict()`` is JSON-ready (times as ISO
8601 UTC with ``Z``). ``AnalysisParams`` is stored beside the results so an analysis
can be re-run exactly.

Definitions, after Global Fishing Watch (GFW) where GFW has one:

- **Dark period** (GFW "AIS gap"): two consecutive reports of one vessel more than
  ``gap_hours`` apart (default 12 h). It is ``near_port`` when its start or end lies
  within ``near_port_km`` (default 5 km, or the port's radius if larger) of a known
  port, because reception near ports is often poor and such gaps say less.
- **Port visit**: GFW's entry/exit hysteresis. A vessel *enters* a port with its first
  report within ``port_entry_km`` (3 km) and *exits* with its first report beyond
  ``port_exit_km`` (4 km); reports in between do not change the state. A port with its
  own ``radius_km`` uses that as the entry distance and radius + 1 km for exit.
- **Port call**: a visit in which the vessel stopped (GFW stop: a report under
  ``stop_start_knots`` = 0.2 kn; the 0.5 kn stop end only matters for timing stops,
  which we do not report) *or* went silent inside the port for at least
  ``port_gap_hours`` (GFW "port gap"; default 4 h) - so a vessel that was seen
  entering and seen leaving but not in between still makes a call - and which lasted
  at least ``min_dwell_hours`` (default 1 h). Passing through the circle at speed is
  not a call. ``arrival`` is the entry report's time; ``arrival_seen`` is False when
  the vessel was not heard in the ``gap_hours`` before it (track start, or it came in
  dark). ``departure`` is the exit report's time when that report came within
  ``gap_hours`` of the previous one or lies within ``near_port_km`` of the port (the
  vessel was seen leaving); otherwise it left unseen (``departure_seen`` False) and
  ``departure`` is the last time it was heard in port - the earliest it can have
  left. ``departure`` is None if the track ends in port (no minimum dwell applies
  then: the stay has not ended). Where SOG is missing, the speed implied by the
  previous report is used.
- **Voyage**: two consecutive port calls of one vessel, departure from the first to
  arrival at the second. **Runs** count voyages between two different ports, both per
  direction and per unordered pair.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from itertools import pairwise

import numpy as np

from evidence.ais.validate import (
    KM_PER_NM,
    Positions,
    haversine_km,
    timestamp_to_datetime,
)

_US_PER_HOUR = 3_600_000_000


def iso(when: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, as stored in JSON."""
    if when is None:
        return None
    return when.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Port:
    """A port as a point with an optional radius (km) overriding the defaults."""

    key: str
    name: str
    lat: float
    lon: float
    radius_km: float | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class AnalysisParams:
    gap_hours: float = 12.0
    near_port_km: float = 5.0
    port_entry_km: float = 3.0
    port_exit_km: float = 4.0
    stop_start_knots: float = 0.2
    stop_end_knots: float = 0.5
    port_gap_hours: float = 4.0
    min_dwell_hours: float = 1.0

    def to_dict(self) -> dict[str, float]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, float]) -> AnalysisParams:
        known = {f.name for f in fields(cls)}
        return cls(**{k: float(v) for k, v in data.items() if k in known})

    def entry_exit_km(self, port: Port) -> tuple[float, float]:
        if port.radius_km is None:
            return self.port_entry_km, self.port_exit_km
        return port.radius_km, port.radius_km + (self.port_exit_km - self.port_entry_km)


@dataclass(frozen=True)
class Gap:
    """A dark period: no reports from one vessel for longer than the threshold."""

    mmsi: int
    start: datetime
    end: datetime
    start_lat: float
    start_lon: float
    end_lat: float
    end_lon: float
    duration_hours: float
    distance_km: float
    distance_nm: float
    implied_speed_knots: float
    start_port: str | None = None
    end_port: str | None = None

    @property
    def near_port(self) -> bool:
        return self.start_port is not None or self.end_port is not None

    @property
    def port(self) -> str | None:
        """The port the gap starts or ends near (start preferred)."""
        return self.start_port or self.end_port

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.update(
            mmsi=f"{self.mmsi:09d}",
            start=iso(self.start),
            end=iso(self.end),
            near_port=self.near_port,
            port=self.port,
        )
        return data


@dataclass(frozen=True)
class PortCall:
    mmsi: int
    port: str
    arrival: datetime
    departure: datetime | None
    stopped: bool
    dark_in_port: bool
    arrival_seen: bool = True
    departure_seen: bool = True

    @property
    def duration_hours(self) -> float | None:
        if self.departure is None:
            return None
        return (self.departure - self.arrival).total_seconds() / 3600

    def to_dict(self) -> dict[str, object]:
        return {
            "mmsi": f"{self.mmsi:09d}",
            "port": self.port,
            "arrival": iso(self.arrival),
            "departure": iso(self.departure),
            "duration_hours": self.duration_hours,
            "stopped": self.stopped,
            "dark_in_port": self.dark_in_port,
            "arrival_seen": self.arrival_seen,
            "departure_seen": self.departure_seen,
        }


@dataclass(frozen=True)
class Voyage:
    mmsi: int
    from_port: str
    to_port: str
    departure: datetime
    arrival: datetime

    @property
    def duration_hours(self) -> float:
        return (self.arrival - self.departure).total_seconds() / 3600

    def to_dict(self) -> dict[str, object]:
        return {
            "mmsi": f"{self.mmsi:09d}",
            "from_port": self.from_port,
            "to_port": self.to_port,
            "departure": iso(self.departure),
            "arrival": iso(self.arrival),
            "duration_hours": self.duration_hours,
        }


@dataclass(frozen=True)
class RouteCount:
    """Voyages from port_a to port_b (or between them, when unordered)."""

    port_a: str
    port_b: str
    count: int

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class RunCounts:
    directional: tuple[RouteCount, ...] = ()
    between: tuple[RouteCount, ...] = ()

    def count(self, a: str, b: str, *, directional: bool = False) -> int:
        """Runs a -> b (directional) or between a and b either way."""
        if directional:
            rows = self.directional
            wanted = (a, b)
        else:
            rows = self.between
            wanted = tuple(sorted((a, b)))
        return next((r.count for r in rows if (r.port_a, r.port_b) == wanted), 0)

    def to_dict(self) -> dict[str, object]:
        return {
            "directional": [r.to_dict() for r in self.directional],
            "between": [r.to_dict() for r in self.between],
        }


@dataclass(frozen=True)
class AnalysisResult:
    params: AnalysisParams
    gaps: tuple[Gap, ...]
    port_calls: tuple[PortCall, ...]
    voyages: tuple[Voyage, ...]
    runs: RunCounts = field(default_factory=RunCounts)

    def to_dict(self) -> dict[str, object]:
        return {
            "params": self.params.to_dict(),
            "gaps": [g.to_dict() for g in self.gaps],
            "port_calls": [c.to_dict() for c in self.port_calls],
            "voyages": [v.to_dict() for v in self.voyages],
            "runs": self.runs.to_dict(),
        }


def analyse(
    positions: Positions,
    *,
    ports: Sequence[Port] = (),
    params: AnalysisParams | None = None,
) -> AnalysisResult:
    """Gaps, port calls, voyages and run counts in one go."""
    params = params or AnalysisParams()
    calls = find_port_calls(positions, ports=ports, params=params)
    voyages = find_voyages(calls)
    return AnalysisResult(
        params=params,
        gaps=tuple(find_gaps(positions, ports=ports, params=params)),
        port_calls=tuple(calls),
        voyages=tuple(voyages),
        runs=count_runs(voyages),
    )


def find_gaps(
    positions: Positions,
    *,
    ports: Sequence[Port] = (),
    params: AnalysisParams | None = None,
) -> list[Gap]:
    """Dark periods longer than params.gap_hours, in mmsi then time order."""
    params = params or AnalysisParams()
    p = positions
    if len(p) < 2:
        return []
    dt = np.diff(p.timestamp_us)
    k = np.flatnonzero(
        (p.mmsi[1:] == p.mmsi[:-1]) & (dt > params.gap_hours * _US_PER_HOUR)
    )
    a, b = k, k + 1
    km = haversine_km(p.lat[a], p.lon[a], p.lat[b], p.lon[b])
    hours = dt[k] / _US_PER_HOUR
    start_port = _nearest_port(p.lat[a], p.lon[a], ports, params)
    end_port = _nearest_port(p.lat[b], p.lon[b], ports, params)
    return [
        Gap(
            mmsi=int(p.mmsi[i]),
            start=timestamp_to_datetime(p.timestamp_us[i]),
            end=timestamp_to_datetime(p.timestamp_us[j]),
            start_lat=float(p.lat[i]),
            start_lon=float(p.lon[i]),
            end_lat=float(p.lat[j]),
            end_lon=float(p.lon[j]),
            duration_hours=float(h),
            distance_km=float(d),
            distance_nm=float(d / KM_PER_NM),
            implied_speed_knots=float(d / KM_PER_NM / h),
            start_port=sp,
            end_port=ep,
        )
        for i, j, h, d, sp, ep in zip(
            a, b, hours, km, start_port, end_port, strict=True
        )
    ]


def _nearest_port(
    lat: np.ndarray, lon: np.ndarray, ports: Sequence[Port], params: AnalysisParams
) -> list[str | None]:
    best: list[str | None] = [None] * len(lat)
    if not ports or not len(lat):
        return best
    dist = np.stack([haversine_km(lat, lon, port.lat, port.lon) for port in ports])
    limit = np.array(
        [max(params.near_port_km, port.radius_km or 0.0) for port in ports]
    )
    dist = np.where(dist <= limit[:, None], dist, np.inf)
    nearest = dist.argmin(axis=0)
    for i, n in enumerate(nearest):
        if np.isfinite(dist[n, i]):
            best[i] = ports[n].key
    return best


def find_port_calls(
    positions: Positions,
    *,
    ports: Sequence[Port],
    params: AnalysisParams | None = None,
) -> list[PortCall]:
    """Port calls (see module docstring), in mmsi then arrival order."""
    params = params or AnalysisParams()
    p = positions
    if not len(p) or not ports:
        return []
    first = np.r_[True, p.mmsi[1:] != p.mmsi[:-1]]
    track = _Track(
        p,
        first=first,
        last=np.r_[first[1:], True],
        speed=_speed_knots(p, first),
        # Interval before each row (0 at a vessel's first row).
        dt_before=np.where(first, 0, np.r_[0, np.diff(p.timestamp_us)]),
    )
    calls = [call for port in ports for call in _calls_at(track, port, params)]
    calls.sort(key=lambda c: (c.mmsi, c.arrival, c.port))
    return calls


@dataclass(frozen=True, eq=False)
class _Track:
    """Per-row facts about the positions that every port's visits are judged on."""

    p: Positions
    first: np.ndarray  # a vessel's first row
    last: np.ndarray  # a vessel's last row
    speed: np.ndarray  # knots, see _speed_knots
    dt_before: np.ndarray  # microseconds since the vessel's previous row


def _calls_at(track: _Track, port: Port, params: AnalysisParams) -> list[PortCall]:
    """The calls at one port: its visits (entry/exit hysteresis) that qualify."""
    p, first, last = track.p, track.first, track.last
    n = len(p)
    entry_km, exit_km = params.entry_exit_km(port)
    d = haversine_km(p.lat, p.lon, port.lat, port.lon)
    label = np.where(d <= entry_km, 1, np.where(d > exit_km, -1, 0))
    # A track starting between the two circles starts outside.
    label = np.where(first & (label == 0), -1, label)
    # Forward-fill the last decisive label: hysteresis without a Python loop.
    src = np.maximum.accumulate(np.where(label != 0, np.arange(n), 0))
    inside = label[src] == 1
    prev_inside = np.r_[False, inside[:-1]] & ~first
    next_inside = np.r_[inside[1:], False] & ~last
    starts = np.flatnonzero(inside & ~prev_inside)
    ends = np.flatnonzero(inside & ~next_inside)
    near_km = max(params.near_port_km, exit_km)
    calls = []
    for i, j in zip(starts, ends, strict=True):
        call = _visit_call(track, port, d, near_km, i, j, params)
        if call is not None:
            calls.append(call)
    return calls


def _visit_call(
    track: _Track,
    port: Port,
    d: np.ndarray,
    near_km: float,
    i: int,
    j: int,
    params: AnalysisParams,
) -> PortCall | None:
    """The call made by the visit from row i to row j (``d`` km from the port),
    or None when the vessel passed through or stayed too briefly."""
    p, dt_before = track.p, track.dt_before
    gap_us = params.gap_hours * _US_PER_HOUR
    exit_row = None if track.last[j] else j + 1
    stopped = bool((track.speed[i : j + 1] < params.stop_start_knots).any())
    silent = dt_before[i + 1 : (j if exit_row is None else exit_row) + 1]
    dark = bool(len(silent)) and bool(
        silent.max() >= params.port_gap_hours * _US_PER_HOUR
    )
    arrival_seen = not track.first[i] and dt_before[i] < gap_us
    departure_us = None
    departure_seen = False
    if exit_row is not None:
        # The exit report dates the departure only if it came soon after the
        # vessel was last heard, or right outside the port; otherwise it left
        # unseen and we keep the time it was last seen in port.
        departure_seen = bool(dt_before[exit_row] < gap_us or d[exit_row] <= near_km)
        departure_us = int(p.timestamp_us[exit_row if departure_seen else j])
    arrival_us = int(p.timestamp_us[i])
    if not (stopped or dark):
        return None  # passed through without stopping
    min_dwell_us = params.min_dwell_hours * _US_PER_HOUR
    if departure_us is not None and departure_us - arrival_us < min_dwell_us:
        return None
    return PortCall(
        mmsi=int(p.mmsi[i]),
        port=port.key,
        arrival=timestamp_to_datetime(arrival_us),
        departure=(
            None if departure_us is None else timestamp_to_datetime(departure_us)
        ),
        stopped=stopped,
        dark_in_port=dark,
        arrival_seen=bool(arrival_seen),
        departure_seen=departure_seen,
    )


def _speed_knots(p: Positions, first: np.ndarray) -> np.ndarray:
    """SOG, or where it is missing the speed implied by the previous report."""
    if not len(p):
        return p.sog
    km = np.r_[0.0, haversine_km(p.lat[:-1], p.lon[:-1], p.lat[1:], p.lon[1:])]
    hours = np.r_[0.0, np.diff(p.timestamp_us) / _US_PER_HOUR]
    with np.errstate(divide="ignore", invalid="ignore"):
        implied = np.where(hours > 0, km / KM_PER_NM / hours, np.nan)
    implied[first] = np.nan
    return np.where(np.isnan(p.sog), implied, p.sog)


def find_voyages(port_calls: Sequence[PortCall]) -> list[Voyage]:
    """Consecutive port calls of each vessel -> voyages (departure to arrival)."""
    by_vessel: dict[int, list[PortCall]] = {}
    for call in port_calls:
        by_vessel.setdefault(call.mmsi, []).append(call)
    voyages = []
    for mmsi in sorted(by_vessel):
        calls = sorted(by_vessel[mmsi], key=lambda c: c.arrival)
        for here, there in pairwise(calls):
            if here.departure is None or there.arrival < here.departure:
                continue  # overlapping visits of ports close together
            voyages.append(
                Voyage(
                    mmsi=mmsi,
                    from_port=here.port,
                    to_port=there.port,
                    departure=here.departure,
                    arrival=there.arrival,
                )
            )
    return voyages


def count_runs(voyages: Sequence[Voyage]) -> RunCounts:
    """Voyages between two different ports, per direction and per unordered pair."""
    directional: Counter[tuple[str, str]] = Counter()
    between: Counter[tuple[str, str]] = Counter()
    for v in voyages:
        if v.from_port == v.to_port:
            continue
        directional[(v.from_port, v.to_port)] += 1
        a, b = sorted((v.from_port, v.to_port))
        between[(a, b)] += 1
    return RunCounts(
        directional=tuple(
            RouteCount(a, b, c) for (a, b), c in sorted(directional.items())
        ),
        between=tuple(RouteCount(a, b, c) for (a, b), c in sorted(between.items())),
    )
