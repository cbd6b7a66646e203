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
