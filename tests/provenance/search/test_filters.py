"""The shared filter vocabulary (common.filters, search.filters): the evidence and
entity lists read `q`, `subject` and `tag` as the claim list does, report values
that name nothing, and the filter boxes' suggestions stay in the member's team."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provenance.claims.models import Relation
from provenance.claims.services import evidence_attach
from provenance.common.filters import SharedFilters, narrow, unknown_note
from provenance.entities.models import EntityKind
from provenance.entities.services import entity_create
from provenance.search.filters import evidence_narrowing, suggest

SUGGEST = reverse("provenance:search-suggest")
EVIDENCE = reverse("evidence:item-list")
ENTITIES = reverse("provenance:entity-list")


@pytest.fixture
def linked(world, reporter):
    """The AIS track supports the Angara claim (tagged Munitions)."""
    evidence_attach(
        claim_id=world.angara_claim.pk,
        item_id=world.ais_item.pk,
        actor=reporter,
        relation=Relation.SUPPORTS,
    )
    return world


@pytest.fixture
def theirs(other_team, outsider):
    """Team B's vessel, named like team A's."""
    return entity_create(
        team=other_team, actor=outsider, kind=EntityKind.VESSEL, name="Angara Star"
    )


def listed(response) -> list[str]:
    return [str(obj) for obj in response.context["page"]]


# --- the vocabulary ---------------------------------------------------------------


def test_the_parameters_are_read_trimmed_and_cut_to_their_limits():
    filters = SharedFilters.read({"q": "  track ", "subject": "x" * 400, "tag": ""})

    assert filters == SharedFilters(q="track", subject="x" * 300, tag="")
    assert filters.names_something is True
    assert SharedFilters.read({}).names_something is False


def test_an_unknown_name_is_reported_with_the_closest_one():
    assert unknown_note("subject", "Angra", ["Angara", "Maria"]) == (
        "No entity named “Angra” in your team; did you mean “Angara”?"
    )
    assert unknown_note("tag", "zzz", ["Munitions"]) == (
        "No tag named “zzz” in your team."
    )


def test_no_subject_or_tag_narrows_nothing(world, team):
    narrowing = narrow(evidence_narrowing, team=team, filters=SharedFilters(q="track"))

    assert (narrowing.keep, narrowing.notes) == (None, [])


# --- suggestions ------------------------------------------------------------------


def test_subject_suggestions_are_the_teams_entities_only(world, team, theirs):
    assert suggest(team=team, field="subject", q="anga") == [
        {"value": "Angara", "label": "Angara (Vessel)"}
    ]


def test_suggestions_put_names_starting_with_the_text_first(world, team):
    names = [s["value"] for s in suggest(team=team, field="subject", q="or")]

    # "Oleg Burmistrov" is known only from a restricted statement: not offered.
    assert names == ["Democratic People's Republic of Korea"]
    assert [s["value"] for s in suggest(team=team, field="subject", q="korea")] == [
        "Democratic People's Republic of Korea"
    ]
    assert [s["value"] for s in suggest(team=team, field="subject", q="ma")] == [
        "Maria"
    ]


def test_an_entity_known_only_from_restricted_evidence_is_not_suggested(
    world, team, reporter
):
    assert suggest(team=team, field="subject", q="burmistrov") == []
    # Once a claim names him, he is the team's open knowledge.
    from provenance.claims.services import claim_create

    claim_create(
        team=team,
        actor=reporter,
        text="Burmistrov runs the Angara's operator",
        subjects=[world.burmistrov],
    )
    assert suggest(team=team, field="subject", q="burmistrov") == [
        {"value": "Oleg Burmistrov", "label": "Oleg Burmistrov (Person)"}
    ]


def test_tag_suggestions_are_the_teams_tags_only(world, team, other_team):
    assert suggest(team=team, field="tag", q="o") == [
        {"value": "Munitions", "label": "Munitions"},
        {"value": "Port calls", "label": "Port calls"},
    ]
    assert suggest(team=team, field="tag", q="PORT") == [
        {"value": "Port calls", "label": "Port calls"}
    ]
    # Team B has a "Munitions" tag of its own; it is team B's answer only.
    assert suggest(team=other_team, field="tag", q="port") == []


def test_the_endpoint_answers_json_for_the_members_team(
    reporter_client, outsider_client, world, theirs, django_assert_num_queries
):
    with django_assert_num_queries(2) as captured:  # the membership, the names
        response = reporter_client.get(SUGGEST, {"field": "subject", "q": "angara"})

    assert response.status_code == 200
    assert "provenance_entity" in captured.captured_queries[-1]["sql"]
    assert response.json() == {
        "field": "subject",
        "results": [{"value": "Angara", "label": "Angara (Vessel)"}],
    }
    theirs_response = outsider_client.get(SUGGEST, {"field": "subject", "q": "angara"})
    assert theirs_response.json()["results"] == [
        {"value": "Angara Star", "label": "Angara Star (Vessel)"}
    ]


def test_the_endpoint_needs_a_known_field(reporter_client, world):
    response = reporter_client.get(SUGGEST, {"q": "angara"})

    assert response.status_code == 400
    assert response.json() == {"field": ["One of: subject, tag."]}
    empty = reporter_client.get(SUGGEST, {"field": "tag", "q": " "})
    assert empty.json() == {"field": "tag", "results": []}


# --- the evidence list --------------------------------------------------------------


def test_evidence_by_subject_name_any_case(reporter_client, linked):
    response = reporter_client.get(EVIDENCE, {"subject": "angara"})

    assert listed(response) == ["AIS track of the Angara"]
    assert response.context["filter_notes"] == []


def test_evidence_by_subject_includes_what_the_entity_said(reporter_client, linked):
    response = reporter_client.get(EVIDENCE, {"subject": "Oleg Burmistrov"})

    assert [item.pk for item in response.context["page"]] == [linked.denial.pk]


def test_evidence_by_tag(reporter_client, linked):
    response = reporter_client.get(EVIDENCE, {"tag": "MUNITIONS"})

    assert listed(response) == ["AIS track of the Angara"]
    # Port calls names a claim with no evidence linked.
    assert listed(reporter_client.get(EVIDENCE, {"tag": "Port calls"})) == []


def test_evidence_with_an_unknown_subject_says_so_and_lists_nothing(
    reporter_client, linked
):
    response = reporter_client.get(EVIDENCE, {"subject": "Angra"})

    assert listed(response) == []
    html = response.content.decode()
    assert "No entity named “Angra” in your team; did you mean “Angara”?" in html


def test_evidence_with_an_unknown_tag_says_so(reporter_client, linked):
    response = reporter_client.get(EVIDENCE, {"tag": "Munition"})

    assert listed(response) == []
    assert response.context["filter_notes"] == [
        "No tag named “Munition” in your team; did you mean “Munitions”?"
    ]


def test_evidence_filters_combine_with_q(reporter_client, linked):
    assert listed(
        reporter_client.get(EVIDENCE, {"subject": "Angara", "q": "track"})
    ) == ["AIS track of the Angara"]
    assert (
        listed(reporter_client.get(EVIDENCE, {"subject": "Angara", "q": "denial"}))
        == []
    )


def test_another_teams_names_narrow_to_nothing(outsider_client, linked):
    response = outsider_client.get(EVIDENCE, {"subject": "Angara"})

    assert listed(response) == []
    assert response.context["filter_notes"] == [
        "No entity named “Angara” in your team."
    ]


def test_the_evidence_list_queries_do_not_grow_with_the_filters(
    reporter_client, linked, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as plain:
        reporter_client.get(EVIDENCE)
    with django_assert_max_num_queries(len(plain) + 2) as filtered:
        reporter_client.get(EVIDENCE, {"subject": "Angara", "tag": "Munitions"})
    # The two names' checks (no notes to make); the narrowing is subqueries.
    assert len(filtered) == len(plain) + 2


# --- the entity list ----------------------------------------------------------------


def test_entities_by_subject_are_it_and_those_named_beside_it(reporter_client, world):
    response = reporter_client.get(ENTITIES, {"subject": "Angara"})

    assert sorted(listed(response)) == [
        "Angara",
        "Democratic People's Republic of Korea",
    ]


def test_entities_by_tag_are_the_subjects_of_its_claims(reporter_client, world):
    response = reporter_client.get(ENTITIES, {"tag": "port calls"})

    assert listed(response) == ["Maria"]


def test_entities_with_an_unknown_tag_say_so(reporter_client, world):
    response = reporter_client.get(ENTITIES, {"tag": "Port call"})

    assert listed(response) == []
    assert "No tag named “Port call” in your team; did you mean “Port calls”?" in (
        response.content.decode()
    )


def test_entities_with_an_unknown_subject_say_so(reporter_client, world):
    response = reporter_client.get(ENTITIES, {"subject": "Mariya"})

    assert listed(response) == []
    assert response.context["filter_notes"] == [
        "No entity named “Mariya” in your team; did you mean “Maria”?"
    ]


def test_entity_filters_combine_with_q(reporter_client, world):
    response = reporter_client.get(ENTITIES, {"tag": "Munitions", "q": "korea"})

    assert listed(response) == ["Democratic People's Republic of Korea"]


def test_the_entity_page_has_the_suggesting_boxes(reporter_client, world):
    html = reporter_client.get(ENTITIES, {"subject": "Angara"}).content.decode()

    assert 'data-suggest="subject"' in html
    assert '<datalist id="suggest-subject"></datalist>' in html
    assert 'value="Angara"' in html
    assert "js/suggest.js" in html


def test_the_entity_list_queries_do_not_grow_with_the_filters(
    reporter_client, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12) as plain:
        reporter_client.get(ENTITIES)
    with django_assert_max_num_queries(len(plain) + 2) as filtered:
        reporter_client.get(ENTITIES, {"subject": "Angara", "tag": "Munitions"})
    assert len(filtered) == len(plain) + 2
