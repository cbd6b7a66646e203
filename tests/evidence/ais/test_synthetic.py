from datetime import UTC, datetime, timedelta

import numpy as np

from evidence.ais.analyse import Port
from evidence.ais.synthetic import (
    SyntheticVessel,
    synthetic_imo,
    synthetic_track,
    to_marinecadastre_csv,
)
from evidence.ais.validate import datetime_to_timestamp, parse_and_validate
from evidence.ais.vessels import imo_is_valid

RAJIN = Port("KPRJN", "Rajin", 42.2167, 130.2833)
DUNAI = Port("DUNAI", "Dunai", 42.8803, 132.3375)
VESSEL = SyntheticVessel(mmsi=273999001, name="SYNTHETIC ANGARA", imo=9999993)
START = datetime(2023, 8, 1, tzinfo=UTC)


def test_synthetic_imo_appends_a_valid_check_digit():
    assert (synthetic_imo(999999), imo_is_valid(synthetic_imo(999998))) == (
        9999993,
        True,
    )


def test_generated_track_parses_as_marinecadastre_with_nothing_rejected():
    track = synthetic_track(
        vessel=VESSEL, origin=RAJIN, destination=DUNAI, start=START, runs=2
    )
    result = parse_and_validate(to_marinecadastre_csv([track]))
    assert (result.format, result.rows_kept, result.rejected) == (
        "marinecadastre",
        track.num_rows,
        {},
    )


def test_no_reports_fall_inside_a_dark_window():
    off, on = START + timedelta(hours=30), START + timedelta(hours=45)
    track = synthetic_track(
        vessel=VESSEL,
        origin=RAJIN,
        destination=DUNAI,
        start=START,
        runs=2,
        dark=[(off, on)],
    )
    times = parse_and_validate(to_marinecadastre_csv([track])).positions.timestamp_us
    inside = (times >= datetime_to_timestamp(off)) & (times < datetime_to_timestamp(on))
    assert int(np.count_nonzero(inside)) == 0


def test_generation_is_repeatable_for_a_seed():
    make = lambda: synthetic_track(  # noqa: E731
        vessel=VESSEL, origin=RAJIN, destination=DUNAI, start=START, runs=1, seed=3
    )
    assert make().equals(make())
