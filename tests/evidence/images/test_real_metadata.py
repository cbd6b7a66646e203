"""Real files (tests/data/real/images_meta): capture times, XMP, IPTC and tags
compared with what exiftool says about them (its output is in SOURCES.md)."""

import json
import re
import shutil
import subprocess
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence.images.process import process_image

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "images_meta"
FILES = sorted(p.name for p in REAL.iterdir() if p.name != "SOURCES.md")


def processed(name: str):
    with warnings.catch_warnings():
        # Pillow warns about IPTC stored as LONGs in TIFF (ExifTool.tif): harmless.
        warnings.simplefilter("ignore", UserWarning)
        return process_image(REAL / name)


@pytest.mark.parametrize(
    ("name", "value", "source", "precision", "instant"),
    [
        # EXIF DateTimeOriginal + SubSecTimeOriginal; offset from the GPS time
        # (exiftool Composite:GPSDateTime 2016:09:28 17:17:58.65Z).
        (
            "Apple.jpg",
            "2016-09-28T18:18:05.813+01:00",
            "EXIF DateTimeOriginal; offset from GPS date/time (UTC)",
            "subsecond",
            datetime(2016, 9, 28, 17, 18, 5, 813000, tzinfo=UTC),
        ),
        (  # GPSDateTime 2017:10:03 14:58:14Z
            "GoPro.jpg",
            "2017-10-03T10:58:29-04:00",
            "EXIF DateTimeOriginal; offset from GPS date/time (UTC)",
            "second",
            datetime(2017, 10, 3, 14, 58, 29, tzinfo=UTC),
        ),
        (  # GPSDateTime 2006:05:26 10:47:24Z, camera 11:48:48
            "Ricoh2.jpg",
            "2006-05-26T11:48:48+01:00",
            "EXIF DateTimeOriginal; offset from GPS date/time (UTC)",
            "second",
            datetime(2006, 5, 26, 10, 48, 48, tzinfo=UTC),
        ),
        (  # Composite:SubSecDateTimeOriginal 2023:10:06 22:53:51.724+02:00
            "Google.jpg",
            "2023-10-06T22:53:51.724+02:00",
            "EXIF DateTimeOriginal",
            "subsecond",
            datetime(2023, 10, 6, 20, 53, 51, 724000, tzinfo=UTC),
        ),
        (  # XMP-exif:DateTimeOriginal 2005:08:03 18:59:18-04:00
            "DNG.dng",
            "2005-08-03T18:59:18-04:00",
            "EXIF DateTimeOriginal; offset from XMP exif:DateTimeOriginal",
            "second",
            datetime(2005, 8, 3, 22, 59, 18, tzinfo=UTC),
        ),
        (  # Composite:DateTimeCreated 2006:10:29 06:27:51-05:00
            "PhotoMechanic.jpg",
            "2006-10-29T06:27:51-05:00",
            "IPTC DateCreated + TimeCreated",
            "second",
            datetime(2006, 10, 29, 11, 27, 51, tzinfo=UTC),
        ),
        (  # XMP:CreateDate 2017:03:13 23:03:09-07:00
            "pillow_exif-ifd-offset.jpg",
            "2017-03-13T23:03:09-07:00",
            "XMP xmp:CreateDate",
            "second",
            datetime(2017, 3, 14, 6, 3, 9, tzinfo=UTC),
        ),
        # No offset anywhere: local time, no instant.
        (  # Composite:SubSecDateTimeOriginal 2001:01:01 01:11:11.111
            "MWG.jpg",
            "2001-01-01T01:11:11.111",
            "EXIF DateTimeOriginal",
            "subsecond",
            None,
        ),
        ("Canon.jpg", "2003-12-04T06:46:52", "EXIF DateTimeOriginal", "second", None),
        ("XMP.jpg", "2001-05-19T18:36:41", "EXIF DateTimeOriginal", "second", None),
        (
            "pillow_iptc.jpg",
            "2006-07-08T21:14:45",
            "EXIF DateTimeOriginal",
            "second",
            None,
        ),
        # IPTC:DateCreated 2004:02:26 and nothing else
        ("IPTC.jpg", "2004-02-26", "IPTC DateCreated", "day", None),
        # IPTC:DateCreated 2004:02:20 refined by EXIF:ModifyDate of that day
        ("ExifTool.tif", "2004-02-20T08:07:49", "EXIF DateTime", "second", None),
    ],
)
def test_capture_time_of_real_files(name, value, source, precision, instant) -> None:
    chosen = processed(name).capture.chosen

    assert chosen.value == value
    assert chosen.source == source
    assert chosen.candidate.precision == precision
    assert chosen.instant == instant


def test_geotiff_without_dates_has_no_capture_time() -> None:
    result = processed("GeoTiff.tif")

    assert result.capture.chosen is None
    assert result.capture.candidates == ()


