"""What the maps draw, read for one page: tracks (thinned), dark periods, port
calls, places, photos and scene footprints. Team-scoped, a bounded number of
queries per page (one per track read, the tracks themselves cached).

A track is read from the stored positions once per analysis and cached under a
key holding the extract's ``analysed_at``: a re-analysis (or re-processing) makes
a new key, so the cache never serves a track older than the last write. Off
switch: ``MAP_TRACK_CACHE_SECONDS=0``. Measured reason: the demo's vessel page
reads ~13,000 positions for its two tracks (about 60 ms on SQLite) on every view.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from evidence.ais.results import vessels_by_mmsi
from evidence.maps.formats import (
    MAX_POINTS_PER_TRACK,
    DarkPeriod,
    MapFootprint,
    MapPlace,
    PortVisit,
    VesselTrack,
)
from evidence.maps.geometry import Place, ground_sample_distance_m
from evidence.maps.stac import SceneRecord
from evidence.models import (
    AISExtract,
    AISGap,
    AISPosition,
    EvidenceItem,
    EvidenceKind,
    ImageDetail,
    PortCall,
)
from provenance.entities.models import Entity, EntityKind
from provenance.teams.models import Team

MAX_TRACKS_PER_MAP = 40  # beyond this, a map says how many it left out


def _cache_seconds() -> int:
    return int(getattr(settings, "MAP_TRACK_CACHE_SECONDS", 3600))


def _positions(
    extract_id: int, mmsi: str, keep: set[datetime], limit: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One vessel's positions in an extract, every k-th one (k from the count)
    plus those at the instants in ``keep``: at most about ``limit`` + len(keep)
    rows in memory, however long the extract."""
    rows = AISPosition.objects.filter(extract_id=extract_id, mmsi=mmsi)
    total = rows.count()
    step = max(1, math.ceil(total / limit))
    times: list[int] = []
    lats: list[float] = []
    lons: list[float] = []
    for i, (when, lat, lon) in enumerate(
        rows.order_by("timestamp", "pk")
        .values_list("timestamp", "latitude", "longitude")
        .iterator(chunk_size=5000)
    ):
        if i % step == 0 or i == total - 1 or when in keep:
            times.append(int(when.timestamp() * 1_000_000))
            lats.append(lat)
            lons.append(lon)
    return (
        np.asarray(times, dtype=np.int64),
        np.asarray(lats, dtype=np.float64),
        np.asarray(lons, dtype=np.float64),
    )


def _extract_tracks(
    extract: AISExtract, *, vessel: Entity | None = None
) -> list[VesselTrack]:
    """The tracks of an extract (one per vessel; only ``vessel``'s if given)."""
    if extract.analysed_at is None:
        return []
    by_mmsi = vessels_by_mmsi(extract)
    if vessel is not None:
        mmsis = [m for m, e in by_mmsi.items() if e.pk == vessel.pk]
    else:
        mmsis = sorted(extract.summary.get("entities") or {}) or list(
            AISPosition.objects.filter(extract=extract)
            .order_by()
            .values_list("mmsi", flat=True)
            .distinct()[:MAX_TRACKS_PER_MAP]
        )
    gaps = list(
        AISGap.objects.filter(extract=extract, mmsi__in=mmsis)
        .select_related("near_port")
        .order_by("start_at", "pk")
    )
    calls = list(
        PortCall.objects.filter(extract=extract, mmsi__in=mmsis)
        .select_related("port")
        .order_by("arrival_at", "pk")
    )
    tracks = []
    for mmsi in mmsis[:MAX_TRACKS_PER_MAP]:
        own_gaps = [g for g in gaps if g.mmsi == mmsi]
        key = (
            f"maps:track:{extract.pk}:{mmsi}:{extract.analysed_at.timestamp()}:"
            f"{MAX_POINTS_PER_TRACK}"
        )
        arrays = cache.get(key) if _cache_seconds() else None
        if arrays is None:
            keep = {g.start_at for g in own_gaps} | {g.end_at for g in own_gaps}
            arrays = _positions(extract.pk, mmsi, keep, MAX_POINTS_PER_TRACK)
            if _cache_seconds():
                cache.set(key, arrays, _cache_seconds())
        times, lats, lons = arrays
        entity = by_mmsi.get(mmsi)
        tracks.append(
            VesselTrack(
                mmsi=mmsi,
                name=entity.name if entity else mmsi,
                vessel_slug=entity.slug if entity else "",
                extract_id=extract.item_id,
                extract_title=extract.item.title,
                is_synthetic=extract.item.is_synthetic,
                times_us=times,
                lats=lats,
                lons=lons,
                dark_periods=tuple(
                    DarkPeriod(
                        start_at=g.start_at,
                        end_at=g.end_at,
                        start_lat=g.start_latitude,
                        start_lon=g.start_longitude,
                        end_lat=g.end_latitude,
                        end_lon=g.end_longitude,
                        distance_km=g.distance_km,
                        near_port=g.near_port.name if g.near_port else "",
                    )
                    for g in own_gaps
                ),
                port_calls=tuple(
                    PortVisit(
                        port=c.port.name,
                        lat=c.port.latitude,
                        lon=c.port.longitude,
                        arrival_at=c.arrival_at,
                        departure_at=c.departure_at,
                    )
                    for c in calls
                    if c.mmsi == mmsi and c.port.has_position
                ),
            )
        )
    return tracks


def _extracts() -> QuerySet[AISExtract]:
    return AISExtract.objects.select_related("item").filter(analysed_at__isnull=False)


def extract_map_tracks(*, team: Team, item_id: int) -> list[VesselTrack]:
    """Every vessel's track in one of the team's extracts."""
    extract = _extracts().filter(item__team=team, item_id=item_id).first()
    return _extract_tracks(extract) if extract else []


