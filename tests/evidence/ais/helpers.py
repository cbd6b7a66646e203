"""Small builders shared by the AIS tests."""

from datetime import datetime
from pathlib import Path

import numpy as np

from evidence.ais.validate import Positions, datetime_to_timestamp

DATA = Path(__file__).resolve().parents[2] / "data" / "ais"

MC_HEADER = (
    "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,"
    "VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass"
)


def mc_row(
    mmsi="273999001",
    when="2023-10-01T00:00:00",
    lat="42.2167",
    lon="130.2833",
    sog="0.0",
    cog="0.0",
    heading="90",
    name="SYNTHETIC ANGARA",
    imo="IMO9999993",
) -> str:
    return (
        f"{mmsi},{when},{lat},{lon},{sog},{cog},{heading},{name},{imo},"
        "UBXX9,70,5,120,18,6.1,70,A"
    )


def mc_csv(*rows: str) -> bytes:
    return ("\n".join([MC_HEADER, *rows]) + "\n").encode()


def positions(*rows: tuple[int, datetime, float, float, float]) -> Positions:
    """Positions from (mmsi, when, lat, lon, sog) tuples, sorted as validate sorts."""
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    nan = np.full(len(rows), np.nan)
    return Positions(
        mmsi=np.array([r[0] for r in rows], dtype=np.int64),
        timestamp_us=np.array([datetime_to_timestamp(r[1]) for r in rows], np.int64),
        lat=np.array([r[2] for r in rows], dtype=np.float64),
        lon=np.array([r[3] for r in rows], dtype=np.float64),
        sog=np.array([r[4] for r in rows], dtype=np.float64),
        cog=nan,
        heading=nan,
    )
