"""The satellite-scene description form (validates and shapes; scene_update writes)."""

from __future__ import annotations

from typing import Any

from django import forms

from evidence.models import SatelliteScene


class SceneForm(forms.Form):
    provider = forms.CharField(max_length=200, required=False)
    platform = forms.CharField(max_length=100, required=False)
    sensor = forms.CharField(max_length=100, required=False)
    acquired_at = forms.DateTimeField(
        label="Acquired (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    gsd_m = forms.FloatField(
        label="Ground sample distance (m)", required=False, min_value=0.001
    )
    cloud_cover_percent = forms.FloatField(
        label="Cloud cover (%)", required=False, min_value=0, max_value=100
    )

    @classmethod
    def initial_from(cls, scene: SatelliteScene | None) -> dict[str, Any]:
        if scene is None:
            return {}
        return {name: getattr(scene, name) for name in cls.base_fields}
