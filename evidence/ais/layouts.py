"""The CSV layouts AIS extracts come in: which column holds which field, how times
are written, and how a layout is recognised from its header.

Pure: no Django, no ORM. Header names are compared after ``norm`` (case, spaces and
punctuation ignored), so ``MMSI, TIMESTAMP`` (MarineTraffic, with spaces after the
commas), ``base_date_time`` and ``# Timestamp`` all match their layouts.

Built-in layouts (names are ``AISExtract.Format`` values):

- ``marinecadastre`` / ``marinecadastre_v2``: MarineCadastre.gov (``MMSI,
  BaseDateTime, LAT, LON``; the 2024 snake_case layout with ``latitude``);
- ``dma``: Danish Maritime Authority (``# Timestamp,...``, ``dd/mm/yyyy HH:MM:SS``);
- ``exactearth``: exactEarth / Spire archive CSV (``MMSI,Message_ID,...,Time,...``,
  ``Time`` like ``20210701_185151`` UTC; also AISdb's CSV input);
- ``marinetraffic``: MarineTraffic exports (``MMSI, TIMESTAMP, LAT, LON, SPEED,
  COURSE, HEADING, SHIPNAME, IMO, SHIPTYPE, ...``), upper-case headers. Their API
  writes SPEED in tenths of a knot as an integer (the PS06 sample response:
  ``74``, ``122``, ``79``), so an integer SPEED is divided by 10; one written with
  a decimal point is taken as knots;
- ``vesselsvalue``: VesselsValue (``ID,ais_pos_timestamp,longitude,latitude,...``);
  MMSI from an ``mmsi`` column, else from ``ID`` (rows whose ID is not a nine-digit
  MMSI are refused as bad MMSI, never guessed);
- ``nari``: the NARI Brest dataset (``sourcemmsi,...,lon,lat,t``, ``t`` Unix
  seconds);
- ``aishub``: AISHub CSV (``MMSI,TIME,LONGITUDE,LATITUDE,COG,SOG,HEADING,...``), TIME
  either ``2012-07-11 10:17:41 GMT`` (human-readable) or Unix seconds; a row timed
  in Unix seconds is in AISHub's "AIS encoding" (degrees x 600,000, COG and SOG
  x 10) and is scaled back;
- ``gfw``: Global Fishing Watch exports (``mmsi`` or ``ssvid``, ``timestamp``,
  ``lat``, ``lon``, ``speed``, ``course``), times ISO 8601 (with ``UTC``/``Z``) or
  Unix seconds.

A team's own layout (``custom``) maps columns by name, with a time format
(``TIME_FORMATS`` or a strftime pattern) and a time zone for wall-clock times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from evidence.ais.reports import UNIX_RE

# Canonical fields, in the order the mapping form shows them.
REQUIRED_FIELDS = ("mmsi", "timestamp", "lat", "lon")
OPTIONAL_FIELDS = (
    "sog",
    "cog",
    "heading",
    "name",
    "imo",
    "ship_type",
    "call_sign",
    "station_type",
)
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
FIELD_LABELS = {
    "mmsi": "MMSI",
    "timestamp": "time",
    "lat": "latitude",
    "lon": "longitude",
    "sog": "speed over ground (knots)",
    "cog": "course over ground",
    "heading": "heading",
    "name": "vessel name",
    "imo": "IMO number",
    "ship_type": "ship type",
    "call_sign": "call sign",
    "station_type": "station type (e.g. Class A, AtoN, Base Station)",
}

# Time formats besides strftime patterns. ISO 8601 takes "T" or a space, fractions
# and an offset or "Z"; Unix times are absolute, so a layout's zone does not apply.
ISO8601, UNIX_SECONDS, UNIX_MS = "iso8601", "unix_s", "unix_ms"
TIME_FORMATS = {
    ISO8601: "ISO 8601 (2021-07-01T18:51:51, offset or Z allowed)",
    UNIX_SECONDS: "Unix seconds (1625165511)",
    UNIX_MS: "Unix milliseconds (1625165511000)",
}
# The ISO forms read column-wise (the "Z" ones are UTC whatever the layout's
# zone); the rest (fractions, offsets) per value.
ISO_PATTERNS = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%SZ",
)


def pattern_is_absolute(pattern: str) -> bool:
    """A strftime pattern whose times carry their offset or say UTC (the layout's
    zone does not apply)."""
    return "%z" in pattern or pattern.rstrip().endswith(("Z", "UTC", "GMT"))


CUSTOM = "custom"


def norm(name: str) -> str:
    """A header name as compared: "# Timestamp", "BaseDateTime", " base_date_time"
    and "BASE-DATE-TIME" all compare alike (letters of any script are kept)."""
    return re.sub(r"[\W_]+", "", name.casefold())


class LayoutError(ValueError):
    """A column mapping that cannot be used; ``errors`` maps a field (or "") to
    what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


