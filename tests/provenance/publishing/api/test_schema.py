"""The OpenAPI schema documents every field, and the JSON we send matches it."""

import typing
from dataclasses import fields, is_dataclass

import jsonschema
import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from provenance.publishing.exports import shapes
from tests.provenance.publishing.api.helpers import (
    make_publisher,
    publisher_client,
    rich_claim,
)

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


def _component(spec):
    """The component a property refers to, directly, nullable or as list items."""
    for node in (spec, *spec.get("allOf", []), spec.get("items", {})):
        if "$ref" in node:
            return node["$ref"].rsplit("/", 1)[-1]
    return None


def _nullable(annotation) -> bool:
    return type(None) in typing.get_args(annotation)


EVIDENCE = {"EvidenceOut", "GradeOut", "StatementOut", "EntityRefOut"}
AIS = {"AISSummaryOut", "PortCallOut", "DarkPeriodOut"}
CAPTURE = {
    "CaptureOut",
    "CaptureFileOut",
    "CaptureSignatureOut",
    "CaptureTimestampOut",
    "CaptureTLSOut",
    "CertificateOut",
}
CLAIM = {
    "ClaimOut",
    "CitedRelationshipOut",
    "RelationshipOut",
    "QuantityOut",
    "QuantityEstimateOut",
    "FirstAppearanceOut",
    "AssessmentOut",
    "EvidenceLinkOut",
    "ReviewStateOut",
    "CorrectionOut",
    "InternalDetailOut",
    "InternalLinkNoteOut",
    "InternalReviewOut",
}


@pytest.mark.parametrize(
    ("component", "shape", "reached"),
    [
        ("ClaimOut", shapes.MemberClaimExport, CLAIM | EVIDENCE | AIS | CAPTURE),
        (
            "EvidenceItemOut",
            shapes.EvidenceItemExport,
            {"EvidenceItemOut"} | EVIDENCE - {"EvidenceOut"} | AIS | CAPTURE,
        ),
        ("AssessmentOut", shapes.Assessment, {"AssessmentOut"}),
    ],
)
def test_documented_fields_are_the_exported_fields(schema, component, shape, reached):
    """Each component the API documents for an export has exactly the dataclass's
    fields, in order, nullable exactly where the dataclass admits None, and every
    one required except the members-only `internal`; nested shapes likewise, down
    to the leaves."""
    components = schema["components"]["schemas"]
    todo, seen = [(component, shape)], set()
    while todo:
        name, cls = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        documented = components[name]["properties"]
        hints = typing.get_type_hints(cls)
        assert list(documented) == [f.name for f in fields(cls)], name
        assert {f: bool(spec.get("nullable")) for f, spec in documented.items()} == {
            f.name: _nullable(hints[f.name]) for f in fields(cls)
        }, name
        assert sorted(components[name]["required"]) == sorted(
            f.name for f in fields(cls) if f.name != "internal"
        ), name
        for f in fields(cls):
            nested = [
                t
                for t in (hints[f.name], *typing.get_args(hints[f.name]))
                if is_dataclass(t)
            ]
            if nested:
                ref = _component(documented[f.name])
                assert ref is not None, f"{name}.{f.name}"
                todo.append((ref, nested[0]))
    assert seen == reached


def _json_schema(schema, name):
    """OpenAPI 3.0 component -> JSON Schema (nullable and $ref translated)."""
    return _document(schema, {"$ref": f"#/components/schemas/{name}"})


def _document(schema, node):
    """An OpenAPI 3.0 schema node -> JSON Schema (nullable and $ref translated)."""

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

    return {**convert(node), "$defs": convert(schema["components"]["schemas"])}


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


def _answer(schema, path, method, status):
    return schema["paths"][path][method]["responses"][status]["content"][
        "application/json"
    ]["schema"]


def test_assessment_answers_match_the_documented_schema(schema, team, reporter_client):
    """The history is a plain list of AssessmentOut, a new one an AssessmentOut;
    the PROV document is documented as an object, not as a claim."""
    claim = rich_claim(team)
    url = reverse("api:claim-assessments", args=[claim.pk])
    path = "/api/v1/claims/{id}/assessments/"
    history = reporter_client.get(url).json()
    assert len(history) == 2
    jsonschema.validate(
        history, _strict(_document(schema, _answer(schema, path, "get", "200")))
    )
    created = reporter_client.post(
        url, {"level": "likely", "rationale": "Why."}, content_type="application/json"
    )
    assert created.status_code == 201
    jsonschema.validate(
        created.json(), _strict(_document(schema, _answer(schema, path, "post", "201")))
    )
    prov = _answer(schema, "/api/v1/claims/{id}/prov/", "get", "200")
    assert prov == {"type": "object", "additionalProperties": {}}
