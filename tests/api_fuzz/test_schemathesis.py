"""Fuzz the API from its own OpenAPI schema, over real HTTP against a live server.

Three identities, all against the access-matrix world (tests/access_matrix/world.py):
a member of team A (DRF token), team A's publisher (API key), and a member of team
B. The checks: no 5xx, responses (status, content type, headers, body) as the
schema documents, auth enforced, and object-level authorization: every object of
team A that team A's member reads is 404 for team B's member and team B's publisher.

Bounded for CI: 25 examples per operation, derandomized (same cases every run).
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
import pytest
import requests
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from evidence.models import AISPosition, EvidenceItem, EvidenceKind, ImageDetail
from provenance.claims.models import Claim
from provenance.entities.models import Entity
from tests.access_matrix.world import World, build_world

pytestmark = pytest.mark.fuzz
log = logging.getLogger(__name__)

MAX_EXAMPLES = 25
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CASES = {"member": 0, "publisher": 0}
# DRF coerces scalars on purpose (a JSON 0 for a string field is saved as "0"), so
# "schema-violating request accepted" would flag DRF itself rather than us. It ran
# while this file was written and found two real ones, both fixed: an empty
# `updated_since` ignored instead of rejected, and a non-numeric `page_size`.
# And "schema-valid request rejected" cannot know that `subjects` must name
# entities of your team: a random slug is rightly a 400.
EXCLUDED = [negative_data_rejection, positive_data_acceptance]


@pytest.fixture(scope="module", autouse=True)
def _count_cases():
    yield
    log.info("schemathesis cases run: %s", CASES)


@pytest.fixture
def world(transactional_db) -> World:
    return build_world()


@pytest.fixture
def member_headers(world) -> dict[str, str]:
    token = Token.objects.create(user=world.editor_a)
    return {"Authorization": f"Token {token.key}"}


@pytest.fixture
def publisher_headers(world) -> dict[str, str]:
    return {"Authorization": f"Api-Key {world.key_a}"}


def _served_schema() -> dict:
    """What GET /api/v1/schema/ serves (test_the_fuzzed_schema_is_the_served_one).

    Loaded at import, not from the live server through a fixture: schemathesis'
    lazy `from_fixture` schemas do not work under pytest 9 (they rename the test
    node through `_nodeid`, which pytest 9 no longer has)."""
    return SchemaGenerator().get_schema(request=None, public=True)


SCHEMA = _served_schema()
schema = schemathesis.openapi.from_dict(orjson.loads(orjson.dumps(SCHEMA)))


@pytest.fixture
def base_url(live_server) -> str:
    return live_server.url


def test_the_fuzzed_schema_is_the_served_one(live_server, db):
    served = requests.get(
        f"{live_server.url}/api/v1/schema/",
        headers={"Accept": "application/vnd.oai.openapi+json"},
        timeout=10,
    )
    assert served.status_code == 200
    assert served.json() == orjson.loads(orjson.dumps(SCHEMA))


@schema.parametrize()
@FUZZ
def test_api_as_member(case, base_url, member_headers):
    CASES["member"] += 1
    case.call_and_validate(
        base_url=base_url, headers=member_headers, excluded_checks=EXCLUDED
    )


@schema.parametrize()
@FUZZ
def test_api_as_publisher(case, base_url, publisher_headers):
    CASES["publisher"] += 1
    case.call_and_validate(
        base_url=base_url, headers=publisher_headers, excluded_checks=EXCLUDED
    )


# --- Object-level authorization -------------------------------------------------------


def test_every_id_operation_is_the_target_of_a_link():
    """The stateful phase, and with it the object-level authorization check below,
    reaches an `{id}` operation only through an OpenAPI link from where ids come
    from (a list or a create answer): GET /api/v1/evidence/{id}/ had none, and a
    leak planted there went unnoticed."""
    targets = {
        link["operationId"]
        for item in SCHEMA["paths"].values()
        for operation in item.values()
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    }
    id_operations = {
        operation["operationId"]
        for path, item in SCHEMA["paths"].items()
        if "{id}" in path
        for operation in item.values()
    }
    assert sorted(id_operations - targets) == []
    # Each is linked from its collection's list, the first id of its results.
    listed = {
        link["operationId"]
        for path, item in SCHEMA["paths"].items()
        if "get" in item and "{id}" not in path
        for link in item["get"]["responses"]["200"].get("links", {}).values()
        if link["parameters"] == {"id": "$response.body#/results/0/id"}
    }
    assert sorted(id_operations - listed) == []


WFC_CONFIG = """
[auth.wfc]
path = "{path}"
peers = ["team-a", "team-b"]
"""


def test_object_level_authorization_between_team_peers(live_server, world, tmp_path):
    """schemathesis' own BOLA check: with members of team A and team B as peers,
    whatever one reads of its own must not be readable by the other."""
    token_a = Token.objects.create(user=world.editor_a).key
    token_b = Token.objects.create(user=world.reporter_b).key
    wfc = {
        "auth": [
            {
                "name": name,
                "fixedHeaders": [{"name": "Authorization", "value": f"Token {key}"}],
            }
            for name, key in (("team-a", token_a), ("team-b", token_b))
        ]
    }
    (tmp_path / "wfc.json").write_bytes(orjson.dumps(wfc))
    config = tmp_path / "schemathesis.toml"
    config.write_text(WFC_CONFIG.format(path=tmp_path / "wfc.json"))
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(config),
            "run",
            f"{live_server.url}/api/v1/schema/",
            "--checks",
            "object_level_authorization,not_a_server_error",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--generation-deterministic",
            "--seed",
            "1",
            "--phases",
            "fuzzing,stateful",
            "--workers",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        check=False,
    )
    log.info("schemathesis run:\n%s", result.stdout)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]


def _team_a_ids(world: World) -> dict[str, list[int]]:
    """Every id of team A's objects, by the collection the API serves them from."""
    team = world.team_a
    return {
        "claims": list(Claim.objects.filter(team=team).values_list("pk", flat=True)),
        "evidence": list(
            EvidenceItem.objects.filter(team=team).values_list("pk", flat=True)
        ),
        "entities": list(Entity.objects.filter(team=team).values_list("pk", flat=True)),
    }


