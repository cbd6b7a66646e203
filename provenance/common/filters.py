"""The filter vocabulary the claim, evidence and entity lists share (issue 17).

Every list reads the same parameters, by the same names:
- `q`: the list's text search;
- `subject`: an entity of the team, by name (any case) or slug;
- `tag`: a claim tag of the team, by name (any case) or slug.
A value that names nothing narrows the list to nothing (never to everything) and
is reported: "No entity named “Angra” in your team; did you mean “Angara”?".

What a subject or a tag narrows each list to needs the claims, evidence and
entities rooms together, so those rules live in the search room
(provenance.search.filters), which sits above all three lists. The evidence and
entity list views sit below it: the root URLconf (provenance.urls), which may
import every room, hands each its rule as the view's `narrow` argument, and the
view calls `narrow()` here with it. No ORM here.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.html import format_html

PARAMS = ("q", "subject", "tag")
MAX_LENGTHS = {"q": 500, "subject": 300, "tag": 60}
LABELS = {"subject": "entity", "tag": "tag"}


@dataclass(frozen=True)
class SharedFilters:
    q: str = ""
    subject: str = ""
    tag: str = ""

    @classmethod
    def read(cls, params: Mapping[str, Any]) -> SharedFilters:
        """The shared parameters of a request's query string, trimmed and cut to
        their limits (a longer value cannot name anything)."""
        values = {}
        for name in PARAMS:
            value = params.get(name) or ""
            values[name] = str(value).strip()[: MAX_LENGTHS[name]]
        return cls(**values)

    @property
    def names_something(self) -> bool:
        return bool(self.subject or self.tag)


@dataclass(frozen=True)
class Narrowing:
    """What the subject and tag filters leave of a list: `keep` is a filter for
    the list's queryset (a Q object) or None when neither is given; `notes` says
    which values name nothing."""

    keep: Any = None
    notes: list[str] = field(default_factory=list)


def unknown_note(field_name: str, value: str, names: list[str]) -> str:
    """ "No entity named “value” in your team; did you mean “Name”?" (the closest
    of `names`, if any is close)."""
    note = f"No {LABELS[field_name]} named “{value.strip()}” in your team"
    close = difflib.get_close_matches(
        value.strip().lower(), [n.lower() for n in names], n=1, cutoff=0.6
    )
    if not close:
        return note + "."
    spelled = next(n for n in names if n.lower() == close[0])
    return note + f"; did you mean “{spelled}”?"


class SuggestInput(forms.TextInput):
    """A text box whose <datalist> static/js/suggest.js fills with the team's
    names as one types (GET /search/suggest/); a plain text box without it."""

    def __init__(self, field_name: str) -> None:
        self.field_name = field_name
        super().__init__(
            attrs={
                "list": f"suggest-{field_name}",
                "data-suggest": field_name,
                "data-suggest-url": reverse_lazy("provenance:search-suggest"),
                "autocomplete": "off",
            }
        )

    def render(self, *args: Any, **kwargs: Any) -> str:
        box = super().render(*args, **kwargs)
        return format_html(
            '{}<datalist id="suggest-{}"></datalist>', box, self.field_name
        )


def subject_field() -> forms.CharField:
    """The lists' `subject` box: an entity by name, with suggestions."""
    return forms.CharField(
        required=False,
        max_length=MAX_LENGTHS["subject"],
        widget=suggest_input("subject"),
    )


def tag_field() -> forms.CharField:
    """The lists' `tag` box: a claim tag by name, with suggestions."""
    return forms.CharField(
        required=False, max_length=MAX_LENGTHS["tag"], widget=suggest_input("tag")
    )


def suggest_input(field_name: str) -> SuggestInput:
    return SuggestInput(field_name)


# A list's rule: (team=, filters=) -> Narrowing (provenance.search.filters).
Narrower = Callable[..., Narrowing]


def narrow(narrower: Narrower, *, team: Any, filters: SharedFilters) -> Narrowing:
    """The subject and tag filters for one list of the team's, by its rule."""
    if not filters.names_something:
        return Narrowing()
    return narrower(team=team, filters=filters)