def test_thirteen_of_fourteen_real_files_have_a_capture_time_seven_an_instant() -> None:
    """Seven of the fourteen real files now give an instant (before: Google.jpg
    only) and thirteen a capture time (before: nine, DateTimeOriginal only)."""
    results = [processed(name).capture.chosen for name in FILES]

    assert sum(1 for c in results if c is not None) == 13
    assert sum(1 for c in results if c is not None and c.instant) == 7


def test_mwg_lists_every_capture_time_in_the_file() -> None:
    result = processed("MWG.jpg")

    assert [(c["source"], c["value"]) for c in result.capture.to_json()] == [
        ("EXIF DateTimeOriginal", "2001-01-01T01:11:11.111"),
        ("XMP photoshop:DateCreated", "1993-01-01T03:11:11.311+01:00"),
        ("IPTC DateCreated + TimeCreated", "1992-01-01T02:11:11+01:00"),
    ]


def test_xmp_by_name_from_utf16_packet() -> None:
    # exiftool -G1: XMP-dc:Title, XMP-dc:Subject, XMP-photoshop:City, ...
    xmp = processed("XMP.jpg").metadata["xmp"]

    assert xmp["dc:title"] == "Test IPTC picture"
    assert xmp["dc:description"] == "UTF-16 (big-endian) encoded XMP"
    assert xmp["dc:creator"] == ["Phil Harvey"]
    assert xmp["dc:rights"] == "Copyright 2004 Phil Harvey"
    assert xmp["dc:subject"] == ["ExifTool", "Test", "XMP"]
    assert xmp["photoshop:City"] == "Kingston"
    assert xmp["photoshop:Country"] == "Canada"
    assert xmp["photoshop:Credit"] == "My Credit"
    assert xmp["photoshop:DateCreated"] == "2004-02-26"
    assert xmp["xmpRights:WebStatement"] == "https://exiftool.org/"


def test_xmp_structures_and_iptc_core() -> None:
    xmp = processed("PhotoMechanic.jpg").metadata["xmp"]

    assert xmp["Iptc4xmpCore:CountryCode"] == "COD"
    assert xmp["dc:subject"] == ["Keywords", "one", "three", "two"]
    history = processed("pillow_exif-ifd-offset.jpg").metadata["xmp"]["xmpMM:History"]
    assert [event["stEvt:action"] for event in history] == ["created", "saved"]


def test_tiff_xmp_is_parsed_not_a_raw_string() -> None:
    result = processed("DNG.dng")

    assert (
        result.exif["XMLPacket"] == "XMP packet (read by name under XMP), 2,618 bytes"
    )
    assert (
        result.metadata["xmp"]["exif:DateTimeOriginal"] == "2005-08-03T18:59:18-04:00"
    )
    assert result.metadata["xmp"]["aux:SerialNumber"] == "012345678"


def test_iptc_by_name() -> None:
    iptc = processed("IPTC.jpg").metadata["iptc"]

    assert iptc == {
        "ApplicationRecordVersion": 2,
        "Caption-Abstract": "A witty caption",
        "Writer-Editor": "I wrote it",
        "Headline": "No headline",
        "SpecialInstructions": "What instructions",
        "By-line": "Phil Harvey",
        "By-lineTitle": "My Position",
        "Credit": "My Credit",
        "ObjectName": "Test IPTC picture",
        "DateCreated": "20040226",
        "City": "Kingston",
        "Province-State": "Ont",
        "Country-PrimaryLocationName": "Canada",
        "OriginalTransmissionReference": "What is a transmission reference",
        "Category": "1",
        "SupplementalCategories": ["amazing", "image", "utilities"],
        "Keywords": ["ExifTool", "Test", "IPTC"],
        "CopyrightNotice": "Copyright 2004 Phil Harvey",
        "Urgency": "8",
        "Source": "I'm the source",
    }


def test_iptc_in_tiff() -> None:
    result = processed("ExifTool.tif")

    assert result.metadata["iptc"]["Keywords"] == ["exiftool", "test", "picture"]
    assert result.metadata["iptc"]["By-line"] == "I'm the author"
    assert result.exif["IPTCNAA"] == "IPTC-NAA record (read by name under IPTC)"


def test_geotiff_tags_are_named_and_whole() -> None:
    exif = processed("GeoTiff.tif").exif

    # exiftool: ModelTransform (double[16]), GeoKeyDirectory (int16u[44])
    assert exif["ModelTransformationTag"] == [
        33.41791964296692,
        35.83633137942841,
        0.0,
        691955.1656840311,
        35.83633137942841,
        -33.41791964296692,
        0.0,
        2791710.9901260315,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        1.0,
    ]
    assert len(exif["GeoKeyDirectoryTag"]) == 44
    assert exif["GeoKeyDirectoryTag"][-1] == 16017  # exiftool Projection 16017
    assert exif["GeoDoubleParamsTag"] == [6378270.0, 6356794.343479]
    assert exif["GeoAsciiParamsTag"] == "Hough UTM zone 17N|"
    assert not any(key.startswith("Tag0x") for key in exif)


