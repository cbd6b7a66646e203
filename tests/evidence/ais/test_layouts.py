"""CSV layouts: each built-in layout is detected and read with exact positions and
times (checked against Python's csv module reading the same file), header names
match whatever their case, spacing or punctuation, unknown layouts are refused
naming what was found and what is needed, and team layouts (column mappings)
read times in their format and zone."""

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence.ais.layouts import (
    ISO8601,
    UNIX_MS,
    UNIX_SECONDS,
    LayoutError,
    custom_layout,
    detect,
    guess_mapping,
    match_team_layout,
    norm,
    refusal_message,
)
from evidence.ais.parse import UnknownFormat, UnknownLayout, detect_layout, parse
from evidence.ais.validate import validate
from tests.evidence.ais.helpers import DATA

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "ais_csv"
LAYOUTS = DATA / "layouts"


def us(text: str, pattern: str = "%Y-%m-%dT%H:%M:%S") -> int:
    """Epoch microseconds of a UTC wall-clock text (the independent reading)."""
    return round(datetime.strptime(text, pattern).replace(tzinfo=UTC).timestamp()) * (
        1_000_000
    )


def rows(path: Path, **kwargs) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle, **kwargs))


def read(path: Path, **kwargs):
    raw = parse(path, **kwargs)
    return raw, validate(raw)


# --- the real exactEarth cut ----------------------------------------------------------


def test_real_exactearth_cut_is_read_as_exactearth_with_its_first_row_exact():
    raw, result = read(REAL / "exactearth_aisdb_20210701.csv")

    assert raw.format == "exactearth"
    assert (result.rows_read, result.rows_kept) == (20, 19)
    assert dict(result.rejected) == {"bad_mmsi": 1}  # the type-24 row, MMSI 91801652
    i = list(raw.mmsi).index(432905000)
    assert raw.timestamp_us[i] == us("2021-07-01T18:51:51")
    assert (raw.lat[i], raw.lon[i]) == (8.87747666667, -103.63687)
    assert (raw.sog[i], raw.cog[i], raw.heading[i]) == (13.6, 314.8, 315.0)


def test_real_exactearth_cut_matches_the_csv_module_row_by_row():
    expected = rows(REAL / "exactearth_aisdb_20210701.csv")
    raw, _ = read(REAL / "exactearth_aisdb_20210701.csv")

    assert raw.rows_read == len(expected) == 20
    for i, row in enumerate(expected):
        assert raw.timestamp_us[i] == us(row["Time"], "%Y%m%d_%H%M%S")
        if row["Latitude"]:
            assert raw.lat[i] == float(row["Latitude"])
            assert raw.lon[i] == float(row["Longitude"])
        if len(row["MMSI"]) == 9:
            assert raw.mmsi[i] == int(row["MMSI"])
    assert not raw.mmsi_ok[19]


# --- the documented layouts -----------------------------------------------------------


def test_marinetraffic_with_spaces_after_commas_is_read_exactly():
    raw, result = read(LAYOUTS / "marinetraffic.csv")
    expected = rows(LAYOUTS / "marinetraffic.csv", skipinitialspace=True)

    assert raw.format == "marinetraffic"
    assert result.rows_kept == 3
    assert list(raw.mmsi) == [int(r["MMSI"]) for r in expected]
    assert list(raw.lat) == [float(r["LAT"]) for r in expected]
    assert list(raw.lon) == [float(r["LON"]) for r in expected]
    # The API's SPEED is in tenths of a knot.
    assert list(raw.sog) == [int(r["SPEED"]) / 10 for r in expected] == [12.3, 12.1, 0]
    assert list(raw.cog) == [float(r["COURSE"]) for r in expected]
    assert list(raw.timestamp_us) == [
        us(r["TIMESTAMP"].replace(" ", "T")) for r in expected
    ]
    assert raw.static.column("name").to_pylist()[0] == "SYNTHETIC ALPHA"


def test_marinetraffic_speed_with_a_decimal_point_is_already_in_knots():
    content = (
        b"MMSI,TIMESTAMP,LAT,LON,SPEED\n"
        b"244000001,2021-07-01T18:51:51,51.9502,4.0481,12.3\n"
        b"244000001,2021-07-01T18:56:51,51.9511,4.0110,12\n"
    )

    raw = parse(content)

    assert list(raw.sog) == [12.3, 1.2]


