"""/search/ and /api/v1/search/: grouped, highlighted, scoped, constant queries."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from provenance.claims.models import Claim
from provenance.claims.services import claim_create
from provenance.search.indexing import index_object
from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

URL = reverse("provenance:search")
API = reverse("api:search")


def test_the_page_groups_results_by_kind_with_highlights(reporter_client, world):
    response = reporter_client.get(URL, {"q": "angara"})

    assert response.status_code == 200
    html = response.content.decode()
    assert html.index('id="group-claim"') < html.index('id="group-evidence"')
    assert html.index('id="group-evidence"') < html.index('id="group-entity"')
    assert "The <mark>Angara</mark> carried North Korean munitions" in html
    assert "The Angara is a river" not in html  # team B's


def test_the_page_offers_the_correction(reporter_client, world):
    html = reporter_client.get(URL, {"q": "angarra"}).content.decode()

    assert "Nothing matched “angarra”. Showing results for" in html
    assert '<a href="?q=angara"><strong>angara</strong></a>' in html


def test_the_page_marks_restricted_items(reporter_client, world):
    html = reporter_client.get(URL, {"q": "burmistrov"}).content.decode()

    assert "Restricted</span>" in html


def test_another_team_finds_only_its_own(outsider_client, world):
    html = outsider_client.get(URL, {"q": "angara"}).content.decode()

    assert "The <mark>Angara</mark> is a river in Siberia" in html
    assert "munitions to Dunai" not in html


def test_an_empty_box_shows_no_results(reporter_client, world):
    response = reporter_client.get(URL)

    assert response.status_code == 200
    assert response.context["results"] is None


def test_an_overlong_query_is_a_bad_request(reporter_client, world):
    assert reporter_client.get(URL, {"q": "a" * 501}).status_code == 400


def test_the_api_refuses_an_overlong_query_and_an_unknown_kind(reporter_client, world):
    long = reporter_client.get(API, {"q": "a" * 501})
    unknown = reporter_client.get(API, {"q": "Angara", "kind": "vessel"})

    assert (long.status_code, list(long.json())) == (400, ["q"])
    assert "500 characters" in long.json()["q"][0]
    assert (unknown.status_code, list(unknown.json())) == (400, ["kind"])
    assert reporter_client.get(API, {"q": "a" * 500}).status_code == 200


def test_page_queries_do_not_grow_with_the_results(
    reporter_client, reporter, team, world, django_assert_max_num_queries
):
    reporter_client.get(URL, {"q": "rajin"})
    for n in range(25):
        claim_create(team=team, actor=reporter, text=f"Rajin transfer number {n}")
    # Session, user, membership and teams, then the search: on PostgreSQL the
    # estimates of every kind (one EXPLAIN, no rows read) and the rows of every
    # kind; on SQLite the rows and the count of the one full group.
    searching = 2
    with django_assert_max_num_queries(6 + searching) as captured:
        response = reporter_client.get(URL, {"q": "rajin"})
    claims = response.context["results"].groups[0]
    assert (claims.kind, len(claims.hits), claims.total_is_estimate) == (
        "claim",
        10,
        True,
    )
    if connection.vendor == "sqlite":
        assert claims.total == 27
    else:
        assert claims.total >= 11  # the estimate, never below what is shown + 1
    assert "about" in response.content.decode()
    search_queries = [
        q for q in captured.captured_queries if "searchdocument" in q["sql"]
    ]
    assert len(search_queries) == searching


def test_the_api_answers_members_with_their_teams_results(reporter_client, world):
    response = reporter_client.get(API, {"q": "Ангара"})

    assert response.status_code == 200
    body = response.json()
    assert [(g["kind"], g["total"]) for g in body["groups"]] == [
        ("claim", 1),
        ("evidence", 1),
        ("entity", 1),
    ]
    hit = body["groups"][0]["hits"][0]
    assert hit["id"] == world.angara_claim.pk
    assert hit["title_html"] == (
        "The <mark>Angara</mark> carried North Korean munitions to Dunai"
    )
    assert hit["url"] == f"http://testserver/claims/{world.angara_claim.pk}/"


def test_the_api_corrects_typos(reporter_client, world):
    body = reporter_client.get(API, {"q": "angarra"}).json()

    assert (body["suggestion"], body["shows_suggestion"]) == ("angara", True)


def test_publishers_search_published_claims_of_their_teams_only(team, world):
    Claim.objects.filter(pk=world.maria_claim.pk).update(status="published")
    index_object(world.maria_claim)
    client = publisher_client(make_publisher(team).key)

    body = client.get(API, {"q": "maria OR angara OR burmistrov"}).json()

    assert [(g["kind"], [h["id"] for h in g["hits"]]) for g in body["groups"]] == [
        ("claim", [world.maria_claim.pk])
    ]
    assert body["groups"][0]["hits"][0]["url"] == (
        f"http://testserver/api/v1/claims/{world.maria_claim.pk}/"
    )


def test_the_endpoint_is_in_the_schema(client, db):
    response = client.get(reverse("api:schema"))

    assert b"/api/v1/search/" in response.content


def test_reindex_rebuilds_documents_and_reports_progress(world, capsys):
    from provenance.search.models import SearchDocument

    before = sorted(SearchDocument.objects.values_list("kind", "object_id"))
    SearchDocument.objects.all().delete()

    call_command("reindex", batch=2)

    assert sorted(SearchDocument.objects.values_list("kind", "object_id")) == before
    out = capsys.readouterr().out
    assert "entities: 2/4" in out
    assert "Reindexed 4 entities, 3 claims, 2 evidence, 0 comments." in out


@pytest.mark.parametrize("q", ["angara", "Ангара"])
def test_reindex_twice_changes_nothing(world, reporter_client, q):
    first = reporter_client.get(API, {"q": q}).json()
    call_command("reindex")
    call_command("reindex")

    assert reporter_client.get(API, {"q": q}).json() == first
