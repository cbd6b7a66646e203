"""What an AIS extract's processing links and derives in the database: vessel
entities matched (or created) by IMO and MMSI, dark periods and port calls at the
team's ports, the track map and the summary the pages show."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db.models import Q
from django.utils import timezone

from evidence.ais.analyse import AnalysisParams, AnalysisResult, Port, RouteCount
from evidence.ais.draw import draw_track_svg
from evidence.ais.parse import VesselInfo
from evidence.ais.stations import classify_station
from evidence.ais.tally import AnalysisTally
from evidence.ais.validate import ExtractResult, Positions
from evidence.models import AISExtract, AISGap, EvidenceItem, PortCall
from provenance.entities.models import Entity, EntityKind
from provenance.entities.services import entity_create
from provenance.teams.models import Team

# A map showing every port of a team worldwide would shrink the track to a dot:
# only ports within this margin (degrees) of the track, or used by the analysis.
MAP_PORT_MARGIN_DEG = 1.0


# --- vessels --------------------------------------------------------------------------


def link_vessels(
    *, item: EvidenceItem, extract: AISExtract, result: ExtractResult
) -> tuple[dict[int, Entity], set[int]]:
    """mmsi -> vessel entity for every ship with kept positions (or static data).

    Only stations classed ``vessel`` (``evidence.ais.stations``: not aids to
    navigation, base stations, SAR aircraft, SARTs or placeholder MMSIs) are
    linked. Matched in the item's team by IMO first (it stays with the hull), then
    by MMSI (it changes with the flag); created through ``entity_create`` (audited)
    when missing, marked auto-created (and synthetic when the extract is). The
    extract's ``vessels_created`` keeps the entities this import created, on this
    run or an earlier one, that it still links. Returns the map and the ids
    created on this run.
    """
    seen = (
        set(np.unique(result.positions.mmsi).tolist())
        | set(result.kept_mmsis)
        | set(result.vessels)
    )
    mmsis = sorted(m for m in seen if _is_vessel(result, m))
    infos = {m: result.vessels.get(m) or VesselInfo(mmsi=m) for m in mmsis}
    imos = [f"{i.imo:07d}" for i in infos.values() if i.imo]
    # IMO numbers are unique in a team whatever the entity's kind.
    candidates = list(
        Entity.objects.filter(team=item.team)
        .filter(
            Q(imo__in=imos)
            | Q(kind=EntityKind.VESSEL, mmsi__in=[f"{m:09d}" for m in mmsis])
        )
        .order_by("pk")
    )
    by_imo = {e.imo: e for e in candidates if e.imo}
    by_mmsi: dict[str, Entity] = {}
    for e in candidates:
        if e.kind == EntityKind.VESSEL:
            by_mmsi.setdefault(e.mmsi, e)  # the oldest entity wins
    vessels: dict[int, Entity] = {}
    created: set[int] = set()
    for mmsi in mmsis:
        info = infos[mmsi]
        imo = f"{info.imo:07d}" if info.imo else ""
        entity = (by_imo.get(imo) if imo else None) or by_mmsi.get(f"{mmsi:09d}")
        if entity is None:
            entity = entity_create(
                team=item.team,
                actor=None,
                kind=EntityKind.VESSEL,
                name=info.name or f"MMSI {mmsi:09d}",
                imo=imo,
                mmsi=f"{mmsi:09d}",
                call_sign=info.call_sign or "",
                description=f"Created from AIS extract “{item.title}” (evidence "
                f"#{item.pk}).",
                is_synthetic=item.is_synthetic,
                is_auto_created=True,
            )
            created.add(entity.pk)
            if imo:
                by_imo[imo] = entity
            by_mmsi[f"{mmsi:09d}"] = entity
        vessels[mmsi] = entity
    linked = {e.pk for e in vessels.values()}
    extract.vessels.set(list(linked))
    earlier = set(extract.vessels_created.values_list("pk", flat=True))
    extract.vessels_created.set(sorted((earlier & linked) | created))
    return vessels, created


def _is_vessel(result: ExtractResult, mmsi: int) -> bool:
    station = result.stations.get(mmsi)
    # A result built without station evidence judges by the MMSI alone.
    return (station or classify_station(mmsi)).is_vessel


# --- analysis -------------------------------------------------------------------------


def team_ports(team: Team) -> list[Port]:
    """The team's port entities with coordinates, as analysis ports (key = pk)."""
    return [
        Port(
            key=str(e.pk),
            name=e.name,
            lat=e.latitude,
            lon=e.longitude,
            radius_km=e.radius_km,
        )
        for e in Entity.objects.filter(
            team=team,
            kind=EntityKind.PORT,
            latitude__isnull=False,
            longitude__isnull=False,
        ).order_by("pk")
    ]


def analyse_and_save(
    *,
    item: EvidenceItem,
    extract: AISExtract,
    positions: Positions,
    params: AnalysisParams,
    vessels: dict[int, Entity],
) -> tuple[AnalysisResult, list[Port]]:
    """Run the pure analysis with the team's ports; write gaps, calls, the track."""
    tally = AnalysisTally(ports=team_ports(item.team), params=params)
    tally.add(positions)
    return save_analysis(item=item, extract=extract, tally=tally, vessels=vessels)


