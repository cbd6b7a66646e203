import gzip
from datetime import UTC, datetime

import pytest

from evidence.ais.parse import UnknownFormat, detect_format, read_source
from evidence.ais.rows import iter_rows
from evidence.ais.validate import parse_and_validate
from tests.evidence.ais.helpers import DATA, mc_csv, mc_row


def rows(result):
    return list(iter_rows(result.positions))


def test_marinecadastre_csv_is_detected_and_all_rows_kept():
    result = parse_and_validate(DATA / "marinecadastre.csv")
    assert (result.format, result.rows_read, result.rows_kept) == (
        "marinecadastre",
        5,
        5,
    )


def test_marinecadastre_rows_are_sorted_by_mmsi_then_time():
    result = parse_and_validate(DATA / "marinecadastre.csv")
    assert rows(result)[1] == (
        273999001,
        datetime(2023, 10, 1, 0, 10, tzinfo=UTC),
        42.22,
        130.29,
        5.2,
        45.3,
        44,
    )
    assert [r[0] for r in rows(result)] == [273999001] * 3 + [445999002] * 2


def test_marinecadastre_vessel_details_are_collected():
    result = parse_and_validate(DATA / "marinecadastre.csv")
    vessel = result.vessels[445999002]
    assert (vessel.imo, vessel.name, vessel.call_sign, vessel.ship_type) == (
        9999981,
        "SYNTHETIC MARIA",
        "HMXX2",
        "79",
    )


def test_gzipped_csv_reads_the_same_as_the_plain_file():
    plain = parse_and_validate(DATA / "marinecadastre.csv")
    zipped = parse_and_validate(DATA / "marinecadastre.csv.gz")
    assert rows(zipped) == rows(plain)


def test_compression_is_detected_from_magic_bytes_not_name(tmp_path):
    path = tmp_path / "extract.txt"
    path.write_bytes(gzip.compress((DATA / "marinecadastre.csv").read_bytes()))
    assert parse_and_validate(path).rows_kept == 5


def test_new_layout_zstd_file_is_detected():
    result = parse_and_validate(DATA / "marinecadastre_v2.csv.zst")
    assert (result.format, result.rows_kept) == ("marinecadastre_v2", 3)


def test_new_layout_literal_nulls_are_missing_values():
    result = parse_and_validate(DATA / "marinecadastre_v2.csv.zst")
    assert rows(result)[0] == (
        273999001,
        datetime(2024, 1, 1, tzinfo=UTC),
        42.2167,
        130.2833,
        0.1,
        None,
        None,
    )
    assert result.vessels[273999001].call_sign is None


def test_dma_timestamps_are_day_month_year_utc():
    result = parse_and_validate(DATA / "dma.csv")
    assert result.format == "dma"
    assert rows(result)[0][:4] == (
        219999001,
        datetime(2023, 10, 13, 0, 0, 1, tzinfo=UTC),
        55.6761,
        12.5683,
    )


def test_dma_unknown_placeholders_are_missing():
    result = parse_and_validate(DATA / "dma.csv")
    vessel = result.vessels[219999002]
    assert (vessel.imo, vessel.call_sign, vessel.ship_type) == (None, None, None)


def test_csv_header_order_is_free_and_extra_columns_ignored():
    data = (
        b"Extra,LON,LAT,BaseDateTime,MMSI\nx,130.5,42.5,2023-10-01T01:00:00,273999001\n"
    )
    result = parse_and_validate(data)
    assert rows(result) == [
        (
            273999001,
            datetime(2023, 10, 1, 1, tzinfo=UTC),
            42.5,
            130.5,
            None,
            None,
            None,
        )
    ]


def test_format_is_detected_from_content_not_file_name(tmp_path):
    path = tmp_path / "looks_like.nmea"
    path.write_bytes(mc_csv(mc_row()))
    assert parse_and_validate(path).format == "marinecadastre"


def test_unknown_layout_is_refused_with_the_columns_needed():
    with pytest.raises(UnknownFormat) as error:
        parse_and_validate(b"ship,when,where\nA,today,here\n")
    assert "MMSI, timestamp, latitude, longitude" in str(error.value)
    assert "ship, when, where" in str(error.value)


def test_corrupt_gzip_is_refused_as_unknown_format():
    with pytest.raises(UnknownFormat):
        read_source(b"\x1f\x8b\x08\x00garbage")


def test_nmea_tag_block_time_is_used():
    result = parse_and_validate(DATA / "tagblock.nmea")
    assert result.format == "nmea"
    assert rows(result)[0][:2] == (273999001, datetime(2023, 10, 13, tzinfo=UTC))


def test_nmea_with_tag_blocks_keeps_all_positions_and_counts_static_apart():
    result = parse_and_validate(DATA / "tagblock.nmea")
    assert (result.rows_read, result.rows_kept, result.other_messages) == (3, 3, 1)


def test_nmea_leading_timestamps_in_several_forms_are_read():
    result = parse_and_validate(DATA / "timestamps.nmea")
    assert [r[1] for r in rows(result)] == [
        datetime(2023, 10, 13, 0, 0, tzinfo=UTC),
        datetime(2023, 10, 13, 0, 10, tzinfo=UTC),
        datetime(2023, 10, 13, 0, 20, tzinfo=UTC),
        datetime(2023, 10, 13, 0, 5, tzinfo=UTC),
    ]


def test_nmea_class_b_position_report_is_read():
    result = parse_and_validate(DATA / "timestamps.nmea")
    assert rows(result)[3] == (
        445999002,
        datetime(2023, 10, 13, 0, 5, tzinfo=UTC),
        42.8803,
        132.3375,
        0.1,
        0.0,
        None,
    )


def test_nmea_type_5_over_two_sentences_gives_vessel_details():
    result = parse_and_validate(DATA / "multisentence.nmea")
    vessel = result.vessels[445999002]
    assert (vessel.imo, vessel.name, vessel.call_sign, vessel.ship_type) == (
        9999981,
        "SYNTHETIC MARIA",
        "HMXX2",
        "70",
    )


def test_nmea_bad_checksum_is_counted():
    result = parse_and_validate(DATA / "dirty.nmea")
    assert result.rejected["bad_checksum"] == 1


def test_nmea_line_without_time_is_counted_and_not_kept():
    result = parse_and_validate(DATA / "dirty.nmea")
    assert result.rejected["no_timestamp"] == 1
    assert len(result.positions) == 2


def test_nmea_line_that_is_not_ais_is_counted_as_unparseable():
    result = parse_and_validate(DATA / "dirty.nmea")
    assert result.rejected["unparseable"] == 1


def test_nmea_fragment_without_its_partner_is_counted_as_incomplete():
    first_half = (DATA / "multisentence.nmea").read_bytes().splitlines()[0]
    result = parse_and_validate(first_half + b"\n")
    assert (result.rows_read, result.rejected) == (1, {"incomplete": 1})


def test_nmea_tag_block_with_bad_checksum_is_counted():
    line = (DATA / "tagblock.nmea").read_bytes().splitlines()[0]
    broken = line.replace(b"c:1697155200", b"c:1697155201")
    result = parse_and_validate(broken + b"\n")
    assert result.rejected == {"bad_checksum": 1}


def test_detect_format_names_nmea_after_a_leading_timestamp():
    assert detect_format((DATA / "timestamps.nmea").read_bytes()) == "nmea"