@dataclass(frozen=True)
class Layout:
    """How to read one CSV layout.

    ``columns`` maps each field to the header names accepted for it (normalised,
    first present wins). ``time_formats`` are tried in turn (strftime patterns or
    ``TIME_FORMATS`` keys); wall-clock times are in ``time_zone``.
    ``encoded_scale``: divisors applied to rows whose time is a bare Unix integer
    (AISHub's AIS encoding).
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    time_formats: tuple[str, ...]
    time_zone: str = "UTC"
    encoded_scale: Mapping[str, float] = field(default_factory=dict)
    # Fields whose integer texts are tenths (MarineTraffic's SPEED).
    tenths_when_integer: tuple[str, ...] = ()
    # A team layout: its name, and the header it was made from (normalised).
    layout_name: str = ""
    header: tuple[str, ...] = ()

    @property
    def is_custom(self) -> bool:
        return self.name == CUSTOM

    def resolve(self, header: Sequence[str]) -> dict[str, str | None]:
        """Field -> this file's column name (None where the file has none)."""
        by_norm: dict[str, str] = {}
        for h in header:
            by_norm.setdefault(norm(h), h)
        return {
            key: next((by_norm[n] for n in names if n in by_norm), None)
            for key, names in self.columns.items()
        }

    def missing(self, header: Sequence[str]) -> list[str]:
        """The required fields this header has no column for."""
        columns = self.resolve(header)
        return [f for f in REQUIRED_FIELDS if columns.get(f) is None]

    def to_mapping(self, header: Sequence[str]) -> dict[str, object]:
        """What an extract records of the layout it was read with."""
        return {
            "columns": {k: v for k, v in self.resolve(header).items() if v},
            "time_format": ",".join(self.time_formats),
            "time_zone": self.time_zone,
        }


