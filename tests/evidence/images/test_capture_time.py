"""Capture times: every source, the documented choice, offsets and precision."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from PIL.TiffImagePlugin import IFDRational

from evidence.images.capture_time import (
    GPS_UTC,
    CaptureTimes,
    capture_times,
    exif_candidate,
    gps_candidate,
    iptc_candidate,
    offset_from_gps,
    offset_text,
    parse_offset,
    xmp_candidate,
)

ORIGINAL, DIGITIZED, DATETIME = 0x9003, 0x9004, 0x0132
OFFSET_ORIGINAL, OFFSET_DIGITIZED, OFFSET = 0x9011, 0x9012, 0x9010
SUBSEC_ORIGINAL, SUBSEC = 0x9291, 0x9290


def wall(*parts: int) -> datetime:
    """A camera's wall clock: naive on purpose, its offset is apart."""
    return datetime(*parts)  # noqa: DTZ001


def times(ifd0=None, exif=None, gps=None, xmp=None, iptc=None) -> CaptureTimes:
    return capture_times(
        ifd0=ifd0 or {},
        exif_ifd=exif or {},
        gps_ifd=gps or {},
        xmp=xmp or {},
        iptc=iptc or {},
    )


def gps_ifd(date: str, h: int, m: int, s: IFDRational) -> dict:
    return {0x1D: date, 0x07: (IFDRational(h, 1), IFDRational(m, 1), s)}


def test_original_with_offset_and_subseconds_keeps_them() -> None:
    result = times(
        exif={
            ORIGINAL: "2023:10:06 22:53:51",
            OFFSET_ORIGINAL: "+02:00",
            SUBSEC_ORIGINAL: "724",
        }
    )

    chosen = result.chosen
    assert chosen.value == "2023-10-06T22:53:51.724+02:00"
    assert chosen.source == "EXIF DateTimeOriginal"
    assert chosen.candidate.precision == "subsecond"
    assert chosen.instant == datetime(2023, 10, 6, 20, 53, 51, 724000, tzinfo=UTC)
    assert offset_text(chosen.offset) == "+02:00"


def test_without_offset_the_value_is_local_time_and_there_is_no_instant() -> None:
    chosen = times(exif={ORIGINAL: "2024:03:01 14:22:05"}).chosen

    assert chosen.value == "2024-03-01T14:22:05"
    assert chosen.offset is None
    assert chosen.instant is None


def test_offset_time_applies_to_datetime_the_last_resort() -> None:
    result = times(ifd0={DATETIME: "2020:01:02 03:04:05"}, exif={OFFSET: "-07:00"})

    assert result.chosen.value == "2020-01-02T03:04:05-07:00"
    assert result.chosen.source == "EXIF DateTime"


def test_digitized_with_its_own_offset_when_there_is_no_original() -> None:
    result = times(
        ifd0={DATETIME: "2020:01:02 09:00:00"},
        exif={DIGITIZED: "2020:01:02 03:04:05", OFFSET_DIGITIZED: "+05:30"},
    )

    assert result.chosen.value == "2020-01-02T03:04:05+05:30"
    assert [c.source for c in result.candidates] == [
        "EXIF DateTimeDigitized",
        "EXIF DateTime",
    ]


def test_all_candidates_are_listed_in_preference_order_with_the_chosen_marked() -> None:
    result = times(
        ifd0={DATETIME: "2021:05:01 10:00:00"},
        exif={ORIGINAL: "2021:05:01 09:00:00"},
        gps=gps_ifd("2021:05:01", 7, 0, IFDRational(1, 1)),
        xmp={"xmp:CreateDate": "2021-05-01T09:00:00+02:00"},
        iptc={"DateCreated": "20210501", "TimeCreated": "090000+0200"},
    )

    assert result.to_json() == [
        {
            "source": "EXIF DateTimeOriginal",
            "value": "2021-05-01T09:00:00",
            "offset": None,
            "precision": "second",
            "chosen": True,
            "as_used": "2021-05-01T09:00:00+02:00",
            "offset_from": "IPTC DateCreated + TimeCreated",
            "offset_used": "+02:00",
        },
        {
            "source": "IPTC DateCreated + TimeCreated",
            "value": "2021-05-01T09:00:00+02:00",
            "offset": "+02:00",
            "precision": "second",
        },
        {
            "source": "XMP xmp:CreateDate",
            "value": "2021-05-01T09:00:00+02:00",
            "offset": "+02:00",
            "precision": "second",
        },
        {
            "source": "GPS date/time (UTC)",
            "value": "2021-05-01T07:00:01+00:00",
            "offset": "+00:00",
            "precision": "second",
        },
        {
            "source": "EXIF DateTime",
            "value": "2021-05-01T10:00:00",
            "offset": None,
            "precision": "second",
        },
    ]


