"""Pure geometry on WGS84 longitude/latitude: great-circle distances, polygons
that contain a point, and how far a photo or scene lies from a claim's places.

No Django, no ORM: callers pass plain numbers and GeoJSON-shaped dicts. Distances
use a spherical Earth (mean radius, as the AIS analysis does), good to about 0.5 %;
a point's distance to a polygon's edge is measured in a local equirectangular
projection around the point, good enough for "how far from the harbour" at the
scale of a scene (tens of kilometres). Polygons crossing the antimeridian are not
split (none of our scenes does).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

EARTH_RADIUS_KM = 6371.0088
# A photo or scene farther than this from every place of its claim is flagged
# for review (overridable per call; the pages pass settings.LOCATION_CHECK_FAR_KM).
DEFAULT_FAR_KM = 50.0

Ring = Sequence[Sequence[float]]  # [[lon, lat], ...], closed


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi = p2 - p1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, max(0.0, a))))


def ring_contains(ring: Ring, lon: float, lat: float) -> bool:
    """Whether the point is inside the ring (even-odd rule; on the edge counts
    as whichever side floating point puts it)."""
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i][0], ring[i][1]
        x2, y2 = ring[(i + 1) % n][0], ring[(i + 1) % n][1]
        if (y1 > lat) != (y2 > lat):
            x_cross = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < x_cross:
                inside = not inside
    return inside


def polygon_contains(polygon: dict[str, Any], lon: float, lat: float) -> bool:
    """Whether a GeoJSON Polygon or MultiPolygon contains the point (holes
    excluded)."""
    kind = polygon.get("type")
    if kind == "Polygon":
        polygons = [polygon["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = polygon["coordinates"]
    else:
        raise ValueError(f"not a polygon: {kind!r}")
    for rings in polygons:
        if (
            rings
            and ring_contains(rings[0], lon, lat)
            and not any(ring_contains(hole, lon, lat) for hole in rings[1:])
        ):
            return True
    return False


def _segment_km(
    lat: float, lon: float, a: Sequence[float], b: Sequence[float]
) -> float:
    """Distance from the point to segment a-b (lon, lat), in a local
    equirectangular projection centred on the point."""
    kx = math.cos(math.radians(lat)) * math.pi * EARTH_RADIUS_KM / 180
    ky = math.pi * EARTH_RADIUS_KM / 180
    ax, ay = (a[0] - lon) * kx, (a[1] - lat) * ky
    bx, by = (b[0] - lon) * kx, (b[1] - lat) * ky
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy)


def distance_to_polygon_km(polygon: dict[str, Any], lat: float, lon: float) -> float:
    """0 when the polygon contains the point, else the distance to its nearest
    edge (km)."""
    if polygon_contains(polygon, lon, lat):
        return 0.0
    polygons = (
        [polygon["coordinates"]]
        if polygon["type"] == "Polygon"
        else polygon["coordinates"]
    )
    best = math.inf
    for rings in polygons:
        for ring in rings:
            for a, b in itertools.pairwise(ring):
                best = min(best, _segment_km(lat, lon, a, b))
    return best


@dataclass(frozen=True, slots=True)
class Place:
    """A named point: a port or facility of the team."""

    name: str
    lat: float
    lon: float
    key: str = ""  # the entity's slug, for links


@dataclass(frozen=True, slots=True)
class LocationCheck:
    """How far a geolocated photo or scene lies from a claim's places."""

    nearest: Place | None
    distance_km: float | None
    is_far: bool  # farther than the threshold from every place: review it
    far_km: float
    is_inside: bool = False  # a scene whose footprint contains the place

    @property
    def sentence(self) -> str:
        if self.nearest is None or self.distance_km is None:
            return "This claim has no place with coordinates to compare with."
        if self.is_inside:
            return f"The scene covers {self.nearest.name}."
        distance = format_km(self.distance_km)
        if self.is_far:
            return f"{distance} from any place of this claim."
        return f"{distance} from {self.nearest.name}."


def format_km(km: float) -> str:
    """0.3 km, 12 km, 2,100 km: two significant figures, commas for thousands."""
    if km < 10:
        return f"{km:.1f} km"
    digits = len(str(int(km)))
    return f"{round(km, 2 - digits):,.0f} km"


def _nearest(
    places: Iterable[Place], distance: Callable[[Place], float]
) -> tuple[float, Place] | None:
    """The place at the least distance, with it (the first of equals); None for
    no places."""
    best: tuple[float, Place] | None = None
    for place in places:
        d = distance(place)
        if best is None or d < best[0]:
            best = (d, place)
    return best