def _columns(**names: str | tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {
        key: tuple(norm(n) for n in ((v,) if isinstance(v, str) else v))
        for key, v in names.items()
    }


_MARINECADASTRE = _columns(
    mmsi="mmsi",
    timestamp="basedatetime",
    lat="lat",
    lon="lon",
    sog="sog",
    cog="cog",
    heading="heading",
    imo="imo",
    name="vesselname",
    call_sign="callsign",
    ship_type="vesseltype",
    # What kind of station sent the row (evidence.ais.stations): DMA "Type of
    # mobile", MarineCadastre "TransceiverClass" / "transceiver".
    station_type=("typeofmobile", "transceiverclass", "transceiver"),
)

BUILTIN: dict[str, Layout] = {
    "marinecadastre": Layout(
        "marinecadastre", _MARINECADASTRE, ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")
    ),
    "marinecadastre_v2": Layout(
        "marinecadastre_v2",
        {**_MARINECADASTRE, **_columns(lat="latitude", lon="longitude")},
        ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"),
    ),
    "dma": Layout(
        "dma",
        {
            **_MARINECADASTRE,
            **_columns(
                timestamp="timestamp",
                lat="latitude",
                lon="longitude",
                name="name",
                ship_type="shiptype",
            ),
        },
        ("%d/%m/%Y %H:%M:%S",),
    ),
    "exactearth": Layout(
        "exactearth",
        _columns(
            mmsi="mmsi",
            timestamp="time",
            lat="latitude",
            lon="longitude",
            sog="sog",
            cog="cog",
            heading="heading",
            imo="imo",
            name="vessel_name",
            call_sign="call_sign",
            ship_type="ship_type",
        ),
        ("%Y%m%d_%H%M%S",),
    ),
    "marinetraffic": Layout(
        "marinetraffic",
        _columns(
            mmsi="mmsi",
            timestamp="timestamp",
            lat="lat",
            lon="lon",
            sog="speed",
            cog="course",
            heading="heading",
            imo="imo",
            name="shipname",
            call_sign="callsign",
            ship_type=("shiptype", "typename"),
        ),
        (ISO8601,),
        tenths_when_integer=("sog",),
    ),
    "vesselsvalue": Layout(
        "vesselsvalue",
        _columns(
            mmsi=("mmsi", "id"),
            timestamp="ais_pos_timestamp",
            lat="latitude",
            lon="longitude",
            sog=("speed", "sog"),
            cog=("course", "cog"),
            heading="heading",
            imo="imo",
            name=("name", "vessel_name"),
            call_sign="call_sign",
            ship_type=("vessel_type", "type"),
        ),
        (ISO8601,),
    ),
    "nari": Layout(
        "nari",
        _columns(
            mmsi="sourcemmsi",
            timestamp="t",
            lat="lat",
            lon="lon",
            sog="speedoverground",
            cog="courseoverground",
            heading="trueheading",
        ),
        (UNIX_SECONDS,),
    ),
    "aishub": Layout(
        "aishub",
        _columns(
            mmsi="mmsi",
            timestamp="time",
            lat="latitude",
            lon="longitude",
            sog="sog",
            cog="cog",
            heading="heading",
            imo="imo",
            name="name",
            call_sign="callsign",
            ship_type="type",
        ),
        ("%Y-%m-%d %H:%M:%S GMT", "%Y-%m-%d %H:%M:%S", UNIX_SECONDS),
        encoded_scale={"lat": 600_000, "lon": 600_000, "sog": 10, "cog": 10},
    ),
    "gfw": Layout(
        "gfw",
        _columns(
            mmsi=("mmsi", "ssvid"),
            timestamp="timestamp",
            lat="lat",
            lon="lon",
            sog="speed",
            cog="course",
            heading="heading",
            imo="imo",
            name=("shipname", "vessel_name"),
            call_sign="callsign",
            ship_type=("vessel_class", "shiptype"),
        ),
        ("%Y-%m-%d %H:%M:%S UTC", "%Y-%m-%dT%H:%M:%SZ", ISO8601, UNIX_SECONDS),
    ),
}
LABELS = {
    "marinecadastre": "MarineCadastre",
    "marinecadastre_v2": "MarineCadastre (2024)",
    "dma": "Danish Maritime Authority",
    "exactearth": "exactEarth/Spire",
    "marinetraffic": "MarineTraffic",
    "vesselsvalue": "VesselsValue",
    "nari": "NARI (Brest)",
    "aishub": "AISHub",
    "gfw": "Global Fishing Watch",
}

# Columns only Global Fishing Watch exports carry; and MarineTraffic's own.
_GFW_ONLY = {
    "ssvid",
    "segid",
    "vesselid",
    "distancefromshore",
    "distancefromport",
    "distancefromshorem",
    "isfishing",
    "nnetscore",
    "elevationm",
    "source",
}
_MARINETRAFFIC_ONLY = {"shipid", "dsrc", "utcseconds", "shipname", "typename"}


def detect(header: Sequence[str]) -> str | None:
    """The built-in layout this CSV header is, or None."""
    names = {norm(n) for n in header}
    raw = {n.strip() for n in header}
    if header and header[0].lstrip().startswith("#") and "timestamp" in names:
        return "dma"
    if "base_date_time" in raw or ({"mmsi", "latitude", "basedatetime"} <= names):
        return "marinecadastre_v2"
    if {"mmsi", "basedatetime", "lat", "lon"} <= names:
        return "marinecadastre"
    if {"mmsi", "messageid", "time", "latitude", "longitude"} <= names:
        return "exactearth"
    if {"sourcemmsi", "t", "lat", "lon"} <= names:
        return "nari"
    if {"aispostimestamp", "latitude", "longitude"} <= names and names & {"mmsi", "id"}:
        return "vesselsvalue"
    if {"mmsi", "time", "latitude", "longitude"} <= names:
        return "aishub"
    if {"timestamp", "lat", "lon"} <= names and names & {"mmsi", "ssvid"}:
        if names & _GFW_ONLY:
            return "gfw"
        if names & _MARINETRAFFIC_ONLY:
            return "marinetraffic"
        # Otherwise the same columns: MarineTraffic writes them upper-case, GFW's
        # BigQuery exports lower-case.
        mmsi = next(h.strip() for h in header if norm(h) in {"mmsi", "ssvid"})
        return "marinetraffic" if mmsi.isupper() else "gfw"
    return None


def match_team_layout(
    header: Sequence[str], layouts: Iterable[Layout]
) -> Layout | None:
    """The first team layout made from this header (same names, any order)."""
    names = sorted(norm(h) for h in header)
    for layout in layouts:
        if layout.header and sorted(layout.header) == names:
            return layout
    return None


# Names the refusal (and the mapping form's first guess) recognise per field.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    key: tuple(
        dict.fromkeys(n for lay in BUILTIN.values() for n in lay.columns.get(key, ()))
    )
    for key in FIELDS
}
_SYNONYMS["mmsi"] = (*_SYNONYMS["mmsi"], "mmsinumber", "shipmmsi", "userid")
_SYNONYMS["timestamp"] = (
    *_SYNONYMS["timestamp"],
    "datetime",
    "datetimeutc",
    "date",
    "utc",
    "timeutc",
    "postime",
)
_SYNONYMS["lat"] = (*_SYNONYMS["lat"], "y")
_SYNONYMS["lon"] = (*_SYNONYMS["lon"], "long", "lng", "x")
# "id" is VesselsValue's vessel ID, not an MMSI: not a guess for other files.
_SYNONYMS["mmsi"] = tuple(n for n in _SYNONYMS["mmsi"] if n != "id")


