"""A satellite scene's description on its evidence page: parse, call
scene_update, redirect (or the page again with the form's errors, 400)."""

from __future__ import annotations

from datetime import UTC

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from evidence import selectors
from evidence.maps.forms import SceneForm
from evidence.maps.services import scene_update
from evidence.views import item_page


@login_required
@require_POST
def scene_edit(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.current_team(request)
    item = selectors.evidence_for_status(team=team, item_id=pk)
    form = SceneForm(request.POST)
    if form.is_valid():
        fields = dict(form.cleaned_data)
        when = fields.get("acquired_at")
        if when is not None and when.tzinfo is None:
            fields["acquired_at"] = when.replace(tzinfo=UTC)
        try:
            scene_update(item_id=item.pk, actor=request.user, **fields)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Scene description saved.")
            return redirect(item)
    return item_page(request, item.pk, scene_form=form, status=400)
