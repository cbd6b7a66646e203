from datetime import UTC, datetime

from evidence.ais.rows import iter_rows, positions_to_copy_csv
from evidence.ais.validate import parse_and_validate
from evidence.ais.vessels import imo_is_valid
from tests.evidence.ais.helpers import mc_csv, mc_row


def test_mmsi_that_is_not_nine_digits_is_rejected():
    result = parse_and_validate(mc_csv(mc_row(), mc_row(mmsi="12345")))
    assert (result.rows_kept, result.rejected) == (1, {"bad_mmsi": 1})


def test_imo_with_wrong_check_digit_is_cleared_but_the_row_kept():
    result = parse_and_validate(mc_csv(mc_row(imo="IMO9999994")))
    assert (result.rows_kept, result.rejected, result.cleared) == (
        1,
        {},
        {"bad_imo": 1},
    )
    assert result.vessels[273999001].imo is None


def test_valid_imo_check_digit_is_accepted():
    assert imo_is_valid(9074729) is True


def test_invalid_imo_check_digit_is_refused():
    assert imo_is_valid(9074728) is False


def test_latitude_out_of_range_is_a_bad_position():
    result = parse_and_validate(mc_csv(mc_row(lat="95.0")))
    assert result.rejected == {"bad_position": 1}


def test_longitude_out_of_range_is_a_bad_position():
    result = parse_and_validate(mc_csv(mc_row(lon="-180.5")))
    assert result.rejected == {"bad_position": 1}


def test_latitude_that_is_not_a_number_is_a_bad_position():
    result = parse_and_validate(mc_csv(mc_row(), mc_row(lat="north")))
    assert (result.rows_kept, result.rejected) == (1, {"bad_position": 1})


def test_not_available_latitude_91_is_no_position():
    result = parse_and_validate(mc_csv(mc_row(lat="91")))
    assert result.rejected == {"no_position": 1}


def test_not_available_longitude_181_is_no_position():
    result = parse_and_validate(mc_csv(mc_row(lon="181")))
    assert result.rejected == {"no_position": 1}


def test_not_available_speed_course_heading_are_missing_not_data():
    result = parse_and_validate(mc_csv(mc_row(sog="102.3", cog="360", heading="511")))
    assert next(iter_rows(result.positions))[4:] == (None, None, None)


def test_unparseable_timestamp_is_a_bad_timestamp():
    result = parse_and_validate(mc_csv(mc_row(when="yesterday")))
    assert result.rejected == {"bad_timestamp": 1}


def test_blank_timestamp_is_no_timestamp():
    result = parse_and_validate(mc_csv(mc_row(when="")))
    assert result.rejected == {"no_timestamp": 1}


def test_iso_timestamp_with_fraction_and_zone_is_read():
    result = parse_and_validate(mc_csv(mc_row(when="2023-10-01T02:00:00.5+02:00")))
    assert next(iter_rows(result.positions))[1] == datetime(
        2023, 10, 1, 0, 0, 0, 500000, tzinfo=UTC
    )


def test_exact_duplicate_report_is_dropped():
    result = parse_and_validate(mc_csv(mc_row(), mc_row(), mc_row(lat="42.2168")))
    assert (result.rows_kept, result.rejected) == (2, {"duplicate": 1})


def test_spike_far_from_the_track_is_an_impossible_jump():
    result = parse_and_validate(
        mc_csv(
            mc_row(when="2023-10-01T00:00:00", lat="42.2000"),
            mc_row(when="2023-10-01T00:10:00", lat="43.5000"),
            mc_row(when="2023-10-01T00:20:00", lat="42.2200"),
            mc_row(when="2023-10-01T00:30:00", lat="42.2300"),
        )
    )
    assert result.rejected == {"impossible_jump": 1}
    assert result.positions.lat.tolist() == [42.2, 42.22, 42.23]


def test_wrong_first_report_is_the_one_rejected_for_a_jump():
    result = parse_and_validate(
        mc_csv(
            mc_row(when="2023-10-01T00:00:00", lat="10.0000"),
            mc_row(when="2023-10-01T00:10:00", lat="42.2000"),
            mc_row(when="2023-10-01T00:20:00", lat="42.2200"),
        )
    )
    assert result.positions.lat.tolist() == [42.2, 42.22]


def test_fast_but_possible_movement_is_kept():
    # 0.25 degrees of latitude (27.8 km) in one hour is 15 knots.
    result = parse_and_validate(
        mc_csv(
            mc_row(when="2023-10-01T00:00:00", lat="42.00"),
            mc_row(when="2023-10-01T01:00:00", lat="42.25"),
        )
    )
    assert result.rejected == {}


def test_jump_limit_is_a_parameter():
    data = mc_csv(
        mc_row(when="2023-10-01T00:00:00", lat="42.00"),
        mc_row(when="2023-10-01T01:00:00", lat="42.25"),
        mc_row(when="2023-10-01T02:00:00", lat="42.50"),
    )
    result = parse_and_validate(data, max_jump_knots=10.0)
    assert result.rejected == {"impossible_jump": 2}


def test_row_with_wrong_number_of_fields_is_counted_as_malformed():
    result = parse_and_validate(mc_csv(mc_row(), "273999001,2023-10-01T00:00:00"))
    assert (result.rows_read, result.rows_kept, result.rejected) == (
        2,
        1,
        {"malformed": 1},
    )


def test_counts_add_up_with_every_kind_of_rejection():
    result = parse_and_validate(
        mc_csv(
            mc_row(),
            mc_row(),
            mc_row(mmsi="1"),
            mc_row(when="soon"),
            mc_row(lat="91"),
            mc_row(imo="IMO1234567"),
        )
    )
    assert result.rows_read == result.rows_kept + sum(result.rejected.values())


def test_progress_is_reported_to_completion():
    calls = []
    parse_and_validate(
        mc_csv(mc_row()), progress=lambda done, total: calls.append((done, total))
    )
    assert calls[-1] == (1, 1)


def test_copy_csv_has_the_documented_columns_and_nulls():
    result = parse_and_validate(mc_csv(mc_row(sog="102.3", heading="45")))
    assert positions_to_copy_csv(result.positions, leading=[("extract_id", 7)]) == (
        b'7,"273999001","2023-10-01 00:00:00Z",42.2167,130.2833,,0,45\n'
    )


def test_iter_rows_gives_aware_datetimes_and_none_for_missing():
    result = parse_and_validate(mc_csv(mc_row(heading="511")))
    assert next(iter_rows(result.positions)) == (
        273999001,
        datetime(2023, 10, 1, tzinfo=UTC),
        42.2167,
        130.2833,
        0.0,
        0.0,
        None,
    )


def test_summary_is_json_ready():
    result = parse_and_validate(mc_csv(mc_row(), mc_row(mmsi="x")))
    assert result.summary()["rejected"] == {"bad_mmsi": 1}
    assert result.summary()["vessels"][0]["mmsi"] == "273999001"
