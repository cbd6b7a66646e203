"""Access-control matrix: every route x method x role, per tests/access_matrix/table.py
(site and API) and tests/access_matrix/admin_table.py (the Django admin).

The routes come from the URL resolver and the admin, so a new URL, admin page or
action without a row fails `test_every_route_has_a_row` (or its admin twin) until
someone decides who may use it. Beyond status codes, no answer to a caller outside
team A may contain MARK, which every planted name of team A carries.
"""

from __future__ import annotations

import pytest
from django.contrib.admin.utils import quote
from django.urls import reverse

from tests.access_matrix.admin_harness import (
    AdminRoute,
    action_names,
    admin_clients,
    autocomplete_sources,
    change_form_data,
    discover_admin_routes,
    send_admin,
)
from tests.access_matrix.admin_table import (
    AUTOCOMPLETE_BY_TARGET,
    MODEL_POLICIES,
    OBJECT_KINDS,
    SITE_ROWS,
    VIEW_ON_SITE,
    VIEW_ON_SITE_MODELS,
    AdminRow,
    app_index_row,
    expand,
    variants_of,
)
from tests.access_matrix.admin_world import AdminWorld, build_admin_world
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
from tests.access_matrix.table import ADMIN_GROUP, TABLE, variants
from tests.access_matrix.world import MARK, build_world

ROUTES = {route.key: route for route in discover_routes()}
CHECKED = sorted(key for key in ROUTES if not key.startswith(ADMIN_GROUP))


@pytest.fixture
def world(db):
    return build_world()


# Roles outside team A: nothing they get may show team A's planted names.
OUTSIDERS = ("anonymous", "reporter_b", "publisher_b")


def _mismatches(client_by_role, url: str, expect, label: str) -> list[str]:
    found = []
    for method in METHODS:
        for role in ROLES:
            got = send(client_by_role[role], method, url)
            wanted = expect[method][role]
            if got.outcome != wanted:
                found.append(
                    f"{label} {method} {url} as {role}: {got.outcome}, want {wanted}"
                )
            if role in OUTSIDERS and got.exposes:
                found.append(
                    f"{label} {method} {url} as {role}: team A's {MARK!r} in the "
                    f"{got.exposes}"
                )
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


# --- The Django admin -----------------------------------------------------------------

ADMIN_ROUTES = discover_admin_routes()
MODEL_ADMINS = sorted({route.label for route in ADMIN_ROUTES if route.label})
# Outside team A, in the admin: nothing they get may show team A's names.
ADMIN_OUTSIDERS = ("anonymous", "staff_reporter_b", "staff_editor_b")


def admin_row(route: AdminRoute) -> AdminRow | None:
    """The route's row in admin_table.py, or None when it has none."""
    if route.model_admin is None:
        if route.kind == "app_list":
            return app_index_row()
        if route.kind == "view_on_site":
            return {
                f"{label} {variant}": grid
                for label in VIEW_ON_SITE_MODELS
                for variant, grid in expand(VIEW_ON_SITE, ["a", "b"]).items()
            }
        if route.kind == "autocomplete":
            return SITE_ROWS["autocomplete"]
        return SITE_ROWS.get(route.kind or "")
    policy = MODEL_POLICIES.get(route.label)
    if policy is None or route.kind not in policy.kinds:
        return None
    return expand(policy.kinds[route.kind], variants_of(route.label, route.kind))


@pytest.fixture
def admin_world(db) -> AdminWorld:
    return build_admin_world()


def test_every_admin_route_is_enumerated():
    """The admin's own URL lists name every admin route the resolver serves."""
    resolver = sorted(key for key in ROUTES if key.startswith(ADMIN_GROUP))
    assert sorted(route.key for route in ADMIN_ROUTES) == resolver


def test_every_admin_route_has_a_row():
    missing = [route.key for route in ADMIN_ROUTES if admin_row(route) is None]
    assert missing == [], (
        "Admin routes without a row in tests/access_matrix/admin_table.py (a new "
        "ModelAdmin needs a MODEL_POLICIES entry, a custom admin URL a row): "
        + ", ".join(missing)
    )


