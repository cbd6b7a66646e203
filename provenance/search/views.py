"""/search/: one box over everything the member's team holds."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from provenance.accounts import selectors as team_selectors
from provenance.accounts.caching import team_page_cache
from provenance.search import selectors
from provenance.search.forms import SearchForm
from provenance.search.models import Audience


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