def vessel_map_tracks(*, team: Team, vessel: Entity) -> list[VesselTrack]:
    """A vessel's tracks across all the team's extracts that saw it."""
    extracts = (
        _extracts()
        .filter(item__team=team, vessels=vessel)
        .order_by("first_at", "pk")[:MAX_TRACKS_PER_MAP]
    )
    return [t for x in extracts for t in _extract_tracks(x, vessel=vessel)]


def vessels_map_tracks(*, team: Team, vessels: Iterable[Entity]) -> list[VesselTrack]:
    tracks: list[VesselTrack] = []
    for vessel in vessels:
        tracks.extend(vessel_map_tracks(team=team, vessel=vessel))
    return tracks[:MAX_TRACKS_PER_MAP]


def team_map_tracks(
    *, team: Team, item_ids: Iterable[int] | None = None
) -> list[VesselTrack]:
    """Every analysed extract of the team (only ``item_ids`` when given)."""
    extracts = _extracts().filter(item__team=team).order_by("first_at", "pk")
    if item_ids is not None:
        extracts = extracts.filter(item_id__in=list(item_ids))
    return [t for x in extracts[:MAX_TRACKS_PER_MAP] for t in _extract_tracks(x)]


def place_of(entity: Entity) -> MapPlace:
    return MapPlace(
        name=entity.name,
        lat=entity.latitude,
        lon=entity.longitude,
        kind=entity.kind,
        url=entity.get_absolute_url(),
    )


def team_places(*, team: Team) -> list[MapPlace]:
    return [
        place_of(e) for e in Entity.objects.for_team(team).places().order_by("name")
    ]


def geometry_places(entities: Iterable[Entity]) -> list[Place]:
    """Entities with coordinates as the pure geometry's places."""
    return [
        Place(name=e.name, lat=e.latitude, lon=e.longitude, key=e.slug)
        for e in entities
        if e.kind in (EntityKind.PORT, EntityKind.FACILITY) and e.has_position
    ]


def _images() -> QuerySet[ImageDetail]:
    return ImageDetail.objects.select_related("item", "item__scene")


def footprint_of(detail: ImageDetail) -> MapFootprint | None:
    polygon = (detail.geo or {}).get("footprint")
    if not polygon:
        return None
    item = detail.item
    scene = getattr(item, "scene", None)
    properties: dict[str, Any] = {"evidence_id": item.pk}
    if scene is not None:
        properties.update(
            provider=scene.provider,
            platform=scene.platform,
            sensor=scene.sensor,
            gsd_m=scene.gsd_m,
            cloud_cover_percent=scene.cloud_cover_percent,
        )
    return MapFootprint(
        title=item.title,
        polygon=polygon,
        url=item.get_absolute_url(),
        acquired_at=(scene.acquired_at if scene else None)
        or detail.captured_at
        or item.observed_at,
        is_synthetic=item.is_synthetic,
        properties=properties,
    )


def photo_of(detail: ImageDetail) -> MapPlace | None:
    if not detail.has_gps or (detail.geo or {}).get("footprint"):
        return None
    when = detail.captured_at or detail.item.observed_at
    return MapPlace(
        name=detail.item.title,
        lat=detail.gps_latitude,
        lon=detail.gps_longitude,
        kind="photo",
        url=detail.item.get_absolute_url(),
        note=when.isoformat() if when else "",
    )


def images_on_map(
    details: Sequence[ImageDetail],
) -> tuple[list[MapFootprint], list[MapPlace]]:
    footprints = [f for f in (footprint_of(d) for d in details) if f]
    photos = [p for p in (photo_of(d) for d in details) if p]
    return footprints, photos


def team_images(
    *, team: Team, item_ids: Iterable[int] | None = None
) -> list[ImageDetail]:
    """The team's images that can go on a map (a footprint or GPS)."""
    rows = _images().filter(item__team=team, item__kind=EvidenceKind.IMAGE)
    if item_ids is not None:
        rows = rows.filter(item_id__in=list(item_ids))
    rows = rows.exclude(geo__isnull=True, gps_latitude__isnull=True)
    return list(rows.order_by("item_id")[:200])


def scene_for_item(*, team: Team, item_id: int) -> ImageDetail | None:
    return _images().filter(item__team=team, item_id=item_id).first()


def exportable_scene_items(*, team: Team) -> QuerySet[EvidenceItem]:
    return (
        EvidenceItem.objects.for_team(team)
        .exportable()
        .filter(kind=EvidenceKind.IMAGE, image__geo__footprint__isnull=False)
    )


def scene_record(
    detail: ImageDetail, *, asset_href: str, self_href: str
) -> SceneRecord | None:
    """What the STAC Item of an image says (None without a footprint)."""
    polygon = (detail.geo or {}).get("footprint")
    if not polygon:
        return None
    item = detail.item
    scene = getattr(item, "scene", None)
    return SceneRecord(
        item_id=item.pk,
        title=item.title,
        description=item.description,
        footprint=polygon,
        acquired_at=(scene.acquired_at if scene else None) or detail.captured_at,
        observed_at=item.observed_at,
        created_at=item.created_at,
        provider=(scene.provider if scene else "") or item.source,
        platform=scene.platform if scene else "",
        sensor=scene.sensor if scene else "",
        gsd_m=(scene.gsd_m if scene else None) or ground_sample_distance_m(detail.geo),
        cloud_cover_percent=scene.cloud_cover_percent if scene else None,
        licence=item.licence,
        credit=item.credit,
        is_synthetic=item.is_synthetic,
        crs=(detail.geo or {}).get("crs", ""),
        sha256=item.sha256,
        media_type=item.mime_type,
        asset_href=asset_href,
        self_href=self_href,
    )
