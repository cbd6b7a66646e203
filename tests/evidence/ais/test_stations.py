"""Station classes (evidence.ais.stations): the MMSI's ITU-R M.585 structure, the
message types a station sent, the DMA and MarineCadastre station columns, and
what the readers gather of them from real files (tests/data/real/ais_stations)."""

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

from evidence.ais.parse import parse
from evidence.ais.stations import (
    MID_NOT_ALLOCATED,
    StationClass,
    StationEvidence,
    classify_station,
    mmsi_structure,
    station_evidence,
    stations_summary,
)
from evidence.ais.validate import parse_and_validate
from provenance.demo.story import SYNTHETIC_IDS
from tests.evidence.ais.helpers import mc_csv, mc_row

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "ais_stations"
V = StationClass

# Every ITU-R M.585 format, and the ways an MMSI is not one.
STRUCTURE = [
    (219063000, V.VESSEL, ""),  # Danish ship (DMA sample)
    (538002652, V.VESSEL, ""),  # Marshall Islands
    (400000001, V.VESSEL, MID_NOT_ALLOCATED),  # the demo's synthetic MID
    (537411077, V.VESSEL, MID_NOT_ALLOCATED),
    (2190066, V.GROUP_COAST, ""),  # 002190066: DMA writes it without its zeros
    (36699999, V.GROUP_COAST, ""),  # 036699999: group call
    (111265591, V.SAR_AIRCRAFT, ""),
    (970012345, V.SART_EPIRB_MOB, ""),  # AIS-SART
    (972158237, V.SART_EPIRB_MOB, ""),  # man overboard device
    (974123456, V.SART_EPIRB_MOB, ""),  # EPIRB-AIS
    (982191234, V.CRAFT_ASSOCIATED, ""),
    (992111840, V.ATON, ""),  # the wind-farm AtoN of the DMA sample
    (823012345, V.HANDHELD, ""),
    (0, V.INVALID, ""),
    (1_000_000_000, V.INVALID, ""),
    (111111111, V.INVALID, ""),
    (999999999, V.INVALID, ""),
    (123456789, V.INVALID, ""),
    (987654321, V.INVALID, ""),
    (200123456, V.INVALID, ""),  # MID 200
    (776123456, V.INVALID, ""),  # MID 776
    (150834090, V.INVALID, ""),  # 1xx that is not 111
    (960123456, V.INVALID, ""),  # 9xx that is no device format
    (999999000, V.INVALID, ""),  # "99" + MID 999 (a "Class A" row of the sample)
    (1000000, V.INVALID, ""),  # 001000000: coast station of MID 100
]


@pytest.mark.parametrize(("mmsi", "expected", "note"), STRUCTURE)
def test_mmsi_structure_gives_the_itu_class(mmsi, expected, note):
    station_class, _reason, got_note = mmsi_structure(mmsi)
    assert (station_class, got_note) == (expected, note)


def test_reason_names_the_format():
    assert classify_station(992111840).reason == (
        "MMSI 99MIDxxxx: aid to navigation (ITU-R M.585)"
    )
    assert classify_station(999999000).reason == (
        "MMSI 999999000 reads as 99MIDxxxx but MID 999 is outside 201-775"
    )


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        ({21}, V.ATON),
        ({9}, V.SAR_AIRCRAFT),
        ({4}, V.BASE_STATION),
        ({16}, V.BASE_STATION),
        ({17}, V.BASE_STATION),
        ({20}, V.BASE_STATION),
        ({22}, V.BASE_STATION),
        ({23}, V.BASE_STATION),
        ({11}, V.VESSEL),  # a mobile station's UTC/date response
        ({1, 5}, V.VESSEL),
        ({6, 8}, V.VESSEL),  # any station sends these: the structure decides
    ],
)
def test_station_messages_decide_for_a_ship_mmsi(types, expected):
    assert classify_station(219000001, message_types=types).station_class == expected


def test_a_station_message_beats_the_mmsi_structure():
    # gpsd's sample: 972158237 (an MOB format) sends a base station report.
    station = classify_station(972158237, message_types={4})
    assert (station.station_class, station.reason) == (
        V.BASE_STATION,
        "message 4 (base station message)",
    )


def test_mobile_messages_never_override_the_structure():
    assert classify_station(970012345, message_types={1, 14}).station_class == (
        V.SART_EPIRB_MOB
    )
    assert classify_station(123456789, message_types={1}).station_class == V.INVALID
    assert classify_station(123456789, message_types={1}).reason == (
        "MMSI 123456789 is a placeholder; sent mobile message 1"
    )


def test_several_station_kinds_take_the_first_and_name_the_others():
    station = classify_station(219000001, message_types={4, 21, 1})
    assert (station.station_class, station.reason) == (
        V.ATON,
        "message 21 (aid-to-navigation report); also message 4 (base station message)",
    )


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("AtoN", V.ATON),
        ("Base Station", V.BASE_STATION),
        ("SAR Airborne", V.SAR_AIRCRAFT),
        ("Search and Rescue Transponder", V.SART_EPIRB_MOB),
        ("Man Overboard Device", V.SART_EPIRB_MOB),
        ("Emergency PIRB", V.SART_EPIRB_MOB),
        ("Class A", V.VESSEL),
        ("Class B", V.VESSEL),
        ("A", V.VESSEL),  # MarineCadastre TransceiverClass
        ("B", V.VESSEL),
        ("Undefined", V.VESSEL),  # not evidence
    ],
)
def test_dma_and_marinecadastre_columns(declared, expected):
    assert classify_station(219000001, declared=[declared]).station_class == expected