def test_every_admin_action_has_a_row():
    missing = [
        f"{route.label}: {name}"
        for route in ADMIN_ROUTES
        if route.kind == "changelist"
        for name in action_names(route.model_admin)
        if name not in getattr(MODEL_POLICIES.get(route.label), "actions", {})
    ]
    assert missing == [], "Admin actions without a row in MODEL_POLICIES: " + ", ".join(
        missing
    )


def test_every_autocomplete_target_has_a_row():
    targets = {target._meta.label_lower for _, target in autocomplete_sources()}
    assert sorted(targets - set(AUTOCOMPLETE_BY_TARGET)) == []


def _admin_cells(clients, url: str, row_grid, label: str, data=None) -> list[str]:
    found = []
    for method, roles in row_grid.items():
        for role, wanted in roles.items():
            got = send_admin(clients[role], method, url, (data or {}).get(method))
            if got.outcome != wanted:
                wrote = f" (wrote {', '.join(got.written)})" if got.written else ""
                found.append(
                    f"{label} {method} {url} as {role}: {got.outcome}{wrote}, "
                    f"want {wanted}"
                )
            if role in ADMIN_OUTSIDERS and got.exposes:
                found.append(
                    f"{label} {method} {url} as {role}: team A's {MARK!r} in the "
                    f"{got.exposes}"
                )
    return found


def _object_url(route: AdminRoute, obj) -> str:
    opts = route.model_admin.opts
    info = f"admin:{opts.app_label}_{opts.model_name}"
    pk = quote(obj.pk)
    if route.kind == "redirect":
        return reverse(f"{info}_changelist") + f"{pk}/"
    if route.kind == "version":
        version = obj.history.latest("history_date").history_id
        return reverse(f"{info}_simple_history", args=[pk, version])
    return reverse(route.key, args=[pk])


def _post_body(route: AdminRoute, obj, clients, aw: AdminWorld) -> dict:
    """What each kind of page would POST: the change form as the superuser sees
    it, with the object moved to the other team (the attack of issue 12), or the
    delete confirmation."""
    if route.kind == "delete":
        return {"post": "yes"}
    if route.kind not in ("change", "version"):
        return {}
    opts = route.model_admin.opts
    page = send_admin(
        clients["superuser"],
        "GET",
        reverse(
            f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)]
        ),
    )
    data = change_form_data(page.body, opts.model_name)
    if "team" in data:
        w = aw.world
        other = w.team_b if data["team"] == [str(w.team_a.pk)] else w.team_a
        data["team"] = [str(other.pk)]
    return data


@pytest.mark.parametrize("label", MODEL_ADMINS)
def test_admin_model(label, admin_world):
    """Every URL and action of one ModelAdmin, for every role and both teams'
    objects: exact outcomes, nothing written where refused, no team-A names for
    team B's staff."""
    policy = MODEL_POLICIES.get(label)
    if policy is None:
        pytest.fail(f"{label} has no MODEL_POLICIES entry in admin_table.py: add one.")
    assert label in admin_world.objects, f"Plant a {label} of each team in admin_world"
    objects = admin_world.objects[label]
    clients = admin_clients(admin_world)
    found = []
    for route in (r for r in ADMIN_ROUTES if r.label == label):
        row = admin_row(route)
        assert row is not None, route.key
        for variant, row_grid in row.items():
            if route.kind in OBJECT_KINDS:
                obj = objects[variant]
                url = _object_url(route, obj)
                data = {"POST": _post_body(route, obj, clients, admin_world)}
            else:
                url, data = reverse(route.key), {}
            found += _admin_cells(
                clients, url, row_grid, f"[{route.kind} {variant or '-'}]", data
            )
        if route.kind == "changelist":
            found += _admin_actions(route, policy, objects, clients)
            if policy.lists_mark:
                page = send_admin(clients["superuser"], "GET", reverse(route.key))
                assert page.exposes == "body", (
                    f"{label}: the superuser's list does not show team A's planted "
                    f"{MARK!r} object, so the check that team B cannot see it proves "
                    "nothing: plant one in tests/access_matrix/admin_world.py."
                )
    assert not found, "\n".join(found)