def test_offset_is_derived_from_gps_to_the_quarter_hour() -> None:
    # Apple.jpg's values: camera 18:18:05.813, GPS fix 17:17:58.65 UTC.
    result = times(
        exif={ORIGINAL: "2016:09:28 18:18:05", SUBSEC_ORIGINAL: "813"},
        gps=gps_ifd("2016:09:28", 17, 17, IFDRational(5865, 100)),
    )

    chosen = result.chosen
    assert chosen.value == "2016-09-28T18:18:05.813+01:00"
    assert chosen.source == "EXIF DateTimeOriginal; offset from GPS date/time (UTC)"
    assert chosen.instant == datetime(2016, 9, 28, 17, 18, 5, 813000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("local", "gps", "expected"),
    [
        (
            wall(2020, 1, 1, 12, 0),
            wall(2020, 1, 1, 6, 30),
            timedelta(hours=5, minutes=30),
        ),
        (
            wall(2020, 1, 1, 12, 0),
            wall(2020, 1, 1, 6, 12),
            timedelta(hours=5, minutes=45),
        ),
        (
            wall(2020, 1, 1, 1, 0),
            wall(2019, 12, 31, 14, 57),
            timedelta(hours=10),
        ),
        (wall(2020, 1, 1, 12, 0), wall(2020, 1, 1, 12, 3), timedelta(0)),
        # 5 minutes away from a quarter hour: the clocks do not agree
        (wall(2020, 1, 1, 12, 0), wall(2020, 1, 1, 10, 55), None),
        # more than 14 hours
        (wall(2020, 1, 2, 12, 0), wall(2020, 1, 1, 12, 0), None),
    ],
)
def test_gps_offset_needs_agreement_within_three_minutes(local, gps, expected) -> None:
    assert offset_from_gps(local, gps) == expected


def test_a_stale_gps_fix_leaves_the_offset_unknown() -> None:
    result = times(
        exif={ORIGINAL: "2020:01:01 12:00:00"},
        gps=gps_ifd("2020:01:01", 10, 52, IFDRational(0, 1)),
    )

    assert result.chosen.offset is None
    assert result.chosen.instant is None


def test_gps_alone_is_a_utc_instant() -> None:
    chosen = times(gps=gps_ifd("2017:10:03", 14, 58, IFDRational(14, 1))).chosen

    assert chosen.source == GPS_UTC
    assert chosen.value == "2017-10-03T14:58:14+00:00"
    assert chosen.instant == datetime(2017, 10, 3, 14, 58, 14, tzinfo=UTC)


def test_gps_sub_seconds_from_the_rational() -> None:
    candidate = gps_candidate("2016:09:28", (17, 17, IFDRational(5865, 100)))

    assert candidate.iso() == "2016-09-28T17:17:58.65+00:00"
    assert candidate.precision == "subsecond"


@pytest.mark.parametrize(
    ("date", "time"),
    [
        ("", (0, 0, 0)),
        ("1999:99:99 99:99:99", (0, 0, 0)),
        ("2020:01:01", (25, 0, 0)),
        ("2020:01:01", (1, 2)),
        ("2020:01:01", None),
    ],
)
def test_unusable_gps_stamps_give_no_candidate(date, time) -> None:
    assert gps_candidate(date, time) is None


