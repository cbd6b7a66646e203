"""The team switcher's form."""

from __future__ import annotations

from django import forms


class TeamSwitchForm(forms.Form):
    team = forms.IntegerField()
