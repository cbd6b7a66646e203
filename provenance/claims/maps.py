"""The claim page's map and location checks: its places (port and facility
subjects), its geolocated images and scene footprints, and the tracks of its
vessels; each photo or scene measured against the places (evidence.maps.geometry)
and flagged for review when farther than ``LOCATION_CHECK_FAR_KM`` from all."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from evidence.maps import selectors as map_selectors
from evidence.maps.formats import feature_collection
from evidence.maps.geometry import LocationCheck, check_footprint, check_point
from evidence.maps.pages import PageMap, page_map
from evidence.models import EvidenceItem
from provenance.claims.models import ClaimEvidence
from provenance.entities.models import Entity, EntityKind
from provenance.teams.models import Team


@dataclass(frozen=True)
class ItemLocation:
    item: EvidenceItem
    kind: str  # "scene" or "photo"
    check: LocationCheck


def far_km() -> float:
    return float(settings.LOCATION_CHECK_FAR_KM)


def claim_map(
    *,
    team: Team,
    claim_id: int,
    subjects: Sequence[Entity],
    links: Sequence[ClaimEvidence],
) -> tuple[PageMap | None, list[ItemLocation]]:
    """The map (None when it would be empty) and a location check per geolocated
    image linked to the claim (in the order of the links)."""
    subjects = list(subjects)
    place_entities = [
        s
        for s in subjects
        if s.kind in (EntityKind.PORT, EntityKind.FACILITY) and s.has_position
    ]
    places = [map_selectors.place_of(e) for e in place_entities]
    geometry_places = map_selectors.geometry_places(place_entities)
    image_ids = [link.item_id for link in links if link.item.kind == "image"]
    details = (
        map_selectors.team_images(team=team, item_ids=image_ids) if image_ids else []
    )
    footprints, photos = map_selectors.images_on_map(details)
    vessels = [s for s in subjects if s.kind == EntityKind.VESSEL]
    tracks = map_selectors.vessels_map_tracks(team=team, vessels=vessels)
    checks = []
    limit = far_km()
    for detail in details:
        polygon = (detail.geo or {}).get("footprint")
        if polygon:
            check = check_footprint(polygon, geometry_places, far_km=limit)
            checks.append(ItemLocation(item=detail.item, kind="scene", check=check))
        elif detail.has_gps:
            check = check_point(
                detail.gps_latitude, detail.gps_longitude, geometry_places, far_km=limit
            )
            checks.append(ItemLocation(item=detail.item, kind="photo", check=check))
    if not (places or footprints or photos or tracks):
        return None, checks
    return (
        page_map(
            id=f"map-data-claim-{claim_id}",
            label="Map of this claim's places, images and vessel tracks",
            tracks=tracks,
            places=places,
            footprints=footprints,
            photos=photos,
        ),
        checks,
    )


def claim_features(
    *,
    team: Team,
    subject_ids: Sequence[int],
    evidence: Sequence[tuple[int, str]],
    public: bool,
) -> dict[str, Any]:
    """The claim's places, photos, scene footprints and tracks as one RFC 7946
    FeatureCollection, from what an export of the claim shows (its subjects'
    ids, its evidence as (id, kind)). Members get the tracks of the claim's
    vessels across the team's extracts, as on the page; the public (publishers,
    the bundle) only the tracks of AIS extracts linked to the published claim,
    and only items the export holds (never a restricted one)."""
    subjects = list(Entity.objects.for_team(team).filter(pk__in=list(subject_ids)))
    places = [
        map_selectors.place_of(s)
        for s in subjects
        if s.kind in (EntityKind.PORT, EntityKind.FACILITY) and s.has_position
    ]
    image_ids = [pk for pk, kind in evidence if kind == "image"]
    details = (
        map_selectors.team_images(team=team, item_ids=image_ids) if image_ids else []
    )
    if public:
        details = [d for d in details if not d.item.is_restricted]
    footprints, photos = map_selectors.images_on_map(details)
    vessels = [s for s in subjects if s.kind == EntityKind.VESSEL]
    if public:
        ais_ids = [pk for pk, kind in evidence if kind == "ais"]
        tracks = [
            t
            for pk in ais_ids
            for t in map_selectors.extract_map_tracks(team=team, item_id=pk)
            if not vessels or t.vessel_slug in {v.slug for v in vessels}
        ]
    else:
        tracks = map_selectors.vessels_map_tracks(team=team, vessels=vessels)
    return feature_collection(
        tracks=tracks, places=[*places, *photos], footprints=footprints
    )


def has_geography(subject_kinds: Sequence[str], evidence_kinds: Sequence[str]) -> bool:
    """Whether a claim can have anything on a map (no query needed)."""
    return bool(
        {EntityKind.PORT, EntityKind.FACILITY, EntityKind.VESSEL} & set(subject_kinds)
    ) or bool({"image", "ais"} & set(evidence_kinds))


def export_geography(*, team: Team, export: Any, public: bool) -> dict[str, Any]:
    """The GeoJSON of a claim as its export (``ClaimExport``) shows it: the
    published version for the public."""
    return claim_features(
        team=team,
        subject_ids=[s.id for s in export.subjects],
        evidence=[(link.evidence.id, link.evidence.kind) for link in export.evidence],
        public=public,
    )


def items_known_by(*, team: Team, when: datetime) -> set[int]:
    """Ids of the team's evidence recorded by ``when``: added by then, or linked
    to one of its claims by then (a link's recorded time)."""
    added = EvidenceItem.objects.for_team(team).filter(created_at__lte=when)
    linked = ClaimEvidence.objects.filter(claim__team=team, linked_at__lte=when)
    return set(added.values_list("pk", flat=True)) | set(
        linked.values_list("item_id", flat=True)
    )