def test_vesselsvalue_takes_the_mmsi_column_not_its_own_id():
    raw, result = read(LAYOUTS / "vesselsvalue.csv")
    expected = rows(LAYOUTS / "vesselsvalue.csv")

    assert raw.format == "vesselsvalue"
    assert result.rows_kept == 2
    assert list(raw.mmsi) == [244000003, 244000003]
    assert list(raw.lat) == [float(r["latitude"]) for r in expected]
    assert list(raw.lon) == [float(r["longitude"]) for r in expected]
    assert list(raw.timestamp_us) == [
        us(r["ais_pos_timestamp"], "%Y-%m-%dT%H:%M:%SZ") for r in expected
    ]


def test_vesselsvalue_without_an_mmsi_column_refuses_ids_that_are_not_mmsis():
    content = (
        b"ID,ais_pos_timestamp,longitude,latitude\n"
        b"58213,2021-07-01T18:51:51Z,-5.35210,36.13120\n"
    )

    _raw, result = read(content)

    assert (result.rows_kept, dict(result.rejected)) == (0, {"bad_mmsi": 1})


def test_nari_unix_seconds_are_read_exactly():
    raw, result = read(LAYOUTS / "nari_dynamic.csv")
    expected = rows(LAYOUTS / "nari_dynamic.csv")

    assert raw.format == "nari"
    assert result.rows_kept == 3
    assert list(raw.mmsi) == [int(r["sourcemmsi"]) for r in expected]
    assert list(raw.timestamp_us) == [int(r["t"]) * 1_000_000 for r in expected]
    assert list(raw.lat) == [float(r["lat"]) for r in expected]
    assert list(raw.lon) == [float(r["lon"]) for r in expected]
    assert list(raw.sog) == [float(r["speedoverground"]) for r in expected]
    assert list(raw.heading) == [117.0, 118.0, 511.0]


def test_aishub_reads_both_its_human_and_its_ais_encoded_rows():
    raw, result = read(LAYOUTS / "aishub.csv")
    human, encoded = rows(LAYOUTS / "aishub.csv")

    assert raw.format == "aishub"
    assert result.rows_kept == 2
    assert raw.timestamp_us[0] == us(human["TIME"], "%Y-%m-%d %H:%M:%S GMT")
    assert (raw.lat[0], raw.lon[0]) == (38.874833333333, 118.44586666667)
    assert (raw.sog[0], raw.cog[0]) == (0.1, 356.0)
    # AIS encoding: Unix time, 1/600000 degree, tenths of a knot and a degree.
    assert raw.timestamp_us[1] == int(encoded["TIME"]) * 1_000_000
    assert raw.lat[1] == pytest.approx(30453520 / 600000, abs=1e-12)
    assert raw.lon[1] == pytest.approx(-818067 / 600000, abs=1e-12)
    assert (raw.sog[1], raw.cog[1]) == (5.9, 235.1)


@pytest.mark.parametrize(
    ("name", "mmsi_column", "pattern"),
    [
        ("gfw_bigquery.csv", "ssvid", "%Y-%m-%d %H:%M:%S UTC"),
        ("gfw_training.csv", "mmsi", None),
    ],
)
def test_global_fishing_watch_exports_are_read_exactly(name, mmsi_column, pattern):
    raw, result = read(LAYOUTS / name)
    expected = rows(LAYOUTS / name)

    assert raw.format == "gfw"
    assert result.rows_kept == 2
    assert list(raw.mmsi) == [int(r[mmsi_column]) for r in expected]
    assert list(raw.lat) == [float(r["lat"]) for r in expected]
    assert list(raw.lon) == [float(r["lon"]) for r in expected]
    assert list(raw.sog) == [float(r["speed"]) for r in expected]
    times = [
        us(r["timestamp"], pattern) if pattern else round(float(r["timestamp"])) * 10**6
        for r in expected
    ]
    assert list(raw.timestamp_us) == times


