from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from provenance.audit.models import AuditEvent
from provenance.claims.models import Claim
from provenance.publishing.api.throttling import WindowThrottle
from provenance.publishing.exports.shapes import SCHEMA_VERSION
from tests.factories import ClaimFactory, EntityFactory
from tests.provenance.publishing.api.helpers import (
    INTERNAL_NOTE,
    RESTRICTED_TITLE,
    make_publisher,
    published,
    publisher_client,
    rich_claim,
)

pytestmark = pytest.mark.django_db


def test_claim_detail_carries_the_schema_version_and_every_part(team):
    claim = rich_claim(team)
    data = (
        publisher_client(make_publisher(team).key)
        .get(reverse("api:claim-detail", args=[claim.pk]))
        .json()
    )
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["quantity"] == {
        "amount": "1000",
        "unit": "containers",
        "bound": "at_least",
        "display": "at least 1,000 containers",
    }
    assert [s["name"] for s in data["subjects"]] == ["MV Example"]
    assert data["confidence"]["level"] == "very_likely"
    assert data["confidence"]["rank"] == 6
    assert [a["level"] for a in data["confidence_history"]] == ["likely", "very_likely"]
    assert [link["relation"] for link in data["evidence"]] == [
        "supports",
        "context",
        "contradicts",
    ]
    denial = data["evidence"][2]
    assert denial["stance"] == "denies"
    assert denial["evidence"]["statement"]["speaker"]["name"] == "A. Spokes"
    assert data["denials"] == [denial["evidence"]["id"]]
    ais = data["evidence"][1]["evidence"]["ais"]
    assert [c["port"] for c in ais["port_calls"]] == ["Port A"]
    assert ais["dark_periods"][0]["duration_hours"] == 24.0
    assert ais["voyages"][0]["to_port"] == "NLRTM"
    assert data["review"]["status"] == "published"
    assert data["review"]["correction_note"] == "The tonnage was misstated."
    assert len(data["review"]["corrections"]) == 1
    assert data["url"].endswith(f"/api/v1/claims/{claim.pk}/")


def test_member_reads_the_internal_block(reporter_client, team):
    claim = rich_claim(team)
    data = reporter_client.get(reverse("api:claim-detail", args=[claim.pk])).json()
    assert data["internal"]["version"] == claim.version
    assert INTERNAL_NOTE in [n["note"] for n in data["internal"]["link_notes"]]
    assert len(data["evidence"]) == 4  # the restricted item too, flagged
    restricted = [
        link["evidence"]["title"]
        for link in data["evidence"]
        if link["evidence"]["is_restricted"]
    ]
    assert restricted == [RESTRICTED_TITLE]


