"""A missing actor made from another form without leaving it ("Add actor" on the
claim and statement forms): the entity goes through its service at once, and the
form it came from is shown again with what was typed. No JavaScript needed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, QueryDict

from provenance.entities import services
from provenance.entities.models import Entity, EntityKind
from provenance.teams.models import Team

PREFIX = "new_entity"
SUBMIT = "add_entity"


class QuickEntityForm(forms.Form):
    """The least an actor needs (prefix "new_entity"); the rest of the entity is
    edited on its own page."""

    kind = forms.ChoiceField(label="Kind", choices=EntityKind.choices)
    name = forms.CharField(
        label="Name",
        max_length=300,
        error_messages={"required": "Give the actor’s name."},
    )
    country = forms.CharField(label="Country (ISO code)", max_length=2, required=False)

    def __init__(
        self, *args: Any, kinds: Iterable[str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, prefix=PREFIX, **kwargs)
        if kinds is not None:
            allowed = set(kinds)
            self.fields["kind"].choices = [
                (value, label)
                for value, label in EntityKind.choices
                if value in allowed
            ]


def wants_new_entity(request: HttpRequest) -> bool:
    return request.method == "POST" and SUBMIT in request.POST


def add_from_request(
    request: HttpRequest, *, team: Team, kinds: Iterable[str] | None = None
) -> tuple[QuickEntityForm, Entity | None]:
    """Create the actor typed into the quick form. Returns the form to show next
    (a blank one after success, the bound one with its errors otherwise) and the
    entity, or None when it was refused."""
    form = QuickEntityForm(request.POST, kinds=kinds)
    if not form.is_valid():
        return form, None
    try:
        entity = services.entity_create(
            team=team, actor=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return form, None
    messages.success(request, f"{entity.get_kind_display()} “{entity.name}” added.")
    return QuickEntityForm(kinds=kinds), entity


def initial_from_post(
    data: QueryDict, fields: Iterable[str], *, multiple: Iterable[str] = ()
) -> dict[str, Any]:
    """What was typed into the outer form, as initial values for showing it again."""
    many = set(multiple)
    return {
        name: data.getlist(name) if name in many else data.get(name)
        for name in fields
        if name in data
    }
