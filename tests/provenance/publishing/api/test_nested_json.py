"""Deeply nested JSON bodies are refused with a 400 before anything parses them
(Python's json module recurses: `[` x 100,000 was a RecursionError, a 500)."""

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.urls import reverse

from provenance.claims.models import Claim
from provenance.publishing import signing
from tests.factories import ClaimFactory
from tests.provenance.publishing.api.helpers import (
    make_publisher,
    published,
    publisher_client,
)

pytestmark = pytest.mark.django_db

BOMB = "[" * 100_000
TOO_DEEP = {"detail": "JSON parse error - nested more than 64 levels deep."}


def _post(client, url, body, method="post"):
    return getattr(client, method)(url, data=body, content_type="application/json")


def test_a_deeply_nested_body_is_a_400_on_every_endpoint_that_reads_json(
    reporter_client, reporter, team
):
    claim = ClaimFactory(team=team, author=reporter)
    writes = [
        ("post", reverse("api:claim-list")),
        ("patch", reverse("api:claim-detail", args=[claim.pk])),
        ("post", reverse("api:claim-assessments", args=[claim.pk])),
    ]
    for method, url in writes:
        for body in (BOMB, "{" + '"a":{' * 100_000, '{"text": ' + BOMB):
            response = _post(reporter_client, url, body, method)
            assert (response.status_code, response.json()) == (400, TOO_DEEP), url


def test_nesting_up_to_the_limit_is_parsed(reporter_client):
    deep = "[" * 64 + "]" * 64
    response = _post(reporter_client, reverse("api:claim-list"), deep)
    # Parsed, then refused by the serializer for what it is: not an object.
    assert response.status_code == 400
    assert response.json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got list."]
    }
    one_more = "[" + deep + "]"
    response = _post(reporter_client, reverse("api:claim-list"), one_more)
    assert (response.status_code, response.json()) == (400, TOO_DEEP)


def test_brackets_inside_strings_do_not_count(reporter_client, team):
    text = 'Brackets in text: "' + "[{" * 200 + '\\" ]}'
    response = reporter_client.post(
        reverse("api:claim-list"),
        data={"text": text},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Claim.objects.get(pk=response.json()["id"]).text == text


def test_a_publisher_posting_a_bomb_is_refused_before_its_body_is_read(team):
    published(team)
    client = publisher_client(make_publisher(team).key)
    response = _post(client, reverse("api:claim-list"), BOMB)
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "Publisher keys are read-only."},
    )


def test_depth_scan_ignores_escaped_quotes_and_counts_both_kinds():
    from provenance.common.jsonlimits import json_depth_exceeds

    assert not json_depth_exceeds(b'["\\"[[[[", {"a": [1]}]', limit=3)
    assert json_depth_exceeds(b'[{"a": [[1]]}]', limit=3)
    assert not json_depth_exceeds(b'[{"a": [[1]]}]', limit=4)
    assert not json_depth_exceeds(b"", limit=1)


def test_the_bundle_verifier_refuses_a_deeply_nested_file():
    public_key = Ed25519PrivateKey.generate().public_key()
    # 1,000 levels: under orjson's own limit (1,024), over Python's recursion limit
    # for the canonical re-encoding.
    signature = {
        "alg": signing.ALGORITHM,
        "key_id": signing.key_id(public_key),
        "value": "AA",
    }
    body = (
        b'{"payload": {"a": '
        + b"[" * 1000
        + b"]" * 1000
        + b'}, "signature": '
        + orjson.dumps(signature)
        + b"}"
    )
    result = signing.verify_bundle(body, public_key=public_key)
    assert (result.is_valid, result.reason) == (
        False,
        "the file is not valid JSON (nested more than 64 levels deep)",
    )


def test_a_body_over_the_upload_limit_is_a_413(reporter_client, settings):
    # Django refuses it with an HTML 400; the API says so in JSON, with the limit.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = orjson.dumps({"text": "x" * 1000}).decode()
    response = _post(reporter_client, reverse("api:claim-list"), body)
    assert (response.status_code, response.json()) == (
        413,
        {"detail": "The request body is larger than 1000 bytes."},
    )
    assert not Claim.objects.exists()


def test_a_bomb_in_another_charset_is_refused_alike(reporter_client):
    response = reporter_client.post(
        reverse("api:claim-list"),
        data=BOMB,
        content_type="application/json; charset=utf-16",
    )
    assert (response.status_code, response.json()) == (400, TOO_DEEP)