def test_member_creates_a_draft_through_the_service(reporter_client, reporter, team):
    vessel = EntityFactory(team=team)
    response = reporter_client.post(
        reverse("api:claim-list"),
        data={
            "text": "The vessel carried at least 500 tonnes.",
            "quantity": {"amount": "500", "unit": "tonnes", "bound": "at_least"},
            "subjects": [vessel.slug],
            "tags": ["Sanctions"],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    claim = Claim.objects.get(pk=response.json()["id"])
    assert (claim.status, claim.author, claim.quantity_display) == (
        "draft",
        reporter,
        "at least 500 tonnes",
    )
    assert list(claim.subjects.all()) == [vessel]
    assert AuditEvent.objects.filter(action="claim.create", object_id=claim.pk).exists()


def test_member_cannot_use_another_teams_entity(reporter_client, other_team):
    theirs = EntityFactory(team=other_team)
    response = reporter_client.post(
        reverse("api:claim-list"),
        data={"text": "x is y", "subjects": [theirs.slug]},
        content_type="application/json",
    )
    assert response.status_code == 400


def test_member_edit_with_a_stale_version_is_409(reporter_client, reporter, team):
    claim = ClaimFactory(team=team, author=reporter)
    url = reverse("api:claim-detail", args=[claim.pk])
    first = reporter_client.patch(
        url, data={"summary": "one", "version": 1}, content_type="application/json"
    )
    assert first.status_code == 200
    assert first.json()["internal"]["version"] == 2
    stale = reporter_client.patch(
        url, data={"summary": "two", "version": 1}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert Claim.objects.get(pk=claim.pk).summary == "one"


def test_editing_a_published_claim_is_409_even_with_a_reason(reporter_client, team):
    """Issue 12: a published claim changes only through a correction."""
    claim = published(team)
    response = reporter_client.patch(
        reverse("api:claim-detail", args=[claim.pk]),
        data={"summary": "new", "version": claim.version, "reason": "Typo"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Published claims change through a correction."
    }


def test_updated_since_returns_only_later_changes(team):
    now = timezone.now()
    old = published(team, updated_at=now - timedelta(days=3))
    new = published(team, updated_at=now - timedelta(hours=1))
    client = publisher_client(make_publisher(team).key)
    since = (now - timedelta(days=1)).isoformat()
    response = client.get(reverse("api:claim-list"), {"updated_since": since})
    assert [c["id"] for c in response.json()["results"]] == [new.pk]
    by_date = client.get(
        reverse("api:claim-list"),
        {"updated_since": (now - timedelta(days=4)).date().isoformat()},
    )
    assert [c["id"] for c in by_date.json()["results"]] == [new.pk, old.pk]
    bad = client.get(reverse("api:claim-list"), {"updated_since": "yesterday"})
    assert bad.status_code == 400


def test_cursor_pagination_visits_every_claim_once(team):
    now = timezone.now()
    claims = [published(team, updated_at=now - timedelta(minutes=i)) for i in range(7)]
    client = publisher_client(make_publisher(team).key)
    seen, url = [], reverse("api:claim-list") + "?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [c["id"] for c in page["results"]]
        url = page["next"]
    assert seen == [c.pk for c in claims]


def _fill(team, count):
    for _ in range(count):
        rich_claim(team)


@pytest.mark.parametrize("audience", ["publisher", "member"])
def test_list_queries_do_not_grow_with_the_page(
    team, reporter_client, django_assert_max_num_queries, audience, monkeypatch
):
    client = (
        publisher_client(make_publisher(team).key)
        if audience == "publisher"
        else reporter_client
    )
    url = reverse("api:claim-list")
    # Per-request bookkeeping depends on the clock: a throttle window's first request
    # drops the counters of windows that are over, and a key's last_used_at is written
    # once a minute. Hold the throttle's clock still and warm both before each
    # measured request, so the two counts differ only by what the page size costs.
    monkeypatch.setattr(WindowThrottle, "timer", lambda self: 1_800_000_000.0)
    counts = []
    for total in (5, 40):
        _fill(team, total - Claim.objects.count())
        client.get(url)  # warm: throttle window, last_used_at, session
        # Factories bypass the services, so the audit chain that versions cached
        # publisher pages does not move: start this page from an empty cache.
        cache.clear()
        # (15 since the linked images' annotations are prefetched, issue 21.)
        with django_assert_max_num_queries(15) as captured:
            response = client.get(url)
        assert len(response.json()["results"]) == total
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_etag_answers_304_until_the_claim_changes(team):
    claim = published(team)
    client = publisher_client(make_publisher(team).key)
    url = reverse("api:claim-detail", args=[claim.pk])
    first = client.get(url)
    etag = first["ETag"]
    assert client.get(url, headers={"if-none-match": etag}).status_code == 304
    Claim.objects.filter(pk=claim.pk).update(summary="changed")
    again = client.get(url, headers={"if-none-match": etag})
    assert again.status_code == 200
    assert again["ETag"] != etag
    list_etag = client.get(reverse("api:claim-list"))["ETag"]
    assert (
        client.get(
            reverse("api:claim-list"), headers={"if-none-match": list_etag}
        ).status_code
        == 304
    )


def test_responses_vary_on_credentials(team):
    response = publisher_client(make_publisher(team).key).get(reverse("api:claim-list"))
    assert "Authorization" in response["Vary"]
