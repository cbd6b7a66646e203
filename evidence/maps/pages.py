"""What a page hands to templates/evidence/_map.html: the interactive map's data
and the server-drawn SVG it replaces when JavaScript runs. Pure: no ORM (the
callers pass what the selectors read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evidence.maps.formats import MapFootprint, MapPlace, VesselTrack, map_payload
from evidence.maps.svg import tracks_svg


@dataclass(frozen=True)
class PageMap:
    id: str  # of the json_script element
    label: str  # for screen readers
    payload: dict[str, Any]
    svg: str  # "" when there is no track to draw
    time_control: bool = False
    as_of_input: str = ""  # id of the as-of form's date field
    tracks: int = 0
    footprints: int = 0
    photos: int = 0

    @property
    def is_empty(self) -> bool:
        return not self.payload["features"]


def page_map(
    *,
    id: str,
    label: str,
    tracks: Sequence[VesselTrack] = (),
    places: Sequence[MapPlace] = (),
    footprints: Sequence[MapFootprint] = (),
    photos: Sequence[MapPlace] = (),
    svg: str | None = None,
    as_of: datetime | None = None,
    time_control: bool = False,
    as_of_input: str = "",
) -> PageMap:
    """``svg`` given (the AIS extract's stored map) is used as is; otherwise the
    tracks and places are drawn."""
    return PageMap(
        id=id,
        label=label,
        payload=map_payload(
            tracks=tracks,
            places=[*places, *photos],
            footprints=footprints,
            as_of=as_of,
        ),
        svg=svg if svg is not None else tracks_svg(tracks, places, title=label),
        time_control=time_control,
        as_of_input=as_of_input,
        tracks=len(tracks),
        footprints=len(footprints),
        photos=len(photos),
    )


def ports_called(tracks: Sequence[VesselTrack]) -> list[MapPlace]:
    """The ports the tracks called at, once each (by name)."""
    seen: dict[str, MapPlace] = {}
    for track in tracks:
        for call in track.port_calls:
            seen.setdefault(
                call.port,
                MapPlace(name=call.port, lat=call.lat, lon=call.lon, kind="port"),
            )
    return list(seen.values())
