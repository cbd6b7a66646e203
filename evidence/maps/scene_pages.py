"""What an image's evidence page shows of it as a satellite scene: the footprint
on a map with the team places it covers (suggested subjects), the description
and its form, the STAC link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from evidence.maps import selectors as map_selectors
from evidence.maps.forms import SceneForm
from evidence.maps.geometry import places_covered
from evidence.maps.pages import PageMap, page_map
from evidence.models import EvidenceItem, SatelliteScene
from provenance.entities.models import Entity
from provenance.teams.models import Team


@dataclass(frozen=True)
class ScenePage:
    scene: SatelliteScene | None
    form: Any
    map: PageMap
    covered: list[Entity]  # the team's places inside the footprint
    stac_url: str


def scene_page(team: Team, item: EvidenceItem, *, form: Any = None) -> ScenePage | None:
    """None for an image without a footprint (not a scene)."""
    image = getattr(item, "image", None)
    footprint = map_selectors.footprint_of(image) if image else None
    if footprint is None:
        return None
    scene = SatelliteScene.objects.filter(item=item).first()
    entities = list(Entity.objects.for_team(team).places().order_by("name"))
    inside = {
        p.key
        for p in places_covered(
            footprint.polygon, map_selectors.geometry_places(entities)
        )
    }
    covered = [e for e in entities if e.slug in inside]
    return ScenePage(
        scene=scene,
        form=form or SceneForm(initial=SceneForm.initial_from(scene)),
        map=page_map(
            id=f"map-data-scene-{item.pk}",
            label=f"Footprint of {item.title}",
            footprints=[footprint],
            places=[map_selectors.place_of(e) for e in covered],
        ),
        covered=covered,
        stac_url=reverse("api:evidence-stac", args=[item.pk]),
    )
