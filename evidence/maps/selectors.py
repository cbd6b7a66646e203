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

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

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
    """One vessel's positions in an extract, thinned as they stream in (one
    query): every report is kept until there are twice ``limit``, then every
    other one, and so on (the step doubles), plus the reports at the instants in
    ``keep`` and the last one. At most about 2 x ``limit`` + len(keep) rows in
    memory, however long the extract."""
    rows = (
        AISPosition.objects.filter(extract_id=extract_id, mmsi=mmsi)
        .order_by("timestamp", "pk")
        .values_list("timestamp", "latitude", "longitude")
        .iterator(chunk_size=5000)
    )
    step = 1
    kept: list[tuple[int, datetime, float, float]] = []
    last = None
    for i, (when, lat, lon) in enumerate(rows):
        last = (i, when, lat, lon)
        if i % step == 0 or when in keep:
            kept.append(last)
            if len(kept) > 2 * limit:
                step *= 2
                kept = [k for k in kept if k[0] % step == 0 or k[1] in keep]
    if last is not None and (not kept or kept[-1][0] != last[0]):
        kept.append(last)
    return (
        np.asarray([int(k[1].timestamp() * 1_000_000) for k in kept], dtype=np.int64),
        np.asarray([k[2] for k in kept], dtype=np.float64),
        np.asarray([k[3] for k in kept], dtype=np.float64),
    )


def _mmsis_of(extract: AISExtract, vessel: Entity | None) -> list[str]:
    """The extract's MMSIs (only ``vessel``'s if given), from what the processing
    recorded: no query."""
    recorded = extract.summary.get("entities") or {}
    if vessel is not None:
        return sorted(m for m, v in recorded.items() if v.get("id") == vessel.pk)
    return sorted(recorded)


def _extract_tracks(
    extract: AISExtract,
    *,
    mmsis: list[str],
    names: dict[str, Entity],
    gaps: list[AISGap],
    calls: list[PortCall],
) -> list[VesselTrack]:
    """The tracks of an extract, one per MMSI in ``mmsis``, with their dark
    periods and port calls taken from ``gaps`` and ``calls`` (already read)."""
    if extract.analysed_at is None:
        return []
    tracks = []
    for mmsi in mmsis[:MAX_TRACKS_PER_MAP]:
        own_gaps = [g for g in gaps if g.mmsi == mmsi and g.extract_id == extract.pk]
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
        entity = names.get(mmsi)
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
                    if c.mmsi == mmsi
                    and c.extract_id == extract.pk
                    and c.port.has_position
                ),
            )
        )
    return tracks


def _tracks_of(
    extracts: Sequence[AISExtract], *, vessel: Entity | None = None
) -> list[VesselTrack]:
    """The tracks of several extracts: gaps, calls and vessel names in one query
    each, then one query per track not yet cached."""
    extracts = [x for x in extracts if x.analysed_at is not None]
    if not extracts:
        return []
    mmsis = {x.pk: _mmsis_of(x, vessel) for x in extracts}
    ids = {x.pk for x in extracts}
    gaps = list(
        AISGap.objects.filter(extract_id__in=ids)
        .select_related("near_port")
        .order_by("start_at", "pk")
    )
    calls = list(
        PortCall.objects.filter(extract_id__in=ids)
        .select_related("port")
        .order_by("arrival_at", "pk")
    )
    entity_ids = {
        v["id"]
        for x in extracts
        for v in (x.summary.get("entities") or {}).values()
        if v.get("id")
    }
    entities = Entity.objects.in_bulk(list(entity_ids)) if vessel is None else {}
    tracks: list[VesselTrack] = []
    for x in extracts:
        recorded = x.summary.get("entities") or {}
        names = {
            m: vessel if vessel is not None else entities.get(v.get("id"))
            for m, v in recorded.items()
        }
        names = {m: e for m, e in names.items() if e is not None}
        tracks.extend(
            _extract_tracks(x, mmsis=mmsis[x.pk], names=names, gaps=gaps, calls=calls)
        )
    return tracks[:MAX_TRACKS_PER_MAP]


def _extracts() -> QuerySet[AISExtract]:
    return AISExtract.objects.select_related("item").filter(analysed_at__isnull=False)


def extract_map_tracks(*, team: Team, item_id: int) -> list[VesselTrack]:
    """Every vessel's track in one of the team's extracts."""
    extract = _extracts().filter(item__team=team, item_id=item_id).first()
    return _tracks_of([extract]) if extract else []


def tracks_of_extract(extract: AISExtract) -> list[VesselTrack]:
    """The tracks of an extract the caller has read (scoped) with its item."""
    return _tracks_of([extract])


def vessel_map_tracks(*, team: Team, vessel: Entity) -> list[VesselTrack]:
    """A vessel's tracks across all the team's extracts that saw it."""
    extracts = (
        _extracts()
        .filter(item__team=team, vessels=vessel)
        .order_by("first_at", "pk")[:MAX_TRACKS_PER_MAP]
    )
    return _tracks_of(list(extracts), vessel=vessel)


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
    return _tracks_of(list(extracts[:MAX_TRACKS_PER_MAP]))


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
