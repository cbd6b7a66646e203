"""Claim forms: validate and shape input for the claims services; no business rules."""

from __future__ import annotations

from typing import Any

from django import forms

from provenance.claims.confidence import SCALE, ConfidenceLevel
from provenance.claims.models import Claim, ClaimStatus, QuantityBound, QuoteSource
from provenance.common import widgets
from provenance.common.dates import validate_as_of_day, validate_past_moment
from provenance.common.filters import subject_field, tag_field
from provenance.entities.models import Entity
from provenance.teams.models import Team


class GroupedEntities(forms.SelectMultiple):
    """Subjects grouped by kind (Governments, People, Vessels…), so the list reads
    without JavaScript; static/js/picker.js adds a filter box on top."""

    def optgroups(self, name: str, value: list[Any], attrs: Any = None) -> list[Any]:
        groups: dict[str, list[Any]] = {}
        index = 0
        for option_value, label in self.choices:
            if option_value == "":
                continue
            kind = getattr(option_value, "instance", None)
            group = kind.get_kind_display() if kind is not None else ""
            selected = str(option_value) in value
            option = self.create_option(
                name, option_value, label, selected, index, attrs=attrs
            )
            groups.setdefault(group, []).append(option)
            index += 1
        return [
            (group, options, i) for i, (group, options) in enumerate(groups.items())
        ]


class ClaimForm(forms.ModelForm):
    tag_names = forms.CharField(
        label="Tags",
        required=False,
        help_text="Comma-separated, e.g. sanctions, shipping",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label="Reason for this edit",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit trail.",
    )

    class Meta:
        model = Claim
        fields = [
            "text",
            "summary",
            "subjects",
            "quantity_bound",
            "quantity_amount",
            "quantity_unit",
            "first_appearance_source",
            "first_appearance_entity",
            "first_appearance_url",
            "first_appearance_at",
        ]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "summary": forms.Textarea(attrs={"rows": 4}),
            "subjects": GroupedEntities(
                attrs={"size": 10, "data-picker": "Filter subjects"}
            ),
            "first_appearance_at": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
        }
        labels = {
            "quantity_bound": "Quantity",
            "quantity_amount": "Amount",
            "quantity_unit": "Unit",
            "first_appearance_source": "First appeared: who and where",
            "first_appearance_entity": "First appeared: actor",
            "first_appearance_url": "First appeared: URL",
            "first_appearance_at": "First appeared: when (UTC)",
        }

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entities = Entity.objects.for_team(team).order_by("kind", "name")
        self.fields["subjects"].queryset = entities
        self.fields["first_appearance_entity"].queryset = entities
        self.fields["text"].required = True
        self.fields["first_appearance_at"].validators.append(validate_past_moment)
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["tag_names"].initial = ", ".join(
                tag.name for tag in self.instance.tags.all()
            )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("A claim needs its text.")
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        amount = data.get("quantity_amount")
        if amount is not None:
            if not data.get("quantity_bound"):
                self.add_error(
                    "quantity_bound", "Say whether the figure is exact, at least, …"
                )
            if not data.get("quantity_unit"):
                self.add_error("quantity_unit", "Give the unit, e.g. containers.")
        elif data.get("quantity_bound") or data.get("quantity_unit"):
            self.add_error("quantity_amount", "Give the amount, or clear the quantity.")
        return data

    def tag_list(self) -> list[str]:
        raw = self.cleaned_data.get("tag_names", "")
        return [part.strip() for part in raw.split(",") if part.strip()]

    def service_fields(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name != "subjects"
        }


class ClaimCorrectionForm(ClaimForm):
    """A published claim's new content with its public correction note, prefilled
    with the content publishers see now; the version is the one the editor read."""

    correction_note = forms.CharField(
        label="Public correction note",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to readers with the claim: what was wrong, what is right.",
        error_messages={"required": "A correction needs its public correction note."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["reason"]
        self.fields["version"].required = True

    def clean_correction_note(self) -> str:
        note = self.cleaned_data["correction_note"].strip()
        if not note:
            raise forms.ValidationError(
                "A correction needs its public correction note."
            )
        return note

    def changes(self) -> dict[str, Any]:
        """The content as the correction service takes it."""
        return {
            **self.service_fields(),
            "subjects": list(self.cleaned_data["subjects"]),
            "tag_names": self.tag_list(),
        }


class ClaimFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    status = forms.ChoiceField(
        choices=[("", "Any status"), *ClaimStatus.choices],
        required=False,
        widget=widgets.Select,
    )
    # Names, any case (a slug still works): an unknown one is reported, not dropped.
    subject = subject_field()
    tag = tag_field()
    confidence = forms.ChoiceField(
        choices=[("", "Any confidence"), *ConfidenceLevel.choices],
        required=False,
        widget=widgets.Select,
    )
    denials = forms.ChoiceField(
        choices=[("", "Denied or not"), ("yes", "Denied"), ("no", "No denial")],
        required=False,
        widget=widgets.Select,
    )
    sort = forms.ChoiceField(
        choices=[
            ("", "Recently updated"),
            ("oldest", "Least recently updated"),
            ("confidence", "Highest confidence"),
            ("denials", "Most denials"),
        ],
        required=False,
        widget=widgets.Select,
    )

    def selector_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data if self.is_valid() else {}
        denials = data.get("denials", "")
        return {
            "text": data.get("q", ""),
            "status": data.get("status", ""),
            "subject": data.get("subject", ""),
            "tag": data.get("tag", ""),
            "confidence": data.get("confidence", ""),
            "has_denials": {"yes": True, "no": False}.get(denials),
            "sort": data.get("sort", ""),
        }


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label="As of",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Show the claim as the team knew it by the end of this day (UTC).",
        validators=[validate_as_of_day],
    )
    axis = forms.ChoiceField(
        label="Count by",
        required=False,
        widget=widgets.Select,
        choices=[
            ("recorded", "when we recorded it"),
            ("happened", "when it happened"),
        ],
    )


class TimelineForm(forms.Form):
    """The chart's date axis and window (GET parameters of the claim page)."""

    dates = forms.ChoiceField(
        label="Place events by",
        required=False,
        choices=[
            ("happened", "when they happened"),
            ("recorded", "when we recorded them"),
        ],
        widget=widgets.RadioSelect,
        help_text="Statements by when they were made, evidence by when it was "
        "observed, assessments by the date they speak for — or all by the day the "
        "team recorded them.",
    )
    window_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_as_of_day],
    )
    window_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_as_of_day],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("window_from"), data.get("window_to")
        if start and end and start > end:
            raise forms.ValidationError("The window's start is after its end.")
        return data


