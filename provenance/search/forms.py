"""The search box: a query and, optionally, one kind of result."""

from __future__ import annotations

from django import forms

from provenance.search.models import DocumentKind
from provenance.search.selectors import MAX_QUERY


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=MAX_QUERY,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
        help_text='Words must all match; "a phrase", -exclude, this OR that.',
    )
    kind = forms.ChoiceField(
        label="Only",
        choices=[("", "Everything"), *DocumentKind.choices],
        required=False,
    )


class SavedSearchForm(forms.Form):
    """One form for the saved-searches page: save, watch, unwatch or delete."""

    action = forms.ChoiceField(
        choices=[(a, a) for a in ("save", "watch", "unwatch", "delete")]
    )
    saved_search = forms.IntegerField(required=False, min_value=1)
    name = forms.CharField(required=False, max_length=100)
    q = forms.CharField(required=False, max_length=MAX_QUERY)
    kind = forms.ChoiceField(
        choices=[("", "Everything"), *DocumentKind.choices], required=False
    )
    watch = forms.BooleanField(required=False, label="Notify me of new matches")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "save":
            for field in ("name", "q"):
                if not (data.get(field) or "").strip():
                    self.add_error(field, "Required to save a search.")
        elif data.get("action") and not data.get("saved_search"):
            self.add_error("saved_search", "Which saved search?")
        return data
