"""When a photo was taken: every capture time a file carries, and the one we use.

Pure functions with no Django imports. Sources, in the order we prefer them
(``PREFERENCE``): the moment the shutter fired as the camera wrote it, then the
same moment as editing software or a photo desk restated it, then what the
file's own times say (digitised, created), then the GPS fix, and last the time
the file was changed:

1. EXIF DateTimeOriginal (+ OffsetTimeOriginal, SubSecTimeOriginal)
2. XMP exif:DateTimeOriginal
3. XMP photoshop:DateCreated
4. IPTC DateCreated (2:55) + TimeCreated (2:60), or DateCreated alone
5. EXIF DateTimeDigitized (+ OffsetTimeDigitized, SubSecTimeDigitized)
6. XMP xmp:CreateDate
7. GPS GPSDateStamp + GPSTimeStamp (always UTC)
8. EXIF DateTime (+ OffsetTime, SubSecTime): the file's last change

The GPS time is an exact instant but of the last fix, which can be seconds to
minutes older than the photo, so it ranks below the camera's clock; it is used
to find the camera clock's offset (below).

Representation. A camera clock is local time. Values are ISO 8601: with the UTC
offset when the file states it ("2023-10-06T22:53:51.724+02:00"); without a
designator when it does not ("2001-05-19T18:36:41"), which ISO 8601 reads as
local time — pages add "local time, offset unknown". Nothing is ever labelled
UTC unless the file says so (GPS). Sub-seconds are kept as written. Precision
is "subsecond", "second", "minute", "day", "month" or "year".

A value that gives only a date (or month, or year) yields to the first later
candidate with a time that falls within it: photo desks often write the date
alone in XMP and the date with the time in IPTC.

Offset of the chosen value when it states none, in this order:
- another candidate with the same wall-clock time (to the second) that has an
  offset lends it (XMP often restates EXIF's time with its offset);
- else the GPS time: the difference between the camera clock and the GPS UTC
  time, rounded to the quarter hour, is taken as the offset when the rounding
  moves it by at most ``GPS_TOLERANCE`` (3 minutes: a stale fix or a drifting
  clock beyond that says the two clocks do not agree) and it is within ±14 h.
Otherwise the offset stays unknown and there is no instant (``instant`` None).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

EXIF_ORIGINAL = "EXIF DateTimeOriginal"
XMP_EXIF_ORIGINAL = "XMP exif:DateTimeOriginal"
XMP_PHOTOSHOP_CREATED = "XMP photoshop:DateCreated"
IPTC_CREATED = "IPTC DateCreated + TimeCreated"
IPTC_DATE = "IPTC DateCreated"  # without TimeCreated
EXIF_DIGITIZED = "EXIF DateTimeDigitized"
XMP_CREATE_DATE = "XMP xmp:CreateDate"
GPS_UTC = "GPS date/time (UTC)"
EXIF_DATETIME = "EXIF DateTime"

PREFERENCE = (
    EXIF_ORIGINAL,
    XMP_EXIF_ORIGINAL,
    XMP_PHOTOSHOP_CREATED,
    IPTC_CREATED,
    IPTC_DATE,
    EXIF_DIGITIZED,
    XMP_CREATE_DATE,
    GPS_UTC,
    EXIF_DATETIME,
)

GPS_TOLERANCE = timedelta(minutes=3)
_QUARTER_HOUR = timedelta(minutes=15)
_MAX_OFFSET = timedelta(hours=14)
_TIMED = ("subsecond", "second", "minute")

# EXIF tag numbers (IFD0 DateTime; the others live in the Exif IFD).
_DATETIME = 0x0132
_EXIF_TRIPLES = (
    (EXIF_ORIGINAL, 0x9003, 0x9011, 0x9291),  # value, OffsetTime..., SubsecTime...
    (EXIF_DIGITIZED, 0x9004, 0x9012, 0x9292),
    (EXIF_DATETIME, _DATETIME, 0x9010, 0x9290),
)
_GPS_DATE, _GPS_TIME = 0x001D, 0x0007

_EXIF_RE = re.compile(
    r"(\d{4})[:-](\d{2})[:-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
)
_OFFSET_RE = re.compile(r"([+-])(\d{2}):?(\d{2})")
# ISO 8601 as XMP writes it, from a year alone to sub-seconds with a zone.
_XMP_RE = re.compile(
    r"(\d{4})(?:[-:](\d{2})(?:[-:](\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One capture time as the file writes it."""

    source: str  # one of PREFERENCE
    local: datetime  # naive wall clock (UTC for GPS); midnight for a date
    offset: timedelta | None  # as the file states it; None when it does not
    precision: str  # "subsecond", "second", "minute", "day", "month", "year"
    subsec: str = ""  # the sub-second digits as written ("81" for .81)

    def iso(self, offset: timedelta | None = None) -> str:
        """ISO 8601 at this precision; with ``offset`` (or the file's) if known."""
        return _iso(
            self.local,
            self.precision,
            self.subsec,
            self.offset if offset is None else offset,
        )

    @property
    def wall_clock(self) -> str:
        """ISO 8601 without any offset: the clock as the file writes it."""
        return _iso(self.local, self.precision, self.subsec, None)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "value": self.iso(),
            "offset": offset_text(self.offset) or None,
            "precision": self.precision,
        }


