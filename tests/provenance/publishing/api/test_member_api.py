from django.urls import reverse

from tests.factories import ClaimFactory

NOT_PROVIDED = "Authentication credentials were not provided."


def test_api_requires_authentication(client, db):
    response = client.get(reverse("api:claim-list"))
    # The API-key scheme comes first and names its challenge: 401, not 403.
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'
    assert response.json() == {"detail": NOT_PROVIDED}


def test_basic_auth_is_not_accepted(client, reporter):
    import base64

    token = base64.b64encode(f"{reporter.username}:correct-horse-42".encode()).decode()
    response = client.get(
        reverse("api:claim-list"), HTTP_AUTHORIZATION=f"Basic {token}"
    )
    # Basic is no scheme of ours: the header is ignored, as if absent.
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'
    assert response.json() == {"detail": NOT_PROVIDED}


def test_api_lists_only_the_members_team(reporter_client, team, other_team):
    mine = ClaimFactory(team=team)
    ClaimFactory(team=other_team)
    response = reporter_client.get(reverse("api:claim-list"))
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [mine.pk]


def test_api_claim_list_is_paginated_with_a_cursor(
    reporter_client, team, django_assert_max_num_queries
):
    ClaimFactory.create_batch(60, team=team)
    # 3 for session auth and team, 1 for claims, 7 batched prefetches (issue 7;
    # the seventh: the cited relationships, issue 20).
    with django_assert_max_num_queries(11):
        first = reporter_client.get(reverse("api:claim-list")).json()
    assert len(first["results"]) == 50
    assert "cursor=" in first["next"]
    second = reporter_client.get(first["next"]).json()
    assert len(second["results"]) == 10


def test_api_other_teams_claim_is_404(outsider_client, team):
    claim = ClaimFactory(team=team)
    response = outsider_client.get(reverse("api:claim-detail", args=[claim.pk]))
    assert response.status_code == 404
