"""Switching the team a signed-in user works in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import (
    require_POST,
)

from provenance.accounts import selectors as team_selectors
from provenance.accounts.forms import TeamSwitchForm


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    form = TeamSwitchForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    chosen = form.cleaned_data["team"]
    if not any(m.team_id == chosen for m in team_selectors.user_teams(request.user)):
        raise PermissionDenied
    request.session[team_selectors.TEAM_SESSION_KEY] = chosen
    return redirect("provenance:claim-list")
