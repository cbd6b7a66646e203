"""The demo's synthetic AIS extracts (shared/SCENARIO.md): the Angara and the Maria
shuttling between Rajin and Dunai from August to mid-October 2023, transponders off
at times.

Everything here is generated and must be labelled so: the items are
``is_synthetic`` and their description says so. Identifiers come from the caller
(the demo loader passes ``provenance.demo.loader.SYNTHETIC_IDS``: IMO numbers starting
00000, which no ship carries, and MMSIs with MID 400, which no country holds yet
reads as a ship station; see ``evidence.ais.stations``). The dark
periods are only *placed* here; finding them is the analysis's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from evidence.ais.analyse import Port
from evidence.ais.synthetic import (
    SyntheticVessel,
    synthetic_track,
    to_marinecadastre_csv,
)
from evidence.ais.validate import KM_PER_NM, haversine_km

RAJIN = Port(key="rajin", name="Rajin", lat=42.2167, lon=130.2833)
DUNAI = Port(key="dunai", name="Dunai", lat=42.8803, lon=132.3375)

SPEED_KNOTS = 6.0  # laden, slow: a passage takes about 16.5 h
RUNS = 8  # one-way passages: Rajin -> Dunai -> Rajin ... (four round trips)
DWELL = timedelta(days=7, hours=12)
INTERVAL = timedelta(minutes=15)
# Dark periods at sea start this long after departure and end this long before
# arrival, i.e. about 9 nm out: clear of the 5 km "near port" radius.
DARK_MARGIN = timedelta(hours=1, minutes=30)

DESCRIPTION = (
    "SYNTHETIC DEMO DATA — not a real AIS record. Generated positions for the "
    "{name} between Rajin and Dunai, August to October 2023, with transponder-off "
    "periods placed at sea, to show how the tool finds runs and dark periods. The "
    "IMO ({imo}) and MMSI ({mmsi}) are synthetic values no real ship uses."
)


@dataclass(frozen=True)
class DemoShip:
    name: str
    start: datetime
    # Passages (0-based) during which the transponder goes dark at sea.
    dark_passages: tuple[int, ...]
    # (days after the start, hours) dark while moored: a gap near port.
    dark_in_port: tuple[tuple[float, float], ...] = ()
    seed: int = 0


SHIPS = (
    DemoShip(
        name="Angara",
        start=datetime(2023, 8, 1, 6, tzinfo=UTC),
        dark_passages=(1, 4, 6),
        dark_in_port=((24.0, 20.0),),
        seed=1,
    ),
    DemoShip(
        name="Maria",
        start=datetime(2023, 8, 4, 18, tzinfo=UTC),
        dark_passages=(0, 3, 5, 7),
        seed=2,
    ),
)


@dataclass(frozen=True)
class DemoAISExtract:
    """One ship's extract, ready for ``evidence_add_ais`` (content as bytes)."""

    vessel_name: str
    filename: str
    title: str
    description: str
    content: bytes
    observed_at: datetime
    dark_periods: tuple[tuple[datetime, datetime], ...]


def leg_duration() -> timedelta:
    km = float(haversine_km(RAJIN.lat, RAJIN.lon, DUNAI.lat, DUNAI.lon))
    return timedelta(hours=km / KM_PER_NM / SPEED_KNOTS)


def dark_windows(ship: DemoShip) -> tuple[tuple[datetime, datetime], ...]:
    """When the ship's transponder is off, following synthetic_track's timetable
    (dwell, passage, dwell, passage ... dwell)."""
    leg = leg_duration()
    windows = []
    for k in ship.dark_passages:
        departure = ship.start + (k + 1) * DWELL + k * leg
        windows.append((departure + DARK_MARGIN, departure + leg - DARK_MARGIN))
    for days, hours in ship.dark_in_port:
        off = ship.start + timedelta(days=days)
        windows.append((off, off + timedelta(hours=hours)))
    return tuple(sorted(windows))


def demo_ais_extracts(
    ids: Mapping[str, Mapping[str, str]],
) -> list[DemoAISExtract]:
    """One MarineCadastre CSV per ship in ``ids`` (keyed "Angara", "Maria"; each
    with "imo" and "mmsi" strings, e.g. ``provenance.demo.loader.SYNTHETIC_IDS``)."""
    extracts = []
    for ship in SHIPS:
        if ship.name not in ids:
            continue
        imo, mmsi = ids[ship.name]["imo"], ids[ship.name]["mmsi"]
        vessel = SyntheticVessel(
            mmsi=int(mmsi), name=ship.name.upper(), imo=int(imo) if imo else None
        )
        windows = dark_windows(ship)
        track = synthetic_track(
            vessel=vessel,
            origin=RAJIN,
            destination=DUNAI,
            start=ship.start,
            runs=RUNS,
            interval=INTERVAL,
            speed_knots=SPEED_KNOTS,
            dwell=DWELL,
            dark=windows,
            seed=ship.seed,
        )
        extracts.append(
            DemoAISExtract(
                vessel_name=ship.name,
                filename=f"synthetic-ais-{ship.name.lower()}-2023.csv",
                title=f"AIS track of the {ship.name}, Aug–Oct 2023 (synthetic)",
                description=DESCRIPTION.format(name=ship.name, imo=imo, mmsi=mmsi),
                content=to_marinecadastre_csv([track]),
                observed_at=ship.start,
                dark_periods=windows,
            )
        )
    return extracts
