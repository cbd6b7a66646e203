"""Forms for AIS extracts: the upload (evidence fields + analysis parameters) and
the re-analysis parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms

from evidence.ais.analyse import AnalysisParams
from evidence.forms import DATETIME_WIDGET, EvidenceForm
from evidence.models import EvidenceKind

AIS_ACCEPT = ".csv,.gz,.zst,.nmea,.txt,.log,text/csv,text/plain,application/gzip"
DEFAULTS = AnalysisParams()


class AnalysisParamsForm(forms.Form):
    """The settable analysis parameters; the rest keep GFW's defaults."""

    gap_hours = forms.FloatField(
        label="Dark period threshold (hours)",
        initial=DEFAULTS.gap_hours,
        min_value=0.5,
        max_value=24 * 30,
        help_text="No report for longer than this is a dark period (default 12 h).",
    )
    min_dwell_hours = forms.FloatField(
        label="Minimum port-call dwell (hours)",
        initial=DEFAULTS.min_dwell_hours,
        min_value=0,
        max_value=24 * 30,
        help_text="Shorter stays in a port are not counted as calls (default 1 h).",
    )
    near_port_km = forms.FloatField(
        label="“Near port” distance (km)",
        initial=DEFAULTS.near_port_km,
        min_value=0,
        max_value=500,
        help_text="A dark period starting or ending this close to a port is "
        "labelled near port (default 5 km).",
    )

    param_names = ("gap_hours", "min_dwell_hours", "near_port_km")

    def params(self, base: AnalysisParams | None = None) -> AnalysisParams:
        data = (base or AnalysisParams()).to_dict()
        for name in self.param_names:
            if self.cleaned_data.get(name) is not None:
                data[name] = self.cleaned_data[name]
        return AnalysisParams.from_dict(data)

    @classmethod
    def initial_from(cls, params: AnalysisParams) -> dict[str, float]:
        values = params.to_dict()
        return {name: values[name] for name in cls.param_names}


CAPTURE_START_HELP = (
    "Only if the file carries no time of its own (no tag block, timestamp, NAIS "
    "field, $PGHP header, $GPRMC/$GPZDA clock or base station report). Every "
    "position without a time gets exactly this time: their order within the "
    "capture cannot be spaced honestly, so they all sit at the capture start. "
    "Times in the file always win."
)


class CaptureStartForm(forms.Form):
    """The capture start of a stored NMEA extract (empty withdraws it)."""

    given_time = forms.DateTimeField(
        label="Capture start (UTC)",
        required=False,
        widget=DATETIME_WIDGET,
        help_text=CAPTURE_START_HELP,
    )


class AISEvidenceForm(EvidenceForm):
    kind = EvidenceKind.AIS
    has_file = True
    file = forms.FileField(
        label="AIS extract",
        help_text="MarineCadastre CSV (also .gz, .zst), Danish Maritime Authority "
        "CSV, or NMEA !AIVDM lines. The layout is detected from the content.",
        widget=forms.ClearableFileInput(attrs={"accept": AIS_ACCEPT}),
    )
    gap_hours = AnalysisParamsForm.base_fields["gap_hours"]
    min_dwell_hours = AnalysisParamsForm.base_fields["min_dwell_hours"]
    near_port_km = AnalysisParamsForm.base_fields["near_port_km"]
    given_time = forms.DateTimeField(
        label="Capture start (UTC), for NMEA files without times",
        required=False,
        widget=DATETIME_WIDGET,
        help_text=CAPTURE_START_HELP,
    )

    title_default = "the file name"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in AnalysisParamsForm.param_names:
            self.fields[name].required = False

    def given_time_value(self) -> datetime | None:
        return self.cleaned_data.get("given_time")

    def analysis_params(self) -> AnalysisParams:
        data = AnalysisParams().to_dict()
        for name in AnalysisParamsForm.param_names:
            if self.cleaned_data.get(name) is not None:
                data[name] = self.cleaned_data[name]
        return AnalysisParams.from_dict(data)
