"""Open formats out: tracks as GeoJSON (RFC 7946) and as OGC Moving Features
JSON (MF-JSON Trajectory, OGC 19-045r3), places and scene footprints as GeoJSON.

Pure: built from the plain dataclasses below, which the selectors fill. RFC 7946:
coordinates are [longitude, latitude] in WGS84 with no "crs" member, at most 7
decimals; a track broken by dark periods is a MultiLineString (one line per
stretch heard), each dark period a LineString of its own from where the vessel
went silent to where it was heard again, so a gap is never drawn as if sailed. An
MF-JSON Trajectory is one LineString per vessel with ``properties.datetimes`` (one
RFC 3339 instant per node, strictly increasing: reports at the same instant as
the previous one are dropped, as the standard requires).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

SCHEMA_VERSION = 1
_DIGITS = 6  # ~0.1 m: past what AIS or a photo's GPS can tell
MAX_POINTS_PER_TRACK = 2000


@dataclass(frozen=True, slots=True)
class DarkPeriod:
    start_at: datetime
    end_at: datetime
    start_lat: float
    start_lon: float
    end_lat: float
    end_lon: float
    distance_km: float
    near_port: str = ""

    @property
    def hours(self) -> float:
        return (self.end_at - self.start_at).total_seconds() / 3600


@dataclass(frozen=True, slots=True)
class PortVisit:
    port: str
    lat: float
    lon: float
    arrival_at: datetime
    departure_at: datetime | None


@dataclass(frozen=True, slots=True)
class VesselTrack:
    """One vessel's positions in one extract, in time order (already thinned)."""

    mmsi: str
    name: str
    extract_id: int
    extract_title: str
    is_synthetic: bool
    times_us: np.ndarray  # int64 microseconds since the epoch, UTC
    lats: np.ndarray
    lons: np.ndarray
    dark_periods: tuple[DarkPeriod, ...] = ()
    port_calls: tuple[PortVisit, ...] = ()
    vessel_slug: str = ""

    @property
    def first_at(self) -> datetime | None:
        return _when(int(self.times_us[0])) if len(self.times_us) else None

    @property
    def last_at(self) -> datetime | None:
        return _when(int(self.times_us[-1])) if len(self.times_us) else None


@dataclass(frozen=True, slots=True)
class MapPlace:
    name: str
    lat: float
    lon: float
    kind: str  # "port", "facility", "photo"
    url: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class MapFootprint:
    title: str
    polygon: dict[str, Any]
    url: str = ""
    acquired_at: datetime | None = None
    is_synthetic: bool = False
    properties: dict[str, Any] = field(default_factory=dict)


