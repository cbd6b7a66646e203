"""A satellite scene as a STAC Item: validated by pystac against the STAC 1.1.0
core schemas it ships and the EO extension schema in tests/data/stac, with the
network refused (nothing is fetched)."""

import json
from pathlib import Path

import orjson
import pystac
import pytest
from django.urls import reverse
from pystac.validation import JsonSchemaSTACValidator

from evidence.maps.services import scene_update
from provenance.claims.models import Claim
from provenance.publishing.exports import builders, native
from tests.evidence.maps.conftest import ACQUIRED
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceItemFactory

SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "stac"
EO_URI = "https://stac-extensions.github.io/eo/v1.1.0/schema.json"
REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "images_formats"


@pytest.fixture
def validator(no_network):
    checker = JsonSchemaSTACValidator()
    checker.schema_cache[EO_URI] = json.loads(
        (SCHEMAS / "eo-v1.1.0-schema.json").read_text()
    )
    return checker


def stac_of(client, item):
    response = client.get(reverse("api:evidence-stac", args=[item.pk]))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return response.json()


def test_a_described_scene_is_a_valid_stac_item(client, editor, add_scene, validator):
    item = add_scene()
    scene_update(
        item_id=item.pk,
        actor=editor,
        provider="Synthetic provider",
        platform="synthetic-1",
        sensor="RGB",
        acquired_at=ACQUIRED,
        gsd_m=5.0,
        cloud_cover_percent=12.5,
    )
    client.force_login(editor)
    data = stac_of(client, item)
    assert pystac.validation.validate_dict(data, validator=validator)
    assert data["stac_version"] == "1.1.0"
    assert data["id"] == f"provenance-evidence-{item.pk}"
    assert data["properties"]["datetime"] == "2023-10-14T02:00:00Z"
    assert data["properties"]["gsd"] == 5.0
    assert data["properties"]["platform"] == "synthetic-1"
    assert data["properties"]["instruments"] == ["RGB"]
    assert data["properties"]["eo:cloud_cover"] == 12.5
    assert data["properties"]["providers"] == [
        {"name": "Synthetic provider", "roles": ["producer"]}
    ]
    assert data["properties"]["provenance:is_synthetic"] is True
    assert data["stac_extensions"] == [EO_URI]
    assert data["geometry"] == item.image.geo["footprint"]
    asset = data["assets"]["original"]
    assert asset["href"].endswith(reverse("evidence:item-original", args=[item.pk]))
    assert asset["provenance:sha256"] == item.sha256


def test_an_undescribed_real_geotiff_is_a_valid_stac_item_too(
    client, editor, add_scene, validator
):
    item = add_scene((REAL / "byte.tif").read_bytes(), title="byte.tif")
    client.force_login(editor)
    data = stac_of(client, item)
    assert pystac.validation.validate_dict(data, validator=validator)
    assert data["stac_extensions"] == []
    assert data["properties"]["gsd"] == 60.0  # from the file: 60 m pixels, UTM
    assert data["bbox"] == item.image.geo["bounds_wgs84"]


def test_an_image_without_footprint_has_no_stac_item(client, editor, team):
    item = EvidenceItemFactory(team=team, kind="image")
    client.force_login(editor)
    response = client.get(reverse("api:evidence-stac", args=[item.pk]))
    assert response.status_code == 404


def test_the_native_export_carries_each_scene_as_the_stac_item_the_api_serves(
    client, editor, team, add_scene, validator, django_assert_max_num_queries
):
    scene = add_scene()
    scene_update(
        item_id=scene.pk,
        actor=editor,
        provider="Synthetic provider",
        platform="synthetic-1",
        sensor="RGB",
        acquired_at=ACQUIRED,
        gsd_m=5.0,
        cloud_cover_percent=12.5,
    )
    undescribed = add_scene((REAL / "byte.tif").read_bytes(), title="byte.tif")
    plain = EvidenceItemFactory(team=team, kind="image")
    claim = ClaimFactory(team=team)
    for item in (scene, undescribed, plain):
        ClaimEvidenceFactory(claim=claim, item=item, relation="supports")
    client.force_login(editor)
    with django_assert_max_num_queries(30):
        response = client.get(reverse("api:claim-detail", args=[claim.pk]))
    exported = {e["evidence"]["id"]: e["evidence"] for e in response.json()["evidence"]}
    assert response.json()["schema_version"] == "1.2"
    assert exported[plain.pk]["stac_item"] is None
    for item in (scene, undescribed):
        stac_item = exported[item.pk]["stac_item"]
        assert pystac.validation.validate_dict(stac_item, validator=validator)
        assert stac_item == stac_of(client, item)
    assert exported[scene.pk]["stac_item"]["properties"]["eo:cloud_cover"] == 12.5
    self_link = next(
        link
        for link in exported[scene.pk]["stac_item"]["links"]
        if link["rel"] == "self"
    )
    assert self_link["href"] == "http://testserver" + reverse(
        "api:evidence-stac", args=[scene.pk]
    )
    # The bulk export loads the scenes from value rows: the same items.
    claims = Claim.objects.filter(pk=claim.pk)
    urls = builders.ExportUrls("http://testserver")
    bulk, plain = (
        list(builders.iter_claim_exports(claims, public=False, urls=urls, bulk=b))
        for b in (True, False)
    )
    assert bulk == plain
    assert (
        orjson.loads(native.native_bytes(bulk[0].evidence))
        == (response.json()["evidence"])
    )


def test_the_evidence_endpoint_carries_the_stac_item_too(
    client, editor, add_scene, validator
):
    scene = add_scene()
    client.force_login(editor)
    data = client.get(reverse("api:evidence-detail", args=[scene.pk])).json()
    assert data["stac_item"] == stac_of(client, scene)
