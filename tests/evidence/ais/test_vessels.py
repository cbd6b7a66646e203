"""Vessels from static data: the one best-IMO rule used by single and batched reads."""

from collections import Counter

import pyarrow as pa

from evidence.ais.vessels import best_imos, imo_number


def pairs(*rows: tuple[int, str, int, int]) -> pa.Table:
    return pa.table(
        {
            "mmsi": pa.array([r[0] for r in rows], pa.int64()),
            "imo": pa.array([r[1] for r in rows], pa.string()),
            "rows": pa.array([r[2] for r in rows], pa.int64()),
            "last_row": pa.array([r[3] for r in rows], pa.int64()),
        }
    )


def test_the_last_valid_imo_wins_and_bad_ones_are_counted_per_row():
    cleared: Counter[str] = Counter()
    best = best_imos(
        pairs(
            (273999001, "IMO9999993", 2, 5),
            (273999001, "9999981", 1, 9),  # later: wins
            (273999001, "IMO1234568", 3, 12),  # check digit fails
            (445999002, "0", 4, 3),  # AIS "no IMO"
            (445999002, "not a number", 1, 4),
        ),
        cleared,
    )
    assert best == {273999001: 9999981}
    assert cleared == {"bad_imo": 4}


def test_imo_number_reads_the_prefix_and_refuses_words():
    assert imo_number(" IMO9321483 ") == 9321483
    assert imo_number("9321483") == 9321483
    assert imo_number("IMO") is None
    assert imo_number("12345678901") is None