@dataclass(frozen=True, slots=True)
class CaptureTime:
    """The capture time we use: a candidate and the offset we know for it."""

    candidate: Candidate
    offset: timedelta | None
    offset_from: str = ""  # the source that gave the offset when not the value's

    @property
    def instant(self) -> datetime | None:
        """Aware datetime, only when the offset is known and a time is given."""
        if self.offset is None or self.candidate.precision not in _TIMED:
            return None
        return self.candidate.local.replace(tzinfo=timezone(self.offset))

    @property
    def value(self) -> str:
        return self.candidate.iso(self.offset)

    @property
    def source(self) -> str:
        """What the page and custody say, e.g. "EXIF DateTimeOriginal; offset
        from GPS date/time (UTC)"."""
        if self.offset_from:
            return f"{self.candidate.source}; offset from {self.offset_from}"
        return self.candidate.source


@dataclass(frozen=True, slots=True)
class CaptureTimes:
    """Every candidate (in PREFERENCE order) and the one chosen, if any."""

    candidates: tuple[Candidate, ...] = ()
    chosen: CaptureTime | None = None

    def to_json(self) -> list[dict[str, Any]]:
        """For ``ImageDetail.capture_times``: the chosen entry is marked and
        carries the value as used (with a borrowed or derived offset)."""
        rows = []
        for candidate in self.candidates:
            row = candidate.to_json()
            if self.chosen is not None and candidate is self.chosen.candidate:
                row["chosen"] = True
                row["as_used"] = self.chosen.value
                if self.chosen.offset_from:
                    row["offset_from"] = self.chosen.offset_from
                    row["offset_used"] = offset_text(self.chosen.offset)
            rows.append(row)
        return rows


NO_CAPTURE_TIME = CaptureTimes()


def capture_times(
    *,
    ifd0: Mapping[int, Any],
    exif_ifd: Mapping[int, Any],
    gps_ifd: Mapping[int, Any],
    xmp: Mapping[str, Any],
    iptc: Mapping[str, Any],
) -> CaptureTimes:
    """All capture times of one file and the chosen one (see the module doc).

    ``xmp`` is keyed "prefix:Name" and ``iptc`` by dataset name, as
    ``evidence.images.xmp_iptc`` reads them. Unreadable values are skipped.
    """
    found: dict[str, Candidate] = {}
    for source, tag, offset_tag, subsec_tag in _EXIF_TRIPLES:
        ifd = ifd0 if tag == _DATETIME else exif_ifd
        candidate = exif_candidate(
            source, ifd.get(tag), exif_ifd.get(offset_tag), exif_ifd.get(subsec_tag)
        )
        if candidate:
            found[source] = candidate
    for source, key in (
        (XMP_EXIF_ORIGINAL, "exif:DateTimeOriginal"),
        (XMP_PHOTOSHOP_CREATED, "photoshop:DateCreated"),
        (XMP_CREATE_DATE, "xmp:CreateDate"),
    ):
        candidate = xmp_candidate(source, xmp.get(key))
        if candidate:
            found[source] = candidate
    iptc_time = iptc_candidate(iptc.get("DateCreated"), iptc.get("TimeCreated"))
    if iptc_time:
        found[iptc_time.source] = iptc_time
    gps = gps_candidate(gps_ifd.get(_GPS_DATE), gps_ifd.get(_GPS_TIME))
    if gps:
        found[GPS_UTC] = gps
    candidates = tuple(found[s] for s in PREFERENCE if s in found)
    return CaptureTimes(candidates=candidates, chosen=choose(candidates))