def _when(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _xy(lon: float, lat: float) -> list[float]:
    return [round(float(lon), _DIGITS), round(float(lat), _DIGITS)]


def thin(
    times_us: np.ndarray,
    lats: np.ndarray,
    lons: np.ndarray,
    *,
    limit: int = MAX_POINTS_PER_TRACK,
    keep_us: Iterable[int] = (),
) -> np.ndarray:
    """Indices of at most about ``limit`` evenly spaced points, always keeping
    the first, the last and the reports at the instants in ``keep_us`` (the ends
    of dark periods, so a gap starts and ends where the vessel really was)."""
    n = len(times_us)
    if n <= limit:
        return np.arange(n)
    even = np.linspace(0, n - 1, limit).round().astype(np.int64)
    keep = np.searchsorted(times_us, np.asarray(list(keep_us), dtype=np.int64))
    keep = keep[(keep >= 0) & (keep < n)]
    extra = np.concatenate([keep, np.maximum(keep - 1, 0)])
    return np.unique(np.concatenate([even, extra]))


def _edges(track: VesselTrack) -> list[tuple[int, int]]:
    """Index ranges of the track's lines between dark periods: a new line
    starts at each report that ends a dark period."""
    breaks = sorted(int(g.end_at.timestamp() * 1_000_000) for g in track.dark_periods)
    cut = np.searchsorted(track.times_us, np.asarray(breaks, dtype=np.int64))
    n = len(track.times_us)
    edges = [0, *sorted({int(c) for c in cut if 0 < c < n}), n]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _stretches(track: VesselTrack) -> list[list[list[float]]]:
    lines = []
    for a, b in _edges(track):
        line = [
            _xy(x, y) for x, y in zip(track.lons[a:b], track.lats[a:b], strict=True)
        ]
        lines.append(line * 2 if len(line) == 1 else line)  # a lone report: drawn
    return lines


def _stretch_times(track: VesselTrack) -> list[list[int]]:
    """Seconds since the epoch of each point of ``_stretches`` (for the map's
    time control; not part of the exported GeoJSON)."""
    out = []
    for a, b in _edges(track):
        times = [int(t // 1_000_000) for t in track.times_us[a:b]]
        out.append(times * 2 if len(times) == 1 else times)
    return out


def track_features(
    track: VesselTrack, *, with_times: bool = False
) -> list[dict[str, Any]]:
    """GeoJSON Features of one track: the track, its dark periods, its port calls.
    ``with_times`` adds each point's time (``properties.times``) for the map."""
    base = {
        "mmsi": track.mmsi,
        "vessel": track.name,
        "extract_id": track.extract_id,
        "extract": track.extract_title,
        "is_synthetic": track.is_synthetic,
    }
    features: list[dict[str, Any]] = [
        {
            "type": "Feature",
            "id": f"track-{track.extract_id}-{track.mmsi}",
            "geometry": {"type": "MultiLineString", "coordinates": _stretches(track)},
            "properties": {
                "feature": "track",
                **base,
                "start": iso(track.first_at),
                "end": iso(track.last_at),
                "points": len(track.lats),
                **({"times": _stretch_times(track)} if with_times else {}),
            },
        }
    ]
    for i, gap in enumerate(track.dark_periods):
        features.append(
            {
                "type": "Feature",
                "id": f"dark-{track.extract_id}-{track.mmsi}-{i}",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [
                        _xy(gap.start_lon, gap.start_lat),
                        _xy(gap.end_lon, gap.end_lat),
                    ],
                },
                "properties": {
                    "feature": "dark_period",
                    **base,
                    "start": iso(gap.start_at),
                    "end": iso(gap.end_at),
                    "hours": round(gap.hours, 2),
                    "distance_km": round(gap.distance_km, 2),
                    "near_port": gap.near_port,
                },
            }
        )
    for i, call in enumerate(track.port_calls):
        features.append(
            {
                "type": "Feature",
                "id": f"call-{track.extract_id}-{track.mmsi}-{i}",
                "geometry": {"type": "Point", "coordinates": _xy(call.lon, call.lat)},
                "properties": {
                    "feature": "port_call",
                    **base,
                    "port": call.port,
                    "start": iso(call.arrival_at),
                    "end": iso(call.departure_at),
                },
            }
        )
    return features


def place_feature(place: MapPlace) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": _xy(place.lon, place.lat)},
        "properties": {
            "feature": place.kind,
            "name": place.name,
            "url": place.url,
            "note": place.note,
        },
    }


def footprint_feature(footprint: MapFootprint) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": footprint.polygon,
        "properties": {
            "feature": "scene",
            "title": footprint.title,
            "url": footprint.url,
            "start": iso(footprint.acquired_at),
            "is_synthetic": footprint.is_synthetic,
            **footprint.properties,
        },
    }


def feature_collection(
    *,
    tracks: Sequence[VesselTrack] = (),
    places: Sequence[MapPlace] = (),
    footprints: Sequence[MapFootprint] = (),
    with_times: bool = False,
) -> dict[str, Any]:
    """One RFC 7946 FeatureCollection; its bbox covers every feature."""
    features = [footprint_feature(f) for f in footprints]
    for track in tracks:
        features.extend(track_features(track, with_times=with_times))
    features.extend(place_feature(p) for p in places)
    collection: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    box = _bbox(features)
    if box:
        collection["bbox"] = box
    return collection


