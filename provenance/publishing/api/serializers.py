"""Input serializers: they validate what the API's writes send to the services.

What the API answers is documented in outputs.py, from the export shapes.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from provenance.claims.confidence import ConfidenceLevel
from provenance.claims.models import Decision, QuantityBound, Relation, Stance
from provenance.claims.rules import decision_choices
from provenance.common.dates import validate_past_moment
from provenance.entities.models import Entity


class QuantityIn(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=20, decimal_places=4, help_text="The figure."
    )
    unit = serializers.CharField(max_length=60, help_text="Unit of the figure.")
    bound = serializers.ChoiceField(
        choices=QuantityBound.choices, help_text="exact, at_least, at_most or about."
    )


SLUG = re.compile(r"[-a-zA-Z0-9_]+")


@extend_schema_field(OpenApiTypes.STR)
class TeamEntityField(serializers.SlugRelatedField):
    """An entity of the caller's team, by slug."""

    def to_internal_value(self, data: Any) -> Entity:
        # Check the shape before querying: PostgreSQL refuses NUL bytes outright.
        if not isinstance(data, str) or not SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:80])
        return super().to_internal_value(data)

    def get_queryset(self):
        team = self.context.get("team")
        return Entity.objects.for_team(team) if team else Entity.objects.none()


class ClaimWriteIn(serializers.Serializer):
    text = serializers.CharField(help_text="The claim as a single checkable statement.")
    summary = serializers.CharField(
        required=False, allow_blank=True, help_text="Summary."
    )
    quantity = QuantityIn(
        required=False, allow_null=True, help_text="Structured quantity, or null."
    )
    subjects = serializers.ListField(
        child=TeamEntityField(slug_field="slug"),
        required=False,
        help_text="Slugs of entities (of your team) the claim is about.",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=60),
        required=False,
        help_text="Tag names; created as needed.",
    )
    first_appearance_source = serializers.CharField(
        required=False, allow_blank=True, help_text="Who first made the claim, where."
    )
    first_appearance_url = serializers.URLField(
        required=False, allow_blank=True, help_text="URL of the first appearance."
    )
    first_appearance_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When it first appeared: from 1900-01-01 up to now (UTC).",
        validators=[validate_past_moment],
    )

    def service_fields(self) -> dict[str, Any]:
        """Validated data as claim_create/claim_update keyword arguments."""
        data = dict(self.validated_data)
        fields: dict[str, Any] = {}
        if "quantity" in data:
            quantity = data.pop("quantity")
            fields["quantity_amount"] = quantity["amount"] if quantity else None
            fields["quantity_unit"] = quantity["unit"] if quantity else ""
            fields["quantity_bound"] = quantity["bound"] if quantity else ""
        if "subjects" in data:
            fields["subjects"] = data.pop("subjects")
        if "tags" in data:
            fields["tag_names"] = data.pop("tags")
        data.pop("version", None)
        data.pop("reason", None)
        fields.update(data)
        return fields


class ClaimUpdateIn(ClaimWriteIn):
    text = serializers.CharField(
        required=False, help_text="The claim as a single checkable statement."
    )
    version = serializers.IntegerField(
        help_text="The `internal.version` you read; a stale one answers 409."
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Why; required when editing a published claim.",
    )


# Content fields a decision may carry: only a correction takes them.
CONTENT_FIELDS = (
    "text",
    "summary",
    "quantity",
    "subjects",
    "tags",
    "first_appearance_source",
    "first_appearance_url",
    "first_appearance_at",
)


class DecisionIn(ClaimWriteIn):
    """A review decision on the claim version the caller read; a correction also
    carries the new public content (any field left out stays as it is)."""

    decision = serializers.ChoiceField(
        choices=decision_choices(),  # the workflow table's, in its order
        help_text=", ".join(d for d, _ in decision_choices()) + ".",
    )
    version = serializers.IntegerField(
        min_value=1,
        max_value=2**31 - 1,  # the column's range: a larger one is a 400, not a 500
        help_text="The `internal.version` you decided on; if the claim changed "
        "since, 409.",
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Required to request changes, to correct (the public correction "
        "note) and to retract (the reason).",
    )
    publish_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Approve only: the embargo, when it publishes itself.",
    )
    text = serializers.CharField(
        required=False, help_text="Correct only: the new text of the claim."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("decision") != Decision.CORRECT:
            errors = {
                name: "Only a correction changes the content."
                for name in CONTENT_FIELDS
                if name in attrs
            }
            if errors:
                raise serializers.ValidationError(errors)
        return attrs

    def changes(self) -> dict[str, Any]:
        """The content fields given, as claim_correct's `changes`."""
        fields = self.service_fields()
        for name in ("decision", "comment", "publish_at"):
            fields.pop(name, None)
        return fields


class AssessmentIn(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=ConfidenceLevel.choices, help_text="ICD-203 likelihood term (key)."
    )
    rationale = serializers.CharField(help_text="Why: required.")
    evidence = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="Ids of evidence items cited; each must be linked to the claim.",
    )
    effective_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The date it speaks for (default: now; a past date back-fills). "
        "From 1900-01-01 up to now (UTC).",
        validators=[validate_past_moment],
    )
    supersedes = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Id of a mistaken assessment of this claim that this one corrects.",
    )