def test_maker_notes_are_summarised_not_dumped() -> None:
    # exiftool -v2: Apple 0x927c 890 bytes, Canon 1432 bytes
    assert processed("Apple.jpg").exif["MakerNote"] == {
        "maker": "Apple",
        "bytes": 890,
        "signature": "Apple iOS",
    }
    assert processed("Canon.jpg").exif["MakerNote"] == {
        "maker": "Canon",
        "bytes": 1432,
        "signature": "",
    }


# -- exiftool, when installed, agrees with us ----------------------------------

needs_exiftool = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="exiftool is not installed"
)


def exiftool(name: str, group: str = "-G") -> dict:
    out = subprocess.run(
        ["exiftool", "-j", group, "-n", str(REAL / name)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    return json.loads(out)[0]


def _colon_date(iso: str) -> str:
    """Our ISO value as exiftool prints it (2016:09:28 18:18:05.813+01:00)."""
    return re.sub(r"^(\d{4})-(\d{2})-(\d{2})T?", r"\1:\2:\3 ", iso).strip()


@needs_exiftool
@pytest.mark.parametrize("name", FILES)
def test_exiftool_agrees_on_capture_times(name) -> None:
    theirs = exiftool(name)
    ours = {c.source: c for c in processed(name).capture.candidates}
    pairs = [
        ("EXIF DateTimeOriginal", "Composite:SubSecDateTimeOriginal"),
        ("EXIF DateTimeOriginal", "EXIF:DateTimeOriginal"),
        ("GPS date/time (UTC)", "Composite:GPSDateTime"),
        ("IPTC DateCreated + TimeCreated", "Composite:DateTimeCreated"),
        ("XMP xmp:CreateDate", "XMP:CreateDate"),
        ("IPTC DateCreated", "IPTC:DateCreated"),
        ("EXIF DateTime", "EXIF:ModifyDate"),
    ]
    compared = 0
    for source, tag in pairs:
        if source not in ours or tag not in theirs:
            continue
        value = _colon_date(ours[source].iso())
        expected = str(theirs[tag]).replace("Z", "+00:00")
        if tag.startswith("EXIF:"):
            # exiftool keeps sub-seconds and offsets apart from these tags
            value = _colon_date(ours[source].wall_clock).split(".")[0]
        assert value == expected, (source, tag)
        compared += 1
    assert compared or not ours


@needs_exiftool
@pytest.mark.parametrize("name", FILES)
def test_exiftool_agrees_on_iptc(name) -> None:
    theirs = {
        key.split(":", 1)[1]: value
        for key, value in exiftool(name).items()
        if key.startswith("IPTC:")
    }
    ours = processed(name).metadata.get("iptc", {})
    for key, value in theirs.items():
        if key in ("DateCreated", "TimeCreated") or key.startswith("Digital"):
            continue  # exiftool reformats dates: compared as capture times
        mine = ours[key]
        if isinstance(value, list):
            assert mine == [str(v) for v in value], key
        else:
            assert str(mine) == str(value), key


@needs_exiftool
@pytest.mark.parametrize("name", FILES)
def test_exiftool_agrees_on_xmp_text(name) -> None:
    """Every plain-text XMP value exiftool shows (group XMP-<prefix>) is ours
    under "<prefix>:<name>" (exiftool capitalises names; dates are reformatted)."""
    theirs = exiftool(name, "-G1")
    ours = {k.lower(): v for k, v in processed(name).metadata.get("xmp", {}).items()}
    for key, value in theirs.items():
        group, _, tag = key.partition(":")
        if not group.startswith("XMP-") or group in ("XMP-x", "XMP-rdf"):
            continue
        mine = ours.get(f"{group[4:]}:{tag}".lower())
        if mine is None or isinstance(value, bool | int | float):
            continue  # a renamed or flattened tag, or a number exiftool converted
        if isinstance(value, str) and re.match(r"\d{4}:\d{2}", value):
            continue
        if "/" in str(mine) and re.fullmatch(r"[\d/ ]+", str(mine)):
            continue  # rationals, which exiftool prints as numbers even with -n
        if isinstance(mine, list) and len(mine) == 1 and not isinstance(value, list):
            mine = mine[0]  # exiftool prints a one-item list as its item
        expected = value if isinstance(value, list) else str(value)
        assert (mine if isinstance(value, list) else str(mine)) == expected, key
