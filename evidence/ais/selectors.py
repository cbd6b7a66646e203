"""Reads for AIS pages: the extract page, its status poll, vessel and port pages,
and the import command's JSON. Each owns its select_related/prefetch_related, so
a page costs the same few queries however many rows it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from evidence.ais.stations import STATION_LABELS, StationClass
from evidence.models import (
    AISExtract,
    AISGap,
    AISLayout,
    CustodyEvent,
    EvidenceItem,
    EvidenceKind,
    PortCall,
)
from provenance.entities.models import Entity, EntityKind
from provenance.teams.models import Team

# A vessel page lists at most this many port calls and dark periods (newest first).
ENTITY_PAGE_LIMIT = 200


def _gaps() -> QuerySet[AISGap]:
    return AISGap.objects.select_related("vessel", "near_port").order_by(
        "start_at", "pk"
    )


def _calls() -> QuerySet[PortCall]:
    return PortCall.objects.select_related("vessel", "port").order_by(
        "arrival_at", "pk"
    )


def ais_extract_for_page(*, team: Team, item_id: int) -> EvidenceItem:
    """An AIS item of the team with its extract, vessels, dark periods, port
    calls and custody log; 404 outside the team or for other kinds. (Its claim
    links are the claims room's read: the page loads them by a tag.)"""
    try:
        return (
            EvidenceItem.objects.for_team(team)
            .of_kind(EvidenceKind.AIS)
            .select_related("added_by", "ais")
            .prefetch_related(
                Prefetch("ais__vessels"),
                Prefetch("ais__vessels_created"),
                Prefetch("ais__gaps", queryset=_gaps()),
                Prefetch("ais__port_calls", queryset=_calls()),
                Prefetch(
                    "custody_events",
                    queryset=CustodyEvent.objects.select_related("actor"),
                ),
            )
            .get(pk=item_id)
        )
    except EvidenceItem.DoesNotExist as exc:
        raise Http404("No such AIS extract in your team.") from exc


def ais_extract_for_status(*, team: Team, item_id: int) -> EvidenceItem:
    """What the status poll needs: the item and, once done, the results."""
    try:
        return (
            EvidenceItem.objects.for_team(team)
            .of_kind(EvidenceKind.AIS)
            .select_related("ais")
            .prefetch_related(
                Prefetch("ais__vessels"),
                Prefetch("ais__vessels_created"),
                Prefetch("ais__gaps", queryset=_gaps()),
                Prefetch("ais__port_calls", queryset=_calls()),
            )
            .get(pk=item_id)
        )
    except EvidenceItem.DoesNotExist as exc:
        raise Http404("No such AIS extract in your team.") from exc


@dataclass(frozen=True)
class StationsShown:
    """The extract page's "Stations" section: (class, label, count) per class seen,
    the non-vessel stations (each with its label) and how many were left unlisted,
    and the vessels that carry a note."""

    counts: list[tuple[str, str, int]]
    non_vessels: list[dict[str, str]]
    omitted: int
    vessel_notes: list[dict[str, str]]


def stations_shown(extract: AISExtract) -> StationsShown:
    """``AISExtract.stations`` with readable class names, classes in their order."""
    recorded = extract.stations or {}
    counts = recorded.get("counts") or {}

    def labelled(row: dict[str, str]) -> dict[str, str]:
        return {**row, "label": STATION_LABELS.get(row["class"], row["class"])}

    return StationsShown(
        counts=[
            (c.value, STATION_LABELS[c], counts[c.value])
            for c in StationClass
            if counts.get(c.value)
        ],
        non_vessels=[labelled(r) for r in recorded.get("non_vessels") or []],
        omitted=recorded.get("non_vessels_omitted") or 0,
        vessel_notes=list(recorded.get("vessel_notes") or []),
    )


@dataclass(frozen=True)
class EntityAIS:
    """AIS facts about one entity: a vessel's extracts, calls and dark periods, or
    the calls made at a port."""

    extracts: list[AISExtract]
    port_calls: list[PortCall]
    dark_periods: list[AISGap]
    calls_here: list[PortCall]

    @property
    def is_empty(self) -> bool:
        return not (
            self.extracts or self.port_calls or self.dark_periods or self.calls_here
        )


def entity_ais(*, team: Team, entity: Entity) -> EntityAIS:
    """For a vessel: its extracts, port calls and dark periods across extracts; for
    a port: the calls made there. Team-scoped; a constant number of queries."""
    in_team = {"extract__item__team": team}
    if entity.kind == EntityKind.VESSEL:
        extracts = list(
            AISExtract.objects.filter(item__team=team, vessels=entity)
            .select_related("item")
            .order_by("first_at", "pk")
        )
        calls = list(
            PortCall.objects.filter(vessel=entity, **in_team)
            .select_related("port", "extract__item")
            .order_by("-arrival_at", "-pk")[:ENTITY_PAGE_LIMIT]
        )
        gaps = list(
            AISGap.objects.filter(vessel=entity, **in_team)
            .select_related("near_port", "extract__item")
            .order_by("-start_at", "-pk")[:ENTITY_PAGE_LIMIT]
        )
        return EntityAIS(extracts, calls, gaps, [])
    if entity.kind == EntityKind.PORT:
        here = list(
            PortCall.objects.filter(port=entity, **in_team)
            .select_related("vessel", "extract__item")
            .order_by("-arrival_at", "-pk")[:ENTITY_PAGE_LIMIT]
        )
        return EntityAIS([], [], [], here)
    return EntityAIS([], [], [], [])


def ais_extract_json(item: EvidenceItem) -> dict[str, Any]:
    """An AIS item as one JSON-safe dict (the import_ais command's --json output).

    Times are ISO 8601 UTC with a Z; positions are [latitude, longitude].
    """
    extract = (
        AISExtract.objects.select_related("item", "item__team")
        .prefetch_related("vessels")
        .get(item_id=item.pk)
    )
    summary = extract.summary or {}
    gaps = _gaps().filter(extract=extract)
    return {
        "id": item.pk,
        "team": extract.item.team.slug,
        "title": extract.item.title,
        "sha256": extract.item.sha256,
        "is_synthetic": extract.item.is_synthetic,
        "processing_state": extract.item.processing_state,
        "processing_error": extract.item.processing_error,
        "format": extract.source_format,
        "rows_read": extract.rows_read,
        "rows_kept": extract.rows_kept,
        "rows_rejected": extract.rows_rejected,
        "rejected": extract.rejected,
        "cleared": summary.get("cleared", {}),
        "first_at": _iso(extract.first_at),
        "last_at": _iso(extract.last_at),
        "time_source": extract.time_source,
        "time_sources": extract.time_sources,
        "given_time": extract.given_time,
        "analysis_params": extract.analysis_params,
        "vessels": _vessels_json(summary),
        "stations": extract.stations or {},
        "port_calls": summary.get("port_calls", []),
        "voyages": summary.get("voyages", []),
        "runs": summary.get("runs", {}),
        "dark_periods": [_gap_json(g) for g in gaps],
    }


def _vessels_json(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Each vessel of the extract with its entity: those the file described, then
    those only linked by MMSI."""
    entities = summary.get("entities") or {}
    vessels = [
        {
            "mmsi": v["mmsi"],
            "imo": v.get("imo"),
            "name": v.get("name"),
            "call_sign": v.get("call_sign"),
            "entity_id": (entities.get(v["mmsi"]) or {}).get("id"),
            "entity_created": (entities.get(v["mmsi"]) or {}).get("created", False),
        }
        for v in summary.get("vessels", [])
    ]
    seen = {v["mmsi"] for v in vessels}
    vessels += [
        {
            "mmsi": mmsi,
            "imo": None,
            "name": None,
            "call_sign": None,
            "entity_id": e["id"],
            "entity_created": e["created"],
        }
        for mmsi, e in sorted(entities.items())
        if mmsi not in seen
    ]
    return vessels


def _gap_json(g: AISGap) -> dict[str, Any]:
    return {
        "mmsi": g.mmsi,
        "vessel": g.vessel.name if g.vessel else None,
        "start": _iso(g.start_at),
        "end": _iso(g.end_at),
        "duration_hours": g.duration.total_seconds() / 3600,
        "start_position": [g.start_latitude, g.start_longitude],
        "end_position": [g.end_latitude, g.end_longitude],
        "distance_km": g.distance_km,
        "implied_speed_knots": g.implied_speed_knots,
        "near_port": g.near_port.name if g.near_port else None,
    }


def _iso(when: datetime | None) -> str | None:
    if when is None:
        return None
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ais_layouts_for_team(team: Team) -> QuerySet[AISLayout]:
    """The team's saved CSV layouts, by name (the upload form's choices)."""
    return AISLayout.objects.filter(team=team).order_by("name")


def ais_layout_by_name(*, team: Team, name: str) -> AISLayout:
    """One of the team's layouts by name; LookupError naming the known ones."""
    layout = ais_layouts_for_team(team).filter(name=name).first()
    if layout is None:
        known = ", ".join(ais_layouts_for_team(team).values_list("name", flat=True))
        raise LookupError(
            f"No AIS layout named {name!r} in this team"
            + (f" (known: {known})." if known else "; it has none.")
        )
    return layout