def test_xmp_iso_with_offset_and_fraction() -> None:
    candidate = xmp_candidate(
        "XMP photoshop:DateCreated", "1993-01-01T03:11:11.311+01:00"
    )

    assert candidate.iso() == "1993-01-01T03:11:11.311+01:00"
    assert candidate.precision == "subsecond"


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("2004-02-26", "2004-02-26", "day"),
        ("2004-02", "2004-02", "month"),
        ("2004", "2004", "year"),
        ("2004-02-26T10:20+05:00", "2004-02-26T10:20+05:00", "minute"),
        ("2004-02-26T10:20:30Z", "2004-02-26T10:20:30+00:00", "second"),
        ("2017:03:13 23:03:09-07:00", "2017-03-13T23:03:09-07:00", "second"),
    ],
)
def test_xmp_dates_keep_their_precision(text, iso, precision) -> None:
    candidate = xmp_candidate("XMP xmp:CreateDate", text)

    assert (candidate.iso(), candidate.precision) == (iso, precision)


def test_iptc_date_and_time_with_offset() -> None:
    candidate = iptc_candidate("20061029", "062751-0500")

    assert candidate.iso() == "2006-10-29T06:27:51-05:00"
    assert candidate.source == "IPTC DateCreated + TimeCreated"


def test_iptc_date_alone_is_a_day() -> None:
    candidate = iptc_candidate("20040226", None)

    assert (candidate.iso(), candidate.precision, candidate.source) == (
        "2004-02-26",
        "day",
        "IPTC DateCreated",
    )


def test_a_date_alone_yields_to_a_timed_value_of_the_same_day() -> None:
    # PhotoMechanic.jpg: XMP photoshop:DateCreated has the date, IPTC the time.
    result = times(
        xmp={"photoshop:DateCreated": "2006-10-29"},
        iptc={"DateCreated": "20061029", "TimeCreated": "062751-0500"},
    )

    assert result.chosen.value == "2006-10-29T06:27:51-05:00"
    assert result.chosen.source == "IPTC DateCreated + TimeCreated"


def test_a_date_alone_stays_when_no_time_falls_on_that_day() -> None:
    result = times(
        xmp={"photoshop:DateCreated": "2006-10-29"},
        ifd0={DATETIME: "2007:01:01 00:00:00"},
    )

    assert result.chosen.value == "2006-10-29"
    assert result.chosen.instant is None


@pytest.mark.parametrize(
    "value",
    ["0000:00:00 00:00:00", "    :  :     :  :  ", "", None, "2020:13:01 00:00:00"],
)
def test_unset_or_impossible_camera_clocks_give_no_candidate(value) -> None:
    assert exif_candidate("EXIF DateTimeOriginal", value) is None


def test_subseconds_are_kept_as_written() -> None:
    candidate = exif_candidate(
        "EXIF DateTimeOriginal", "2007:02:22 17:02:42", None, "81"
    )

    assert candidate.iso() == "2007-02-22T17:02:42.81"
    assert candidate.local == datetime(2007, 2, 22, 17, 2, 42, 810000)  # noqa: DTZ001


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+02:00", timedelta(hours=2)),
        ("-0530", -timedelta(hours=5, minutes=30)),
        ("+14:00", timedelta(hours=14)),
        ("+15:00", None),
        ("+01:75", None),
        ("   :  ", None),
        (None, None),
    ],
)
def test_offsets(text, expected) -> None:
    assert parse_offset(text) == expected


def test_offset_text() -> None:
    assert offset_text(-timedelta(hours=4)) == "-04:00"
    assert offset_text(timedelta(0)) == "+00:00"
    assert offset_text(timedelta(hours=5, minutes=45)) == "+05:45"
    assert offset_text(None) == ""


def test_no_source_no_capture_time() -> None:
    assert times() == CaptureTimes()
    assert times().to_json() == []


def test_instant_is_in_the_offset_of_the_file() -> None:
    chosen = times(
        exif={ORIGINAL: "2023:12:31 23:59:59", OFFSET_ORIGINAL: "-05:30"}
    ).chosen

    assert chosen.instant == datetime(
        2023, 12, 31, 23, 59, 59, tzinfo=timezone(-timedelta(hours=5, minutes=30))
    )
    assert chosen.instant == datetime(2024, 1, 1, 5, 29, 59, tzinfo=UTC)
