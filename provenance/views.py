"""Web views: parse the request, call one selector or service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import (
    AsOfForm,
    AssessmentForm,
    ClaimFilterForm,
    ClaimForm,
    EntityForm,
    QuantityEstimateForm,
    TeamSwitchForm,
)
from .models import Claim, EntityKind
from .rules import EditConflict
from .timeline import render_timeline_svg

PAGE_SIZE = 25


@login_required
def claim_list(request: HttpRequest) -> HttpResponse:
    team = selectors.require_team(request)
    filters = ClaimFilterForm(request.GET or None)
    claims = selectors.claim_list(team=team, **filters.selector_kwargs())
    page = Paginator(claims, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "provenance/claim_list.html",
        {"page": page, "filters": filters, "query": query.urlencode()},
    )


@login_required
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    return render(
        request, "provenance/claim_detail.html", claim_page_context(request, claim)
    )


def claim_page_context(
    request: HttpRequest, claim: Claim, **forms_in_use: Any
) -> dict[str, Any]:
    """The claim page: current, or as of a date (?as_of=YYYY-MM-DD&axis=...)."""
    as_of_form = AsOfForm(request.GET or None)
    as_of = axis = None
    if as_of_form.is_valid() and as_of_form.cleaned_data["as_of"]:
        as_of = selectors.end_of_day(as_of_form.cleaned_data["as_of"])
        axis = as_of_form.cleaned_data["axis"] or "recorded"
    state = selectors.claim_as_of(
        claim=claim, when=as_of or timezone.now(), axis=axis or "recorded"
    )
    events = selectors.claim_timeline(claim=claim, state=state)
    return {
        "claim": claim,
        "shown": state,
        "as_of": as_of,
        "as_of_form": as_of_form,
        "links": state.links,
        "denials": state.denials,
        "timeline_svg": mark_safe(render_timeline_svg(events, as_of=as_of)),  # noqa: S308
        "timeline_events": events,
        "assessment_form": forms_in_use.get("assessment_form")
        or AssessmentForm(claim=claim),
        "estimate_form": forms_in_use.get("estimate_form") or QuantityEstimateForm(),
    }


@login_required
@require_POST
def claim_assess(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    form = AssessmentForm(request.POST, claim=claim)
    if form.is_valid():
        try:
            services.confidence_assess(
                claim_id=claim.pk,
                actor=request.user,
                level=form.cleaned_data["level"],
                rationale=form.cleaned_data["rationale"],
                evidence_ids=form.cleaned_data["evidence"],
                effective_at=form.cleaned_data["effective_at"],
                supersedes_id=form.cleaned_data["supersedes"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Assessment recorded.")
            return redirect(claim)
    context = claim_page_context(request, claim, assessment_form=form)
    return render(request, "provenance/claim_detail.html", context, status=400)


@login_required
@require_POST
def claim_quantity_estimate(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    form = QuantityEstimateForm(request.POST)
    if form.is_valid():
        try:
            services.quantity_estimate_add(
                claim_id=claim.pk, actor=request.user, **form.cleaned_data
            )
        except (ValidationError, EditConflict) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Estimate recorded.")
            return redirect(claim)
    context = claim_page_context(request, claim, estimate_form=form)
    return render(request, "provenance/claim_detail.html", context, status=400)


@login_required
def claim_create(request: HttpRequest) -> HttpResponse:
    team = selectors.require_team(request)
    form = ClaimForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_create(
                team=team,
                actor=request.user,
                subjects=list(form.cleaned_data["subjects"]),
                tag_names=form.tag_list(),
                **form.service_fields(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Claim created as a draft.")
            return redirect(claim)
    return render(request, "provenance/claim_form.html", {"form": form})


@login_required
def claim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.require_team(request)
    claim = selectors.claim_for_page(team=team, claim_id=pk)
    form = ClaimForm(request.POST or None, instance=claim, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            claim = services.claim_update(
                claim_id=claim.pk,
                actor=request.user,
                expected_version=form.cleaned_data["version"] or 0,
                reason=form.cleaned_data["reason"],
                subjects=list(form.cleaned_data["subjects"]),
                tag_names=form.tag_list(),
                **form.service_fields(),
            )
        except EditConflict as exc:
            form.add_error(None, str(exc))
        except (ValidationError, ValueError) as exc:
            form.add_error(None, exc if isinstance(exc, ValidationError) else str(exc))
        else:
            messages.success(request, "Claim saved.")
            return redirect(claim)
    return render(request, "provenance/claim_form.html", {"form": form, "claim": claim})


@login_required
def entity_list(request: HttpRequest) -> HttpResponse:
    team = selectors.require_team(request)
    kind = request.GET.get("kind", "")
    if kind not in EntityKind.values:
        kind = ""
    entities = selectors.entity_list(
        team=team, text=request.GET.get("q", ""), kind=kind
    )
    page = Paginator(entities, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "provenance/entity_list.html",
        {"page": page, "kinds": EntityKind.choices, "kind": kind},
    )


@login_required
def entity_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.require_team(request)
    entity = selectors.entity_for_page(team=team, slug=slug)
    claims = entity.claims.for_team(team).order_by("-updated_at")[:50]
    return render(
        request,
        "provenance/entity_detail.html",
        {"entity": entity, "claims": claims},
    )


@login_required
def entity_create(request: HttpRequest) -> HttpResponse:
    team = selectors.require_team(request)
    form = EntityForm(
        request.POST or None, team=team, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            entity = services.entity_create(
                team=team,
                actor=request.user,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"],
                **form.service_fields(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{entity.get_kind_display()} added.")
            return redirect(entity)
    return render(request, "provenance/entity_form.html", {"form": form})


@login_required
def entity_edit(request: HttpRequest, slug: str) -> HttpResponse:
    team = selectors.require_team(request)
    entity = selectors.entity_for_page(team=team, slug=slug)
    form = EntityForm(request.POST or None, instance=entity, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            services.entity_update(
                entity_id=entity.pk, actor=request.user, **form.service_fields()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(entity)
    return render(
        request, "provenance/entity_form.html", {"form": form, "entity": entity}
    )


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    form = TeamSwitchForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    membership = selectors.user_teams(request.user).filter(
        team_id=form.cleaned_data["team"]
    )
    if not membership.exists():
        raise PermissionDenied
    request.session[selectors.TEAM_SESSION_KEY] = form.cleaned_data["team"]
    return redirect("provenance:claim-list")
