import hashlib
from datetime import timedelta

import orjson
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from provenance.publishing.api.throttling import PublisherKeyThrottle
from provenance.publishing.models import Publisher, ThrottleCounter
from tests.factories import ClaimFactory
from tests.provenance.publishing.api.helpers import (
    INTERNAL_NOTE,
    RESTRICTED_TITLE,
    REVIEW_COMMENT,
    make_publisher,
    published,
    publisher_client,
    rich_claim,
)

pytestmark = pytest.mark.django_db


def _ids(response):
    return sorted(c["id"] for c in response.json()["results"])


def test_publisher_lists_published_claims_of_granted_teams_only(team, other_team):
    mine = published(team)
    retracted = published(team, status="retracted", retraction_reason="Wrong ship")
    ClaimFactory(team=team, status="draft")
    ClaimFactory(team=team, status="approved")
    published(other_team)
    client = publisher_client(make_publisher(team).key)
    response = client.get(reverse("api:claim-list"))
    assert response.status_code == 200
    assert _ids(response) == sorted([mine.pk, retracted.pk])


def test_publisher_gets_404_for_a_draft(team):
    draft = ClaimFactory(team=team, status="draft")
    client = publisher_client(make_publisher(team).key)
    response = client.get(reverse("api:claim-detail", args=[draft.pk]))
    assert response.status_code == 404


def test_publisher_gets_404_for_another_teams_published_claim(team, other_team):
    theirs = published(other_team)
    client = publisher_client(make_publisher(team).key)
    assert client.get(reverse("api:claim-detail", args=[theirs.pk])).status_code == 404
    assert (
        client.get(reverse("api:claim-claimreview", args=[theirs.pk])).status_code
        == 404
    )


