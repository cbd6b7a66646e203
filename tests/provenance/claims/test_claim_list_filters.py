"""The claim list's Subject and Tag filters never lie (issue 17): a name matches in
any case, a full name works, and a value that names nothing gives no claims and
says so, with the closest name, instead of being dropped (every claim shown)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provenance.claims.models import Tag
from tests.factories import ClaimFactory, EntityFactory

URL = reverse("provenance:claim-list")


@pytest.fixture
def claims(team):
    maria = EntityFactory(team=team, name="Maria", slug="maria")
    dprk = EntityFactory(
        team=team,
        name="Democratic People's Republic of Korea",
        slug="democratic-peoples-republic-of-korea",
    )
    munitions = Tag.objects.create(team=team, name="Munitions", slug="munitions")
    about_maria = ClaimFactory(team=team, text="The Maria called at Rajin")
    about_maria.subjects.set([maria])
    about_dprk = ClaimFactory(team=team, text="Pyongyang shipped shells")
    about_dprk.subjects.set([dprk])
    about_dprk.tags.set([munitions])
    ClaimFactory(team=team, text="Unrelated claim")


def listed(response) -> list[str]:
    return [claim.text for claim in response.context["page"]]


def test_a_subject_matches_by_name_in_any_case(reporter_client, claims):
    for value in ("Maria", "maria", "MARIA", "maria "):
        response = reporter_client.get(URL, {"subject": value})
        assert listed(response) == ["The Maria called at Rajin"]
        assert response.context["filter_notes"] == []


def test_a_full_entity_name_is_a_subject(reporter_client, claims):
    response = reporter_client.get(
        URL, {"subject": "Democratic People's Republic of Korea"}
    )

    assert listed(response) == ["Pyongyang shipped shells"]


def test_an_old_slug_link_still_works(reporter_client, claims):
    response = reporter_client.get(
        URL, {"subject": "democratic-peoples-republic-of-korea"}
    )

    assert listed(response) == ["Pyongyang shipped shells"]


def test_an_unknown_subject_gives_no_claims_and_says_so(reporter_client, claims):
    response = reporter_client.get(URL, {"subject": "Mariia"})

    assert listed(response) == []
    assert response.context["filter_notes"] == [
        "No entity named “Mariia” in your team; did you mean “Maria”?"
    ]
    assert "did you mean “Maria”?" in response.content.decode()


def test_an_unknown_tag_gives_no_claims_and_says_so(reporter_client, claims):
    response = reporter_client.get(URL, {"tag": "ammunition"})
    assert listed(response) == []
    assert response.context["filter_notes"] == [
        "No tag named “ammunition” in your team; did you mean “Munitions”?"
    ]
    response = reporter_client.get(URL, {"tag": "rail"})
    assert listed(response) == []
    assert response.context["filter_notes"] == ["No tag named “rail” in your team."]


def test_a_tag_matches_by_name_and_combines_with_the_subject(reporter_client, claims):
    response = reporter_client.get(
        URL, {"tag": "munitions", "subject": "Democratic People's Republic of Korea"}
    )
    assert listed(response) == ["Pyongyang shipped shells"]
    response = reporter_client.get(URL, {"tag": "Munitions", "subject": "Maria"})
    assert listed(response) == []


def test_another_teams_entity_is_unknown_here(reporter_client, claims, other_team):
    EntityFactory(team=other_team, name="Angara", slug="angara")

    response = reporter_client.get(URL, {"subject": "Angara"})

    assert listed(response) == []
    assert response.context["filter_notes"] == [
        "No entity named “Angara” in your team."
    ]


def test_an_unreadable_filter_shows_its_error_and_no_claims(reporter_client, claims):
    response = reporter_client.get(URL, {"status": "nonsense", "subject": "Maria"})

    assert listed(response) == []
    assert response.context["filters"].errors["status"]


def test_the_csv_applies_the_same_filters(reporter_client, claims):
    response = reporter_client.get(
        reverse("provenance:claim-list-csv"), {"subject": "Atlantis"}
    )

    assert len(b"".join(response.streaming_content).decode().splitlines()) == 1


def test_filtered_list_queries_do_not_grow_with_unknown_values(
    reporter_client, claims, django_assert_max_num_queries
):
    reporter_client.get(URL)
    with django_assert_max_num_queries(14):
        reporter_client.get(URL, {"subject": "Atlantis", "tag": "nothing"})
