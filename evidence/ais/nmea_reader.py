"""Read raw NMEA 0183 AIS lines (``!AIVDM``/``!AIVDO``), decoded with pyais.

Pure: no Django, no ORM. Read line by line, as NMEA must be. Multi-sentence
messages are reassembled from their fragments. The only rows rejected here are lines
that are not AIS data at all: bad checksum, undecodable, orphan or missing
fragments. Comment lines (``#...``) are counted apart and never decoded; type 27
long-range reports are positions like types 1-3, 18 and 19.

Each AIS sentence takes its time from the first of these it has (names as in
``time_sources``):

1. ``tag_block``: an NMEA 4.0 tag block whose ``c:`` field is Unix time;
2. ``leading_timestamp``: a time before the sentence (ISO 8601,
   ``YYYY-MM-DD HH:MM:SS`` or Unix seconds);
3. ``nais_trailer``: US Coast Guard NAIS fields after the checksum
   (``...,0*4E,b003669794,1272412827``; ``,d-109,S2105,t050056.00,T56.1,r003669946,
   1325394060,1325394001``): the first bare Unix time after the letter-coded fields,
   as libais reads them (ais/uscg.py, ais/io.py). The checksum covers the sentence
   only, so such lines are not "bad checksum";
4. ``pghp``: a Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,...`` header, which times
   the next AIS message only (all its fragments), as pyais reads it;
5. ``receiver_clock_rmc`` / ``receiver_clock_zda``: the receiver's last
   ``$--RMC`` (status A only: a receiver without a fix may report a clock it never
   set; two-digit years are 1980-2079) or ``$--ZDA`` line, a running clock that
   times every following line until the next clock line;
6. ``base_station``: the UTC of the last AIS base station report (type 4) or UTC
   date response (type 11) with a whole, valid date and time, a running clock too.

A running clock is not advanced between clock lines, and a receiver clock, once
seen, is preferred to base stations (it is the capturing receiver's own clock;
a base station's is another station's). An AIS line with no time of its own,
no ``$PGHP`` header before it and no clock line anywhere before it (the lines
before a file's first clock line) gets no time: it is counted ``none`` and
refused as ``no_timestamp`` (unless the uploader gives a capture start, see
``time_sources``), never guessed backwards from a later clock. A line's own
time that is present but unreadable (``c:`` not a Unix time, a prefix that is not
a time) is passed over for the next source; with none it is ``bad_timestamp``.
Checksums of clock and header lines are checked when present; a line with a
wrong one sets no clock. The clock state lives in the decoder, so a reader that
feeds lines in chunks keeps it. ``extra["time_sources"]`` counts the position
reports read by the source of their time (``none``: no time; ``unreadable``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
from pyais import NMEAMessage, TagBlock

from evidence.ais import time_sources as src
from evidence.ais.reports import (
    MAX_LINE_BYTES,
    TS_BAD,
    TS_MISSING,
    TS_OK,
    UNIX_RE,
    Progress,
    RawReports,
    epoch_us,
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

# The checksum that ends a sentence; what follows it is a trailer (NAIS fields).
_CHECKSUM_RE = re.compile(rb"\*[0-9A-Fa-f]{2}")
_CLOCK_RE = re.compile(rb"^\$([A-Z]{2}(RMC|ZDA)|PGHP),")
_BASE_STATION_TYPES = frozenset({4, 11})

# One sentence as read: (sentence, epoch microseconds, TS_* state, time source).
_Fragment = tuple[NMEAMessage, int, int, str]


@dataclass
class _Clocks:
    """The running times a file has set so far (epoch microseconds)."""

    receiver: tuple[int, str] | None = None  # (time, RMC or ZDA source name)
    base_station: int | None = None
    pghp: int | None = None  # times the next AIS message only


@dataclass(frozen=True)
class _Line:
    """One AIS line split: the sentence, its own time and whether its tag block
    checks."""

    sentence: bytes
    own: tuple[str, int] | None  # (source, epoch us) of the line's own time
    unreadable: bool  # an own time was there but could not be read
    tag_ok: bool


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
    sources: Counter[str] = field(default_factory=Counter)
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


# AIS messages per batch when NMEA is read as a stream (``iter_nmea``).
NMEA_BATCH_LINES = 100_000


def iter_nmea(
    lines: Iterable[bytes], *, batch_lines: int = NMEA_BATCH_LINES
) -> Iterator[RawReports]:
    """``parse_nmea`` as a stream: RawReports every ``batch_lines`` lines, the
    decoder's state (clocks, fragments of multi-sentence messages waiting for
    their end) carried across batches, so the batches add up to what
    ``parse_nmea`` gives on all the lines. Messages left unfinished at the end
    count as incomplete in the last batch."""
    decoder = _Decoder()
    count = 0
    for line in lines:
        decoder.feed(line)
        count += 1
        if count == batch_lines:
            yield decoder.take()
            count = 0
    yield decoder.reports()


class _Decoder:
    """Lines in, decoded messages collected; counts what could not be used."""

    def __init__(self) -> None:
        self.out = _Reports()
        self.rejected: Counter[str] = Counter()
        self.other = 0
        self.comments = 0
        # (fragment count, sequence id, channel) -> fragments so far
        self.pending: dict[tuple[int, int | None, str], list[_Fragment]] = {}
        self.clocks = _Clocks()

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
        if _CLOCK_RE.match(line):
            _set_clock(self.clocks, line)
            self.other += 1  # a clock or header line, not AIS
            return
        split = _split_line(line)
        if split is None:
            if line[:1] in (b"$", b"!"):
                self.other += 1  # another NMEA sentence (GPS fix, ...), not AIS
            else:
                self.rejected["unparseable"] += 1
            return
        try:
            sentence = NMEAMessage(split.sentence)
        except Exception:  # pyais raises several types for malformed input
            self.rejected["unparseable"] += 1
            return
        if not (split.tag_ok and sentence.is_valid):
            self.rejected["bad_checksum"] += 1
            return
        when, state, source = self._time_of(split)
        if sentence.frag_num >= sentence.frag_cnt:
            self.clocks.pghp = None  # the header's message is complete
        fragments = self._complete(sentence, when, state, source)
        if fragments is not None:
            self.other += _decode_into(self.out, self.rejected, fragments, self.clocks)

    def _time_of(self, split: _Line) -> tuple[int, int, str]:
        """(epoch us, TS_* state, source) for a sentence, by the order in the
        module docstring."""
        clocks = self.clocks
        if split.own is not None:
            return split.own[1], TS_OK, split.own[0]
        if clocks.pghp is not None:
            return clocks.pghp, TS_OK, src.PGHP
        if clocks.receiver is not None:
            return clocks.receiver[0], TS_OK, clocks.receiver[1]
        if clocks.base_station is not None:
            return clocks.base_station, TS_OK, src.BASE_STATION
        if split.unreadable:
            return 0, TS_BAD, src.UNREADABLE
        return 0, TS_MISSING, src.NONE

    def _complete(
        self, sentence: NMEAMessage, when: int, state: int, source: str
    ) -> list[_Fragment] | None:
        """All fragments of a message once its last one is in, else None."""
        if sentence.frag_cnt == 1:
            return [(sentence, when, state, source)]
        key = (sentence.frag_cnt, sentence.seq_id, sentence.channel)
        group = self.pending.setdefault(key, [])
        if sentence.frag_num == 1 and group:
            self.rejected["incomplete"] += 1  # an earlier message never finished
            group.clear()
        elif sentence.frag_num != len(group) + 1:
            self.rejected["incomplete"] += 1
            group.clear()
            return None
        group.append((sentence, when, state, source))
        if len(group) < sentence.frag_cnt:
            return None
        return self.pending.pop(key)

    def take(self) -> RawReports:
        """What was decoded since the last ``take``, as columns; unfinished
        messages and the clocks stay for the lines to come."""
        reports = self._columns(finished=False)
        self.out = _Reports()
        self.rejected = Counter()
        self.other = self.comments = 0
        return reports

    def reports(self) -> RawReports:
        """What was decoded, as columns; messages left unfinished count as
        incomplete."""
        return self._columns(finished=True)

    def _columns(self, *, finished: bool) -> RawReports:
        out = self.out
        if finished:
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
            extra={"time_sources": dict(+out.sources)},
            station_evidence=_station_evidence(out.kinds),
        )


def _station_evidence(kinds: set[tuple[int, int]]) -> pa.Table:
    pairs = sorted(k for k in kinds if 0 < k[0] <= 999_999_999)
    return station_evidence(
        pa.array([m for m, _ in pairs], pa.int64()),
        message_type=pa.array([t for _, t in pairs], pa.int16()),
    )


def _split_line(line: bytes) -> _Line | None:
    """Find the sentence and the line's own time (tag block, leading time or NAIS
    trailer, in that order); None when the line holds no AIS sentence."""
    own: tuple[str, int] | None = None
    unreadable = False
    tag_ok = True
    if line.startswith(b"\\"):
        end = line.find(b"\\", 1)
        if end < 0:
            return None
        tag = TagBlock(line[1:end])
        tag.init()
        tag_ok = tag.is_valid
        rest = line[end + 1 :]
        if not SENTENCE_RE.match(rest):
            return None
        stamp = tag.receiver_timestamp
        if stamp is not None:
            when = parse_time_text(stamp) if UNIX_RE.match(stamp.strip()) else None
            if when is None:
                unreadable = True
            else:
                own = (src.TAG_BLOCK, when)
    else:
        found = SENTENCE_RE.search(line)
        if found is None:
            return None
        rest = line[found.start() :]
        prefix = line[: found.start()].decode("ascii", "replace").strip(" \t,;|")
        if prefix:
            when = parse_time_text(prefix)
            if when is None:
                unreadable = True
            else:
                own = (src.LEADING, when)
    sentence, trailer_time = _cut_trailer(rest)
    if own is None and trailer_time is not None:
        own = (src.NAIS, trailer_time)
    return _Line(sentence, own, unreadable, tag_ok)


def _cut_trailer(sentence: bytes) -> tuple[bytes, int | None]:
    """The sentence up to its checksum and the NAIS time after it, if any.

    Only a trailer of comma-separated fields is cut (anything else stays, to fail
    the checksum as before); its time is the first field that is a bare Unix time,
    the letter-coded fields (station ``r``/``b``, ``d``, ``S``, ``t``, ``T``,
    ``x``, ``s``) being skipped.
    """
    found = _CHECKSUM_RE.search(sentence)
    if found is None or found.end() == len(sentence):
        return sentence, None
    trailer = sentence[found.end() :]
    if not trailer.startswith(b","):
        return sentence, None
    for value in trailer[1:].split(b","):
        text = value.decode("ascii", "replace").strip()
        if UNIX_RE.match(text):
            return sentence[: found.end()], parse_time_text(text)
    return sentence[: found.end()], None


def _set_clock(clocks: _Clocks, line: bytes) -> None:
    """Set the running clock (RMC, ZDA) or the next message's header time
    (PGHP) from a clock line; a line that does not read or check leaves them."""
    star = line.rfind(b"*")
    if star >= 0:
        given = line[star + 1 : star + 3]
        computed = 0
        for byte in line[1:star]:
            computed ^= byte
        if given.upper() != f"{computed:02X}".encode():
            return
        body = line[1:star]
    else:
        body = line[1:]
    fields = body.decode("ascii", "replace").split(",")
    kind = fields[0]
    try:
        if kind == "PGHP":
            clocks.pghp = _pghp_time(fields)
        elif kind.endswith("RMC"):
            if len(fields) > 9 and fields[2] == "A":
                yy = int(fields[9][4:6])
                date = (int(fields[9][0:2]), int(fields[9][2:4]), yy)
                year = 2000 + yy if yy < 80 else 1900 + yy
                clocks.receiver = (
                    _utc(year, date[1], date[0], fields[1]),
                    src.RMC,
                )
        elif kind.endswith("ZDA") and len(fields) > 4:
            clocks.receiver = (
                _utc(int(fields[4]), int(fields[3]), int(fields[2]), fields[1]),
                src.ZDA,
            )
    except ValueError:
        return  # a field missing or out of range: the clock stays as it was


def _pghp_time(fields: list[str]) -> int:
    """``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,...`` -> epoch us (type 1 headers only)."""
    if fields[1] != "1" or len(fields) < 9:
        raise ValueError("not a Gatehouse type 1 header")
    year, month, day, hour, minute, second, milli = (int(v) for v in fields[2:9])
    when = datetime(year, month, day, hour, minute, second, milli * 1000, tzinfo=UTC)
    return epoch_us(when)


def _utc(year: int, month: int, day: int, hhmmss: str) -> int:
    """A date and an NMEA ``hhmmss[.ss]`` time of day -> epoch us; ValueError if
    either is not a real time."""
    if len(hhmmss) < 6 or not hhmmss[:6].isdigit():
        raise ValueError(hhmmss)
    fraction = hhmmss[6:]
    micro = 0
    if fraction:
        if fraction[0] != "." or not fraction[1:].isdigit():
            raise ValueError(hhmmss)
        micro = round(float("0" + fraction) * 1_000_000)
    when = datetime(
        year,
        month,
        day,
        int(hhmmss[0:2]),
        int(hhmmss[2:4]),
        int(hhmmss[4:6]),
        min(micro, 999_999),
        tzinfo=UTC,
    )
    return epoch_us(when)


def _decode_into(
    out: _Reports,
    rejected: Counter[str],
    fragments: list[_Fragment],
    clocks: _Clocks,
) -> int:
    """Decode one complete message into `out` (a base station's UTC sets
    ``clocks``); return 1 if it was not a position."""
    _, when, state, source = fragments[0]
    for _, w, s, where in fragments[1:]:
        if state != TS_OK and s == TS_OK:
            when, state, source = w, s, where
    try:
        sentence = NMEAMessage.assemble_from_iterable([f[0] for f in fragments])
        msg = sentence.decode()
    except Exception:  # malformed payloads raise assorted pyais/bit errors
        rejected["unparseable"] += 1
        return 0
    kind = msg.msg_type
    mmsi = int(msg.mmsi)
    out.kinds.add((mmsi, kind))
    if kind in _POSITION_TYPES or kind == _LONG_RANGE:
        out.sources[source] += 1
    if kind in _BASE_STATION_TYPES:
        _set_base_station_clock(clocks, msg)
    if kind in _POSITION_TYPES:
        out.mmsi.append(mmsi)
        out.ts.append(when)
        out.ts_state.append(state)
        out.lat.append(_number(msg.lat))
        out.lon.append(_number(msg.lon))
        out.sog.append(_number(msg.speed))
        out.cog.append(_number(msg.course))
        out.heading.append(_number(msg.heading))
        if kind == 19:
            out.static.append(
                (mmsi, None, _text(msg.shipname), None, _ship_type(msg.ship_type))
            )
        return 0
    if kind == _LONG_RANGE:
        out.mmsi.append(mmsi)
        out.ts.append(when)
        out.ts_state.append(state)
        out.lat.append(_number(msg.lat))
        out.lon.append(_number(msg.lon))
        sog, cog = _number(msg.speed), _number(msg.course)
        out.sog.append(102.3 if sog >= 63 else sog)
        out.cog.append(360.0 if cog >= 360 else cog)
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


def _set_base_station_clock(clocks: _Clocks, msg: Any) -> None:
    """A type 4/11 report's UTC, when whole and valid (0, 24, 60 mean "not
    available"), becomes the base-station clock."""
    try:
        when = datetime(
            int(msg.year),
            int(msg.month),
            int(msg.day),
            int(msg.hour),
            int(msg.minute),
            int(msg.second),
            tzinfo=UTC,
        )
    except (AttributeError, TypeError, ValueError):
        return
    clocks.base_station = epoch_us(when)


def _number(value: object) -> float:
    # pyais gives None for a field cut off by a short payload: "not available".
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def _text(value: object) -> str | None:
    # AIS six-bit text pads with "@" and spaces.
    text = str(value or "").replace("@", "").strip()
    return text or None


def _ship_type(value: object) -> str | None:
    code = int(value or 0)  # pyais gives an IntEnum; 0 means not available
    return str(code) if code else None
