"""Where NMEA positions take their time from: each source, their order, running
clocks, lines before the first clock, and the real samples in
tests/data/real/ais_nmea/.

Sentences are quoted verbatim from those samples (SOURCES.md names their origin).
Expected times come from the independent readers written down there: pyais 3.3.1
(``pyais.decode(...).asdict()`` for type 4/11 UTC fields, its GatehouseSentence for
``$PGHP``), the RMC/ZDA fields read as written, and libais's documented NAIS
time (ais/io.py). The few sentences built here (a status-V RMC, wrong
checksums) say so and get their checksum from ``nmea`` below.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import reduce
from pathlib import Path

import pytest

from evidence.ais.nmea_reader import _Decoder, parse_nmea
from evidence.ais.parse import parse
from evidence.ais.reports import TS_BAD, TS_MISSING, TS_OK, epoch_us
from evidence.ais.time_sources import apply_given_time, main_source
from evidence.ais.validate import validate

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "ais_nmea"

# pyais: type 1, mmsi 366053209 (pyais's own README sentence).
TYPE_1 = b"!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"
# gpsd test/daemon/ais-nmea.log: 2020-04-07 21:39:50 UTC.
RMC = b"$GPRMC,213950.00,A,5250.53669,N,00542.34920,E,0.020,,070420,,,A*7D"
RMC_NEXT = b"$GPRMC,213951.00,A,5250.53675,N,00542.34923,E,0.014,,070420,,,A*75"
# gpsd test/daemon/saab-r4.log: 2011-06-01 13:07:11 UTC.
ZDA = b"$GPZDA,130711,01,06,2011,01,00*49"
# gpsd ais-nmea-type6-fid55.log line 334; pyais: type 4, 2018-08-10 08:01:20.
TYPE_4 = b"!AIVDM,1,1,,A,403t97Av:581D`bPsTF:?A700<;3,0*6A"
# gpsd ait250.log; pyais: type 4 with year 0, hour 24, minute 60 (not available).
TYPE_4_NO_TIME = b"!AIVDM,1,1,,B,402E3:0000HttPGEahN7pi700p6T,0*09"
# libais test.aivdm line 106 without its NAIS trailer; pyais: type 11,
# 2010-04-28 00:10:13.
TYPE_11 = b"!AIVDM,1,1,,B,;5MtFGQua>0:=I25ih?rVc100000,0*69"
# pyais examples/gatehouse.nmea; pyais GatehouseSentence: 2008-05-09 00:00:00.010.
PGHP = b"$PGHP,1,2008,5,9,0,0,0,10,338,2,,1,09*17"
# libais test.aivdm; pyais: type 1, mmsi 354490000; NAIS time 1272412827.
NAIS = b"!AIVDM,1,1,,A,15B4FT5000JRP>PE6E68Nbkl0PS5,0*70,b003669794,1272412827"
# libais typeexamples.nmea line 2; libais ais/io.py reads time 1325394060.
NAIS_FULL = (
    b"!AIVDM,1,1,,A,15N1u<PP1FJuvSRHOE6QIwwh0HQ6,0*30,d-080,S2118,t050056.00,"
    b"T56.4837741,r003669946,1325394060,1325394001"
)
# libais tagblock.nmea line 2: c:1418172113.
TAGGED = (
    b"\\s:rORBCOMM104,q:u,c:1418172113,T:2014-12-10 00.41.53*55\\"
    b"!AIVDM,1,1,,B,13F?Vv700<DJuLEtvep`iToV0<00,0*78"
)


def us(*args: int) -> int:
    return epoch_us(datetime(*args, tzinfo=UTC))


def nmea(body: str) -> bytes:
    """A built sentence with its XOR checksum."""
    check = reduce(lambda a, c: a ^ ord(c), body[1:], 0)
    return f"{body}*{check:02X}".encode()


def times(raw) -> list[tuple[int, int]]:
    return list(
        zip(raw.timestamp_us.tolist(), raw.timestamp_state.tolist(), strict=True)
    )


def test_rmc_is_a_running_clock_for_the_lines_after_it() -> None:
    raw = parse_nmea([RMC, TYPE_1, TYPE_1, RMC_NEXT, TYPE_1])
    assert times(raw) == [
        (us(2020, 4, 7, 21, 39, 50), TS_OK),
        (us(2020, 4, 7, 21, 39, 50), TS_OK),
        (us(2020, 4, 7, 21, 39, 51), TS_OK),
    ]
    assert raw.extra["time_sources"] == {"receiver_clock_rmc": 3}
    assert raw.other_messages == 2  # the clock lines


def test_zda_is_a_running_clock() -> None:
    raw = parse_nmea([ZDA, TYPE_1])
    assert times(raw) == [(us(2011, 6, 1, 13, 7, 11), TS_OK)]
    assert raw.extra["time_sources"] == {"receiver_clock_zda": 1}


def test_the_latest_receiver_clock_line_names_the_source() -> None:
    raw = parse_nmea([RMC, TYPE_1, ZDA, TYPE_1])
    assert times(raw) == [
        (us(2020, 4, 7, 21, 39, 50), TS_OK),
        (us(2011, 6, 1, 13, 7, 11), TS_OK),
    ]
    assert raw.extra["time_sources"] == {
        "receiver_clock_rmc": 1,
        "receiver_clock_zda": 1,
    }


def test_lines_before_the_first_clock_get_no_time() -> None:
    raw = parse_nmea([TYPE_1, TYPE_1, RMC, TYPE_1])
    assert raw.timestamp_state.tolist() == [TS_MISSING, TS_MISSING, TS_OK]
    assert raw.extra["time_sources"] == {"none": 2, "receiver_clock_rmc": 1}
    result = validate(raw)
    assert result.rows_kept == 1
    assert result.rejected == {"no_timestamp": 2}


def test_an_rmc_without_a_fix_or_with_a_wrong_checksum_sets_no_clock() -> None:
    void = nmea("$GPRMC,213950.00,V,,,,,,,070420,,,N")  # built: status V
    wrong = RMC[:-2] + b"00"
    raw = parse_nmea([void, TYPE_1, wrong, TYPE_1])
    assert raw.timestamp_state.tolist() == [TS_MISSING, TS_MISSING]
    assert raw.other_messages == 2


def test_base_station_reports_type_4_and_11_are_running_clocks() -> None:
    raw = parse_nmea([TYPE_4, TYPE_1, TYPE_11, TYPE_1])
    assert times(raw) == [
        (us(2018, 8, 10, 8, 1, 20), TS_OK),
        (us(2010, 4, 28, 0, 10, 13), TS_OK),
    ]
    assert raw.extra["time_sources"] == {"base_station": 2}
    assert raw.other_messages == 2


def test_a_base_station_without_a_valid_time_sets_no_clock() -> None:
    raw = parse_nmea([TYPE_4_NO_TIME, TYPE_1])
    assert raw.timestamp_state.tolist() == [TS_MISSING]


def test_a_receiver_clock_is_preferred_to_base_stations() -> None:
    raw = parse_nmea([RMC, TYPE_4, TYPE_1])
    assert times(raw) == [(us(2020, 4, 7, 21, 39, 50), TS_OK)]
    assert raw.extra["time_sources"] == {"receiver_clock_rmc": 1}


def test_pghp_times_the_next_message_only() -> None:
    raw = parse_nmea([PGHP, TYPE_1, TYPE_1])
    assert times(raw)[0] == (us(2008, 5, 9, 0, 0, 0) + 10_000, TS_OK)
    assert raw.timestamp_state.tolist()[1] == TS_MISSING
    assert raw.extra["time_sources"] == {"pghp": 1, "none": 1}


def test_pghp_times_every_fragment_of_its_message() -> None:
    # gpsd ais-nmea.log: a type 5 in two fragments; then a position.
    frag1 = (
        b"!AIVDM,2,1,9,B,55R3Vn82=ILTQ3KKS>1<D60Dq@E918U<F222221J1`?164vc03S1CCAD,0*2A"
    )
    frag2 = b"!AIVDM,2,2,9,B,`88888888888880,2*76"
    decoder = _Decoder()
    for line in (PGHP, frag1):
        decoder.feed(line)
    assert decoder.clocks.pghp == us(2008, 5, 9, 0, 0, 0) + 10_000
    decoder.feed(frag2)
    assert decoder.clocks.pghp is None
    decoder.feed(TYPE_1)
    assert decoder.reports().timestamp_state.tolist() == [TS_MISSING]


def test_nais_trailer_is_not_a_bad_checksum() -> None:
    raw = parse_nmea([NAIS, NAIS_FULL])
    assert dict(raw.rejected) == {}
    assert raw.mmsi.tolist() == [354490000, 367033650]  # pyais
    assert times(raw) == [
        (1272412827 * 1_000_000, TS_OK),
        (1325394060 * 1_000_000, TS_OK),  # the first bare number, as libais
    ]
    assert raw.extra["time_sources"] == {"nais_trailer": 2}


def test_a_trailer_with_a_wrong_checksum_is_still_refused() -> None:
    raw = parse_nmea([NAIS.replace(b"0*70", b"0*71")])
    assert dict(raw.rejected) == {"bad_checksum": 1}


def test_a_trailer_without_a_time_gives_the_sentence_no_time() -> None:
    raw = parse_nmea([TYPE_1 + b",rSTATION1"])  # built: station, no time
    assert dict(raw.rejected) == {}
    assert raw.timestamp_state.tolist() == [TS_MISSING]


def test_a_line_own_time_beats_every_running_clock() -> None:
    lines = [RMC, TYPE_4, PGHP, TAGGED, PGHP, NAIS, b"2023-05-01 10:00:00 " + TYPE_1]
    raw = parse_nmea(lines)
    assert times(raw) == [
        (1418172113 * 1_000_000, TS_OK),
        (1272412827 * 1_000_000, TS_OK),
        (us(2023, 5, 1, 10, 0, 0), TS_OK),
    ]
    assert raw.extra["time_sources"] == {
        "tag_block": 1,
        "nais_trailer": 1,
        "leading_timestamp": 1,
    }


def test_a_tag_block_time_beats_a_nais_trailer_on_the_same_line() -> None:
    both = TAGGED + b",b003669794,1272412827"
    raw = parse_nmea([both])
    assert times(raw) == [(1418172113 * 1_000_000, TS_OK)]


def test_pghp_beats_a_running_clock() -> None:
    raw = parse_nmea([RMC, PGHP, TYPE_1, TYPE_1])
    assert raw.extra["time_sources"] == {"pghp": 1, "receiver_clock_rmc": 1}


def test_an_unreadable_prefix_falls_back_to_the_clock_else_is_bad() -> None:
    raw = parse_nmea([b"notatime " + TYPE_1, RMC, b"notatime " + TYPE_1])
    assert times(raw) == [(0, TS_BAD), (us(2020, 4, 7, 21, 39, 50), TS_OK)]
    assert raw.extra["time_sources"] == {"unreadable": 1, "receiver_clock_rmc": 1}


def test_the_clock_lives_in_the_decoder_across_feeds() -> None:
    decoder = _Decoder()
    decoder.feed(RMC)
    for _ in range(3):  # as a chunked reader would feed lines
        decoder.feed(TYPE_1)
    raw = decoder.reports()
    assert raw.timestamp_state.tolist() == [TS_OK] * 3


def test_given_time_fills_only_positions_without_a_time() -> None:
    raw = parse_nmea([TYPE_1, b"notatime " + TYPE_1, RMC, TYPE_1])
    given = us(2020, 4, 7, 21, 0, 0)
    timed = apply_given_time(raw, given)
    assert times(timed) == [
        (given, TS_OK),
        (0, TS_BAD),
        (us(2020, 4, 7, 21, 39, 50), TS_OK),
    ]
    assert timed.extra["time_sources"] == {
        "given": 1,
        "unreadable": 1,
        "receiver_clock_rmc": 1,
    }
    assert raw.timestamp_state.tolist()[0] == TS_MISSING  # the input is untouched


def test_main_source_is_the_commonest_timed_one() -> None:
    assert main_source({"none": 9, "pghp": 1}) == "pghp"
    assert main_source({"none": 9}) == "none"
    assert main_source({}) == "none"
    # A tie goes to the more trusted source.
    assert main_source({"base_station": 2, "receiver_clock_rmc": 2}) == (
        "receiver_clock_rmc"
    )


# Real samples: positions read by time source, as independent_times.py (pyais
# line by line) counts them (SOURCES.md), then positions kept by validation.
REAL_SAMPLES = {
    "gpsd_ais-nmea_head300.log": ({"receiver_clock_rmc": 31}, 31),
    "gpsd_ait250.log": ({"receiver_clock_rmc": 67}, 61),
    "gpsd_saab-r4.log": ({"none": 2, "receiver_clock_rmc": 12}, 12),
    "gpsd_ais-nmea-type6-fid55_head600.log": (
        {"base_station": 154, "none": 174},
        151,
    ),
    "libais_tagblock.nmea": ({"tag_block": 3}, 3),
    "libais_test.aivdm": ({"nais_trailer": 41}, 31),
    "libais_typeexamples.nmea": ({"nais_trailer": 5}, 3),
    "pyais_gatehouse.nmea": ({"none": 3, "pghp": 1}, 1),
    "pyais_messages.ais": ({"none": 6}, 0),
}


@pytest.mark.parametrize("name", sorted(REAL_SAMPLES))
def test_real_samples_time_sources_and_kept(name: str) -> None:
    sources, kept = REAL_SAMPLES[name]
    raw = parse(REAL / name)
    assert raw.extra["time_sources"] == sources
    assert validate(raw).rows_kept == kept


def test_real_nais_sample_has_no_bad_checksum_left() -> None:
    # Before: every one of its 263 AIS lines was "bad checksum".
    result = validate(parse(REAL / "libais_test.aivdm"))
    assert result.rejected == {"no_position": 3, "bad_position": 7}


def test_real_rmc_sample_first_and_last_times() -> None:
    # gpsd ais-nmea.log: the first RMC (line 8) is 21:39:50 on 2020-04-07; the
    # last AIS line (299) is under the RMC of line 290, 21:40:21.
    positions = validate(parse(REAL / "gpsd_ais-nmea_head300.log")).positions
    assert int(positions.timestamp_us.min()) == us(2020, 4, 7, 21, 39, 50)
    assert int(positions.timestamp_us.max()) == us(2020, 4, 7, 21, 40, 21)