# --- header matching ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "fmt"),
    [
        (["MMSI", " TIMESTAMP", " LAT", " LON"], "marinetraffic"),
        (["mmsi", "timestamp", "lat", "lon", "is_fishing"], "gfw"),
        (["mmsi", "timestamp", "lat", "lon"], "gfw"),
        (["MMSI", "Timestamp", "Lat", "Lon", "Ship_ID"], "marinetraffic"),
        (["ssvid", "timestamp", "lat", "lon"], "gfw"),
        (["MMSI", "Base Date Time", "Lat", "Lon"], "marinecadastre"),
        (["mmsi", "base-date-time", "LATITUDE", "longitude"], "marinecadastre_v2"),
        (["mmsi", "message id", "TIME", "Latitude", "Longitude"], "exactearth"),
        (["SourceMMSI", "LON", "LAT", "T"], "nari"),
        (["id", "AIS Pos Timestamp", "Longitude", "Latitude"], "vesselsvalue"),
        (["MMSI", "time", "longitude", "latitude", "navstat"], "aishub"),
        (["# Timestamp", "Type of mobile", "MMSI", "Latitude", "Longitude"], "dma"),
        (["ship", "when", "where"], None),
    ],
)
def test_headers_match_whatever_their_case_spacing_or_punctuation(header, fmt):
    assert detect(header) == fmt


def test_norm_ignores_case_spaces_punctuation_and_keeps_other_scripts():
    assert {norm(n) for n in ("# Timestamp", " TIME-STAMP ", "time_stamp")} == {
        "timestamp"
    }
    assert norm("Länge (m)") == "längem"


def test_a_bom_and_spaces_before_the_header_do_not_hide_the_layout():
    content = "\ufeffsourcemmsi , lon , lat , t\n244000004,-4.46,48.38,1443650402\n"

    assert detect_layout(content.encode())[0] == "nari"


# --- refusals -------------------------------------------------------------------------


def test_unknown_layout_names_its_header_what_was_recognised_and_what_is_needed():
    with pytest.raises(UnknownLayout) as error:
        detect_layout(b"Ship ID,MMSI,When,Where\n1,244000001,today,here\n")

    message = str(error.value)
    assert "this file's header has: Ship ID, MMSI, When, Where." in message
    assert "A CSV needs columns for MMSI, timestamp, latitude, longitude" in message
    assert "Recognised MMSI (MMSI); not found: time, latitude, longitude." in message
    assert "exactEarth/Spire" in message
    assert "Global Fishing Watch" in message
    assert (error.value.header, error.value.sample) == (
        ["Ship ID", "MMSI", "When", "Where"],
        ["1", "244000001", "today", "here"],
    )


def test_a_long_header_is_shown_cut_with_its_column_count():
    message = refusal_message([f"c{i}" for i in range(40)])

    assert "c29, … (40 columns)." in message
    assert "c30" not in message


def test_a_chosen_layout_missing_a_mapped_column_is_refused_by_name():
    layout = custom_layout(
        name="Port feed",
        mapping={"mmsi": "Ship", "timestamp": "When", "lat": "Y", "lon": "X"},
        time_format=ISO8601,
    )

    with pytest.raises(UnknownFormat) as error:
        detect_layout(b"Ship,When,Y\n244000001,2021-07-01T00:00:00,1\n", layout=layout)

    assert "'Port feed' needs columns for lon" in str(error.value)


# --- team layouts ---------------------------------------------------------------------

HEADER = ["Ship", "Local time", "Y", "X", "Knots"]


def team_layout(time_format: str, time_zone: str = "UTC", **kwargs):
    return custom_layout(
        name="Port feed",
        mapping={"mmsi": "Ship", "timestamp": "Local time", "lat": "Y", "lon": "X"}
        | kwargs,
        time_format=time_format,
        time_zone=time_zone,
        header=HEADER,
    )


def feed(*times: str) -> bytes:
    lines = [",".join(HEADER)] + [f"244000001,{t},43.2951,5.3741,3.5" for t in times]
    return ("\n".join(lines) + "\n").encode()


def test_team_layout_converts_wall_clock_times_from_its_zone_to_utc():
    layout = team_layout("%d/%m/%Y %H:%M", "Europe/Paris", sog="Knots")

    raw = parse(feed("01/07/2021 12:00", "15/01/2021 12:00"), layout=layout)

    # Summer time is UTC+2, winter UTC+1.
    assert list(raw.timestamp_us) == [
        us("2021-07-01T10:00:00"),
        us("2021-01-15T11:00:00"),
    ]
    assert (raw.format, list(raw.sog)) == ("custom", [3.5, 3.5])


