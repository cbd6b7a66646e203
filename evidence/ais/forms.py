"""Forms for AIS extracts: the upload (evidence fields + analysis parameters) and
the re-analysis parameters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django import forms

from evidence.ais.analyse import AnalysisParams
from evidence.ais.layouts import (
    FIELD_LABELS,
    FIELDS,
    ISO8601,
    REQUIRED_FIELDS,
    TIME_FORMATS,
    LayoutError,
    custom_layout,
    guess_mapping,
)
from evidence.ais.selectors import ais_layouts_for_team
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
        help_text="CSV from MarineCadastre (also .gz, .zst), the Danish Maritime "
        "Authority, exactEarth/Spire, MarineTraffic, VesselsValue, NARI, AISHub or "
        "Global Fishing Watch, a CSV in one of your team's layouts, or NMEA "
        "!AIVDM lines. The layout is detected from the content.",
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
    layout = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="CSV layout",
        empty_label="Detect from the file",
        help_text="One of your team's saved layouts, for a CSV in no known layout.",
    )
    # The header and sample row of a refused CSV, carried to the mapping step.
    csv_header = forms.CharField(required=False, widget=forms.HiddenInput)
    csv_sample = forms.CharField(required=False, widget=forms.HiddenInput)

    title_default = "the file name"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in AnalysisParamsForm.param_names:
            self.fields[name].required = False
        self.fields["layout"].queryset = ais_layouts_for_team(self.team)
        if not self.fields["layout"].queryset.exists():
            del self.fields["layout"]
        self.mapping_header = _json_list(self.data.get("csv_header"))
        self.mapping_sample = _json_list(self.data.get("csv_sample"))
        if self.mapping_header:
            self._add_mapping_fields()

    def offer_mapping(self, header: list[str], sample: list[str]) -> None:
        """After a refusal for an unknown layout: show the header and sample row
        and the column mapping, first guessed from common names. The file must
        be chosen again (browsers never refill a file input)."""
        data = self.data.copy()
        data["csv_header"] = json.dumps([h.strip() for h in header])
        data["csv_sample"] = json.dumps(sample)
        for key, column in guess_mapping(header).items():
            data.setdefault(f"map_{key}", column)
        data.setdefault("time_format", ISO8601)
        data.setdefault("time_zone", "UTC")
        self.data = data
        self.mapping_header = [h.strip() for h in header]
        self.mapping_sample = sample
        self._add_mapping_fields()

    def _add_mapping_fields(self) -> None:
        choices = [("", "—"), *((h, h) for h in self.mapping_header)]
        for key in FIELDS:
            required = " (required)" if key in REQUIRED_FIELDS else ""
            self.fields[f"map_{key}"] = forms.ChoiceField(
                label=f"Column for {FIELD_LABELS[key]}{required}",
                choices=choices,
                required=False,
            )
        self.fields["time_format"] = forms.ChoiceField(
            label="Time format",
            choices=[*TIME_FORMATS.items(), ("pattern", "A strftime pattern")],
            initial=ISO8601,
            required=False,
        )
        self.fields["time_pattern"] = forms.CharField(
            label="Time pattern",
            required=False,
            max_length=60,
            help_text="With “a strftime pattern”, e.g. %d/%m/%Y %H:%M:%S.",
        )
        self.fields["time_zone"] = forms.CharField(
            label="Time zone of the times",
            required=False,
            max_length=60,
            initial="UTC",
            help_text="IANA name such as Europe/Paris; ignored for Unix times.",
        )
        self.fields["layout_name"] = forms.CharField(
            label="Save the mapping as",
            required=False,
            max_length=100,
            help_text="A name for this layout; your team's later uploads with the "
            "same header use it.",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self._new_layout: dict[str, Any] | None = None
        if not self.mapping_header:
            return data
        mapping = {
            key: data.get(f"map_{key}") or ""
            for key in FIELDS
            if data.get(f"map_{key}")
        }
        if not mapping and not data.get("layout_name"):
            return data  # no mapping given: upload as usual
        time_format = data.get("time_format") or ISO8601
        if time_format == "pattern":
            time_format = (data.get("time_pattern") or "").strip()
        time_zone = (data.get("time_zone") or "UTC").strip()
        name = (data.get("layout_name") or "").strip()
        if not name:
            self.add_error("layout_name", "Give the layout a name to save it.")
        try:
            custom_layout(
                name=name,
                mapping=mapping,
                time_format=time_format,
                time_zone=time_zone,
                header=self.mapping_header,
                sample=self.mapping_sample or None,
            )
        except LayoutError as exc:
            for key, message in exc.errors.items():
                self.add_error(_error_field(key, data), message)
        if not self.errors:
            self._new_layout = {
                "name": name,
                "mapping": mapping,
                "time_format": time_format,
                "time_zone": time_zone,
                "header": self.mapping_header,
                "sample": self.mapping_sample or None,
            }
        return data

    def new_layout(self) -> dict[str, Any] | None:
        """The layout to save before the upload (ais_layout_save's arguments)."""
        return getattr(self, "_new_layout", None)

    def given_time_value(self) -> datetime | None:
        return self.cleaned_data.get("given_time")

    def analysis_params(self) -> AnalysisParams:
        data = AnalysisParams().to_dict()
        for name in AnalysisParamsForm.param_names:
            if self.cleaned_data.get(name) is not None:
                data[name] = self.cleaned_data[name]
        return AnalysisParams.from_dict(data)


def _json_list(text: str | None) -> list[str]:
    """A JSON list of strings from a hidden field ([] if absent or tampered)."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    if not isinstance(value, list) or len(value) > 1000:
        return []
    return [str(v)[:200] for v in value]


def _error_field(key: str, data: dict[str, Any]) -> str | None:
    if key == "time_format":
        return "time_pattern" if data.get("time_format") == "pattern" else key
    if key == "time_zone":
        return key
    return f"map_{key}" if key in FIELDS else None