def _admin_actions(route: AdminRoute, policy, objects, clients) -> list[str]:
    found = []
    url = reverse(route.key)
    for name in action_names(route.model_admin):
        for variant in variants_of(route.label, "action"):
            who = policy.actions[name]
            who = who[variant] if isinstance(who, dict) else who
            obj = objects[variant]
            data = {
                "action": name,
                "_selected_action": [str(obj.pk)],
                "index": "0",
                "post": "yes",
            }
            if hasattr(obj, "version"):
                # A review decision names the version its changelist row showed.
                data[f"seen_version_{obj.pk}"] = str(obj.version)
            found += _admin_cells(
                clients,
                url,
                {"POST": who.roles(variant)},
                f"[action {name} {variant or '-'}]",
                {"POST": data},
            )
    return found


def test_admin_site(admin_world):
    """The admin's own pages: index, login, logout, password change, jsi18n,
    app indexes, the catch-all."""
    clients = admin_clients(admin_world)
    found = []
    for route in (r for r in ADMIN_ROUTES if r.model_admin is None):
        if route.kind in ("view_on_site",):
            continue
        row = admin_row(route)
        assert row is not None, route.key
        for variant, row_grid in row.items():
            if route.kind == "app_list":
                url = reverse(route.key, kwargs={"app_label": variant})
            elif route.kind == "catch_all":
                url = "/admin/no-such-page/"
            else:
                url = reverse(route.key)
            found += _admin_cells(
                clients, url, row_grid, f"[{route.kind} {variant or '-'}]"
            )
    assert not found, "\n".join(found)


def test_admin_view_on_site(admin_world):
    from django.contrib.contenttypes.models import ContentType

    clients = admin_clients(admin_world)
    found = []
    row = admin_row(next(r for r in ADMIN_ROUTES if r.kind == "view_on_site"))
    for variant, row_grid in row.items():
        label, team = variant.split()
        obj = admin_world.objects[label][team]
        content_type = ContentType.objects.get_for_model(obj)
        url = reverse("admin:view_on_site", args=[content_type.pk, obj.pk])
        found += _admin_cells(clients, url, row_grid, f"[view on site {variant}]")
    assert not found, "\n".join(found)


def test_admin_autocomplete(admin_world):
    """Every source Django's autocomplete view answers for, with an empty term (all
    it would list): only what the user's teams hold."""
    clients = admin_clients(admin_world)
    found = []
    for source, target in autocomplete_sources():
        app_label, model_name, field_name = source.split(".")
        url = (
            reverse("admin:autocomplete")
            + f"?app_label={app_label}&model_name={model_name}&field_name={field_name}"
        )
        kind = AUTOCOMPLETE_BY_TARGET[target._meta.label_lower]
        found += _admin_cells(
            clients, url, expand(kind, [""])[""], f"[autocomplete {source}]"
        )
    assert not found, "\n".join(found)


def test_admin_answers_every_other_method_as_get(admin_world):
    """Why the admin rows have GET and POST only: the admin's views branch on POST
    alone, so HEAD, OPTIONS, PUT, PATCH and DELETE get what GET gets (and write
    nothing), on a page of no object, a list and an object of either team."""
    clients = admin_clients(admin_world)
    claims = admin_world.objects["provenance.claim"]
    urls = [
        reverse("admin:index"),
        reverse("admin:provenance_claim_changelist"),
        *(
            reverse("admin:provenance_claim_change", args=[claims[team].pk])
            for team in "ab"
        ),
        reverse("admin:provenance_publisher_changelist"),
    ]
    found = []
    for url in urls:
        for role, client in clients.items():
            wanted = send_admin(client, "GET", url).outcome
            for method in ("HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"):
                got = send_admin(client, method, url).outcome
                if got != wanted:
                    found.append(f"{method} {url} as {role}: {got}, GET gets {wanted}")
    assert found == []
