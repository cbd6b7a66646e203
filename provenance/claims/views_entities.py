"""An actor's page: the entity, the claims about it, its AIS evidence (a vessel's
extracts, port calls and dark periods; a port's calls) and its relationships (the
ownership graph, drawn and listed, as of a date on either time axis)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import (
    require_safe,
)

from evidence import selectors as evidence_selectors
from evidence.ais import selectors as ais_selectors
from evidence.maps import selectors as map_selectors
from evidence.maps.pages import PageMap, page_map, ports_called
from provenance.accounts import selectors as team_selectors
from provenance.claims import selectors
from provenance.claims.forms import AsOfForm
from provenance.claims.models import Claim
from provenance.entities import selectors as entity_selectors
from provenance.entities.graph_svg import render_graph_svg
from provenance.entities.models import Entity, EntityKind
from provenance.teams.models import Team


class GraphAsOfForm(AsOfForm):
    """The entity page's date control: the graph as the team knew it on a day
    (recording time) or as it was on that day (the edges in force then)."""

    axis = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[
            ("recorded", "as we knew it then"),
            ("happened", "as it was then"),
        ],
    )
    hops = forms.TypedChoiceField(
        label="Reach",
        required=False,
        coerce=int,
        empty_value=2,
        initial=2,
        choices=[(1, "one hop"), (2, "two hops")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["as_of"].help_text = "By the end of this day (UTC)."


@login_required
@require_safe
def entity_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_selectors.require_team(request)
    entity = entity_selectors.entity_for_page(team=team, slug=slug)
    claims = Claim.objects.for_team(team).about(entity).order_by("-updated_at")[:50]
    ais = ais_selectors.entity_ais(team=team, entity=entity)
    context = {
        "entity": entity,
        "claims": claims,
        # A vessel's extracts, port calls and dark periods; a port's calls.
        "ais": ais,
        "map": vessel_page_map(team, entity) if ais.extracts else None,
        **graph_context(request, team=team, entity=entity),
    }
    status = 400 if context["as_of_form"].errors else 200
    return render(request, "provenance/entity_detail.html", context, status=status)


def graph_context(request: HttpRequest, *, team: Any, entity: Entity) -> dict[str, Any]:
    """The graph part of the entity page: the form, the drawing, the sections with
    their evidence and citing claims, the entities in view with their claims."""
    form = GraphAsOfForm(request.GET or None)
    known_at = valid_on = None
    hops = 2
    if form.is_valid():
        hops = form.cleaned_data["hops"] or 2
        day = form.cleaned_data["as_of"]
        if day and (form.cleaned_data["axis"] or "recorded") == "recorded":
            known_at = selectors.end_of_day(day)
        elif day:
            valid_on = day
    found = entity_selectors.entity_graph(
        team=team, entity=entity, hops=hops, known_at=known_at, valid_on=valid_on
    )
    own_ids = [r.pk for r in found.own]
    counts = (
        selectors.claim_counts_about(
            team=team, entity_ids=[n.id for n in found.graph.nodes]
        )
        if len(found.graph.nodes) > 1
        else {}
    )
    claim_list = reverse("provenance:claim-list")
    in_view = [
        {
            "node": node,
            "claims": counts.get(node.id, 0),
            "claims_url": f"{claim_list}?{urlencode({'subject': node.slug})}",
        }
        for node in sorted(found.graph.nodes, key=lambda n: (n.hop, n.name))
    ]
    title = f"Relationships of {entity.name}"
    return {
        "as_of_form": form,
        "graph": found,
        "graph_known_at": known_at,
        "graph_valid_on": valid_on,
        "graph_svg": mark_safe(  # noqa: S308 - the renderer escapes every text
            render_graph_svg(found.graph, title=title)
        ),
        "relationship_evidence": evidence_selectors.relationship_evidence(
            relationship_ids=own_ids, known_at=known_at
        ),
        "citing_claims": selectors.claims_citing(team=team, relationship_ids=own_ids),
        "in_view": in_view,
        "flags": _flags(entity),
    }


def _flags(entity: Entity) -> list[dict[str, Any]]:
    """A vessel's flags over time: the past ones recorded, then the current."""
    if entity.kind != EntityKind.VESSEL:
        return []
    rows = [
        {"value": p.value, "start": p.start_date, "end": p.end_date, "current": False}
        for p in entity.past_identities.all()
        if p.field == "flag"
    ]
    if entity.flag:
        rows.append({"value": entity.flag, "start": None, "end": None, "current": True})
    return rows


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
