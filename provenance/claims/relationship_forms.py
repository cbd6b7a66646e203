"""Forms for the ownership graph on the entity and claim pages: validate and shape
input for entities.services (edges), evidence.relationship_links (their evidence)
and claims.relationship_citations (a claim citing an edge)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from evidence.models import EvidenceItem, RelationshipEvidence
from provenance.claims.models import Relation
from provenance.common.confidence import ConfidenceLevel
from provenance.entities.models import (
    DatePrecision,
    Entity,
    Relationship,
    RelationshipKind,
)
from provenance.teams.models import Team

# Choices listed on one form, whatever the team holds (the newest first).
MAX_CHOICES = 500

DATE_FIELDS = (
    "start_date",
    "start_precision",
    "start_is_approximate",
    "end_date",
    "end_precision",
    "end_is_approximate",
)


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError on the form: field errors where the form has
    the field, the rest above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for name, errors in exc.message_dict.items():
        form.add_error(name if name in form.fields else None, errors)


class _EdgeFields(forms.Form):
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='Required for "linked to": say what the link is.',
    )
    share_percent = forms.DecimalField(
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=4,
        label="Share (%)",
        help_text="Owners only.",
    )
    confidence = forms.ChoiceField(
        required=False, choices=[("", "—"), *ConfidenceLevel.choices]
    )
    confidence_rationale = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Rationale"
    )

    start_date = forms.DateField(
        required=False,
        widget=_date_input(),
        help_text="Any day in the period: a year is stored from 1 January.",
    )
    start_precision = forms.ChoiceField(
        choices=DatePrecision.choices, initial=DatePrecision.DAY, label="Known to the"
    )
    start_is_approximate = forms.BooleanField(required=False, label="Approximate")
    end_date = forms.DateField(
        required=False,
        widget=_date_input(),
        help_text="Empty: still in force (open-ended).",
    )
    end_precision = forms.ChoiceField(
        choices=DatePrecision.choices, initial=DatePrecision.DAY, label="Known to the"
    )
    end_is_approximate = forms.BooleanField(required=False, label="Approximate")

    def edge_fields(self) -> dict[str, Any]:
        names = ("description", "share_percent", "confidence", "confidence_rationale")
        return {name: self.cleaned_data[name] for name in (*names, *DATE_FIELDS)}


class RelationshipForm(_EdgeFields):
    """A new edge with the evidence behind it."""

    source = forms.ModelChoiceField(queryset=Entity.objects.none())
    kind = forms.ChoiceField(choices=RelationshipKind.choices, label="is the")
    target = forms.ModelChoiceField(queryset=Entity.objects.none(), label="of")
    evidence = forms.ModelMultipleChoiceField(
        queryset=EvidenceItem.objects.none(),
        required=False,
        help_text="The items that back (or contradict) this relationship.",
    )
    evidence_relation = forms.ChoiceField(
        choices=RelationshipEvidence.Relation.choices,
        initial=RelationshipEvidence.Relation.SUPPORTS,
        label="They",
    )
    evidence_note = forms.CharField(required=False, label="Note on the evidence")
    field_order = ["source", "kind", "target"]

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        entities = Entity.objects.for_team(team).order_by("name")
        self.fields["source"].queryset = entities
        self.fields["target"].queryset = entities
        newest = EvidenceItem.objects.for_team(team).order_by("-created_at", "-pk")
        ids = list(newest.values_list("pk", flat=True)[:MAX_CHOICES])
        self.fields["evidence"].queryset = EvidenceItem.objects.filter(
            pk__in=ids
        ).order_by("title")
        self.order_fields(self.field_order)


class RelationshipChangeForm(_EdgeFields):
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Why"
    )

    @classmethod
    def for_relationship(cls, relationship: Relationship, data: Any = None) -> Any:
        initial = {
            name: getattr(relationship, name)
            for name in (
                "description",
                "share_percent",
                "confidence",
                "confidence_rationale",
                *DATE_FIELDS,
            )
        }
        return cls(data, initial=initial)


class RelationshipEndForm(forms.Form):
    end_date = forms.DateField(widget=_date_input())
    end_precision = forms.ChoiceField(
        choices=DatePrecision.choices, initial=DatePrecision.DAY, label="Known to the"
    )
    end_is_approximate = forms.BooleanField(required=False, label="Approximate")
    reason = forms.CharField(required=False, label="Why")


class RelationshipEvidenceForm(forms.Form):
    item = forms.ModelChoiceField(queryset=EvidenceItem.objects.none())
    relation = forms.ChoiceField(choices=RelationshipEvidence.Relation.choices)
    note = forms.CharField(required=False)

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        newest = EvidenceItem.objects.for_team(team).order_by("-created_at", "-pk")
        ids = list(newest.values_list("pk", flat=True)[:MAX_CHOICES])
        self.fields["item"].queryset = EvidenceItem.objects.filter(pk__in=ids).order_by(
            "title"
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class CiteRelationshipForm(forms.Form):
    """A claim citing an edge: the edges touching the claim's subjects first."""

    relationship = forms.ModelChoiceField(queryset=Relationship.objects.none())
    relation = forms.ChoiceField(choices=Relation.choices, initial=Relation.SUPPORTS)
    note = forms.CharField(required=False)

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = list(
            Relationship.objects.for_team(team)
            .order_by("-recorded_at", "-pk")
            .values_list("pk", flat=True)[:MAX_CHOICES]
        )
        self.fields["relationship"].queryset = (
            Relationship.objects.filter(pk__in=ids)
            .select_related("source", "target")
            .order_by("source__name", "kind", "target__name")
        )
