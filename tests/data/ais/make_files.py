# ruff: noqa: E501 - the CSV fixtures are kept verbatim, one row per line
"""Regenerate the AIS test files here: python tests/data/ais/make_files.py.

NMEA sentences are encoded by pyais (real payloads and checksums, none typed by
hand). Identifiers are synthetic: MMSIs ending 999xxx and IMOs 9999993 / 9999981.
"""

import gzip
from pathlib import Path

import zstandard
from pyais import TagBlock, encode_dict

HERE = Path(__file__).parent

ANGARA = 273999001  # synthetic
MARIA = 445999002  # synthetic

MARINECADASTRE = """\
MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,Length,Width,Draft,Cargo,TransceiverClass
273999001,2023-10-01T00:00:00,42.21670,130.28330,0.0,0.0,511,SYNTHETIC ANGARA,IMO9999993,UBXX9,70,5,120,18,6.1,70,A
273999001,2023-10-01T00:10:00,42.22000,130.29000,5.2,45.3,44,SYNTHETIC ANGARA,IMO9999993,UBXX9,70,0,120,18,6.1,70,A
273999001,2023-10-01T00:20:00,42.23000,130.31000,9.8,50.1,50,SYNTHETIC ANGARA,IMO9999993,UBXX9,70,0,120,18,6.1,70,A
445999002,2023-10-01T00:05:00,42.88030,132.33750,102.3,360.0,511,SYNTHETIC MARIA,IMO9999981,HMXX2,79,5,110,17,5.0,70,A
445999002,2023-10-01T00:15:00,42.87000,132.32000,8.1,225.0,226,SYNTHETIC MARIA,IMO9999981,HMXX2,79,0,110,17,5.0,70,A
"""

MARINECADASTRE_V2 = """\
mmsi,base_date_time,longitude,latitude,sog,cog,heading,vessel_name,imo,call_sign,vessel_type,status,length,width,draft,cargo,transceiver
273999001,2024-01-01 00:00:00,130.28330,42.21670,0.1,NULL,NULL,SYNTHETIC ANGARA,IMO9999993,NULL,70,5,120,18,NULL,NULL,A
273999001,2024-01-01 00:10:00,130.29000,42.22000,5.2,45.3,44,SYNTHETIC ANGARA,IMO9999993,NULL,70,0,120,18,NULL,NULL,A
445999002,2024-01-01 00:00:00,132.33750,42.88030,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,NULL,B
"""

DMA = """\
# Timestamp,Type of mobile,MMSI,Latitude,Longitude,Navigational status,ROT,SOG,COG,Heading,IMO,Callsign,Name,Ship type,Cargo type,Width,Length,Type of position fixing device,Draught,Destination,ETA,Data source type,A,B,C,D
13/10/2023 00:00:01,Class A,219999001,55.676100,12.568300,Under way using engine,0.0,10.2,180.5,181,9999993,OXXX2,SYNTHETIC DANE,Cargo,,20,150,GPS,7.0,AARHUS,,AIS,130,20,10,10
13/10/2023 00:01:01,Class A,219999001,55.673100,12.568200,Under way using engine,0.0,10.1,180.4,180,9999993,OXXX2,SYNTHETIC DANE,Cargo,,20,150,GPS,7.0,AARHUS,,AIS,130,20,10,10
13/10/2023 00:02:01,Class B,219999002,55.700000,12.600000,Unknown value,,0.0,,,Unknown,Unknown,,Undefined,,,,GPS,,,,AIS,,,,
"""


def position(mmsi, lat, lon, speed, course, heading, kind=1):
    return encode_dict(
        {
            "type": kind,
            "mmsi": mmsi,
            "lat": lat,
            "lon": lon,
            "speed": speed,
            "course": course,
            "heading": heading,
            "status": 0,
        },
        sentence_type="VDM",
    )[0]


def static(mmsi, imo, callsign, name, seq_id):
    return encode_dict(
        {
            "type": 5,
            "mmsi": mmsi,
            "imo": imo,
            "callsign": callsign,
            "shipname": name,
            "ship_type": 70,
            "destination": "DUNAI",
        },
        sentence_type="VDM",
        seq_id=seq_id,
    )


def tagged(seconds, sentence):
    tag = TagBlock.create(receiver_timestamp=seconds).decode()
    return f"\\{tag}\\{sentence}"


def write_nmea():
    t0 = 1697155200  # 2023-10-13T00:00:00Z
    angara_5 = static(ANGARA, 9999993, "UBXX9", "SYNTHETIC ANGARA", 1)
    (HERE / "tagblock.nmea").write_text(
        "\n".join(
            [
                tagged(t0, position(ANGARA, 42.2167, 130.2833, 0.0, 0.0, 90)),
                tagged(t0 + 600, position(ANGARA, 42.25, 130.35, 10.0, 60.0, 61)),
                tagged(t0 + 60, position(MARIA, 42.8803, 132.3375, 0.1, 0.0, 511)),
                tagged(t0 + 120, angara_5[0]),
                tagged(t0 + 120, angara_5[1]),
            ]
        )
        + "\n"
    )
    (HERE / "timestamps.nmea").write_text(
        "\n".join(
            [
                "2023-10-13T00:00:00Z "
                + position(ANGARA, 42.2167, 130.2833, 0.0, 0.0, 90),
                "2023-10-13 00:10:00,"
                + position(ANGARA, 42.25, 130.35, 10.0, 60.0, 61),
                f"{t0 + 1200} " + position(ANGARA, 42.28, 130.42, 10.2, 61.0, 62),
                "2023-10-13T00:05:00+00:00\t"
                + position(MARIA, 42.8803, 132.3375, 0.1, 0.0, 511, kind=18),
            ]
        )
        + "\n"
    )
    maria_5 = static(MARIA, 9999981, "HMXX2", "SYNTHETIC MARIA", 3)
    (HERE / "multisentence.nmea").write_text(
        "\n".join(
            [
                "2023-10-13T00:00:00Z " + maria_5[0],
                "2023-10-13T00:00:00Z " + maria_5[1],
                "2023-10-13T00:00:05Z "
                + position(MARIA, 42.8803, 132.3375, 0.0, 0.0, 180),
            ]
        )
        + "\n"
    )
    good = position(ANGARA, 42.2167, 130.2833, 0.0, 0.0, 90)
    # Corrupt one payload character but keep the old checksum.
    fields = good.split(",")
    payload = fields[5]
    fields[5] = payload[:10] + ("0" if payload[10] != "0" else "1") + payload[11:]
    bad_checksum = ",".join(fields)
    (HERE / "dirty.nmea").write_text(
        "\n".join(
            [
                "2023-10-13T00:00:00Z " + good,
                "2023-10-13T00:10:00Z " + bad_checksum,
                position(ANGARA, 42.25, 130.35, 10.0, 60.0, 61),  # no time
                "this line is not AIS at all",
                "2023-10-13T00:20:00Z "
                + position(ANGARA, 42.28, 130.42, 10.2, 61.0, 62),
            ]
        )
        + "\n"
    )


def main():
    (HERE / "marinecadastre.csv").write_text(MARINECADASTRE)
    (HERE / "marinecadastre.csv.gz").write_bytes(
        gzip.compress(MARINECADASTRE.encode(), mtime=0)
    )
    (HERE / "marinecadastre_v2.csv.zst").write_bytes(
        zstandard.ZstdCompressor().compress(MARINECADASTRE_V2.encode())
    )
    (HERE / "dma.csv").write_text(DMA)
    write_nmea()


if __name__ == "__main__":
    main()
