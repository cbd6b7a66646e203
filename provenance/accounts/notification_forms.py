"""The notification settings form: one delivery choice per kind."""

from __future__ import annotations

from typing import Any

from django import forms

from provenance.accounts.models import Channel, NotificationKind


class NotificationPreferencesForm(forms.Form):
    """A choice field per notification kind, named after the kind."""

    def __init__(self, *args: Any, channels: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in NotificationKind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Channel.choices,
                initial=channels[kind.value],
            )


class MarkReadForm(forms.Form):
    """Mark one notice read (with its id) or all of them (without)."""

    notification = forms.IntegerField(required=False, min_value=1)
