"""Output serializers: they document the JSON for the OpenAPI schema only.

Claims and evidence are rendered from the frozen dataclasses in
`provenance.publishing.exports.shapes` (orjson), never through these serializers.
Their documentation is generated from those same dataclasses (`shape_serializer`:
field names, order, types, nullability and help text), so the schema cannot drift
from the JSON; tests/provenance/publishing/api/test_schema.py checks both ends.
"""

from __future__ import annotations

import functools
import types
import typing
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from provenance.entities.models import Entity
from provenance.publishing.exports.shapes import (
    Assessment,
    EvidenceItemExport,
    LinkRecord,
    MemberClaimExport,
    MemberRelationship,
    field_doc,
)

H = "help_text"

# Component names the API has always had; any other shape is "<Name>Out".
COMPONENT_NAMES = {MemberClaimExport: "ClaimOut", EvidenceItemExport: "EvidenceItemOut"}
SCALARS: dict[Any, type[serializers.Field]] = {
    str: serializers.CharField,
    int: serializers.IntegerField,
    float: serializers.FloatField,
    bool: serializers.BooleanField,
    datetime: serializers.DateTimeField,
    date: serializers.DateField,
    Any: serializers.JSONField,  # a value passed through as built (a STAC Item)
}


def optional(annotation: Any) -> tuple[Any, bool]:
    """(the type, whether None is allowed) of a field's annotation."""
    # The shapes write `X | None`; typing.get_type_hints may give typing.Optional.
    if isinstance(annotation, types.UnionType) or (
        typing.get_origin(annotation) is typing.Union
    ):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(annotation))
    return annotation, False


def _drf_field(annotation: Any, **kwargs: Any) -> serializers.Field:
    """The DRF field documenting a value of type `annotation`."""
    kind, kwargs["allow_null"] = optional(annotation)
    origin = typing.get_origin(kind)
    if is_dataclass(kind):
        return shape_serializer(kind)(**kwargs)
    if origin is tuple:  # tuple[X, ...]
        item = typing.get_args(kind)[0]
        if is_dataclass(item):
            return shape_serializer(item)(many=True, **kwargs)
        return serializers.ListField(child=_drf_field(item), **kwargs)
    if origin is dict:  # dict[str, X]
        return serializers.DictField(
            child=_drf_field(typing.get_args(kind)[1]), **kwargs
        )
    if kind is Decimal:
        return serializers.DecimalField(**kwargs)
    if "choices" in kwargs:
        return serializers.ChoiceField(**kwargs)
    return SCALARS[kind](**kwargs)


@functools.cache
def shape_serializer(shape: type) -> type[serializers.Serializer]:
    """A Serializer class with one field per dataclass field, in order: the type
    from the annotation (`Doc.like` overrides it), nullable when it admits None,
    help text and choices from the field's `Doc`. One class per dataclass, so a
    nested shape is one schema component."""
    hints = typing.get_type_hints(shape)
    attrs: dict[str, Any] = {"__module__": __name__, "__doc__": None}
    for field in fields(shape):
        spec = field_doc(field)
        kwargs: dict[str, Any] = {H: spec.text}
        annotation = hints[field.name]
        if spec.like is not None:
            annotation = spec.like
        if spec.decimal is not None:
            annotation = Decimal | None if optional(annotation)[1] else Decimal
            kwargs["max_digits"], kwargs["decimal_places"] = spec.decimal
        if spec.choices:
            kwargs["choices"] = list(spec.choices)
        if spec.minimum is not None:
            kwargs["min_value"] = spec.minimum
        if spec.maximum is not None:
            kwargs["max_value"] = spec.maximum
        if spec.members_only:
            kwargs["required"] = False
        attrs[field.name] = _drf_field(annotation, **kwargs)
    name = COMPONENT_NAMES.get(shape, shape.__name__)
    if not name.endswith("Out"):
        name += "Out"
    return type(name, (serializers.Serializer,), attrs)


ClaimOut = shape_serializer(MemberClaimExport)
EvidenceItemOut = shape_serializer(EvidenceItemExport)
RelationshipMemberOut = shape_serializer(MemberRelationship)
AssessmentOut = shape_serializer(Assessment)
LinkOut = shape_serializer(LinkRecord)


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


class SignatureOut(serializers.Serializer):
    alg = serializers.CharField(help_text="Always 'Ed25519'.")
    key_id = serializers.CharField(
        help_text="Key id: first 16 hex of SHA-256 of the raw public key."
    )
    value = serializers.CharField(help_text="The signature, base64url without padding.")


class BundlePayloadOut(serializers.Serializer):
    schema_version = serializers.CharField(help_text="Bundle schema version.")
    kind = serializers.CharField(help_text="Always 'provenance.bundle'.")
    created_at = serializers.DateTimeField(help_text="When the bundle was made.")
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


class CaptureVersionFileOut(serializers.Serializer):
    role = serializers.ChoiceField(
        choices=["wacz", "screenshot", "dom", "text", "summary", "timestamp"],
        help_text="Which file of the capture.",
    )
    sha256 = serializers.CharField(help_text="SHA-256 of the stored bytes (hex).")
    size_bytes = serializers.IntegerField(help_text="Size in bytes.")
    mime_type = serializers.CharField(help_text="Media type.")


class CaptureVersionOut(serializers.Serializer):
    """One capture of a link's page or a statement's source: a version, kept."""

    id = serializers.IntegerField(help_text="Id of the capture.")
    number = serializers.IntegerField(
        help_text="1 for the item's first capture, 2 for the next…"
    )
    state = serializers.ChoiceField(
        choices=["queued", "captured", "failed"],
        help_text="queued (waiting or running), captured, or failed (see errors).",
    )
    requested_url = serializers.URLField(help_text="The URL asked for.")
    requested_at = serializers.DateTimeField(help_text="When it was asked for.")
    requested_by = serializers.CharField(
        allow_null=True, help_text="Username of who asked (null if deleted)."
    )
    captured_at = serializers.DateTimeField(
        allow_null=True, help_text="When the page was stored (null until then)."
    )
    final_url = serializers.CharField(help_text="The URL after redirects.")
    http_status = serializers.IntegerField(
        allow_null=True, help_text="The page's HTTP status."
    )
    title = serializers.CharField(help_text="The page's title.")
    server_ip = serializers.CharField(
        allow_null=True, help_text="The address the page came from."
    )
    redirects = serializers.ListField(
        child=serializers.CharField(), help_text="The URLs redirected from."
    )
    refused = serializers.ListField(
        child=serializers.DictField(),
        help_text="Requests refused ({url, resource_type, reason}): address "
        "policy, size, resource and time caps.",
    )
    errors = serializers.ListField(
        child=serializers.CharField(), help_text="Requests or steps that failed."
    )
    truncated = serializers.ListField(
        child=serializers.DictField(),
        help_text="Parts cut at the capture's caps ({what: screenshot, text or "
        "dom, reason}).",
    )
    files = CaptureVersionFileOut(
        many=True, help_text="The stored files with their hashes."
    )