def save_analysis(
    *,
    item: EvidenceItem,
    extract: AISExtract,
    tally: AnalysisTally,
    vessels: dict[int, Entity],
) -> tuple[AnalysisResult, list[Port]]:
    """Write what ``tally`` gathered: gaps, port calls, the track map, the params."""
    ports = tally.ports
    analysis = tally.result()
    AISGap.objects.bulk_create(
        [
            AISGap(
                extract=extract,
                vessel=vessels.get(g.mmsi),
                mmsi=f"{g.mmsi:09d}",
                start_at=g.start,
                end_at=g.end,
                start_latitude=g.start_lat,
                start_longitude=g.start_lon,
                end_latitude=g.end_lat,
                end_longitude=g.end_lon,
                distance_km=g.distance_km,
                implied_speed_knots=g.implied_speed_knots,
                near_port_id=int(g.port) if g.port else None,
            )
            for g in analysis.gaps
        ],
        batch_size=500,
    )
    PortCall.objects.bulk_create(
        [
            PortCall(
                extract=extract,
                vessel=vessels.get(c.mmsi),
                mmsi=f"{c.mmsi:09d}",
                port_id=int(c.port),
                arrival_at=c.arrival,
                departure_at=c.departure,
            )
            for c in analysis.port_calls
        ],
        batch_size=500,
    )
    labels = {m: _vessel_label(vessels.get(m), m) for m in tally.mmsis}
    extract.analysis_params = tally.params.to_dict()
    # No positions, no map: an empty frame read as "a track of nothing".
    extract.track_svg = (
        ""
        if tally.rows == 0
        else draw_track_svg(
            {labels[m]: tally.tracks[m] for m in tally.mmsis},
            ports=_ports_for_map(ports, tally, analysis),
            gaps=analysis.gaps,
            gap_labels={m: _vessel_label(e, m) for m, e in vessels.items()},
            title=f"AIS tracks in “{item.title}”",
            report_counts={labels[m]: tally.reports[m] for m in tally.mmsis},
        )
    )
    extract.analysed_at = timezone.now()
    return analysis, ports


def _vessel_label(entity: Entity | None, mmsi: int) -> str:
    return entity.name if entity is not None else f"{mmsi:09d}"


def _ports_for_map(
    ports: list[Port], tally: AnalysisTally, analysis: AnalysisResult
) -> list[Port]:
    used = {c.port for c in analysis.port_calls} | {
        g.port for g in analysis.gaps if g.port
    }
    if tally.lat_range is None or tally.lon_range is None:
        return [p for p in ports if p.key in used]
    lat0, lat1 = tally.lat_range
    lon0, lon1 = tally.lon_range
    m = MAP_PORT_MARGIN_DEG
    return [
        p
        for p in ports
        if p.key in used
        or (lat0 - m <= p.lat <= lat1 + m and lon0 - m <= p.lon <= lon1 + m)
    ]


def analysis_summary(
    vessels: dict[int, Entity],
    created: set[int],
    analysis: AnalysisResult,
    ports: list[Port],
) -> dict[str, Any]:
    """What the extract page and the JSON output show beyond the stored rows."""
    names = {p.key: p.name for p in ports}

    def port_name(key: str | None) -> str | None:
        return names.get(key, key) if key else None

    def runs_row(r: RouteCount) -> dict[str, Any]:
        return {
            **r.to_dict(),
            "port_a_name": port_name(r.port_a),
            "port_b_name": port_name(r.port_b),
        }

    by_mmsi = {f"{m:09d}": e for m, e in vessels.items()}
    return {
        "entities": {
            mmsi: {"id": e.pk, "name": e.name, "created": e.pk in created}
            for mmsi, e in sorted(by_mmsi.items())
        },
        "params": analysis.params.to_dict(),
        "ports": [p.to_dict() for p in ports],
        "port_calls": [
            {**c.to_dict(), "port_name": port_name(c.port)} for c in analysis.port_calls
        ],
        "voyages": [
            {
                **v.to_dict(),
                "from_port_name": port_name(v.from_port),
                "to_port_name": port_name(v.to_port),
            }
            for v in analysis.voyages
        ],
        "runs": {
            "directional": [runs_row(r) for r in analysis.runs.directional],
            "between": [runs_row(r) for r in analysis.runs.between],
        },
        "dark_periods": len(analysis.gaps),
    }


def vessels_by_mmsi(extract: AISExtract) -> dict[str, Entity]:
    """The linked vessel for each MMSI, as the processing step recorded it."""
    recorded = extract.summary.get("entities") or {}
    ids = {mmsi: v["id"] for mmsi, v in recorded.items()}
    entities = Entity.objects.in_bulk(list(ids.values()))
    return {mmsi: entities[pk] for mmsi, pk in ids.items() if pk in entities}
