"""AIS extract pages: upload, the extract page (track map and tables), its status
poll, and re-analysis with other parameters. Parse the request, call one selector
or service, render."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from evidence import selectors
from evidence.ais import layout_services
from evidence.ais import selectors as ais_selectors
from evidence.ais import services as ais_services
from evidence.ais.analyse import AnalysisParams
from evidence.ais.forms import AISEvidenceForm, AnalysisParamsForm, CaptureStartForm
from evidence.ais.sniff import LayoutRefused
from evidence.ais.time_sources import LABELS as TIME_SOURCE_LABELS
from evidence.maps import selectors as map_selectors
from evidence.maps.pages import PageMap, page_map, ports_called
from evidence.models import EvidenceItem, EvidenceKind
from evidence.uploads import limited_upload
from evidence.views import refusals_as_errors, status_response
from provenance.teams.models import Team

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

# What each rejection reason means, in the order validation applies them.
REJECTION_REASONS = {
    "malformed": "CSV row with the wrong number of fields",
    "unparseable": "line that is not a decodable AIS message",
    "bad_checksum": "NMEA checksum (or tag block checksum) wrong",
    "incomplete": "part of a multi-sentence message missing",
    "bad_mmsi": "MMSI not nine digits",
    "no_timestamp": "no time given",
    "bad_timestamp": "time that does not parse",
    "no_position": "latitude or longitude missing or “not available”",
    "bad_position": "latitude or longitude out of range or not a number",
    "duplicate": "same vessel, time and position as a row already kept",
    "impossible_jump": "faster than the maximum plausible speed from the previous "
    "report",
}


def add_ais_from_form(
    *, form: AISEvidenceForm, team: Team, actor: User
) -> EvidenceItem | None:
    """Call the AIS service for a valid form. Refusals become form errors; a
    duplicate sets ``form.duplicate`` (same contract as ``views.add_from_form``,
    so the claim-side page can use either). A CSV in no known layout makes the
    form offer its column mapping; a mapping given is saved as a team layout and
    used, in one transaction with the upload (a refused upload saves no layout)."""
    upload = form.cleaned_data["file"]
    new_layout = form.new_layout()

    def add() -> EvidenceItem:
        try:
            with transaction.atomic():
                layout = form.cleaned_data.get("layout")
                if new_layout is not None:
                    layout = layout_services.ais_layout_save(
                        team=team, actor=actor, **new_layout
                    )
                return ais_services.evidence_add_ais(
                    team=team,
                    actor=actor,
                    upload=upload,
                    filename=upload.name,
                    params=form.analysis_params(),
                    layout=layout,
                    given_time=form.given_time_value(),
                    **form.service_fields(),
                )
        except LayoutRefused as exc:
            form.offer_mapping(exc.header, exc.sample)
            raise

    return refusals_as_errors(form, add)


@limited_upload("ais")
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def ais_add(request: HttpRequest) -> HttpResponse:
    team = selectors.current_team(request)
    form = AISEvidenceForm(request.POST or None, request.FILES or None, team=team)
    if request.method == "POST" and form.is_valid():
        item = add_ais_from_form(form=form, team=team, actor=request.user)
        if item is not None:
            messages.success(request, "AIS extract added; it is being processed.")
            return redirect("evidence:ais-detail", pk=item.pk)
    return render(
        request,
        "evidence/item_form.html",
        {
            "form": form,
            "kind": EvidenceKind.AIS,
            "kind_label": EvidenceKind.AIS.label,
            "duplicate": getattr(form, "duplicate", None),
            "cancel_url": reverse("evidence:item-list"),
        },
        status=400 if request.method == "POST" else 200,
    )


def extract_page_map(item: EvidenceItem) -> PageMap:
    """The extract's tracks and dark periods, over the stored SVG map."""
    tracks = map_selectors.tracks_of_extract(item.ais)
    return page_map(
        id=f"map-data-{item.pk}",
        label=f"Map of {item.title}",
        tracks=tracks,
        places=ports_called(tracks),
        svg=item.ais.track_svg,
    )


