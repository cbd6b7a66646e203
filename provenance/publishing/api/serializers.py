"""Input serializers validate writes; output serializers document the export shape.

Claims are rendered from the frozen dataclasses in `provenance.publishing.exports`
(orjson), not through these serializers: the `*Out` serializers below describe that
JSON for the OpenAPI schema, and tests/provenance/api/test_schema.py keeps the two
in step.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from provenance.claims.confidence import ConfidenceLevel
from provenance.claims.models import (
    ClaimStatus,
    Decision,
    QuantityBound,
    Relation,
    Stance,
)
from provenance.common.dates import validate_past_moment
from provenance.entities.models import Entity, EntityKind

H = "help_text"


def _dt(text: str, *, null: bool = False) -> serializers.DateTimeField:
    return serializers.DateTimeField(help_text=text, allow_null=null)


def _str(text: str, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(help_text=text, **kwargs)


# --- Output: the native claim JSON ----------------------------------------------------


class EntityRefOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="Entity id within Provenance.")
    slug = _str("Stable slug of the entity within its team.")
    name = _str("Display name.")
    kind = serializers.ChoiceField(
        choices=EntityKind.choices, help_text="What the entity is."
    )
    country = _str("ISO 3166-1 alpha-2 country code, or empty.")
    imo = _str("Vessel IMO number, or empty.")
    mmsi = _str("Vessel MMSI, or empty.")
    locode = _str("Port UN/LOCODE, or empty.")


class QuantityOut(serializers.Serializer):
    amount = serializers.DecimalField(
        max_digits=20,
        decimal_places=4,
        help_text="The figure, as a decimal string (no exponent).",
    )
    unit = _str("Unit of the figure, e.g. 'containers'.")
    bound = serializers.ChoiceField(
        choices=QuantityBound.choices,
        help_text="exact, at_least, at_most or about.",
    )
    display = _str("Human-readable form, e.g. 'at least 1,000 containers'.")


class QuantityEstimateOutSerializer(QuantityOut):
    source_label = _str("Who gave this figure.")
    source_url = _str("Where the figure was given, or empty.")
    source_entity = EntityRefOut(
        allow_null=True, help_text="The source as an entity, if recorded."
    )
    stated_at = _dt("When the source gave the figure.", null=True)
    is_current = serializers.BooleanField(
        help_text="True for the estimate the team uses as the claim's quantity."
    )


class FirstAppearanceOut(serializers.Serializer):
    source = _str("Who first made the claim, and where (free text).")
    entity = EntityRefOut(allow_null=True, help_text="Who first made it, as entity.")
    url = _str("URL of the first appearance, or empty.")
    at = _dt("When the claim first appeared.", null=True)


class AssessmentOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="Assessment id (append-only record).")
    level = serializers.ChoiceField(
        choices=ConfidenceLevel.choices, help_text="ICD-203 likelihood term (key)."
    )
    label = _str("ICD-203 likelihood term as words, e.g. 'Very likely'.")
    rank = serializers.IntegerField(
        min_value=1, max_value=7, help_text="1 (almost no chance) … 7 (almost certain)."
    )
    probability_low = serializers.IntegerField(
        help_text="Lower bound of the term's probability band, in percent."
    )
    probability_high = serializers.IntegerField(
        help_text="Upper bound of the term's probability band, in percent."
    )
    rationale = _str("Why the team assessed it so.")
    effective_at = _dt("The date this assessment speaks for.")
    recorded_at = _dt("When the assessment was recorded.")
    evidence_ids = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Ids of the evidence items cited (exported items only).",
    )


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


class GradeOut(serializers.Serializer):
    code = _str("Admiralty code, e.g. 'B2'.")
    source_reliability = _str("A (completely reliable) … F (cannot be judged).")
    information_credibility = _str("1 (confirmed) … 6 (cannot be judged).")


class StatementOutSerializer(serializers.Serializer):
    speaker = EntityRefOut(allow_null=True, help_text="Who spoke (a person).")
    on_behalf_of = EntityRefOut(
        allow_null=True, help_text="Organization or government spoken for."
    )
    stated_at = _dt("When the statement was made.")
    venue = _str("Venue or medium.")
    quote = _str("The quote, in English.")
    original_text = _str("The quote in its original language, if different.")
    original_language = _str("Language code of the original text.")


class PortCallOutSerializer(serializers.Serializer):
    mmsi = _str("MMSI of the vessel.")
    vessel = _str("Slug of the vessel entity, if matched.", allow_null=True)
    port = _str("Port name.")
    port_locode = _str("Port UN/LOCODE, or empty.")
    arrival_at = _dt("Arrival time (UTC).")
    departure_at = _dt("Departure time, or null if still in port.", null=True)


class DarkPeriodOut(serializers.Serializer):
    mmsi = _str("MMSI of the vessel.")
    vessel = _str("Slug of the vessel entity, if matched.", allow_null=True)
    start_at = _dt("Last report before the gap.")
    end_at = _dt("First report after the gap.")
    duration_hours = serializers.FloatField(help_text="Length of the gap in hours.")
    distance_km = serializers.FloatField(help_text="Distance across the gap.")
    implied_speed_knots = serializers.FloatField(
        help_text="Distance over duration, in knots."
    )
    near_port = _str("Port near either end of the gap, if any.", allow_null=True)


class VoyageOut(serializers.Serializer):
    mmsi = _str("MMSI of the vessel.")
    from_port = _str("Port of departure.")
    to_port = _str("Port of arrival.")
    departure = _str("Departure time (ISO 8601).")
    arrival = _str("Arrival time (ISO 8601).")
    duration_hours = serializers.FloatField(help_text="Length of the voyage.")


class AISSummaryOut(serializers.Serializer):
    source_format = _str("Source format of the extract.")
    rows_read = serializers.IntegerField(help_text="Rows read from the file.")
    rows_kept = serializers.IntegerField(help_text="Rows kept after validation.")
    first_at = _dt("First position report.", null=True)
    last_at = _dt("Last position report.", null=True)
    analysis_params = serializers.DictField(
        child=serializers.FloatField(),
        help_text="Parameters of the analysis (thresholds), kept to re-run it.",
    )
    port_calls = PortCallOutSerializer(many=True, help_text="Port calls found.")
    voyages = VoyageOut(many=True, help_text="Voyages between port calls.")
    dark_periods = DarkPeriodOut(
        many=True, help_text="Transponder dark periods (AIS gaps)."
    )


class EvidenceOutSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Evidence item id.")
    # A CharField, not a ChoiceField: a second enum named "kind" (entities have one)
    # would need ENUM_NAME_OVERRIDES in settings.
    kind = _str("Kind of evidence: image, ais, statement, document or link.")
    title = _str("Title.")
    description = _str("Description.")
    source = _str("Source or provider, e.g. 'Maxar'.")
    credit = _str("Credit line.")
    licence = _str("Licence.")
    url = _str("Public URL of the item, or empty.")
    archived_url = _str("URL of an archived copy, or empty.")
    observed_at = _dt("When the thing happened, was said or was taken.", null=True)
    sha256 = _str("SHA-256 of the original file (hex), or empty.")
    size_bytes = serializers.IntegerField(
        allow_null=True, help_text="Size of the original file."
    )
    mime_type = _str("Detected type of the original file.")
    grade = GradeOut(help_text="Admiralty grade of source and information.")
    is_synthetic = serializers.BooleanField(
        help_text="Generated stand-in data (demo), not real evidence."
    )
    is_restricted = serializers.BooleanField(
        help_text="Source protection; always false in publisher output."
    )
    thumbnail_url = _str("API URL of a thumbnail, for images.", allow_null=True)
    statement = StatementOutSerializer(
        allow_null=True, help_text="Statement details, for statements."
    )
    ais = AISSummaryOut(allow_null=True, help_text="AIS summary, for AIS extracts.")


class EvidenceLinkOut(serializers.Serializer):
    relation = serializers.ChoiceField(
        choices=Relation.choices, help_text="How the evidence bears on the claim."
    )
    stance = serializers.ChoiceField(
        choices=[*Stance.choices, ("", "None")],
        help_text="For statements: the speaker's stance toward the claim.",
    )
    linked_at = _dt("When the evidence was linked to the claim.")
    evidence = EvidenceOutSerializer(help_text="The evidence item.")


class CorrectionOut(serializers.Serializer):
    corrected_at = _dt("When a correction was published.")


class ReviewStateOut(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=ClaimStatus.choices,
        help_text="Review status; publishers see 'published' or 'retracted'.",
    )
    published_at = _dt("When the claim was first published.", null=True)
    correction_note = _str("The public correction note, if corrected.")
    corrections = CorrectionOut(many=True, help_text="Each published correction.")
    retraction_reason = _str("Why the claim was retracted, if it was.")


class InternalReviewOut(serializers.Serializer):
    decision = _str("Review decision.")
    from_status = _str("Status before.")
    to_status = _str("Status after.")
    comment = _str("Reviewer's comment.")
    by = _str("Username of the reviewer.")
    at = _dt("When.")


class InternalLinkNoteOut(serializers.Serializer):
    evidence_id = serializers.IntegerField(help_text="Evidence item id.")
    note = _str("Internal note on the link.")
    linked_by = _str("Username who linked it.", allow_null=True)


class InternalDetailOut(serializers.Serializer):
    version = serializers.IntegerField(
        help_text="Edit version; send it back as `version` when updating."
    )
    author = _str("Username of the claim's author.")
    last_edited_by = _str("Username of the last editor.", allow_null=True)
    assessed_by = serializers.ListField(
        child=serializers.CharField(),
        help_text="Assessor of each entry of confidence_history, in order.",
    )
    link_notes = InternalLinkNoteOut(many=True, help_text="Notes on evidence links.")
    reviews = InternalReviewOut(many=True, help_text="Every review decision.")


class ClaimOut(serializers.Serializer):
    schema_version = _str("Version of this JSON schema, e.g. '1.0'.")
    id = serializers.IntegerField(help_text="Claim id.")
    url = _str("API URL of the claim.")
    team = _str("Slug of the team that owns the claim.")
    team_name = _str("Name of the team that owns the claim.")
    slug = _str("Slug of the claim within its team.")
    text = _str("The claim as a single checkable statement.")
    summary = _str("Summary.")
    subjects = EntityRefOut(many=True, help_text="Entities the claim is about.")
    tags = serializers.ListField(child=serializers.CharField(), help_text="Tag slugs.")
    quantity = QuantityOut(allow_null=True, help_text="Structured quantity, if any.")
    quantity_estimates = QuantityEstimateOutSerializer(
        many=True, help_text="Each source's figure for the quantity."
    )
    first_appearance = FirstAppearanceOut(help_text="Where the claim first appeared.")
    confidence = AssessmentOut(
        allow_null=True,
        help_text="The confidence in force: the latest assessment by effective date.",
    )
    confidence_history = AssessmentOut(
        many=True, help_text="Every assessment, oldest first (effective date)."
    )
    evidence = EvidenceLinkOut(
        many=True, help_text="Linked evidence with relation and stance."
    )
    denials = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Evidence ids of statements denying the claim, newest first.",
    )
    review = ReviewStateOut(help_text="Publication state and corrections.")
    created_at = _dt("When the claim was created.")
    updated_at = _dt("Last change; use with `updated_since` for incremental sync.")
    as_of = _dt(
        "Set when the claim is shown as it stood at a past date (`?as_of=`).",
        null=True,
    )
    internal = InternalDetailOut(
        required=False,
        help_text="Team members only; never present for publishers.",
    )


class EvidenceItemOut(EvidenceOutSerializer):
    team = _str("Slug of the team that owns the item.")
    obtained_at = _dt("When the team obtained it.", null=True)
    created_at = _dt("When it was added.")
    updated_at = _dt("Last change.")


class EntityOut(serializers.ModelSerializer):
    class Meta:
        model = Entity
        fields = [
            "id",
            "kind",
            "name",
            "slug",
            "description",
            "aliases",
            "country",
            "imo",
            "mmsi",
            "call_sign",
            "flag",
            "locode",
            "latitude",
            "longitude",
            "is_synthetic",
            "updated_at",
        ]
        extra_kwargs = {
            "id": {H: "Entity id."},
            "kind": {H: "What the entity is."},
            "name": {H: "Display name."},
            "slug": {H: "Slug within the team."},
            "description": {H: "Description."},
            "country": {H: "ISO 3166-1 alpha-2."},
            "imo": {H: "Vessel IMO number."},
            "mmsi": {H: "Vessel MMSI."},
            "call_sign": {H: "Vessel call sign."},
            "flag": {H: "Vessel flag, ISO 3166-1 alpha-2."},
            "locode": {H: "Port UN/LOCODE."},
            "latitude": {H: "Latitude (WGS 84) of a port or facility."},
            "longitude": {H: "Longitude (WGS 84) of a port or facility."},
            "is_synthetic": {H: "Generated stand-in data (demo)."},
            "updated_at": {H: "Last change."},
        }

    aliases = serializers.ListField(
        child=serializers.CharField(), help_text="Other names the entity goes by."
    )


class PublicKeyOut(serializers.Serializer):
    keys = serializers.ListField(
        child=serializers.DictField(), help_text="The key as a JWK set (RFC 8037)."
    )
    pem = _str("The public key as PEM (SubjectPublicKeyInfo).")
    signature_format = _str("What is signed.")


class SignatureOut(serializers.Serializer):
    alg = _str("Always 'Ed25519'.")
    key_id = _str("Key id: first 16 hex of SHA-256 of the raw public key.")
    value = _str("The signature, base64url without padding.")


class BundlePayloadOut(serializers.Serializer):
    schema_version = _str("Bundle schema version.")
    kind = _str("Always 'provenance.bundle'.")
    created_at = _dt("When the bundle was made.")
    audit_heads = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per team: {team, seq, hash} of the audit chain's head.",
    )
    claims = ClaimOut(many=True, help_text="The claims, in id order.")


class BundleOut(serializers.Serializer):
    payload = BundlePayloadOut(help_text="The signed content.")
    signature = SignatureOut(
        help_text="Ed25519 over the RFC 8785 canonical JSON of `payload`."
    )


# --- Input ----------------------------------------------------------------------------


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
        choices=[
            (d, Decision(d).label)
            for d in (
                Decision.SUBMIT,
                Decision.APPROVE,
                Decision.REQUEST_CHANGES,
                Decision.PUBLISH,
                Decision.CORRECT,
                Decision.RETRACT,
            )
        ],
        help_text="submit, approve, request_changes, publish, correct or retract.",
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