def check_point(
    lat: float, lon: float, places: Iterable[Place], *, far_km: float = DEFAULT_FAR_KM
) -> LocationCheck:
    """A photo's position against the places: the nearest one and whether
    every place is farther than ``far_km``."""
    best = _nearest(places, lambda place: haversine_km(lat, lon, place.lat, place.lon))
    if best is None:
        return LocationCheck(
            nearest=None, distance_km=None, is_far=False, far_km=far_km
        )
    return LocationCheck(
        nearest=best[1], distance_km=best[0], is_far=best[0] > far_km, far_km=far_km
    )


def check_footprint(
    footprint: dict[str, Any],
    places: Iterable[Place],
    *,
    far_km: float = DEFAULT_FAR_KM,
) -> LocationCheck:
    """A scene's footprint against the places: 0 km for a place it covers."""
    best = _nearest(
        places, lambda place: distance_to_polygon_km(footprint, place.lat, place.lon)
    )
    if best is None:
        return LocationCheck(
            nearest=None, distance_km=None, is_far=False, far_km=far_km
        )
    return LocationCheck(
        nearest=best[1],
        distance_km=best[0],
        is_far=best[0] > far_km,
        far_km=far_km,
        is_inside=best[0] == 0.0,
    )


def places_covered(footprint: dict[str, Any], places: Iterable[Place]) -> list[Place]:
    """The places a scene's footprint contains (suggested subjects)."""
    return [p for p in places if polygon_contains(footprint, p.lon, p.lat)]


def bbox(points: Iterable[Sequence[float]]) -> list[float] | None:
    """[west, south, east, north] of (lon, lat) points; None when empty."""
    lons, lats = [], []
    for p in points:
        lons.append(p[0])
        lats.append(p[1])
    if not lons:
        return None
    return [min(lons), min(lats), max(lons), max(lats)]


def ground_sample_distance_m(geo: dict[str, Any] | None) -> float | None:
    """The GeoTIFF's pixel size in metres when its CRS is in metres."""
    if not geo or geo.get("units") not in ("metre", "meter", "m"):
        return None
    resolution = geo.get("resolution") or []
    return float(max(resolution)) if resolution else None


# --- Two images of the same place (the compare view) ----------------------------------

# Images this close (km) count as "of the same place": a harbour, a depot, a site.
SAME_PLACE_KM = 2.0


@dataclass(frozen=True, slots=True)
class Spot:
    """Where an image is: a GPS position, or a scene's footprint (and its centre)."""

    lat: float
    lon: float
    footprint: dict[str, Any] | None = None


def _outer_points(polygon: dict[str, Any]) -> list[Sequence[float]]:
    """The points of a Polygon's or MultiPolygon's outer ring(s)."""
    if polygon.get("type") == "MultiPolygon":
        return [p for rings in polygon["coordinates"] for p in rings[0]]
    return list(polygon["coordinates"][0])


def footprint_centre(polygon: dict[str, Any]) -> tuple[float, float]:
    """(lat, lon) of the middle of a footprint's bounding box."""
    west, south, east, north = bbox(_outer_points(polygon)) or [0.0] * 4
    return (south + north) / 2, (west + east) / 2


def spot_of(
    *,
    footprint: dict[str, Any] | None,
    gps_latitude: float | None,
    gps_longitude: float | None,
) -> Spot | None:
    """An image's spot: its footprint when it has one (a scene), else its GPS."""
    if footprint:
        lat, lon = footprint_centre(footprint)
        return Spot(lat=lat, lon=lon, footprint=footprint)
    if gps_latitude is not None and gps_longitude is not None:
        return Spot(lat=gps_latitude, lon=gps_longitude)
    return None


def spot_distance_km(a: Spot, b: Spot) -> float:
    """How far apart two images are: 0 when a footprint contains the other's
    position (or footprint centre), else the shortest of point-to-point and
    point-to-footprint distances."""
    distances = [haversine_km(a.lat, a.lon, b.lat, b.lon)]
    if a.footprint:
        distances.append(distance_to_polygon_km(a.footprint, b.lat, b.lon))
    if b.footprint:
        distances.append(distance_to_polygon_km(b.footprint, a.lat, a.lon))
    return min(distances)


def search_box(spot: Spot, km: float) -> tuple[float, float, float, float]:
    """[west, south, east, north] around a spot (its footprint's bounding box, or
    its position) widened by ``km``: a superset of everything within ``km``, for a
    query to narrow by before the exact check (`spot_distance_km`)."""
    if spot.footprint:
        west, south, east, north = (
            bbox(_outer_points(spot.footprint))
            or [
                spot.lon,
                spot.lat,
            ]
            * 2
        )
    else:
        west, south, east, north = spot.lon, spot.lat, spot.lon, spot.lat
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    widest = max(abs(south), abs(north))
    cos = math.cos(math.radians(min(89.0, widest + dlat)))
    dlon = math.degrees(km / (EARTH_RADIUS_KM * cos))
    return (
        max(-180.0, west - dlon),
        max(-90.0, south - dlat),
        min(180.0, east + dlon),
        min(90.0, north + dlat),
    )
