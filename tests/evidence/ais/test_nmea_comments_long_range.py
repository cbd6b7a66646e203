"""Comment lines and type 27 (long-range) reports in NMEA files.

Expected values were written down from pyais 3.3.1 decoding each sentence alone
(``pyais.decode(sentence).asdict()``), the independent reader here; the type 27
sentence's payload is the one in pyais's own tests (tests/test_decode.py, msg type
27); its checksum there (71) does not match the content (pyais's decode does not
check it), so the checksum here is recomputed (XOR of the characters, 00).
"""

from __future__ import annotations

from evidence.ais.nmea_reader import parse_nmea
from evidence.ais.validate import validate

TYPE_27 = b"!AIVDM,1,1,,B,KC5E2b@U19PFdLbL,0*00"
TYPE_1 = b"!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"


def test_comment_lines_are_counted_apart_and_never_decoded() -> None:
    lines = [
        b"# A sample file; the sentence below is quoted, not data:",
        b"# 2023-05-01 10:00:00 " + TYPE_1,
        b"2023-05-01 10:00:00 " + TYPE_1,
    ]
    raw = parse_nmea(lines)
    assert raw.comment_lines == 2
    assert raw.rows_read == 1
    assert dict(raw.rejected) == {}
    assert raw.mmsi.tolist() == [366053209]  # pyais: mmsi 366053209
    result = validate(raw)
    assert result.rows_kept == 1
    assert result.summary()["comment_lines"] == 2


def test_type_27_long_range_reports_are_positions() -> None:
    raw = parse_nmea([b"2023-05-01 10:00:00 " + TYPE_27])
    # pyais: mmsi 206914217, lon 137.023333, lat 4.84, speed 57.0, course 167.0
    assert raw.rows_read == 1
    assert raw.other_messages == 0
    assert raw.mmsi.tolist() == [206914217]
    assert round(float(raw.lon[0]), 6) == 137.023333
    assert round(float(raw.lat[0]), 6) == 4.84
    assert float(raw.sog[0]) == 57.0
    assert float(raw.cog[0]) == 167.0
    result = validate(raw)
    assert result.rows_kept == 1
    # No heading in type 27: cleared as "not available", like 511 in type 1.
    assert result.positions.heading.tolist()[0] != result.positions.heading.tolist()[0]
