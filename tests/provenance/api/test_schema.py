"""The OpenAPI schema documents every field, and the JSON we send matches it."""

from dataclasses import fields

import jsonschema
import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from provenance.publishing import exports
from provenance.publishing.api import serializers
from tests.provenance.api.helpers import make_publisher, publisher_client, rich_claim

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _properties(schema):
    for name, component in schema["components"]["schemas"].items():
        for field, spec in component.get("properties", {}).items():
            yield name, field, spec


def test_every_field_is_documented(schema):
    undocumented = [
        f"{name}.{field}"
        for name, field, spec in _properties(schema)
        if not spec.get("description")
    ]
    assert undocumented == []


@pytest.mark.parametrize(
    ("serializer", "dataclass"),
    [
        (serializers.ClaimOut, exports.MemberClaimExport),
        (serializers.EvidenceItemOut, exports.EvidenceItemExport),
        (serializers.AssessmentOut, exports.Assessment),
        (serializers.EvidenceLinkOut, exports.EvidenceLink),
        (serializers.AISSummaryOut, exports.AISSummary),
        (serializers.InternalDetailOut, exports.InternalDetail),
        (serializers.QuantityEstimateOutSerializer, exports.QuantityEstimateOut),
    ],
)
def test_documented_fields_are_the_exported_fields(serializer, dataclass):
    assert list(serializer().fields) == [f.name for f in fields(dataclass)]


def _json_schema(schema, name):
    """OpenAPI 3.0 component -> JSON Schema (nullable and $ref translated)."""

    def convert(node):
        if isinstance(node, list):
            return [convert(n) for n in node]
        if not isinstance(node, dict):
            return node
        node = {k: convert(v) for k, v in node.items()}
        if "$ref" in node:
            node["$ref"] = node["$ref"].replace("#/components/schemas/", "#/$defs/")
        if node.pop("nullable", False):
            return {"anyOf": [node, {"type": "null"}]}
        return node

    defs = convert(schema["components"]["schemas"])
    return {"$ref": f"#/$defs/{name}", "$defs": defs}


def _strict(node):
    """Every object documented must list all of its properties as required keys
    in our output (stable keys), except the members-only `internal`."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items()}
        if node.get("type") == "object" and "properties" in node:
            node["required"] = [p for p in node["properties"] if p != "internal"]
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(n) for n in node]
    return node


def test_publisher_claim_json_matches_the_documented_schema(schema, team):
    claim = rich_claim(team)
    data = (
        publisher_client(make_publisher(team).key)
        .get(reverse("api:claim-detail", args=[claim.pk]))
        .json()
    )
    jsonschema.validate(data, _strict(_json_schema(schema, "ClaimOut")))


def test_member_claim_json_matches_the_documented_schema(schema, team, reporter_client):
    claim = rich_claim(team)
    data = reporter_client.get(reverse("api:claim-detail", args=[claim.pk])).json()
    assert "internal" in data
    jsonschema.validate(data, _strict(_json_schema(schema, "ClaimOut")))
