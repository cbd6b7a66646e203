"""Read raw NMEA 0183 AIS lines (``!AIVDM``/``!AIVDO``), decoded with pyais.

Pure: no Django, no ORM. Read line by line, as NMEA must be. Each line carries an
optional leading time (ISO 8601, ``YYYY-MM-DD HH:MM:SS`` or Unix seconds) or an
NMEA 4.0 tag block whose ``c:`` field is Unix time. Multi-sentence messages are
reassembled from their fragments. The only rows rejected here are lines that are
not AIS data at all: bad checksum, undecodable, orphan or missing fragments.
Comment lines (``#...``) are counted apart and never decoded; type 27 long-range
reports are positions like types 1-3, 18 and 19.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
from pyais import NMEAMessage, TagBlock

from evidence.ais.reports import (
    MAX_LINE_BYTES,
    TS_BAD,
    TS_MISSING,
    TS_OK,
    UNIX_RE,
    Progress,
    RawReports,
    parse_time_text,
)
from evidence.ais.stations import station_evidence

SENTENCE_RE = re.compile(rb"![A-Z]{2}VD[MO],")
_POSITION_TYPES = frozenset({1, 2, 3, 18, 19})
# Type 27 (long-range, satellite-friendly): whole knots and degrees, no heading;
# 63 kn and 511 degrees mean "not available", written here as the sentinels the
# other types use so ``validate`` clears them the same way.
_LONG_RANGE = 27
_NMEA_PROGRESS_EVERY = 20_000

# One sentence as read: (sentence, epoch microseconds, TS_* state).
_Fragment = tuple[NMEAMessage, int, int]


@dataclass
class _Reports:
    mmsi: list[int] = field(default_factory=list)
    ts: list[int] = field(default_factory=list)
    ts_state: list[int] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    sog: list[float] = field(default_factory=list)
    cog: list[float] = field(default_factory=list)
    heading: list[float] = field(default_factory=list)
    static: list[tuple[int, str | None, str | None, str | None, str | None]] = field(
        default_factory=list
    )
    # (mmsi, message type) of every decoded message: what kind of station it is.
    kinds: set[tuple[int, int]] = field(default_factory=set)


def parse_nmea(
    lines: Iterable[bytes],
    *,
    progress: Progress | None = None,
    total: int | None = None,
) -> RawReports:
    """Decode NMEA lines; a "row" is one AIS message (or one unusable line).

    ``rows_read`` counts position reports plus lines or fragments that could not be
    used; decoded messages of other kinds (static data, base stations, ...) are
    counted in ``other_messages`` instead, so rows_read = kept + rejected holds.
    A line longer than ``MAX_LINE_BYTES`` is rejected as unparseable. ``total``
    (lines, for progress) spares listing ``lines`` up front.
    """
    if total is None:
        lines = list(lines)
        total = len(lines)
    decoder = _Decoder()
    for number, line in enumerate(lines, 1):
        if progress is not None and number % _NMEA_PROGRESS_EVERY == 0:
            progress(number, total)
        decoder.feed(line)
    if progress is not None:
        progress(total, total)
    return decoder.reports()


class _Decoder:
    """Lines in, decoded messages collected; counts what could not be used."""

    def __init__(self) -> None:
        self.out = _Reports()
        self.rejected: Counter[str] = Counter()
        self.other = 0
        self.comments = 0
        # (fragment count, sequence id, channel) -> fragments so far
        self.pending: dict[tuple[int, int | None, str], list[_Fragment]] = {}

    def feed(self, line: bytes) -> None:
        if len(line) > MAX_LINE_BYTES:
            self.rejected["unparseable"] += 1
            return
        line = line.strip()
        if not line:
            return
        if line.startswith(b"#"):
            # A comment (sample files quote sentences in them): counted, never read.
            self.comments += 1
            return
        split = _split_line(line)
        if split is None:
            if line[:1] in (b"$", b"!"):
                self.other += 1  # another NMEA sentence (GPS fix, ...), not AIS
            else:
                self.rejected["unparseable"] += 1
            return
        sentence_bytes, when, state, tag_ok = split
        try:
            sentence = NMEAMessage(sentence_bytes)
        except Exception:  # pyais raises several types for malformed input
            self.rejected["unparseable"] += 1
            return
        if not (tag_ok and sentence.is_valid):
            self.rejected["bad_checksum"] += 1
            return
        fragments = self._complete(sentence, when, state)
        if fragments is not None:
            self.other += _decode_into(self.out, self.rejected, fragments)

    def _complete(
        self, sentence: NMEAMessage, when: int, state: int
    ) -> list[_Fragment] | None:
        """All fragments of a message once its last one is in, else None."""
        if sentence.frag_cnt == 1:
            return [(sentence, when, state)]
        key = (sentence.frag_cnt, sentence.seq_id, sentence.channel)
        group = self.pending.setdefault(key, [])
        if sentence.frag_num == 1 and group:
            self.rejected["incomplete"] += 1  # an earlier message never finished
            group.clear()
        elif sentence.frag_num != len(group) + 1:
            self.rejected["incomplete"] += 1
            group.clear()
            return None
        group.append((sentence, when, state))
        if len(group) < sentence.frag_cnt:
            return None
        return self.pending.pop(key)

    def reports(self) -> RawReports:
        """What was decoded, as columns; messages left unfinished count as
        incomplete."""
        out = self.out
        self.rejected["incomplete"] += len(self.pending)
        rejected = +self.rejected  # drop zero counts
        positions = len(out.mmsi)
        mmsi = np.array(out.mmsi, dtype=np.int64)
        mmsi_ok = (mmsi > 0) & (mmsi <= 999_999_999)
        static_rows = [r for r in out.static if 0 < r[0] <= 999_999_999]
        static = pa.table(
            {
                "mmsi": pa.array([r[0] for r in static_rows], pa.int64()),
                "imo": pa.array([r[1] for r in static_rows], pa.string()),
                "name": pa.array([r[2] for r in static_rows], pa.string()),
                "call_sign": pa.array([r[3] for r in static_rows], pa.string()),
                "ship_type": pa.array([r[4] for r in static_rows], pa.string()),
            }
        )
        return RawReports(
            format="nmea",
            rows_read=positions + sum(rejected.values()),
            rejected=rejected,
            mmsi=np.where(mmsi_ok, mmsi, 0),
            mmsi_ok=mmsi_ok,
            timestamp_us=np.array(out.ts, dtype=np.int64),
            timestamp_state=np.array(out.ts_state, dtype=np.int8),
            lat=np.array(out.lat, dtype=np.float64),
            lon=np.array(out.lon, dtype=np.float64),
            position_unparseable=np.zeros(positions, dtype=bool),
            sog=np.array(out.sog, dtype=np.float64),
            cog=np.array(out.cog, dtype=np.float64),
            heading=np.array(out.heading, dtype=np.float64),
            static=static,
            other_messages=self.other,
            comment_lines=self.comments,
            station_evidence=_station_evidence(out.kinds),
        )


def _station_evidence(kinds: set[tuple[int, int]]) -> pa.Table:
    pairs = sorted(k for k in kinds if 0 < k[0] <= 999_999_999)
    return station_evidence(
        pa.array([m for m, _ in pairs], pa.int64()),
        message_type=pa.array([t for _, t in pairs], pa.int16()),
    )


def _split_line(line: bytes) -> tuple[bytes, int, int, bool] | None:
    """Find the sentence and its time: (sentence, epoch us, TS_* state, tag ok)."""
    if line.startswith(b"\\"):
        end = line.find(b"\\", 1)
        if end < 0:
            return None
        tag = TagBlock(line[1:end])
        tag.init()
        sentence = line[end + 1 :]
        if not SENTENCE_RE.match(sentence):
            return None
        stamp = tag.receiver_timestamp
        if stamp is None:
            return sentence, 0, TS_MISSING, tag.is_valid
        when = parse_time_text(stamp) if UNIX_RE.match(stamp.strip()) else None
        return (
            sentence,
            when or 0,
            TS_BAD if when is None else TS_OK,
            tag.is_valid,
        )
    found = SENTENCE_RE.search(line)
    if found is None:
        return None
    prefix = line[: found.start()].decode("ascii", "replace").strip(" \t,;|")
    if not prefix:
        return line[found.start() :], 0, TS_MISSING, True
    when = parse_time_text(prefix)
    state = TS_BAD if when is None else TS_OK
    return line[found.start() :], when or 0, state, True


def _decode_into(
    out: _Reports, rejected: Counter[str], fragments: list[_Fragment]
) -> int:
    """Decode one complete message into `out`; return 1 if it was not a position."""
    _, when, state = fragments[0]
    for _, w, s in fragments[1:]:
        if state != TS_OK and s == TS_OK:
            when, state = w, s
    try:
        sentence = NMEAMessage.assemble_from_iterable([f[0] for f in fragments])
        msg = sentence.decode()
    except Exception:  # malformed payloads raise assorted pyais/bit errors
        rejected["unparseable"] += 1
        return 0
    kind = msg.msg_type
    mmsi = int(msg.mmsi)
    out.kinds.add((mmsi, kind))
    if kind in _POSITION_TYPES:
        out.mmsi.append(mmsi)
        out.ts.append(when)
        out.ts_state.append(state)
        out.lat.append(float(msg.lat))
        out.lon.append(float(msg.lon))
        out.sog.append(float(msg.speed))
        out.cog.append(float(msg.course))
        out.heading.append(float(msg.heading))
        if kind == 19:
            out.static.append(
                (mmsi, None, _text(msg.shipname), None, _ship_type(msg.ship_type))
            )
        return 0
    if kind == _LONG_RANGE:
        out.mmsi.append(mmsi)
        out.ts.append(when)
        out.ts_state.append(state)
        out.lat.append(float(msg.lat))
        out.lon.append(float(msg.lon))
        out.sog.append(102.3 if msg.speed >= 63 else float(msg.speed))
        out.cog.append(360.0 if msg.course >= 360 else float(msg.course))
        out.heading.append(511.0)
        return 0
    if kind == 5:
        imo = str(msg.imo) if msg.imo else None
        out.static.append(
            (
                mmsi,
                imo,
                _text(msg.shipname),
                _text(msg.callsign),
                _ship_type(msg.ship_type),
            )
        )
    elif kind == 24:
        if msg.partno == 0:
            out.static.append((mmsi, None, _text(msg.shipname), None, None))
        else:
            out.static.append(
                (mmsi, None, None, _text(msg.callsign), _ship_type(msg.ship_type))
            )
    return 1


def _text(value: object) -> str | None:
    # AIS six-bit text pads with "@" and spaces.
    text = str(value or "").replace("@", "").strip()
    return text or None


def _ship_type(value: object) -> str | None:
    code = int(value or 0)  # pyais gives an IntEnum; 0 means not available
    return str(code) if code else None
