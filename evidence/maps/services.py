"""The one writer of satellite-scene descriptions (pages, API, admin, demo)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from evidence.models import CustodyEvent, EvidenceKind, ImageDetail, SatelliteScene
from evidence.services import audit, changed_fields, locked_item
from provenance.common.writes import audit_value
from provenance.teams.rules import ensure_member

if TYPE_CHECKING:
    from django.contrib.auth.models import User

SCENE_FIELDS = (
    "provider",
    "platform",
    "sensor",
    "acquired_at",
    "gsd_m",
    "cloud_cover_percent",
)


def footprint_of(item_id: int) -> dict[str, Any] | None:
    geo = (
        ImageDetail.objects.filter(item_id=item_id)
        .values_list("geo", flat=True)
        .first()
    )
    return (geo or {}).get("footprint")


@transaction.atomic
def scene_update(
    *,
    item_id: int,
    actor: User,
    provider: str | None = None,
    platform: str | None = None,
    sensor: str | None = None,
    acquired_at: datetime | None = None,
    gsd_m: float | None = None,
    cloud_cover_percent: float | None = None,
) -> SatelliteScene:
    """Describe a georeferenced image as a satellite scene (creating the
    description on first use); only the fields given change.

    Locks the evidence item; refuses an item that is not an image with a WGS84
    footprint (ValidationError). Writes a custody event (``edited``) and an
    audit row (``evidence.scene_update``) with the changed fields, in one
    transaction.
    """
    item = locked_item(item_id)
    ensure_member(user=actor, team=item.team)
    if item.kind != EvidenceKind.IMAGE or footprint_of(item.pk) is None:
        raise ValidationError(
            "Only a georeferenced image (a GeoTIFF with a footprint) can be "
            "described as a satellite scene."
        )
    scene, created = SatelliteScene.objects.select_for_update().get_or_create(item=item)
    given = {
        name: value
        for name, value in {
            "provider": provider,
            "platform": platform,
            "sensor": sensor,
            "acquired_at": acquired_at,
            "gsd_m": gsd_m,
            "cloud_cover_percent": cloud_cover_percent,
        }.items()
        if value is not None
    }
    changed = changed_fields(scene, given)
    if not changed and not created:
        return scene
    scene.updated_at = timezone.now()
    scene.full_clean()
    scene.save()
    payload = {name: audit_value(given[name]) for name in changed}
    CustodyEvent.objects.create(
        item=item,
        action=CustodyEvent.Action.EDITED,
        actor=actor,
        detail={"scene": payload},
    )
    audit(item=item, actor=actor, action="evidence.scene_update", payload=payload)
    return scene
