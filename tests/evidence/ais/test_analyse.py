from datetime import UTC, datetime, timedelta

import pytest

from evidence.ais.analyse import (
    AnalysisParams,
    Port,
    analyse,
    find_gaps,
    find_port_calls,
)
from evidence.ais.synthetic import (
    SyntheticVessel,
    synthetic_imo,
    synthetic_track,
    to_marinecadastre_csv,
)
from evidence.ais.validate import parse_and_validate
from tests.evidence.ais.helpers import positions

RAJIN = Port("KPRJN", "Rajin", 42.2167, 130.2833)
DUNAI = Port("DUNAI", "Dunai", 42.8803, 132.3375)
T0 = datetime(2023, 8, 1, tzinfo=UTC)
SHIP = 273999001


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_gap_longer_than_threshold_is_a_dark_period_with_duration_and_distance():
    # One degree of latitude along a meridian: 111.195 km = 60.041 nm, in 13 h.
    gaps = find_gaps(
        positions((SHIP, at(0), 42.0, 131.0, 10), (SHIP, at(13), 43.0, 131.0, 10))
    )
    gap = gaps[0]
    assert (gap.start, gap.end, gap.duration_hours) == (at(0), at(13), 13.0)
    assert (
        round(gap.distance_km, 3),
        round(gap.distance_nm, 3),
        round(gap.implied_speed_knots, 3),
    ) == (111.195, 60.041, 4.619)


def test_gap_shorter_than_threshold_is_not_a_dark_period():
    track = positions((SHIP, at(0), 42.0, 131.0, 10), (SHIP, at(11), 43.0, 131.0, 10))
    assert find_gaps(track) == []


def test_gap_between_two_vessels_is_not_a_dark_period():
    track = positions(
        (SHIP, at(0), 42.0, 131.0, 10), (SHIP + 1, at(20), 43.0, 131.0, 10)
    )
    assert find_gaps(track) == []


def test_gap_threshold_is_a_parameter():
    track = positions((SHIP, at(0), 42.0, 131.0, 10), (SHIP, at(7), 42.1, 131.0, 10))
    assert len(find_gaps(track, params=AnalysisParams(gap_hours=6))) == 1


def test_gap_starting_near_a_port_is_labelled_near_port():
    track = positions(
        (SHIP, at(0), 42.2367, 130.2833, 0.1),  # 2.2 km north of Rajin
        (SHIP, at(20), 42.6, 131.5, 10),
    )
    gap = find_gaps(track, ports=[RAJIN, DUNAI])[0]
    assert (gap.near_port, gap.start_port, gap.end_port, gap.port) == (
        True,
        "KPRJN",
        None,
        "KPRJN",
    )


def test_gap_far_from_ports_is_not_near_port():
    track = positions((SHIP, at(0), 42.5, 131.0, 10), (SHIP, at(20), 42.6, 131.5, 10))
    assert find_gaps(track, ports=[RAJIN, DUNAI])[0].near_port is False


def test_near_port_distance_is_a_parameter():
    track = positions(
        (SHIP, at(0), 42.2967, 130.2833, 0.1),  # 8.9 km north of Rajin
        (SHIP, at(20), 42.6, 131.5, 10),
    )
    params = AnalysisParams(near_port_km=10)
    assert find_gaps(track, ports=[RAJIN], params=params)[0].port == "KPRJN"


def test_stop_in_port_is_a_port_call_with_arrival_and_departure():
    track = positions(
        (SHIP, at(0), 42.30, 130.2833, 10),  # 9 km out
        (SHIP, at(0.5), 42.23, 130.2833, 3),  # inside 3 km: entry
        (SHIP, at(1), 42.2167, 130.2833, 0.0),
        (SHIP, at(5), 42.2167, 130.2833, 0.1),
        (SHIP, at(5.5), 42.2567, 130.2833, 8),  # beyond 4 km: exit
    )
    call = find_port_calls(track, ports=[RAJIN])[0]
    assert (call.port, call.arrival, call.departure, call.duration_hours) == (
        "KPRJN",
        at(0.5),
        at(5.5),
        5.0,
    )


def test_passing_through_a_port_without_stopping_is_not_a_call():
    track = positions(
        (SHIP, at(0), 42.30, 130.2833, 10),
        (SHIP, at(0.5), 42.22, 130.2833, 10),
        (SHIP, at(1), 42.14, 130.2833, 10),
        (SHIP, at(3), 42.00, 130.2833, 10),
    )
    assert find_port_calls(track, ports=[RAJIN]) == []


def test_short_stop_below_minimum_dwell_is_not_a_call():
    track = positions(
        (SHIP, at(0), 42.22, 130.2833, 0.0),
        (SHIP, at(0.5), 42.30, 130.2833, 10),
    )
    assert find_port_calls(track, ports=[RAJIN]) == []


