"""An actor's page: the entity, the claims about it and its AIS evidence (a vessel's
extracts, port calls and dark periods; a port's calls)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import (
    require_safe,
)

from evidence.ais import selectors as ais_selectors
from evidence.maps import selectors as map_selectors
from evidence.maps.pages import PageMap, page_map, ports_called
from provenance.accounts import selectors as team_selectors
from provenance.claims.models import Claim
from provenance.entities import selectors as entity_selectors
from provenance.entities.models import Entity
from provenance.teams.models import Team


@login_required
@require_safe
def entity_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_selectors.require_team(request)
    entity = entity_selectors.entity_for_page(team=team, slug=slug)
    claims = Claim.objects.for_team(team).about(entity).order_by("-updated_at")[:50]
    ais = ais_selectors.entity_ais(team=team, entity=entity)
    return render(
        request,
        "provenance/entity_detail.html",
        {
            "entity": entity,
            "claims": claims,
            # A vessel's extracts, port calls and dark periods; a port's calls.
            "ais": ais,
            "map": vessel_page_map(team, entity) if ais.extracts else None,
        },
    )


def vessel_page_map(team: Team, vessel: Entity) -> PageMap | None:
    """All the vessel's tracks across the team's extracts, with dark periods and
    port calls."""
    tracks = map_selectors.vessel_map_tracks(team=team, vessel=vessel)
    if not tracks:
        return None
    return page_map(
        id="map-data-vessel",
        label=f"Tracks of {vessel.name}",
        tracks=tracks,
        places=ports_called(tracks),
    )