def choose(candidates: tuple[Candidate, ...]) -> CaptureTime | None:
    """The first candidate in PREFERENCE order, with the offset we can know."""
    if not candidates:
        return None
    best = candidates[0]
    if best.precision not in _TIMED:
        best = _refined(best, candidates)
    if best.offset is not None or best.precision not in _TIMED:
        return CaptureTime(best, best.offset)
    wall = best.local.replace(microsecond=0)
    for other in candidates[1:]:
        if other.offset is not None and other.local.replace(microsecond=0) == wall:
            return CaptureTime(best, other.offset, offset_from=other.source)
    gps = next((c for c in candidates if c.source == GPS_UTC), None)
    if gps is not None:
        offset = offset_from_gps(best.local, gps.local)
        if offset is not None:
            return CaptureTime(best, offset, offset_from=GPS_UTC)
    return CaptureTime(best, None)


def _refined(best: Candidate, candidates: tuple[Candidate, ...]) -> Candidate:
    """A date alone yields to the first later candidate with a time that falls
    within it (IPTC's date with its time, after XMP's date alone)."""
    width = {"day": 10, "month": 7, "year": 4}[best.precision]
    for other in candidates:
        if other.precision in _TIMED and other.iso()[:width] == best.iso()[:width]:
            return other
    return best


def offset_from_gps(local: datetime, gps_utc: datetime) -> timedelta | None:
    """The camera clock's UTC offset, if it agrees with the GPS time to within
    GPS_TOLERANCE of a quarter hour (both naive)."""
    difference = local - gps_utc
    rounded = _QUARTER_HOUR * round(difference / _QUARTER_HOUR)
    if abs(difference - rounded) > GPS_TOLERANCE or abs(rounded) > _MAX_OFFSET:
        return None
    return rounded


# -- reading each source -------------------------------------------------------


def exif_candidate(
    source: str, value: Any, offset: Any = None, subsec: Any = None
) -> Candidate | None:
    """An EXIF "YYYY:MM:DD HH:MM:SS" with its offset and sub-second tags."""
    match = _EXIF_RE.match(_text(value) or "")
    if match is None:
        return None  # blank, "0000:00:00 00:00:00" and other unset clocks fail below
    local = _datetime(*match.groups()[:6])
    if local is None:
        return None
    digits = match[7] or "".join(ch for ch in (_text(subsec) or "") if ch.isdigit())
    return _candidate(source, local, parse_offset(_text(offset)), digits, "second")


