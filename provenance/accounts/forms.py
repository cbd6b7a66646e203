"""The team switcher's form."""

from __future__ import annotations

from django import forms


class TeamSwitchForm(forms.Form):
    team = forms.IntegerField()


class ProfileForm(forms.Form):
    # A first name is required: an empty POST is a mistake, never "clear my name".
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150, required=False)


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New email address", max_length=254)


class SessionsEndForm(forms.Form):
    which = forms.ChoiceField(
        choices=[("others", "Other sessions"), ("all", "Every session")]
    )


class TokenForm(forms.Form):
    do = forms.ChoiceField(choices=[("create", "Create"), ("revoke", "Revoke")])


class TeamSettingsForm(forms.Form):
    """What a team's admin sets for the whole team (through team_update)."""

    captures_new_sources = forms.BooleanField(
        label="Capture new sources automatically",
        required=False,
        help_text="Capture the page of every new link and statement source URL "
        "(web archive, screenshot, text) as soon as it is added. Each capture is "
        "a version; “Capture again” adds another.",
    )
