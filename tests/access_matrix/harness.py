"""Discovering routes, making each role's client, sending one request, naming the
outcome. The table of expectations is in tests/access_matrix/table.py."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access_matrix.world import MARK, World

ROLES = (
    "anonymous",
    "reporter_a",
    "editor_a",
    "reporter_b",
    "publisher_a",
    "publisher_b",
    "staff_a",
)
METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")

# Outcome names; numbers are exact status codes.
OK = "ok"  # 200
REDIRECT = "redirect"  # 3xx somewhere other than a login page (a form's success)
LOGIN = "login"  # 302 to the site's login page
ADMIN_LOGIN = "admin-login"  # 302 to the admin's login page


@dataclass(frozen=True)
class Route:
    name: str  # namespaced: "provenance:claim-detail"
    pattern: str  # the full regex or route, for messages
    has_format: bool  # a DRF format-suffix variant (".json")

    @property
    def key(self) -> str:
        return f"{self.name}.<format>" if self.has_format else self.name


def _walk(
    patterns: list, prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            namespace = (entry.namespace,) if entry.namespace else ()
            yield from _walk(
                entry.url_patterns, prefix + str(entry.pattern), namespaces + namespace
            )
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = ":".join((*namespaces, entry.name or f"<unnamed {pattern}>"))
            has_format = "format" in entry.pattern.regex.groupindex
            yield Route(name=name, pattern=pattern, has_format=has_format)


def discover_routes() -> list[Route]:
    """Every URL pattern the resolver knows, DRF router and admin included."""
    seen: dict[str, Route] = {}
    for route in _walk(get_resolver().url_patterns):
        seen.setdefault(route.key, route)
    return list(seen.values())


def clients(world: World) -> dict[str, Client]:
    def session(user) -> Client:
        client = Client()
        client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
        return client

    return {
        "anonymous": Client(),
        "reporter_a": session(world.reporter_a),
        "editor_a": session(world.editor_a),
        "reporter_b": session(world.reporter_b),
        # Publishers have no session: only their key, as an API consumer sends it.
        "publisher_a": Client(headers={"authorization": f"Api-Key {world.key_a}"}),
        "publisher_b": Client(headers={"authorization": f"Api-Key {world.key_b}"}),
        "staff_a": session(world.staff_a),
    }


def url_for(route: Route, kwargs: dict) -> str:
    if route.has_format:
        kwargs = {**kwargs, "format": "json"}
    return reverse(route.name, kwargs=kwargs)


def outcome(response: HttpResponse) -> str | int:
    status = response.status_code
    if status == 200:
        return OK
    if 300 <= status < 400:
        location = response.get("Location", "")
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
        return REDIRECT
    return status


RANDOM_TOKENS = re.compile(
    r'(?:name="csrfmiddlewaretoken" value|nonce)="[^"]*"|"csrfToken": ?"[^"]*"'
)


@dataclass(frozen=True)
class Answer:
    outcome: str | int
    # Where MARK (team A's planted names) showed: "body", "Location", or "".
    exposes: str


def exposes(response: HttpResponse, body: bytes, url: str) -> str:
    """Where the response shows something of team A's (MARK, in any case). The
    requested URL is the caller's own: echoed back (a login redirect's `next`) it
    tells them nothing."""
    echoes = (url, quote(url), quote(url, safe=""))
    location = response.get("Location", "")
    # Random tokens (CSRF, CSP nonces) would contain MARK once in a while.
    text = RANDOM_TOKENS.sub("", body.decode(errors="replace"))
    for echo in echoes:
        location, text = location.replace(echo, ""), text.replace(echo, "")
    if MARK in text.lower():
        return "body"
    if MARK in location.lower():
        return "Location"
    return ""


def send(client: Client, method: str, url: str) -> Answer:
    """One request, rolled back afterwards so the next cell sees the same world.

    An empty body: the matrix asks who gets in, not whether a form is valid, and an
    empty POST never creates anything."""
    with transaction.atomic():
        response = client.generic(method, url)
        # Streaming responses (CSV, JSON Lines) are consumed inside the savepoint.
        if response.streaming:
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        transaction.set_rollback(True)
    return Answer(outcome(response), exposes(response, body, url))