class LinkIn(serializers.Serializer):
    evidence = serializers.IntegerField(help_text="Id of an evidence item of the team.")
    relation = serializers.ChoiceField(
        choices=Relation.choices, help_text="How the evidence bears on the claim."
    )
    stance = serializers.ChoiceField(
        choices=Stance.choices,
        required=False,
        default="",
        help_text="Statements only: what the speaker says about the claim.",
    )
    note = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="Internal note."
    )
    confirm_contradiction = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Needed (with a reason) for a denial that supports or an "
        "assertion or confirmation that contradicts.",
    )
    reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=2000,
        help_text="Why a contradictory combination is right (with the confirmation).",
    )


class LinkChangeIn(serializers.Serializer):
    """A link's new relation, stance or note (omitted: kept), and why."""

    relation = serializers.ChoiceField(
        choices=Relation.choices, required=False, help_text="New relation."
    )
    stance = serializers.ChoiceField(
        choices=Stance.choices, required=False, help_text="New stance (statements)."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="New internal note."
    )
    confirm_contradiction = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Needed for a contradictory combination (see linking).",
    )
    reason = serializers.CharField(
        max_length=2000, help_text="Why: kept with the link's history and audited."
    )


class UnlinkIn(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000, help_text="Why the link is wrong: kept and audited."
    )


class EvidenceLinkIn(serializers.Serializer):
    """A web page as evidence (kind link), captured when asked or when the team
    captures every new source."""

    url = serializers.URLField(max_length=1000, help_text="The page's URL.")
    title = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=300,
        help_text="Defaults to the URL, then to the captured page's title.",
    )
    description = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="What it shows."
    )
    source = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=300,
        help_text="Who published it.",
    )
    is_restricted = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Source protection: never exported or shown to publishers.",
    )
    capture = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Capture the page now (WACZ, screenshot, DOM, text). A private, "
        "loopback or reserved address is refused (400 on url).",
    )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        if not data.get("title"):
            data.pop("title", None)
        return data


class AnnotationIn(serializers.Serializer):
    """A shape on an image, in the ORIGINAL's pixel space: a W3C `selector`
    (FragmentSelector `xywh=pixel:x,y,w,h`, or SvgSelector with one <polygon> or
    <circle>), or `shape` with `points`."""

    label = serializers.CharField(max_length=120, help_text='e.g. "containers".')
    note = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="Free text."
    )
    count = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text='How many of the label the shape holds ("containers: 84").',
    )
    selector = serializers.DictField(
        required=False, allow_null=True, default=None, help_text="W3C selector."
    )
    shape = serializers.ChoiceField(
        choices=["point", "rectangle", "polygon"],
        required=False,
        default="",
        help_text="With `points`, instead of a selector.",
    )
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), max_length=2),
        required=False,
        allow_null=True,
        default=None,
        max_length=500,
        help_text="[[x, y], ...]: a point; a rectangle's two corners; a polygon.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["selector"] is None and (not attrs["shape"] or not attrs["points"]):
            raise serializers.ValidationError(
                {"selector": "Give a selector, or a shape with points."}
            )
        return attrs


class AnnotationChangeIn(serializers.Serializer):
    """What to change of an annotation: only the fields sent. A new shape is a W3C
    `selector` or `points` (with `shape` to change its kind), in the ORIGINAL's
    pixel space."""

    label = serializers.CharField(
        max_length=120, required=False, help_text="New label."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="New note (empty clears it)."
    )
    count = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="New count; null removes it. Estimates made from the annotation "
        "keep the count they were made from.",
    )
    selector = serializers.DictField(
        required=False, help_text="New shape as a W3C selector."
    )
    shape = serializers.ChoiceField(
        choices=["point", "rectangle", "polygon"],
        required=False,
        help_text="New kind of shape, with `points`.",
    )
    points = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(), max_length=2),
        required=False,
        min_length=1,
        max_length=500,
        help_text="New [[x, y], ...]: a point; a rectangle's two corners; a polygon.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                {"label": "Send at least one of label, note, count, selector, points."}
            )
        if "shape" in attrs and "points" not in attrs:
            raise serializers.ValidationError({"points": "A new shape needs points."})
        if "selector" in attrs and "points" in attrs:
            raise serializers.ValidationError(
                {"selector": "Give a selector or points, not both."}
            )
        return attrs

    def service_fields(self) -> dict[str, Any]:
        """The service's keywords: a null count clears it."""
        fields = dict(self.validated_data)
        if "count" in fields and fields["count"] is None:
            del fields["count"]
            fields["clear_count"] = True
        return fields