def guess_mapping(header: Sequence[str]) -> dict[str, str]:
    """A first guess at field -> column for an unknown header (by common names)."""
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(norm(h), h.strip())
    guess: dict[str, str] = {}
    used: set[str] = set()
    for key in FIELDS:
        for n in _SYNONYMS[key]:
            column = by_norm.get(n)
            if column is not None and column not in used:
                guess[key] = column
                used.add(column)
                break
    return guess


def refusal_message(header: Sequence[str]) -> str:
    """Why a CSV header is refused: what it has, what was recognised, what is
    needed."""
    shown = [h.strip() for h in header]
    listed = ", ".join(shown[:30])
    if len(shown) > 30:
        listed += f", … ({len(shown)} columns)"
    guess = guess_mapping(header)
    found = [f"{FIELD_LABELS[k]} ({guess[k]})" for k in REQUIRED_FIELDS if k in guess]
    lacking = [FIELD_LABELS[k] for k in REQUIRED_FIELDS if k not in guess]
    message = (
        "Unrecognised AIS layout. A CSV needs columns for MMSI, timestamp, "
        f"latitude, longitude; this file's header has: {listed or 'no columns'}."
    )
    if found and lacking:
        message += f" Recognised {', '.join(found)}; not found: {', '.join(lacking)}."
    return (
        message
        + " Known layouts: "
        + ", ".join(LABELS.values())
        + ", or NMEA !AIVDM lines; map the columns below to read this one."
    )


def check_time_format(time_format: str) -> str | None:
    """What is wrong with a time format (None if usable)."""
    if time_format in TIME_FORMATS:
        return None
    if "%" not in time_format:
        return (
            "Give ISO 8601, Unix seconds, Unix milliseconds or a strftime pattern "
            "such as %d/%m/%Y %H:%M:%S."
        )
    has_day = "%d" in time_format or "%j" in time_format
    if not re.search(r"%[Yy]", time_format) or not has_day:
        return "A time pattern needs the year (%Y) and the day (%d)."
    try:
        datetime(2021, 7, 1, 18, 51, 51, tzinfo=UTC).strftime(time_format)
    except ValueError as exc:
        return f"The time pattern is not valid: {exc}."
    return None


