"""The admin side of the access matrix: every admin URL, every changelist action,
every autocomplete source, each role's client, one request with its writes.

Routes are read from the admin itself (`admin.site.get_urls()` and each registered
ModelAdmin's `get_urls()`), so a new ModelAdmin, a custom admin URL or a new action
appears here without anyone listing it, and fails until the table says who may use
it (tests/access_matrix/admin_table.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import ModelAdmin
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from tests.access_matrix.admin_world import AdminWorld
from tests.access_matrix.harness import ADMIN_LOGIN, OK, REDIRECT, exposes

ADMIN_ROLES = (
    "anonymous",
    "member",  # team A's reporter, not staff
    "staff_reporter_b",
    "staff_editor_b",
    "staff_a",  # a staff editor of team A
    "superuser",  # of no team
)
# The admin's views branch on POST only: any other method is answered as GET
# (test_admin_answers_every_other_method_as_get checks that).
ADMIN_METHODS = ("GET", "POST")
ADMIN_INDEX = "admin-index"  # 302 to the admin index: Django's "no such object"
WRITES = "+write"  # suffix: the request wrote to the database
# Rows no request may write but which every signed-in request may touch: the session
# (WebSession with FAST_IDENTITY on, Django's own table with it off).
UNTRACKED_TABLES = frozenset({"provenance_websession", "django_session"})

MODEL_KINDS = {
    "changelist": "changelist",
    "add": "add",
    "history": "history",
    "delete": "delete",
    "change": "change",
    "simple_history": "version",
    "password_change": "password",  # Django's UserAdmin: set a user's password
}


@dataclass(frozen=True)
class AdminRoute:
    key: str  # as tests/access_matrix/harness.discover_routes names it
    kind: str | None  # None: a URL the matrix does not know how to call
    model_admin: ModelAdmin | None = None

    @property
    def label(self) -> str:
        return self.model_admin.opts.label_lower if self.model_admin else ""


def _model_kind(model_admin: ModelAdmin, entry: URLPattern) -> str | None:
    opts = model_admin.opts
    if entry.name is None:
        return "redirect" if str(entry.pattern) == "<path:object_id>/" else None
    prefix = f"{opts.app_label}_{opts.model_name}_"
    if not entry.name.startswith(prefix):
        return None
    return MODEL_KINDS.get(entry.name.removeprefix(prefix))


def _key(prefix: str, entry: URLPattern) -> str:
    return "admin:" + (entry.name or f"<unnamed {prefix}{entry.pattern}>")


def discover_admin_routes() -> list[AdminRoute]:
    routes = []
    for entry in admin.site.get_urls():
        if isinstance(entry, URLPattern):
            kind = entry.name or (
                "catch_all" if "(?P<url>" in str(entry.pattern) else None
            )
            routes.append(AdminRoute(_key("admin/", entry), kind))
    for model, model_admin in admin.site._registry.items():
        prefix = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        for entry in model_admin.get_urls():
            assert not isinstance(entry, URLResolver), entry
            routes.append(
                AdminRoute(
                    _key(prefix, entry), _model_kind(model_admin, entry), model_admin
                )
            )
    return routes


def action_names(model_admin: ModelAdmin) -> list[str]:
    """Every action the ModelAdmin may offer, before any permission filtering
    (the site's `delete_selected` included)."""
    return [name for _, name, _ in model_admin._get_base_actions()]


def autocomplete_sources() -> Iterator[tuple[str, type[Model]]]:
    """Every (app_label.model.field, target model) Django's autocomplete view
    answers for: any relation of any installed model whose target has a registered
    admin with search fields, whether or not an admin lists it in
    `autocomplete_fields` (the view does not check that)."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete) or field.auto_created:
                continue
            target = field.related_model
            target_admin = admin.site._registry.get(target)
            if target_admin is None or not target_admin.search_fields:
                continue
            yield f"{model._meta.label_lower}.{field.name}", target


def admin_clients(aw: AdminWorld) -> dict[str, Client]:
    # A 500 is an outcome like any other: the cell says so, the test goes on.
    def session(user) -> Client:
        client = Client(raise_request_exception=False)
        client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
        return client

    w = aw.world
    return {
        "anonymous": Client(raise_request_exception=False),
        "member": session(w.reporter_a),
        "staff_reporter_b": session(aw.staff_reporter_b),
        "staff_editor_b": session(aw.staff_editor_b),
        "staff_a": session(w.staff_a),
        "superuser": session(aw.superuser),
    }


def admin_outcome(response: HttpResponse) -> str | int:
    if response.status_code == 302 and response["Location"] == reverse("admin:index"):
        return ADMIN_INDEX
    status = response.status_code
    if status == 200:
        return OK
    if 300 <= status < 400:
        location = response.get("Location", "")
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        return REDIRECT
    return status


@dataclass(frozen=True)
class AdminAnswer:
    outcome: str | int
    exposes: str
    written: tuple[str, ...]  # tables written to
    body: bytes


def _written_table(sql: str) -> str | None:
    words = sql.split()
    verb = words[0].upper() if words else ""
    if verb == "INSERT" or verb == "DELETE":
        table = words[2]
    elif verb == "UPDATE":
        table = words[1]
    else:
        return None
    return table.strip('"`')


def send_admin(
    client: Client, method: str, url: str, data: dict | None = None
) -> AdminAnswer:
    """One request, rolled back afterwards; its outcome names any table it wrote
    to (`WRITES`), so "refused" also means "nothing written". The client's cookies
    are restored too: a logout or a new session must not leak into the next cell."""
    cookies = SimpleCookie()
    cookies.load(client.cookies.output(header="", sep=";"))
    written: list[str] = []

    def record(execute, sql, params, many, context):
        table = _written_table(sql)
        if table and table not in UNTRACKED_TABLES:
            written.append(table)
        return execute(sql, params, many, context)

    with transaction.atomic(), connection.execute_wrapper(record):
        if method == "POST":
            response = client.post(url, data or {})
        else:
            response = client.generic(method, url)
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        transaction.set_rollback(True)
    client.cookies = cookies
    outcome = admin_outcome(response)
    if written:
        outcome = f"{outcome}{WRITES}"
    return AdminAnswer(
        outcome, exposes(response, body, url), tuple(sorted(set(written))), body
    )


class _FormFields(HTMLParser):
    """The fields a browser would submit from the admin's change form."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def _add(self, name: str | None, value: str) -> None:
        if name:
            self.fields.setdefault(name, []).append(value)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attr = dict(attrs)
        if tag == "form":
            self.inside = attr.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input":
            kind = attr.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attr:
                return
            self._add(
                attr.get("name"),
                attr.get("value") or ("on" if kind == "checkbox" else ""),
            )
        elif tag == "select":
            self._select = attr.get("name")
        elif tag == "option" and self._select and "selected" in attr:
            self._add(self._select, attr.get("value", ""))
        elif tag == "textarea":
            self._textarea = attr.get("name")
            self._add(self._textarea, "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self.inside:
            self.fields[self._textarea][-1] += data


def change_form_data(body: bytes, model_name: str) -> dict[str, list[str]]:
    """What the change page's form would POST back unchanged, plus "Save"."""
    parser = _FormFields(f"{model_name}_form")
    parser.feed(body.decode())
    return {**parser.fields, "_save": ["Save"]}