def test_class_a_does_not_make_a_sart_a_vessel():
    station = classify_station(970012345, declared=["Class A"])
    assert (station.station_class, station.reason) == (
        V.SART_EPIRB_MOB,
        "MMSI 970xxyyyy: AIS-SART (ITU-R M.585); layout says “Class A”",
    )


def test_the_demo_mmsis_are_vessels_in_an_unallocated_mid():
    for ids in SYNTHETIC_IDS.values():
        station = classify_station(int(ids["mmsi"]))
        assert (station.station_class, station.note) == (V.VESSEL, MID_NOT_ALLOCATED)


def test_station_evidence_keeps_one_row_per_distinct_fact():
    table = station_evidence(
        pa.array([219000001, 219000001, 992111840], pa.int64()),
        message_type=pa.array([1, 1, 21], pa.int16()),
    )
    assert sorted(table.to_pylist(), key=lambda r: r["mmsi"]) == [
        {"mmsi": 219000001, "message_type": 1, "declared": None},
        {"mmsi": 992111840, "message_type": 21, "declared": None},
    ]


def test_evidence_gathers_across_batches_and_takes_other_mmsis():
    evidence = StationEvidence()
    evidence.add(station_evidence(pa.array([2190066]), declared=pa.array(["x"])))
    evidence.add(station_evidence(pa.array([2190066]), message_type=pa.array([4])))
    stations = evidence.classify(also=[219000001])
    assert {m: s.station_class for m, s in stations.items()} == {
        2190066: V.BASE_STATION,
        219000001: V.VESSEL,
    }


def test_summary_counts_every_class_and_lists_the_non_vessels():
    stations = {
        m: classify_station(m)
        for m in (219000001, 400000001, 992111840, 992111924, 111265591)
    }
    assert stations_summary(stations, limit=2) == {
        "counts": {"vessel": 2, "aton": 2, "sar_aircraft": 1},
        "non_vessels": [
            {
                "mmsi": "111265591",
                "class": "sar_aircraft",
                "reason": "MMSI 111MIDxxx: SAR aircraft (ITU-R M.585)",
            },
            {
                "mmsi": "992111840",
                "class": "aton",
                "reason": "MMSI 99MIDxxxx: aid to navigation (ITU-R M.585)",
            },
        ],
        "non_vessels_omitted": 1,
        "vessel_notes": [
            {
                "mmsi": "400000001",
                "class": "vessel",
                "reason": "MMSI MIDxxxxxx: ship station (ITU-R M.585)",
                "note": "MID not allocated",
            }
        ],
    }


def test_marinecadastre_transceiver_class_reaches_the_evidence():
    raw = parse(mc_csv(mc_row()))
    assert raw.station_evidence.to_pylist() == [
        {"mmsi": 273999001, "message_type": None, "declared": "A"}
    ]


# --- real files (values from the independent readers in SOURCES.md) ---------------


def test_real_dma_sample_aton_rows_are_not_vessels():
    result = parse_and_validate(REAL / "dma_aisdk_20180601_head.csv")
    classes = Counter(s.station_class for s in result.stations.values())
    # csv module: 124 distinct Class A/B MMSIs (999999000 among them) and four
    # AtoN; the eight Base Station rows have seven-digit MMSIs, refused.
    assert classes == {V.VESSEL: 123, V.ATON: 4, V.INVALID: 1}
    assert {m for m, s in result.stations.items() if s.station_class == V.ATON} == {
        992111840,
        992441004,
        992191500,
        992111924,
    }
    assert result.stations[992111840].reason == "layout says “AtoN”"
    assert result.rejected["bad_mmsi"] == 8


# pyais, message by message (SOURCES.md): MMSI -> message types.
GPSD_PYAIS = {
    3669702: V.BASE_STATION,  # type 4
    2470052: V.BASE_STATION,  # type 4
    972158237: V.BASE_STATION,  # type 4 (an MOB-format MMSI)
    2734450: V.BASE_STATION,  # type 17
    111265591: V.SAR_AIRCRAFT,  # type 9
    111232511: V.SAR_AIRCRAFT,  # type 9
    123456789: V.ATON,  # type 21, placeholder MMSI
    992509976: V.ATON,  # type 6, 99MID structure
    371798000: V.VESSEL,  # type 1
    351759000: V.VESSEL,  # type 5
    271041815: V.VESSEL,  # type 24
    236091959: V.VESSEL,  # type 27
    150834090: V.INVALID,  # type 6
}


def test_real_gpsd_sample_station_classes_follow_pyais_message_types():
    result = parse_and_validate(REAL / "gpsd_sample.aivdm")
    got = {m: result.stations[m].station_class for m in GPSD_PYAIS}
    assert got == GPSD_PYAIS
    assert set(result.vessels) == {
        351759000,
        271010059,
        367059850,
        271041815,
        271041511,
        271040660,
        271020195,
    }
    assert all(result.stations[m].is_vessel for m in result.vessels)
