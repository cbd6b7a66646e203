"""Access-control matrix: every route x method x role, per tests/access_matrix/table.py.

The routes come from the URL resolver, so a new URL without a row fails
`test_every_route_has_a_row` until someone decides who may use it.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from tests.access_matrix.harness import (
    METHODS,
    ROLES,
    Route,
    clients,
    discover_routes,
    send,
    url_for,
)
from tests.access_matrix.objects import CLAIMS
from tests.access_matrix.table import ADMIN_GROUP, ADMIN_ROWS, TABLE, variants
from tests.access_matrix.world import build_world

ROUTES = {route.key: route for route in discover_routes()}
CHECKED = sorted(key for key in ROUTES if not key.startswith(ADMIN_GROUP))


@pytest.fixture
def world(db):
    return build_world()


def _mismatches(client_by_role, url: str, expect, label: str) -> list[str]:
    found = []
    for method in METHODS:
        for role in ROLES:
            got = send(client_by_role[role], method, url)
            wanted = expect[method][role]
            if got != wanted:
                found.append(f"{label} {method} {url} as {role}: {got}, want {wanted}")
    return found


def test_every_route_has_a_row():
    missing = [f"{key} ({ROUTES[key].pattern})" for key in CHECKED if key not in TABLE]
    assert missing == [], (
        "Routes without a row in tests/access_matrix/table.py (add one saying who "
        "may use each method): " + ", ".join(missing)
    )


def test_every_row_is_a_route():
    assert sorted(set(TABLE) - set(ROUTES)) == []


def test_claim_rows_cover_a_draft_and_a_published_claim():
    assert set(CLAIMS) == {"draft", "published"}


@pytest.mark.parametrize("key", CHECKED)
def test_route(key, world):
    if key not in TABLE:
        pytest.fail(f"{key} has no row in tests/access_matrix/table.py: add one.")
    route: Route = ROUTES[key]
    objects, _ = TABLE[key]
    client_by_role = clients(world)
    found = []
    for variant, expect in variants(key).items():
        url = url_for(route, objects[variant](world))
        found += _mismatches(client_by_role, url, expect, f"[{variant or '-'}]")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("name", sorted(ADMIN_ROWS))
def test_admin(name, world):
    world.staff_a.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_claim", "change_claim", "view_auditevent"]
        )
    )
    url, expect = ADMIN_ROWS[name]
    url = url(world) if callable(url) else url
    found = _mismatches(clients(world), url, expect, f"[{name}]")
    assert not found, "\n".join(found)