def _points(geometry: dict[str, Any]) -> Iterable[Sequence[float]]:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Point":
        yield coords
    elif kind in ("LineString", "MultiPoint"):
        yield from coords
    elif kind in ("MultiLineString", "Polygon"):
        for part in coords:
            yield from part
    elif kind == "MultiPolygon":
        for polygon in coords:
            for ring in polygon:
                yield from ring


def _bbox(features: Sequence[dict[str, Any]]) -> list[float] | None:
    lons, lats = [], []
    for feature in features:
        for lon, lat, *_ in _points(feature["geometry"]):
            lons.append(lon)
            lats.append(lat)
    if not lons:
        return None
    return [min(lons), min(lats), max(lons), max(lats)]


def mf_json_trajectory(track: VesselTrack) -> dict[str, Any] | None:
    """One vessel's track as an MF-JSON Trajectory Feature (None below two
    distinct instants: a trajectory needs two)."""
    times = np.asarray(track.times_us, dtype=np.int64)
    if len(times) == 0:
        return None
    keep = np.r_[True, times[1:] > np.maximum.accumulate(times)[:-1]]
    times, lats, lons = times[keep], track.lats[keep], track.lons[keep]
    if len(times) < 2:
        return None
    return {
        "type": "Feature",
        "id": f"{track.extract_id}-{track.mmsi}",
        "geometry": {
            "type": "LineString",
            "coordinates": [_xy(x, y) for x, y in zip(lons, lats, strict=True)],
        },
        "properties": {
            "name": track.name,
            "mmsi": track.mmsi,
            "extract_id": track.extract_id,
            "is_synthetic": track.is_synthetic,
            "datetimes": [iso(_when(int(t))) for t in times],
            "dark_periods": [
                {"start": iso(g.start_at), "end": iso(g.end_at)}
                for g in track.dark_periods
            ],
        },
    }


def mf_json_collection(tracks: Sequence[VesselTrack]) -> dict[str, Any]:
    features = [f for f in (mf_json_trajectory(t) for t in tracks) if f is not None]
    return {"type": "FeatureCollection", "features": features}


def map_payload(
    *,
    tracks: Sequence[VesselTrack] = (),
    places: Sequence[MapPlace] = (),
    footprints: Sequence[MapFootprint] = (),
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """What a page's map draws (static/js/map.js): the FeatureCollection with
    point times, the time span its time control covers and the as-of moment."""
    payload = feature_collection(
        tracks=tracks, places=places, footprints=footprints, with_times=True
    )
    instants = [t.first_at for t in tracks] + [t.last_at for t in tracks]
    instants += [f.acquired_at for f in footprints]
    known = [w for w in instants if w is not None]
    payload["time_span"] = [iso(min(known)), iso(max(known))] if known else None
    payload["as_of"] = iso(as_of)
    return payload


def track_until(track: VesselTrack, when: datetime) -> VesselTrack | None:
    """The track as it stood at ``when``: its reports, dark periods and port
    calls up to then (None when it had not started)."""
    instant = int(when.timestamp() * 1_000_000)
    cut = int(np.searchsorted(track.times_us, instant, "right"))
    if cut == 0:
        return None
    return VesselTrack(
        mmsi=track.mmsi,
        name=track.name,
        extract_id=track.extract_id,
        extract_title=track.extract_title,
        is_synthetic=track.is_synthetic,
        times_us=track.times_us[:cut],
        lats=track.lats[:cut],
        lons=track.lons[:cut],
        dark_periods=tuple(g for g in track.dark_periods if g.end_at <= when),
        port_calls=tuple(c for c in track.port_calls if c.arrival_at <= when),
        vessel_slug=track.vessel_slug,
    )