def results_context(item: EvidenceItem) -> dict[str, Any]:
    """What the results part of the page shows (shared by page and status poll)."""
    extract = item.ais
    summary = extract.summary or {}
    rejected = [
        (code, REJECTION_REASONS.get(code, code), count)
        for code, count in sorted(
            extract.rejected.items(), key=lambda kv: (-kv[1], kv[0])
        )
    ]
    gaps = [
        {
            "gap": g,
            "hours": g.duration.total_seconds() / 3600,
            "distance_nm": g.distance_nm,
        }
        for g in extract.gaps.all()
    ]
    calls = [
        {
            "call": c,
            "hours": (
                (c.departure_at - c.arrival_at).total_seconds() / 3600
                if c.departure_at
                else None
            ),
        }
        for c in extract.port_calls.all()
    ]
    names = {mmsi: e.get("name") for mmsi, e in (summary.get("entities") or {}).items()}
    voyages = [
        {
            **v,
            "vessel": names.get(v["mmsi"]) or v["mmsi"],
            "departure": datetime.fromisoformat(v["departure"]),
            "arrival": datetime.fromisoformat(v["arrival"]),
        }
        for v in summary.get("voyages", [])
    ]
    return {
        "item": item,
        "extract": extract,
        "map": extract_page_map(item) if extract.analysed_at else None,
        "summary": summary,
        "rejected": rejected,
        "gaps": gaps,
        "calls": calls,
        "voyages": voyages,
        "runs": (summary.get("runs") or {}).get("between", []),
        "vessels": list(extract.vessels.all()),
        "vessels_created": list(extract.vessels_created.all()),
        "stations": ais_selectors.stations_shown(extract),
        "params": AnalysisParams.from_dict(extract.analysis_params or {}),
        "time_source_label": TIME_SOURCE_LABELS.get(
            extract.time_source, extract.time_source
        ),
        "time_sources": [
            (code, TIME_SOURCE_LABELS.get(code, code), count)
            for code, count in sorted(
                (extract.time_sources or {}).items(), key=lambda kv: (-kv[1], kv[0])
            )
        ],
    }


@login_required
@require_safe
def ais_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.current_team(request)
    item = ais_selectors.ais_extract_for_page(team=team, item_id=pk)
    params = AnalysisParams.from_dict(item.ais.analysis_params or {})
    return render(
        request,
        "evidence/ais_detail.html",
        {
            **results_context(item),
            "params_form": AnalysisParamsForm(
                initial=AnalysisParamsForm.initial_from(params)
            ),
            "capture_start_form": CaptureStartForm(
                initial={"given_time": _capture_start(item)}
            ),
        },
    )


def _capture_start(item: EvidenceItem) -> datetime | None:
    at = (item.ais.given_time or {}).get("at")
    return datetime.fromisoformat(at) if at else None


@login_required
@require_GET
def ais_status(request: HttpRequest, pk: int) -> JsonResponse:
    """State and progress for the page's poller, with the results part as HTML
    (the same JSON shape as ``views.item_status``, plus rows done / total)."""
    team = selectors.current_team(request)
    item = ais_selectors.ais_extract_for_status(team=team, item_id=pk)
    html = render_to_string(
        "evidence/ais_results.html", results_context(item), request=request
    )
    return status_response(
        item,
        html=html,
        progress_done=item.progress_done,
        progress_total=item.progress_total,
    )


@login_required
@require_POST
def ais_reanalyse(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.current_team(request)
    item = ais_selectors.ais_extract_for_status(team=team, item_id=pk)
    form = AnalysisParamsForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Not re-analysed: {form.errors.as_text()}")
        return redirect("evidence:ais-detail", pk=item.pk)
    base = AnalysisParams.from_dict(item.ais.analysis_params or {})
    try:
        ais_services.ais_reanalyse_request(
            item_id=item.pk, actor=request.user, params=form.params(base)
        )
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Re-analysis queued with the new parameters.")
    return redirect("evidence:ais-detail", pk=item.pk)


@login_required
@require_POST
def ais_reprocess(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.current_team(request)
    item = ais_selectors.ais_extract_for_status(team=team, item_id=pk)
    try:
        ais_services.ais_reprocess(item_id=item.pk, actor=request.user)
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Queued for processing again.")
    return redirect("evidence:ais-detail", pk=item.pk)


@login_required
@require_POST
def ais_capture_start(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.current_team(request)
    item = ais_selectors.ais_extract_for_status(team=team, item_id=pk)
    form = CaptureStartForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Capture start not set: {form.errors.as_text()}")
        return redirect("evidence:ais-detail", pk=item.pk)
    try:
        ais_services.ais_set_capture_start(
            item_id=item.pk,
            actor=request.user,
            given_time=form.cleaned_data["given_time"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Capture start saved; processing again.")
    return redirect("evidence:ais-detail", pk=item.pk)