def test_entry_and_exit_seen_with_silence_between_is_a_call():
    track = positions(
        (SHIP, at(0), 42.24, 130.2833, 8),  # inside, still moving
        (SHIP, at(9), 42.255, 130.2833, 8),  # next heard just outside 4 km
    )
    call = find_port_calls(track, ports=[RAJIN])[0]
    assert (call.arrival, call.departure, call.stopped, call.dark_in_port) == (
        at(0),
        at(9),
        False,
        True,
    )


def test_hovering_between_entry_and_exit_circles_stays_in_port():
    track = positions(
        (SHIP, at(0), 42.23, 130.2833, 0.0),  # 1.5 km: enters
        (SHIP, at(2), 42.2482, 130.2833, 0.0),  # 3.5 km: between the circles
        (SHIP, at(4), 42.30, 130.2833, 9),  # 9 km: exits
    )
    calls = find_port_calls(track, ports=[RAJIN])
    assert [(c.arrival, c.departure) for c in calls] == [(at(0), at(4))]


def test_track_ending_in_port_has_no_departure():
    track = positions(
        (SHIP, at(0), 42.30, 130.2833, 10),
        (SHIP, at(1), 42.2167, 130.2833, 0.0),
        (SHIP, at(2), 42.2167, 130.2833, 0.0),
    )
    call = find_port_calls(track, ports=[RAJIN])[0]
    assert (call.arrival, call.departure) == (at(1), None)


def test_port_radius_overrides_entry_distance():
    track = positions(
        (SHIP, at(0), 42.2567, 130.2833, 0.0),  # 4.4 km
        (SHIP, at(3), 42.2567, 130.2833, 0.0),
        (SHIP, at(4), 42.40, 130.2833, 10),
    )
    big = Port("KPRJN", "Rajin", 42.2167, 130.2833, radius_km=6.0)
    assert len(find_port_calls(track, ports=[big])) == 1


def test_params_serialise_to_a_dict_and_back():
    params = AnalysisParams(gap_hours=6)
    assert AnalysisParams.from_dict(params.to_dict()) == params
    assert params.to_dict()["gap_hours"] == 6


@pytest.fixture(scope="module")
def shuttle():
    """Six runs Rajin <-> Dunai, two dark periods, through the real parser."""
    vessel = SyntheticVessel(
        mmsi=SHIP, name="SYNTHETIC ANGARA", imo=synthetic_imo(999999)
    )
    dark = [
        # Dark across the whole Dunai -> Rajin leg (run 2).
        (datetime(2023, 8, 3, 6, tzinfo=UTC), datetime(2023, 8, 3, 21, tzinfo=UTC)),
        # Off an hour after leaving Rajin (run 3) until after arriving at Dunai.
        (datetime(2023, 8, 4, 21, tzinfo=UTC), datetime(2023, 8, 5, 10, tzinfo=UTC)),
    ]
    track = synthetic_track(
        vessel=vessel, origin=RAJIN, destination=DUNAI, start=T0, runs=6, dark=dark
    )
    result = parse_and_validate(to_marinecadastre_csv([track]))
    return analyse(result.positions, ports=[RAJIN, DUNAI])


def test_shuttle_runs_between_the_ports_are_counted(shuttle):
    assert shuttle.runs.count("KPRJN", "DUNAI") == 6
    assert shuttle.runs.count("KPRJN", "DUNAI", directional=True) == 3
    assert shuttle.runs.count("DUNAI", "KPRJN", directional=True) == 3


def test_shuttle_port_calls_alternate_between_the_ports(shuttle):
    assert [c.port for c in shuttle.port_calls] == ["KPRJN", "DUNAI"] * 3 + ["KPRJN"]


def test_shuttle_dark_periods_are_found(shuttle):
    assert [
        (g.start.date().isoformat(), g.start_port, g.end_port) for g in shuttle.gaps
    ] == [
        ("2023-08-03", "DUNAI", "KPRJN"),
        ("2023-08-04", None, "DUNAI"),
    ]


def test_shuttle_departure_unseen_in_the_dark_is_last_time_heard_in_port(shuttle):
    call = shuttle.port_calls[1]
    assert (call.port, call.departure_seen) == ("DUNAI", False)
    assert call.departure == shuttle.gaps[0].start


def test_shuttle_arrival_after_coming_in_dark_is_marked_unseen(shuttle):
    call = shuttle.port_calls[3]
    assert (call.port, call.arrival_seen, call.arrival) == (
        "DUNAI",
        False,
        shuttle.gaps[1].end,
    )


def test_voyages_join_consecutive_calls(shuttle):
    first = shuttle.voyages[0]
    assert (first.from_port, first.to_port) == ("KPRJN", "DUNAI")
    assert first.departure == shuttle.port_calls[0].departure
    assert first.arrival == shuttle.port_calls[1].arrival


def test_analysis_to_dict_uses_utc_iso_times_with_z(shuttle):
    data = shuttle.to_dict()
    assert data["gaps"][0]["start"].endswith("Z")
    assert data["port_calls"][0]["arrival"].endswith("Z")
    assert data["params"]["gap_hours"] == 12.0
