import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from provenance.accounts.services import membership_add
from provenance.claims import services
from tests.factories import ClaimFactory, UserFactory
from tests.provenance.publishing.api.helpers import (
    make_publisher,
    published,
    publisher_client,
)


def test_claim_page_is_served_from_cache_until_the_team_records_a_change(
    reporter_client, team, reporter
):
    claim = services.claim_create(team=team, actor=reporter, text="First text")
    url = reverse("provenance:claim-detail", args=[claim.pk])
    first = reporter_client.get(url)
    second = reporter_client.get(url)
    assert "X-Page-Cache" not in first
    assert second["X-Page-Cache"] == "hit"
    services.claim_update(
        claim_id=claim.pk, actor=reporter, expected_version=1, text="Second text"
    )
    third = reporter_client.get(url)
    assert "X-Page-Cache" not in third
    assert b"Second text" in third.content


def test_joining_another_team_redraws_the_pages_of_the_first(
    reporter_client, team, reporter, other_team
):
    """The switcher on a team A page lists the user's teams: a membership of team B
    is recorded on B's chain, and A's cached pages must not hide it."""
    admin = UserFactory(is_superuser=True, is_staff=True)
    ClaimFactory(team=team, text="A claim of team A")
    url = reverse("provenance:claim-list")
    assert "X-Page-Cache" not in reporter_client.get(url)
    assert reporter_client.get(url)["X-Page-Cache"] == "hit"
    assert b"Team B" not in reporter_client.get(url).content

    membership_add(team=other_team, user=reporter, actor=admin)

    after = reporter_client.get(url)
    assert after.status_code == 200
    assert "X-Page-Cache" not in after
    assert b"A claim of team A" in after.content
    assert b"Team B" in after.content


def test_cached_pages_are_never_shared_between_sessions(
    reporter_client, team, editor, login_as
):
    ClaimFactory(team=team)
    url = reverse("provenance:claim-list")
    reporter_client.get(url)
    editor_page = login_as(editor).get(url)
    assert "X-Page-Cache" not in editor_page
    assert b"Review queue" in editor_page.content


def test_a_flash_message_is_never_cached(reporter_client, team):
    response = reporter_client.post(
        reverse("provenance:claim-create"), {"text": "A new claim"}, follow=True
    )
    assert b"Claim created as a draft." in response.content
    again = reporter_client.get(response.redirect_chain[-1][0])
    assert again.status_code == 200
    assert b"A new claim" in again.content
    assert b"Claim created as a draft." not in again.content


def test_publisher_list_shows_a_claim_as_soon_as_it_is_published(
    team, reporter, editor
):
    from tests.factories import ClaimEvidenceFactory
    from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

    client = publisher_client(make_publisher(team).key)
    url = reverse("api:claim-list")
    assert client.get(url).json()["results"] == []
    assert client.get(url).json()["results"] == []  # now from the cache
    claim = services.claim_create(team=team, actor=reporter, text="Now public")
    ClaimEvidenceFactory(claim=claim, item__team=team)
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="x"
    )
    services.claim_submit(claim_id=claim.pk, actor=reporter)
    services.claim_approve(claim_id=claim.pk, actor=editor)
    services.claim_publish(claim_id=claim.pk, actor=editor)
    assert [c["id"] for c in client.get(url).json()["results"]] == [claim.pk]


def test_a_cached_publisher_page_keeps_its_etag_and_answers_304(team):
    from tests.provenance.publishing.api.helpers import (
        make_publisher,
        published,
        publisher_client,
    )

    published(team, text="Cached and tagged")
    client = publisher_client(make_publisher(team).key)
    url = reverse("api:claim-list")
    built, cached = client.get(url), client.get(url)
    assert cached.content == built.content
    assert cached["ETag"] == built["ETag"]
    assert client.get(url, headers={"if-none-match": built["ETag"]}).status_code == 304


@override_settings(PAGE_CACHE=False)
def test_with_the_page_cache_off_every_page_is_drawn(reporter_client, team, reporter):
    claim = services.claim_create(team=team, actor=reporter, text="First text")
    url = reverse("provenance:claim-detail", args=[claim.pk])
    for _ in range(2):
        response = reporter_client.get(url)
        assert response.status_code == 200
        assert "X-Page-Cache" not in response
        assert b"First text" in response.content


@pytest.mark.parametrize("page_cache", [True, False])
def test_the_publisher_list_is_kept_only_with_the_page_cache_on(
    team, reporter, page_cache
):
    published(team, author=reporter)
    client = publisher_client(make_publisher(team).key)
    url = reverse("api:claim-list")
    with override_settings(PAGE_CACHE=page_cache):
        first = client.get(url)
        with CaptureQueriesContext(connection) as again:
            second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    reads_claims = [q for q in again.captured_queries if "provenance_claim" in q["sql"]]
    assert bool(reads_claims) is not page_cache
