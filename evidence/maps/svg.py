"""The server-drawn map for readers without JavaScript and for the dossier/PDF:
the AIS map's SVG (evidence.ais.draw) fed from the maps' tracks and places.

Pure: no Django. Scene footprints and photos are not drawn here (the SVG map
knows tracks, ports and gaps); the interactive map adds them.
"""

from __future__ import annotations

from collections.abc import Sequence

from evidence.ais.analyse import Gap, Port
from evidence.ais.draw import KM_PER_NM, draw_track_svg
from evidence.maps.formats import MapPlace, VesselTrack


def _label(track: VesselTrack, tracks: Sequence[VesselTrack]) -> str:
    same = [t for t in tracks if t.name == track.name]
    return f"{track.name} (#{track.extract_id})" if len(same) > 1 else track.name


def tracks_svg(
    tracks: Sequence[VesselTrack],
    places: Sequence[MapPlace] = (),
    *,
    title: str = "AIS tracks",
) -> str:
    """SVG text of the tracks, their dark periods and the places ("" when there
    is nothing to draw)."""
    drawn = [t for t in tracks if len(t.lats)]
    if not drawn:
        return ""
    by_label = {_label(t, drawn): (t.lats, t.lons) for t in drawn}
    gaps, gap_labels = [], {}
    for n, track in enumerate(drawn):
        # A made-up key per track, so each track's gaps take its colour.
        key = n + 1
        gap_labels[key] = _label(track, drawn)
        for g in track.dark_periods:
            hours = g.hours
            gaps.append(
                Gap(
                    mmsi=key,
                    start=g.start_at,
                    end=g.end_at,
                    start_lat=g.start_lat,
                    start_lon=g.start_lon,
                    end_lat=g.end_lat,
                    end_lon=g.end_lon,
                    duration_hours=hours,
                    distance_km=g.distance_km,
                    distance_nm=g.distance_km / KM_PER_NM,
                    implied_speed_knots=(g.distance_km / KM_PER_NM) / hours
                    if hours
                    else 0.0,
                )
            )
    ports = [
        Port(key=str(i), name=p.name, lat=p.lat, lon=p.lon)
        for i, p in enumerate(places)
        if p.kind in ("port", "facility")
    ]
    return draw_track_svg(
        by_label, ports=ports, gaps=gaps, gap_labels=gap_labels, title=title
    )
