"""Vessels from AIS static data: the last name, call sign and type each MMSI
reported, and its IMO number if the check digit holds.

Pure: no Django, no ORM.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evidence.ais.parse import VesselInfo


def imo_check_digit(base: int) -> int:
    """The IMO check digit of a six-digit base (zero-padded): weights 7..2, mod 10."""
    digits = [int(c) for c in f"{base:06d}"]
    return sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10


def imo_is_valid(imo: int) -> bool:
    """IMO ship number check digit: weights 7..2 on the first six digits, mod 10.

    Checked on the zero-padded seven digits, as ``provenance.validators`` does, so
    synthetic demo numbers such as 0000012 (no real ship's IMO starts 00000) pass.
    """
    if not 0 < imo <= 9_999_999:
        return False
    return imo_check_digit(imo // 10) == imo % 10


def vessels_from_static(
    static: pa.Table, cleared: Counter[str]
) -> dict[int, VesselInfo]:
    """Last reported static data per MMSI; IMOs failing the check digit dropped.

    The IMO check runs once per distinct (MMSI, IMO text) pair, not per row: a
    million-row extract usually holds a handful of pairs.
    """
    if static.num_rows == 0:
        return {}
    last = (
        static.group_by("mmsi", use_threads=False)
        .aggregate([(name, "last") for name in ("name", "call_sign", "ship_type")])
        .to_pylist()
    )
    with_row = static.select(["mmsi", "imo"]).append_column(
        "row", pa.array(np.arange(static.num_rows, dtype=np.int64))
    )
    pairs = (
        with_row.filter(pc.is_valid(with_row.column("imo")))
        .group_by(["mmsi", "imo"])
        .aggregate([("row", "count"), ("row", "max")])
        .rename_columns({"row_count": "rows", "row_max": "last_row"})
    )
    best = best_imos(pairs, cleared)
    return {
        int(r["mmsi"]): VesselInfo(
            mmsi=int(r["mmsi"]),
            imo=best.get(r["mmsi"]),
            name=r["name_last"],
            call_sign=r["call_sign_last"],
            ship_type=r["ship_type_last"],
        )
        for r in sorted(last, key=lambda r: r["mmsi"])
    }


def best_imos(pairs: pa.Table, cleared: Counter[str]) -> dict[int, int]:
    """mmsi -> the IMO it reported last, of those passing the check digit.

    ``pairs`` has one row per distinct (mmsi, imo text) with ``rows`` (how many
    rows carried it) and ``last_row`` (the number of the last of them). Failing
    IMOs are counted per row into ``cleared["bad_imo"]``; 0 is AIS "no IMO".
    """
    best: dict[int, tuple[int, int]] = {}  # mmsi -> (last row, imo)
    for pair in pairs.to_pylist():
        imo = imo_number(pair["imo"])
        if imo == 0:
            continue  # AIS "no IMO"
        if imo is None or not imo_is_valid(imo):
            cleared["bad_imo"] += pair["rows"]
            continue
        mmsi = pair["mmsi"]
        if mmsi not in best or best[mmsi][0] < pair["last_row"]:
            best[mmsi] = (pair["last_row"], imo)
    return {mmsi: imo for mmsi, (_, imo) in best.items()}


def imo_number(text: str) -> int | None:
    """ "IMO9321483" / "9321483" -> 9321483; None if not a number at all."""
    text = text.strip().upper().removeprefix("IMO").strip()
    return int(text) if text.isdigit() and len(text) <= 10 else None