class AssessmentForm(forms.Form):
    level = forms.ChoiceField(
        label="Confidence",
        widget=widgets.RadioSelect,
        choices=[
            (band.key, f"{band.label} ({band.low}–{band.high} %)") for band in SCALE
        ],
    )
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why this level: what the evidence shows, and what it does not.",
    )
    evidence = forms.MultipleChoiceField(
        label="Evidence cited",
        required=False,
        # Drawn in Python: one checkbox per linked item (see common/widgets.py).
        widget=widgets.CheckboxSelectMultiple,
        help_text="Only evidence linked to this claim can be cited.",
    )
    effective_at = forms.DateTimeField(
        label="Speaks for (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for now; set a past date to back-fill.",
        validators=[validate_past_moment],
    )
    supersedes = forms.TypedChoiceField(
        label="Supersedes",
        required=False,
        widget=widgets.Select,
        coerce=int,
        empty_value=None,
        help_text="If this corrects a mistaken assessment, say which.",
    )

    def __init__(self, *args: Any, claim: Claim, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].choices = [
            (link.item_id, link.item.title)
            for link in claim.evidence_links.all()
            if link.unlinked_at is None
        ]
        # Three columns, not 200 model rows, on a claim with a long history.
        labels = dict(ConfidenceLevel.choices)
        self.fields["supersedes"].choices = [("", "—")] + [
            (pk, f"{effective_at:%Y-%m-%d} {labels.get(level, level)}")
            for pk, effective_at, level in claim.assessments.values_list(
                "pk", "effective_at", "level"
            )
        ]

    def clean_evidence(self) -> list[int]:
        return [int(value) for value in self.cleaned_data["evidence"]]


class QuantityEstimateForm(forms.Form):
    bound = forms.ChoiceField(choices=QuantityBound.choices, widget=widgets.Select)
    amount = forms.DecimalField(max_digits=20, decimal_places=4, min_value=0)
    unit = forms.CharField(max_length=60)
    source_label = forms.CharField(label="Who gave this figure", max_length=300)
    source_url = forms.URLField(
        label="Source URL", required=False, assume_scheme="https"
    )
    stated_at = forms.DateTimeField(
        label="Stated at (UTC)",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        validators=[validate_past_moment],
    )
    make_current = forms.BooleanField(
        label="Use this figure for the claim (revise its quantity)", required=False
    )
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


# --- Comments and assignments (issue 16) ----------------------------------------------

MENTION_HELP = (
    "Markdown-light: **bold**, *italic*, `code`, [links](https://…), lists. "
    "Mention a team member with @username: they are notified."
)


class CommentForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=MENTION_HELP,
    )
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)
    # Drawn in Python: one option per linked item (see common/widgets.py).
    quote_item = forms.TypedChoiceField(
        label="Quote from",
        required=False,
        coerce=int,
        empty_value=None,
        widget=widgets.Select,
    )
    quote_source = forms.ChoiceField(
        label="Which text",
        required=False,
        choices=[("", "—"), *QuoteSource.choices],
        widget=widgets.Select,
    )
    quote_text = forms.CharField(
        label="Quoted words",
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Copy the words exactly as the source has them.",
    )

    def __init__(
        self,
        *args: Any,
        quotable: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quote_item"].choices = [("", "—"), *(quotable or [])]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "body": data["body"],
            "parent_id": data["parent"],
            "quote_item_id": data["quote_item"],
            "quote_source": data["quote_source"],
            "quote_text": data["quote_text"],
        }


class CommentEditForm(forms.Form):
    body = forms.CharField(
        label="Comment",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=MENTION_HELP,
    )


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(
        label="Assign to",
        coerce=int,
        required=False,
        empty_value=None,
        widget=widgets.Select,
    )
    due_on = forms.DateField(
        label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(
        self, *args: Any, members: list[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", "— nobody —"), *members]


class AnnotationEstimateForm(forms.Form):
    """An annotation's count proposed as the claim's quantity estimate."""

    annotation_id = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    make_current = forms.BooleanField(required=False, label="Use as the claim's figure")
