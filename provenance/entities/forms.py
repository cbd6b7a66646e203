"""The entity form: validates and shapes input for the entity services."""

from __future__ import annotations

from typing import Any

from django import forms

from provenance.entities.models import Entity, EntityKind
from provenance.teams.models import Team


class EntityForm(forms.ModelForm):
    aliases_input = forms.CharField(
        label="Aliases",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line.",
    )

    class Meta:
        model = Entity
        fields = [
            "kind",
            "name",
            "description",
            "country",
            "website",
            "imo",
            "mmsi",
            "call_sign",
            "flag",
            "vessel_type",
            "locode",
            "latitude",
            "longitude",
            "radius_km",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "imo": "Vessels: seven digits with check digit; stays with the hull.",
            "mmsi": "Vessels: nine digits; changes with the flag.",
            "locode": "Ports: e.g. KPRJN for Rajin.",
            "radius_km": "Ports: how close counts as in port (default 3 km).",
        }

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.team = team
        if self.instance.pk:
            self.fields["aliases_input"].initial = "\n".join(self.instance.aliases)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        vessel_only = ("imo", "mmsi", "call_sign", "flag", "vessel_type")
        for name in vessel_only:
            if data.get(name) and kind != EntityKind.VESSEL:
                self.add_error(name, "Only vessels have this field.")
        if data.get("locode") and kind != EntityKind.PORT:
            self.add_error("locode", "Only ports have a UN/LOCODE.")
        has_lat = data.get("latitude") is not None
        if has_lat != (data.get("longitude") is not None):
            self.add_error("longitude", "Give both latitude and longitude, or neither.")
        imo = data.get("imo")
        if imo and not self.errors.get("imo"):
            clash = Entity.objects.for_team(self.team).filter(imo=imo)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "imo", "Another vessel in your team has this IMO number."
                )
        return data

    def _post_clean(self) -> None:
        # The team is set by the service; validate the instance as it will be saved.
        self.instance.team = self.team
        super()._post_clean()

    def service_fields(self) -> dict[str, Any]:
        fields = {k: v for k, v in self.cleaned_data.items() if k in self.Meta.fields}
        fields.pop("kind", None)
        fields.pop("name", None)
        fields["aliases"] = [
            line.strip()
            for line in self.cleaned_data.get("aliases_input", "").splitlines()
            if line.strip()
        ]
        return fields
