"""A satellite scene as a STAC Item (SpatioTemporal Asset Catalog 1.1.0), built
with pystac. Pure: no Django; the selector fills ``SceneRecord``.

Core fields only, plus the EO extension for ``eo:cloud_cover``: the core schemas
ship inside pystac, so validation needs no network beyond the EO schema (which the
tests carry in tests/data/stac). ``gsd``, ``platform``, ``instruments`` and
``providers`` are STAC common metadata. The asset is the original file as stored
(its SHA-256 beside it), never a derivative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pystac
from pystac.extensions.eo import EOExtension

PYSTAC_VERSION: str = pystac.__version__


@dataclass(frozen=True, slots=True)
class SceneRecord:
    item_id: int
    title: str
    description: str
    footprint: dict[str, Any]  # GeoJSON Polygon, WGS84
    acquired_at: datetime | None
    observed_at: datetime | None
    created_at: datetime
    provider: str
    platform: str
    sensor: str
    gsd_m: float | None
    cloud_cover_percent: float | None
    licence: str
    credit: str
    is_synthetic: bool
    crs: str
    sha256: str
    media_type: str
    asset_href: str  # absolute URL of the original
    self_href: str  # absolute URL of this Item


def _bbox(polygon: dict[str, Any]) -> list[float]:
    ring = polygon["coordinates"][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return [min(lons), min(lats), max(lons), max(lats)]


def scene_stac_item(scene: SceneRecord) -> dict[str, Any]:
    """The scene as a STAC Item dict (JSON-ready)."""
    when = scene.acquired_at or scene.observed_at
    properties: dict[str, Any] = {
        "title": scene.title,
        "created": pystac.utils.datetime_to_str(scene.created_at),
        "provenance:is_synthetic": scene.is_synthetic,
        "provenance:crs": scene.crs,
    }
    if scene.description:
        properties["description"] = scene.description
    if when is None:
        # STAC wants a datetime or a range; an undated scene is open-ended.
        properties["start_datetime"] = pystac.utils.datetime_to_str(scene.created_at)
        properties["end_datetime"] = pystac.utils.datetime_to_str(scene.created_at)
    item = pystac.Item(
        id=f"provenance-evidence-{scene.item_id}",
        geometry=scene.footprint,
        bbox=_bbox(scene.footprint),
        datetime=when,
        properties=properties,
    )
    common = item.common_metadata
    if scene.platform:
        common.platform = scene.platform
    if scene.sensor:
        common.instruments = [scene.sensor]
    if scene.gsd_m is not None:
        common.gsd = scene.gsd_m
    if scene.licence:
        common.license = _licence(scene.licence)
    if scene.provider:
        common.providers = [
            pystac.Provider(name=scene.provider, roles=[pystac.ProviderRole.PRODUCER])
        ]
    if scene.cloud_cover_percent is not None:
        EOExtension.ext(
            item, add_if_missing=True
        ).cloud_cover = scene.cloud_cover_percent
    item.add_asset(
        "original",
        pystac.Asset(
            href=scene.asset_href,
            media_type=scene.media_type or None,
            roles=["data"],
            title="Original file as received",
            extra_fields={"provenance:sha256": scene.sha256},
        ),
    )
    item.set_self_href(scene.self_href)
    return item.to_dict(include_self_link=True, transform_hrefs=False)


def _licence(text: str) -> str:
    """STAC wants an SPDX id or "other"; a free-text licence becomes "other"."""
    token = text.strip()
    if token and " " not in token and len(token) <= 40:
        return token
    return "other"
