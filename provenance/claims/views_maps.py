"""The team map: every AIS track, place, photo and scene footprint of the team,
with a time control tied to the as-of view (?as_of=YYYY-MM-DD&axis=...)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from evidence.maps import selectors as map_selectors
from evidence.maps.formats import track_until
from evidence.maps.pages import page_map
from provenance.accounts import selectors as team_selectors
from provenance.claims import maps as claim_maps
from provenance.claims import selectors
from provenance.claims.forms import AsOfForm


@login_required
@require_safe
def team_map(request: HttpRequest) -> HttpResponse:
    """As of a day: what had happened by its end; counted by "recorded", only
    the evidence the team had recorded by then (added, or linked to a claim with
    a recorded time, as the demo's back-dated links are)."""
    team = team_selectors.require_team(request)
    form = AsOfForm(request.GET or None)
    as_of = axis = None
    if form.is_valid() and form.cleaned_data["as_of"]:
        as_of = selectors.end_of_day(form.cleaned_data["as_of"])
        axis = form.cleaned_data["axis"] or "recorded"
    known = (
        claim_maps.items_known_by(team=team, when=as_of)
        if as_of is not None and axis == "recorded"
        else None
    )
    tracks = map_selectors.team_map_tracks(team=team, item_ids=known)
    details = map_selectors.team_images(team=team, item_ids=known)
    footprints, photos = map_selectors.images_on_map(details)
    if as_of is not None:
        tracks = [t for t in (track_until(t, as_of) for t in tracks) if t]
        footprints = [
            f for f in footprints if f.acquired_at is None or f.acquired_at <= as_of
        ]
        photos = [p for p in photos if not p.note or p.note <= as_of.isoformat()]
    team_map = page_map(
        id="map-data-team",
        label="Team map: AIS tracks, places, photos and scenes",
        tracks=tracks,
        places=map_selectors.team_places(team=team),
        footprints=footprints,
        photos=photos,
        as_of=as_of,
        time_control=True,
        as_of_input="id_as_of",
    )
    return render(
        request,
        "provenance/team_map.html",
        {"map": team_map, "as_of": as_of, "as_of_form": form},
        status=400 if form.errors else 200,
    )
