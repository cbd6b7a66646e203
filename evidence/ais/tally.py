"""What the analysis and the track map keep of positions that come vessel by
vessel, so an extract is analysed without holding all its positions.

Pure: no Django, no ORM. Every rule of ``analyse`` looks at one vessel at a
time (gaps and port calls between its consecutive reports, voyages between its
consecutive calls); only the run counts combine vessels, and they are counted
from the voyages at the end. So ``AnalysisTally.add`` on each vessel's rows (or
on several whole vessels at once), in any vessel order, gives what ``analyse``
gives on them all. The map keeps each vessel's track thinned as it would be
drawn (``draw.thin_track``) and the bounds of every position.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np

from evidence.ais import analyse as ais_analyse
from evidence.ais.analyse import AnalysisParams, AnalysisResult, Gap, Port
from evidence.ais.draw import thin_track
from evidence.ais.validate import Positions, timestamp_to_datetime


class AnalysisTally:
    """Gaps, port calls and voyages per vessel, thinned tracks, counts, bounds."""

    def __init__(self, *, ports: Sequence[Port], params: AnalysisParams) -> None:
        self.ports = list(ports)
        self.params = params
        self.rows = 0
        self.gaps: list[Gap] = []
        self.port_calls: list[ais_analyse.PortCall] = []
        self.voyages: list[ais_analyse.Voyage] = []
        # mmsi -> (lats, lons) thinned for the map, and its number of reports.
        self.tracks: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.reports: dict[int, int] = {}
        self._first_us: int | None = None
        self._last_us: int | None = None
        self.lat_range: tuple[float, float] | None = None
        self.lon_range: tuple[float, float] | None = None

    def add(self, positions: Positions) -> None:
        """Whole vessels' rows, sorted by mmsi then time (no vessel twice)."""
        if not len(positions):
            return
        p = positions
        self.rows += len(p)
        result = ais_analyse.analyse(p, ports=self.ports, params=self.params)
        self.gaps.extend(result.gaps)
        self.port_calls.extend(result.port_calls)
        self.voyages.extend(result.voyages)
        gaps_of: dict[int, list[Gap]] = {}
        for g in result.gaps:
            gaps_of.setdefault(g.mmsi, []).append(g)
        for mmsi, s in p.vessel_slices().items():
            self.tracks[mmsi] = thin_track(p.lat[s], p.lon[s], gaps_of.get(mmsi, []))
            self.reports[mmsi] = s.stop - s.start
        first, last = int(p.timestamp_us.min()), int(p.timestamp_us.max())
        self._first_us = first if self._first_us is None else min(self._first_us, first)
        self._last_us = last if self._last_us is None else max(self._last_us, last)
        self.lat_range = _widen(self.lat_range, p.lat)
        self.lon_range = _widen(self.lon_range, p.lon)

    @property
    def first_at(self) -> datetime | None:
        return None if self._first_us is None else timestamp_to_datetime(self._first_us)

    @property
    def last_at(self) -> datetime | None:
        return None if self._last_us is None else timestamp_to_datetime(self._last_us)

    @property
    def mmsis(self) -> list[int]:
        return sorted(self.reports)

    def result(self) -> AnalysisResult:
        """As ``analyse`` orders it: by mmsi, then time."""
        gaps = sorted(self.gaps, key=lambda g: (g.mmsi, g.start))
        calls = sorted(self.port_calls, key=lambda c: (c.mmsi, c.arrival, c.port))
        voyages = sorted(self.voyages, key=lambda v: v.mmsi)
        return AnalysisResult(
            params=self.params,
            gaps=tuple(gaps),
            port_calls=tuple(calls),
            voyages=tuple(voyages),
            runs=ais_analyse.count_runs(voyages),
        )


def _widen(
    bounds: tuple[float, float] | None, values: np.ndarray
) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    if bounds is None:
        return lo, hi
    return min(bounds[0], lo), max(bounds[1], hi)