def xmp_candidate(source: str, value: Any) -> Candidate | None:
    """An XMP date (ISO 8601, any precision from the year down)."""
    if isinstance(value, list) and value:
        value = value[0]
    match = _XMP_RE.fullmatch((_text(value) or "").strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if hour is None:
        precision = "day" if day else "month" if month else "year"
        local = _datetime(year, month or "01", day or "01", "0", "0", "0")
        return Candidate(source, local, None, precision) if local else None
    local = _datetime(year, month, day, hour, minute, second or "0")
    if local is None:
        return None
    offset = timedelta(0) if zone == "Z" else parse_offset(zone)
    return _candidate(
        source, local, offset, fraction or "", "second" if second else "minute"
    )


def iptc_candidate(date: Any, time: Any) -> Candidate | None:
    """IPTC DateCreated "CCYYMMDD" and TimeCreated "HHMMSS±HHMM"."""
    date_text = _text(date) or ""
    if not re.fullmatch(r"\d{8}", date_text):
        return None
    time_match = re.fullmatch(r"(\d{2})(\d{2})(\d{2})([+-]\d{4})?", _text(time) or "")
    if time_match is None:
        local = _datetime(date_text[:4], date_text[4:6], date_text[6:], "0", "0", "0")
        return Candidate(IPTC_DATE, local, None, "day") if local else None
    local = _datetime(
        date_text[:4], date_text[4:6], date_text[6:], *time_match.groups()[:3]
    )
    if local is None:
        return None
    return Candidate(IPTC_CREATED, local, parse_offset(time_match[4]), "second")


def gps_candidate(date_stamp: Any, time_stamp: Any) -> Candidate | None:
    """GPSDateStamp "YYYY:MM:DD" + GPSTimeStamp (h, m, s rationals), in UTC."""
    date_match = re.fullmatch(r"(\d{4})[:-](\d{2})[:-](\d{2})", _text(date_stamp) or "")
    if date_match is None or not isinstance(time_stamp, tuple | list):
        return None
    if len(time_stamp) != 3:
        return None
    hms = [_number(v) for v in time_stamp]
    if any(v is None or v < 0 for v in hms):
        return None
    hours, minutes, seconds = hms  # type: ignore[misc]
    if hours >= 24 or minutes >= 60 or seconds >= 61:
        return None
    day = _datetime(*date_match.groups(), "0", "0", "0")
    if day is None:
        return None
    whole = int(seconds)
    fraction = f"{seconds - whole:.3f}"[2:].rstrip("0")  # GPS rationals: ms at most
    local = day + timedelta(hours=int(hours), minutes=int(minutes), seconds=whole)
    return _candidate(GPS_UTC, local, timedelta(0), fraction, "second")


def parse_offset(text: str | None) -> timedelta | None:
    """ "+02:00" or "+0200" as a timedelta; None when absent or beyond ±14 h."""
    match = _OFFSET_RE.fullmatch((text or "").strip())
    if match is None:
        return None
    delta = timedelta(hours=int(match[2]), minutes=int(match[3]))
    if delta > _MAX_OFFSET or int(match[3]) >= 60:
        return None
    return -delta if match[1] == "-" else delta


def offset_text(offset: timedelta | None) -> str:
    """ "+02:00", "-04:00", "+00:00"; "" when unknown."""
    if offset is None:
        return ""
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# -- helpers -------------------------------------------------------------------


def _candidate(
    source: str,
    local: datetime,
    offset: timedelta | None,
    digits: str,
    precision: str,
) -> Candidate:
    digits = digits[:6]
    if digits and precision == "second":
        local = local.replace(microsecond=int(digits.ljust(6, "0")))
        return Candidate(source, local, offset, "subsecond", digits)
    return Candidate(source, local, offset, precision)


def _datetime(*parts: str | None) -> datetime | None:
    try:
        numbers = [int(p or 0) for p in parts]
        return datetime(*numbers)  # noqa: DTZ001 - a wall clock; the offset is apart
    except (TypeError, ValueError):
        return None  # e.g. month 00 or 99 from unset or damaged clocks


def _iso(local: datetime, precision: str, subsec: str, offset: timedelta | None) -> str:
    if precision == "year":
        return f"{local:%Y}"
    if precision == "month":
        return f"{local:%Y-%m}"
    if precision == "day":
        return f"{local:%Y-%m-%d}"
    text = f"{local:%Y-%m-%dT%H:%M}"
    if precision != "minute":
        text += f":{local:%S}"
    if precision == "subsecond":
        text += f".{subsec}"
    if offset is not None:
        text += offset_text(offset)
    return text


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if isinstance(value, str):
        return value.replace("\x00", "").strip() or None
    return None


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) else None