def test_team_layout_iso_times_with_an_offset_keep_their_offset():
    raw = parse(
        feed("2021-07-01T12:00:00+02:00", "2021-07-01T12:00:00"),
        layout=(team_layout(ISO8601, "America/New_York")),
    )

    assert list(raw.timestamp_us) == [
        us("2021-07-01T10:00:00"),
        us("2021-07-01T16:00:00"),  # naive: New York summer time, UTC-4
    ]


@pytest.mark.parametrize(
    ("time_format", "text"),
    [
        (ISO8601, "2021-07-01T18:51:51Z"),
        ("%Y-%m-%d %H:%M:%S%z", "2021-07-01 20:51:51+0200"),
        ("%d.%m.%Y %H:%M:%S UTC", "01.07.2021 18:51:51 UTC"),
    ],
)
def test_times_that_say_utc_or_carry_an_offset_ignore_the_zone(time_format, text):
    raw = parse(feed(text, text), layout=team_layout(time_format, "America/New_York"))

    assert list(raw.timestamp_us) == [us("2021-07-01T18:51:51")] * 2


@pytest.mark.parametrize(
    ("time_format", "text"),
    [(UNIX_SECONDS, "1625165511"), (UNIX_MS, "1625165511000")],
)
def test_team_layout_unix_times_ignore_the_zone(time_format, text):
    raw = parse(feed(text), layout=team_layout(time_format, "Asia/Tokyo"))

    assert list(raw.timestamp_us) == [us("2021-07-01T18:51:51")]


def test_a_saved_team_layout_is_matched_by_its_header_in_any_order():
    layout = team_layout(ISO8601)

    assert match_team_layout(["x", "knots", "ship", "LOCAL TIME", "y"], [layout]) is (
        layout
    )
    assert match_team_layout(["ship", "local time", "y", "x"], [layout]) is None
    assert detect_layout(feed("2021-07-01T00:00:00"), team_layouts=[layout]) == (
        "custom",
        layout,
    )


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        (
            {"mapping": {"mmsi": "Ship", "timestamp": "Local time"}},
            {
                "lat": "Choose the column that holds the latitude.",
                "lon": "Choose the column that holds the longitude.",
            },
        ),
        (
            {
                "mapping": {
                    "mmsi": "Ship",
                    "timestamp": "Local time",
                    "lat": "Y",
                    "lon": "Z",
                }
            },
            {"lon": "The header has no column 'Z'."},
        ),
        (
            {
                "mapping": {
                    "mmsi": "Ship",
                    "timestamp": "Local time",
                    "lat": "Y",
                    "lon": "Y",
                }
            },
            {"lon": "Column 'Y' is already the latitude."},
        ),
        (
            {"time_format": "dd/mm/yyyy"},
            {
                "time_format": "Give ISO 8601, Unix seconds, Unix milliseconds or a "
                "strftime pattern such as %d/%m/%Y %H:%M:%S."
            },
        ),
        (
            {"time_format": "%H:%M"},
            {"time_format": "A time pattern needs the year (%Y) and the day (%d)."},
        ),
        (
            {"time_zone": "Mars/Olympus"},
            {
                "time_zone": "Unknown time zone 'Mars/Olympus'; give an IANA name "
                "such as Europe/Paris."
            },
        ),
        (
            {"time_format": "%Y-%m-%d %H:%M", "sample": ["244000001", "01/07/2021"]},
            {
                "time_format": "The sample row's time '01/07/2021' does not match "
                "this format."
            },
        ),
    ],
)
def test_a_malformed_mapping_names_each_problem(kwargs, errors):
    arguments = {
        "name": "Port feed",
        "mapping": {"mmsi": "Ship", "timestamp": "Local time", "lat": "Y", "lon": "X"},
        "time_format": ISO8601,
        "time_zone": "UTC",
        "header": HEADER,
    } | kwargs

    with pytest.raises(LayoutError) as error:
        custom_layout(**arguments)

    assert error.value.errors == errors


def test_the_first_guess_maps_common_names_and_never_takes_an_id_for_an_mmsi():
    assert guess_mapping(["ID", "Ship MMSI", "Date Time UTC", "Lat", "Lng", "SOG"]) == {
        "mmsi": "Ship MMSI",
        "timestamp": "Date Time UTC",
        "lat": "Lat",
        "lon": "Lng",
        "sog": "SOG",
    }