def _has_representation(path: str, pk: int) -> bool:
    """Whether team A's object has what the operation serves: a thumbnail is an
    image's, a map an AIS track's or a located image's, a STAC Item a scene's."""
    if not path.startswith("/api/v1/evidence/"):
        return True
    item = EvidenceItem.objects.get(pk=pk)
    image = ImageDetail.objects.filter(item=item).first()
    tracked = AISPosition.objects.filter(
        extract__item=item, extract__analysed_at__isnull=False
    ).exists()
    located = image is not None and (
        image.gps_latitude is not None or image.geo is not None
    )
    scene = image is not None and bool((image.geo or {}).get("footprint"))
    if path.endswith("/thumbnail/"):
        return item.kind == EvidenceKind.IMAGE
    if path.endswith("/geojson/"):
        return tracked or located
    if path.endswith("/mf-json/"):
        return tracked
    if path.endswith("/stac/"):
        return scene
    return True


# Collections a publisher may not read at all, whoever owns the object: 403.
PUBLISHERS_NEVER = {
    "/api/v1/evidence/{id}/",
    "/api/v1/entities/{id}/",
    "/api/v1/claims/{id}/assessments/",
    "/api/v1/claims/{id}/links/",
    # Team members' views of evidence and entities, as the item itself.
    "/api/v1/entities/{id}/relationships/",
    "/api/v1/evidence/{id}/annotations/",
    "/api/v1/evidence/{id}/captures/",
    "/api/v1/evidence/{id}/geojson/",
    "/api/v1/evidence/{id}/mf-json/",
    "/api/v1/evidence/{id}/stac/",
}


def test_no_object_of_team_a_reaches_team_b(live_server, world):
    """Our own cross-team check, exhaustive where the fuzzer samples: every GET
    operation with an id, for every object of team A, as team B's member and as
    team B's publisher: exactly 404, or 403 where publishers may not go at all."""
    ids = _team_a_ids(world)
    token_b = Token.objects.create(user=world.reporter_b).key
    token_a = Token.objects.create(user=world.editor_a).key
    callers = {
        "member of team B": {"Authorization": f"Token {token_b}"},
        "publisher of team B": {"Authorization": f"Api-Key {world.key_b}"},
    }
    leaks, checked = [], 0
    served: Counter[str] = Counter()
    for path, item in SCHEMA["paths"].items():
        if "get" not in item or "{id}" not in path:
            continue
        collection = re.match(r"/api/v1/([^/]+)/\{id\}/", path)
        assert collection, path
        assert collection[1] in ids, f"Add {path}'s objects to _team_a_ids"
        for pk in ids[collection[1]]:
            url = live_server.url + path.replace("{id}", str(pk))
            own = requests.get(
                url, headers={"Authorization": f"Token {token_a}"}, timeout=10
            )
            # Team A reads its own object, in every representation it has.
            has = _has_representation(path, pk)
            assert own.status_code == (200 if has else 404), url
            served[path] += has
            expected = {
                "member of team B": 404,
                "publisher of team B": 403 if path in PUBLISHERS_NEVER else 404,
            }
            for who, headers in callers.items():
                status = requests.get(url, headers=headers, timeout=10).status_code
                checked += 1
                if status != expected[who]:
                    leaks.append(f"{who}: GET {url} -> {status}, not {expected[who]}")
    log.info("cross-team requests: %d", checked)
    assert checked > 0
    assert leaks == [], "\n".join(leaks)
    # Every operation served team A at least one object, so each 404 above was
    # a refusal and not an empty representation.
    unserved = [p for p, i in SCHEMA["paths"].items() if "get" in i and "{id}" in p]
    assert [p for p in unserved if not served[p]] == []
