"""A page answered from the cache carries exactly the headers of the page the view
drew: the timeline SVG's own sandbox CSP was replaced by the site's on a hit."""

import pytest
from django.urls import reverse

from tests.factories import ClaimFactory
from tests.provenance.publishing.api.helpers import (
    make_publisher,
    published,
    publisher_client,
)

pytestmark = pytest.mark.django_db

# Set on both answers, but per request by design: the cache marks its hits, and
# CSRF renews its cookie whenever a page renders a form.
PER_REQUEST = {"X-Page-Cache", "Set-Cookie"}


def _headers(response):
    return {name: value for name, value in response.items() if name not in PER_REQUEST}


def _assert_same_headers(client, url):
    drawn, cached = client.get(url), client.get(url)
    assert (drawn.status_code, cached.status_code) == (200, 200)
    assert "X-Page-Cache" not in drawn
    assert cached.get("X-Page-Cache") == "hit"
    assert _headers(cached) == _headers(drawn)
    assert cached.content == drawn.content
    return cached


def test_a_cached_timeline_svg_keeps_its_own_sandbox_policy(reporter_client, team):
    claim = ClaimFactory(team=team)
    cached = _assert_same_headers(
        reporter_client, reverse("provenance:claim-timeline-svg", args=[claim.pk])
    )
    assert cached["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert cached["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert cached["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("route", ["provenance:claim-list", "provenance:claim-detail"])
def test_every_cached_page_is_replayed_with_the_headers_it_was_drawn_with(
    reporter_client, team, route
):
    claim = ClaimFactory(team=team)
    args = [claim.pk] if route.endswith("detail") else []
    cached = _assert_same_headers(reporter_client, reverse(route, args=args))
    assert cached["Content-Type"] == "text/html; charset=utf-8"


def test_the_cached_publisher_list_is_replayed_with_the_headers_it_was_built_with(
    team,
):
    published(team)
    client = publisher_client(make_publisher(team).key)
    url = reverse("api:claim-list")
    drawn, cached = client.get(url), client.get(url)
    assert (drawn.status_code, cached.status_code) == (200, 200)
    assert _headers(cached) == _headers(drawn)
    assert cached.content == drawn.content
