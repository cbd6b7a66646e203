"""Entity pages: the list and the add and edit forms (an entity's own page, with the
claims about it, is the claims room's: claims.views_entities)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import (
    require_http_methods,
    require_safe,
)

from provenance.accounts import selectors as team_selectors
from provenance.common import filters as shared_filters
from provenance.entities import selectors as entity_selectors
from provenance.entities import services as entity_services
from provenance.entities.forms import EntityForm
from provenance.entities.models import EntityKind


@login_required
@require_safe
def entity_list(
    request: HttpRequest, *, narrow: shared_filters.Narrower
) -> HttpResponse:
    """`narrow`: the subject and tag rule for entities, which needs the claims
    room above this one (provenance.search.filters, passed by provenance.urls)."""
    team = team_selectors.require_team(request)
    kind = request.GET.get("kind", "")
    if kind not in EntityKind.values:
        kind = ""
    filters = shared_filters.SharedFilters.read(request.GET)
    narrowing = shared_filters.narrow(narrow, team=team, filters=filters)
    entities = entity_selectors.entity_list(
        team=team, text=filters.q, kind=kind, keep=narrowing.keep
    )
    page = Paginator(entities, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "provenance/entity_list.html",
        {
            "page": page,
            "kinds": EntityKind.choices,
            "kind": kind,
            "filters": filters,
            "filter_notes": narrowing.notes,
            "subject_box": shared_filters.suggest_input("subject").render(
                "subject", filters.subject, {"id": "subject"}
            ),
            "tag_box": shared_filters.suggest_input("tag").render(
                "tag", filters.tag, {"id": "tag"}
            ),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def entity_create(request: HttpRequest) -> HttpResponse:
    team = team_selectors.require_team(request)
    form = EntityForm(
        request.POST or None, team=team, initial={"kind": request.GET.get("kind")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            entity = entity_services.entity_create(
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
@require_http_methods(["GET", "HEAD", "POST"])
def entity_edit(request: HttpRequest, slug: str) -> HttpResponse:
    team = team_selectors.require_team(request)
    entity = entity_selectors.entity_for_page(team=team, slug=slug)
    form = EntityForm(request.POST or None, instance=entity, team=team)
    if request.method == "POST" and form.is_valid():
        try:
            entity_services.entity_update(
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
