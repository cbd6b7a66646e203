"""/search/: one box over everything the member's team holds."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from provenance.accounts import selectors as team_selectors
from provenance.accounts.caching import team_page_cache
from provenance.search import filters, selectors, services
from provenance.search.forms import SavedSearchForm, SearchForm
from provenance.search.models import Audience, SavedSearch
from provenance.teams.models import Team


@login_required
@team_page_cache
@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    team = team_selectors.require_team(request)
    form = SearchForm(request.GET or None)
    results = None
    status = 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif form.is_bound and form.cleaned_data["q"].strip():
        results = selectors.search(
            audience=Audience.member(team),
            q=form.cleaned_data["q"],
            kind=form.cleaned_data["kind"],
        )
    return render(
        request,
        "provenance/search.html",
        {"form": form, "results": results},
        status=status,
    )


@login_required
@require_safe
def suggest(request: HttpRequest) -> JsonResponse:
    """GET /search/suggest/?field=subject|tag&q=: the member's team's names for a
    filter box (static/js/suggest.js fills its datalist); 400 without a field."""
    team = team_selectors.require_team(request)
    field = request.GET.get("field", "")
    if field not in filters.SUGGEST_FIELDS:
        return JsonResponse(
            {"field": [f"One of: {', '.join(filters.SUGGEST_FIELDS)}."]}, status=400
        )
    results = filters.suggest(team=team, field=field, q=request.GET.get("q", ""))
    return JsonResponse({"field": field, "results": results})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def saved_searches(request: HttpRequest) -> HttpResponse:
    """The member's saved searches in this team; POST saves, watches, unwatches or
    deletes one (an invalid POST is the page again with its errors, 400)."""
    team = team_selectors.require_team(request)
    form = SavedSearchForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                _act(request, team, data)
            except (ValidationError, PermissionDenied) as exc:
                messages.error(request, f"Not done: {_reason(exc)}")
            return redirect("provenance:saved-searches")
        status = 400
    else:
        status = 200
    saved = SavedSearch.objects.of(user=request.user, team=team)
    return render(
        request,
        "provenance/saved_searches.html",
        {"saved": saved, "form": form},
        status=status,
    )


def _reason(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


def _act(request: HttpRequest, team: Team, data: dict[str, Any]) -> None:
    action = data["action"]
    if action == "save":
        services.saved_search_create(
            team=team,
            actor=request.user,
            name=data["name"],
            query=data["q"],
            kind=data["kind"],
            is_watched=data["watch"],
        )
        messages.success(request, f"Saved “{data['name'].strip()}”.")
    elif action in ("watch", "unwatch"):
        services.saved_search_watch(
            saved_search_id=data["saved_search"],
            actor=request.user,
            is_watched=action == "watch",
        )
    else:
        services.saved_search_delete(
            saved_search_id=data["saved_search"], actor=request.user
        )
        messages.success(request, "Saved search deleted.")
