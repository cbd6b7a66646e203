"""Web forms: validate and shape input for the services; no business rules here."""

from __future__ import annotations

from django import forms


class TeamSwitchForm(forms.Form):
    team = forms.IntegerField()
