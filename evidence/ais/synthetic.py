"""Synthetic AIS tracks: a ship shuttling between two ports, with dark periods.

Pure and vectorised (a million rows in well under a second), for the demo data and
benchmarks. Output is MarineCadastre-layout CSV, so it goes through the same parser
as real data.

Identifiers: there is no ITU range of MMSIs reserved for testing, and none of IMO
numbers. Callers must choose identifiers that are plainly synthetic and label the data
as synthetic (``EvidenceItem.is_synthetic``). ``synthetic_imo`` builds IMO numbers
that pass the check digit from a base the caller picks (e.g. the ``999999x`` block).
For MMSIs, a maritime identification digit no country holds, in a ship-station
format, e.g. ``400xxxxxx`` as the demo does (``evidence.ais.stations`` classes it as
a vessel with the note "MID not allocated"); ``99xxxxxxx`` reads as an aid to
navigation and never becomes a vessel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from evidence.ais.analyse import Port
from evidence.ais.validate import (
    KM_PER_NM,
    datetime_to_timestamp,
    format_timestamps,
    haversine_km,
)
from evidence.ais.vessels import imo_check_digit

MARINECADASTRE_COLUMNS = (
    "MMSI",
    "BaseDateTime",
    "LAT",
    "LON",
    "SOG",
    "COG",
    "Heading",
    "VesselName",
    "IMO",
    "CallSign",
    "VesselType",
    "Status",
    "Length",
    "Width",
    "Draft",
    "Cargo",
    "TransceiverClass",
)
_US = 1_000_000


def synthetic_imo(base: int) -> int:
    """Append the IMO check digit to a six-digit base: 999999 -> 9999993."""
    if not 100_000 <= base <= 999_999:
        raise ValueError("IMO base must have six digits")
    return base * 10 + imo_check_digit(base)


@dataclass(frozen=True)
class SyntheticVessel:
    mmsi: int
    name: str
    imo: int | None = None
    call_sign: str = ""
    ship_type: int = 70  # cargo
    length_m: float = 120.0
    width_m: float = 18.0


def synthetic_track(
    *,
    vessel: SyntheticVessel,
    origin: Port,
    destination: Port,
    start: datetime,
    runs: int,
    interval: timedelta = timedelta(minutes=10),
    speed_knots: float = 10.0,
    dwell: timedelta = timedelta(hours=24),
    dark: Sequence[tuple[datetime, datetime]] = (),
    seed: int = 0,
) -> pa.Table:
    """One ship's reports, MarineCadastre columns (all text), in time order.

    The ship starts moored at ``origin``, then makes ``runs`` one-way passages,
    alternating origin -> destination -> origin ..., dwelling ``dwell`` in port
    before each passage and after the last. Passages are straight lines at
    ``speed_knots``; reports every ``interval`` with a little jitter. Reports inside
    any ``dark`` window (start, end) are left out: the transponder was off.
    """
    # One generator, drawn from in a fixed order: a seed always gives one track.
    rng = np.random.default_rng(seed)
    leg_km = float(
        haversine_km(origin.lat, origin.lon, destination.lat, destination.lon)
    )
    leg_us = int(leg_km / KM_PER_NM / speed_knots * 3600 * _US)
    plan = _plan(origin, destination, datetime_to_timestamp(start), runs, leg_us, dwell)
    step = int(interval.total_seconds() * _US)
    times = np.arange(plan.starts[0], plan.end_us, step, dtype=np.int64)
    times += rng.integers(-step // 10, step // 10 + 1, size=len(times))
    times = np.clip(times, plan.starts[0], plan.end_us - 1)
    for off, on in dark:
        times = times[
            (times < datetime_to_timestamp(off)) | (times >= datetime_to_timestamp(on))
        ]
    times = np.unique(times // _US) * _US  # whole seconds, as MarineCadastre has
    return _reports_table(vessel, times, _motion(rng, plan, times, speed_knots))


@dataclass(frozen=True, eq=False)
class _Plan:
    """The voyage as segments: dwell, leg, dwell, leg ... dwell."""

    starts: np.ndarray  # int64 epoch microseconds, one per segment
    lat0: np.ndarray  # where each segment starts and ends
    lon0: np.ndarray
    lat1: np.ndarray
    lon1: np.ndarray
    moving: np.ndarray  # bool: a leg, not a dwell
    leg_us: int
    end_us: int


def _plan(
    origin: Port, destination: Port, t: int, runs: int, leg_us: int, dwell: timedelta
) -> _Plan:
    dwell_us = int(dwell.total_seconds() * _US)
    seg_start, seg_from, seg_to, moving = [], [], [], []
    here, there = origin, destination
    for _ in range(runs):
        seg_start += [t, t + dwell_us]
        seg_from += [here, here]
        seg_to += [here, there]
        moving += [False, True]
        t += dwell_us + leg_us
        here, there = there, here
    seg_start.append(t)
    seg_from.append(here)
    seg_to.append(here)
    moving.append(False)
    return _Plan(
        starts=np.array(seg_start, dtype=np.int64),
        lat0=np.array([p.lat for p in seg_from]),
        lon0=np.array([p.lon for p in seg_from]),
        lat1=np.array([p.lat for p in seg_to]),
        lon1=np.array([p.lon for p in seg_to]),
        moving=np.array(moving),
        leg_us=leg_us,
        end_us=t + dwell_us,
    )


def _motion(
    rng: np.random.Generator, plan: _Plan, times: np.ndarray, speed_knots: float
) -> dict[str, np.ndarray]:
    """Position, speed, course and heading at each time, with realistic noise."""
    seg = np.searchsorted(plan.starts, times, side="right") - 1
    lat0, lon0 = plan.lat0[seg], plan.lon0[seg]
    lat1, lon1 = plan.lat1[seg], plan.lon1[seg]
    is_moving = plan.moving[seg]
    frac = np.where(is_moving, (times - plan.starts[seg]) / max(plan.leg_us, 1), 0.0)
    frac = np.clip(frac, 0.0, 1.0)
    # ~50 m of position noise, as from a real GPS.
    lat = lat0 + (lat1 - lat0) * frac + rng.normal(0, 0.0004, len(times))
    lon = lon0 + (lon1 - lon0) * frac + rng.normal(0, 0.0005, len(times))
    bearing = _bearing(lat0, lon0, lat1, lon1)
    sog = np.where(
        is_moving,
        speed_knots + rng.normal(0, 0.3, len(times)),
        rng.uniform(0.0, 0.1, len(times)),
    )
    cog = np.where(is_moving, (bearing + rng.normal(0, 2, len(times))) % 360, 0.0)
    heading = np.where(
        is_moving, np.round(bearing) % 360, np.round(rng.uniform(0, 359))
    )
    return {
        "lat": lat,
        "lon": lon,
        "sog": sog,
        "cog": cog,
        "heading": heading,
        "moving": is_moving,
    }


def _reports_table(
    vessel: SyntheticVessel, times: np.ndarray, motion: dict[str, np.ndarray]
) -> pa.Table:
    n = len(times)

    def const(value: object) -> pa.Array:
        if value is None:
            return pa.nulls(n, pa.string())
        return pa.repeat(pa.scalar(str(value)), n)

    def number(values: np.ndarray, decimals: int) -> pa.Array:
        return pc.cast(pa.array(np.round(values, decimals)), pa.string())

    return pa.table(
        {
            "MMSI": const(vessel.mmsi),
            "BaseDateTime": format_timestamps(times, sep="T", zone=""),
            "LAT": number(motion["lat"], 5),
            "LON": number(motion["lon"], 5),
            "SOG": number(np.maximum(motion["sog"], 0), 1),
            "COG": number(motion["cog"], 1),
            "Heading": number(motion["heading"], 0),
            "VesselName": const(vessel.name),
            "IMO": const(f"IMO{vessel.imo:07d}" if vessel.imo else None),
            "CallSign": const(vessel.call_sign or None),
            "VesselType": const(vessel.ship_type),
            "Status": pc.if_else(pa.array(motion["moving"]), "0", "5"),
            "Length": const(vessel.length_m),
            "Width": const(vessel.width_m),
            "Draft": const(None),
            "Cargo": const(vessel.ship_type),
            "TransceiverClass": const("A"),
        }
    )


def _bearing(
    lat0: np.ndarray, lon0: np.ndarray, lat1: np.ndarray, lon1: np.ndarray
) -> np.ndarray:
    p0, p1 = np.radians(lat0), np.radians(lat1)
    dl = np.radians(lon1 - lon0)
    y = np.sin(dl) * np.cos(p1)
    x = np.cos(p0) * np.sin(p1) - np.sin(p0) * np.cos(p1) * np.cos(dl)
    return np.degrees(np.arctan2(y, x)) % 360


def to_marinecadastre_csv(tracks: Sequence[pa.Table]) -> bytes:
    """Concatenate tracks (from synthetic_track) into MarineCadastre CSV bytes."""
    table = pa.concat_tables(tracks) if tracks else _empty()
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue().to_pybytes()


def _empty() -> pa.Table:
    return pa.table({c: pa.array([], pa.string()) for c in MARINECADASTRE_COLUMNS})