def check_time_zone(time_zone: str) -> str | None:
    if time_zone == "UTC":
        return None
    if time_zone not in available_timezones():
        return (
            f"Unknown time zone {time_zone!r}; give an IANA name such as Europe/Paris."
        )
    return None


def parse_one_time(value: str, time_format: str, time_zone: str = "UTC") -> int | None:
    """One time text -> epoch microseconds UTC under a layout's format and zone
    (None if it does not parse). The column-wise reader gives the same result."""
    value = value.strip()
    if time_format in (UNIX_SECONDS, UNIX_MS):
        if not UNIX_RE.match(value):
            return None
        scale = 1_000_000 if time_format == UNIX_SECONDS else 1_000
        return round(float(value) * scale)
    try:
        if time_format == ISO8601:
            when = datetime.fromisoformat(value)
        else:
            when = datetime.strptime(value, time_format)  # noqa: DTZ007 - zone below
    except ValueError:
        return None
    if when.tzinfo is None:
        absolute = time_format != ISO8601 and pattern_is_absolute(time_format)
        when = when.replace(tzinfo=UTC if absolute else zone(time_zone))
    delta = when - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def zone(time_zone: str) -> ZoneInfo | type[UTC]:
    if time_zone == "UTC":
        return UTC
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LayoutError({"time_zone": f"Unknown time zone {time_zone!r}."}) from exc


def custom_layout(
    *,
    name: str,
    mapping: Mapping[str, str],
    time_format: str,
    time_zone: str = "UTC",
    header: Sequence[str] = (),
    sample: Sequence[str] | None = None,
) -> Layout:
    """A team layout from a column mapping (field -> column header), checked against
    the header it was made from and, when given, its sample row. Raises
    LayoutError naming each problem."""
    errors: dict[str, str] = {}
    mapping = {k: v.strip() for k, v in mapping.items() if v and v.strip()}
    unknown = sorted(set(mapping) - set(FIELDS))
    if unknown:
        errors[""] = f"Unknown fields: {', '.join(unknown)}."
    for key in REQUIRED_FIELDS:
        if key not in mapping:
            errors[key] = f"Choose the column that holds the {FIELD_LABELS[key]}."
    header_norm = [norm(h) for h in header]
    for key, column in mapping.items():
        if header and norm(column) not in header_norm:
            errors[key] = f"The header has no column {column!r}."
    seen: dict[str, str] = {}
    for key in FIELDS:
        column = mapping.get(key)
        if column is None:
            continue
        if norm(column) in seen:
            errors[key] = (
                f"Column {column!r} is already the {FIELD_LABELS[seen[norm(column)]]}."
            )
        seen.setdefault(norm(column), key)
    problem = check_time_format(time_format)
    if problem:
        errors["time_format"] = problem
    problem = check_time_zone(time_zone)
    if problem:
        errors["time_zone"] = problem
    if not errors and sample is not None and header:
        value = _sample_value(header, sample, mapping["timestamp"])
        if value and parse_one_time(value, time_format, time_zone) is None:
            errors["time_format"] = (
                f"The sample row's time {value!r} does not match this format."
            )
    if errors:
        raise LayoutError(errors)
    return Layout(
        CUSTOM,
        {key: (norm(mapping[key]),) for key in FIELDS if key in mapping},
        (time_format,),
        time_zone=time_zone,
        layout_name=name,
        header=tuple(header_norm),
    )


def layout_from_record(
    name: str,
    mapping: Mapping[str, str],
    time_format: str,
    time_zone: str,
    header: Sequence[str],
) -> Layout:
    """A stored team layout (already checked when saved) as a Layout."""
    return Layout(
        CUSTOM,
        {key: (norm(mapping[key]),) for key in FIELDS if mapping.get(key)},
        (time_format,),
        time_zone=time_zone or "UTC",
        layout_name=name,
        header=tuple(norm(h) for h in header),
    )


def _sample_value(header: Sequence[str], sample: Sequence[str], column: str) -> str:
    for h, value in zip(header, sample, strict=False):
        if norm(h) == norm(column):
            return value.strip()
    return ""