def test_no_key_is_401_with_a_challenge(client, db):
    response = client.get(reverse("api:claim-list"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'


@pytest.mark.parametrize(
    "header",
    ["Api-Key nonsense", "Api-Key abcd.wrong-secret", "Api-Key", "Api-Key a b"],
)
def test_bad_keys_are_401(client, team, header):
    make_publisher(team)
    response = client.get(reverse("api:claim-list"), headers={"authorization": header})
    assert response.status_code == 401


def test_wrong_secret_for_a_real_prefix_is_401(team):
    issued = make_publisher(team)
    prefix = issued.key.split(".")[0]
    response = publisher_client(f"{prefix}.not-the-secret").get(
        reverse("api:claim-list")
    )
    assert response.status_code == 401


def test_revoked_and_expired_keys_are_401(team):
    revoked = make_publisher(team, name="Revoked")
    expired = make_publisher(team, name="Expired")
    Publisher.objects.filter(pk=revoked.publisher.pk).update(revoked_at=timezone.now())
    Publisher.objects.filter(pk=expired.publisher.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for issued in (revoked, expired):
        response = publisher_client(issued.key).get(reverse("api:claim-list"))
        assert response.status_code == 401


@pytest.mark.parametrize(
    ("method", "name", "detail"),
    [
        ("post", "api:claim-list", False),
        ("patch", "api:claim-detail", True),
        ("put", "api:claim-detail", True),
        ("delete", "api:claim-detail", True),
        ("post", "api:export-claims", False),
    ],
)
def test_publisher_writes_are_403(team, method, name, detail):
    claim = published(team)
    client = publisher_client(make_publisher(team).key)
    url = reverse(name, args=[claim.pk] if detail else [])
    response = getattr(client, method)(
        url, data={"text": "x", "version": 1}, content_type="application/json"
    )
    assert response.status_code == 403


@pytest.mark.parametrize("name", ["api:entity-list", "api:evidence-list"])
def test_publisher_reads_nothing_but_claims(team, name):
    client = publisher_client(make_publisher(team).key)
    assert client.get(reverse(name)).status_code == 403


def test_publisher_never_sees_restricted_evidence_notes_or_people(team):
    claim = rich_claim(team)
    client = publisher_client(make_publisher(team).key)
    for url in (
        reverse("api:claim-detail", args=[claim.pk]),
        reverse("api:claim-list"),
        reverse("api:claim-claimreview", args=[claim.pk]),
        reverse("api:claim-prov", args=[claim.pk]),
        reverse("api:export-claims"),
        reverse("api:export-bundle"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else (response.content)
        )
        text = body.decode()
        for secret in (
            INTERNAL_NOTE,
            RESTRICTED_TITLE,
            REVIEW_COMMENT,
            claim.author.username,
            '"internal"',
        ):
            assert secret not in text, (url, secret)


def test_publisher_detail_omits_restricted_items_from_links_and_citations(team):
    claim = rich_claim(team)
    data = (
        publisher_client(make_publisher(team).key)
        .get(reverse("api:claim-detail", args=[claim.pk]))
        .json()
    )
    restricted = claim.evidence_links.get(item__is_restricted=True).item_id
    assert restricted not in [link["evidence"]["id"] for link in data["evidence"]]
    cited = [i for a in data["confidence_history"] for i in a["evidence_ids"]]
    assert restricted not in cited
    assert all(not link["evidence"]["is_restricted"] for link in data["evidence"])


def test_key_is_stored_as_a_sha256_of_the_secret(team):
    issued = make_publisher(team)
    prefix, secret = issued.key.split(".", 1)
    publisher = Publisher.objects.get(pk=issued.publisher.pk)
    assert publisher.key_prefix == prefix
    assert publisher.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = orjson.dumps(
        {f.name: str(getattr(publisher, f.attname)) for f in Publisher._meta.fields}
    )
    assert secret.encode() not in stored


def test_last_used_is_written_at_most_once_a_minute(team):
    issued = make_publisher(team)
    client = publisher_client(issued.key)
    client.get(reverse("api:claim-list"))
    first = Publisher.objects.get(pk=issued.publisher.pk).last_used_at
    assert first is not None
    client.get(reverse("api:claim-list"))
    assert Publisher.objects.get(pk=issued.publisher.pk).last_used_at == first
    earlier = first - timedelta(minutes=2)
    Publisher.objects.filter(pk=issued.publisher.pk).update(last_used_at=earlier)
    client.get(reverse("api:claim-list"))
    assert Publisher.objects.get(pk=issued.publisher.pk).last_used_at > first


def test_throttling_is_per_key(team, monkeypatch):
    monkeypatch.setattr(PublisherKeyThrottle, "THROTTLE_RATES", {"publisher": "2/min"})
    cache.clear()
    busy = publisher_client(make_publisher(team, name="Busy").key)
    calm = publisher_client(make_publisher(team, name="Calm").key)
    url = reverse("api:claim-list")
    assert [busy.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert calm.get(url).status_code == 200
    cache.clear()


def test_the_throttle_counts_in_one_counter_whatever_the_rate(team, monkeypatch):
    monkeypatch.setattr(
        PublisherKeyThrottle, "THROTTLE_RATES", {"publisher": "1000000/min"}
    )
    monkeypatch.setattr(PublisherKeyThrottle, "timer", staticmethod(lambda: 600.5))
    cache.clear()
    issued = make_publisher(team)
    client = publisher_client(issued.key)
    url = reverse("api:claim-list")
    for _ in range(5):
        assert client.get(url).status_code == 200
    prefix = issued.key.split(".")[0]
    # Without Redis the counters are shared through the database.
    counter = ThrottleCounter.objects.get(bucket=f"throttle_publisher_{prefix}:10")
    assert counter.count == 5


def test_a_throttled_key_is_told_when_to_come_back(team, monkeypatch):
    monkeypatch.setattr(PublisherKeyThrottle, "THROTTLE_RATES", {"publisher": "1/min"})
    monkeypatch.setattr(PublisherKeyThrottle, "timer", staticmethod(lambda: 615.0))
    cache.clear()
    client = publisher_client(make_publisher(team).key)
    url = reverse("api:claim-list")
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "45"
    cache.clear()
