"""Issue 15, problem 8: the statement form creates a missing speaker (a person) or
whom it was made for (an organization or government) without leaving the form,
on the evidence side and from a claim; what was typed stays and nothing of the
statement is saved until it is added."""

from __future__ import annotations

from django.urls import reverse

from evidence.models import EvidenceItem
from provenance.audit.models import AuditEvent
from provenance.claims.models import ClaimEvidence
from provenance.entities.models import Entity
from tests.factories import ClaimFactory, EntityFactory

TYPED = {
    "stated_at": "2023-10-15T09:00",
    "quote": "Moscow did not violate UN sanctions.",
    "venue": "Press briefing",
    "source_reliability": "B",
    "information_credibility": "3",
}


def test_a_new_person_becomes_the_speaker_and_the_quote_stays(editor_client, team):
    ministry = EntityFactory(team=team, kind="government", name="MFA of Russia")
    url = reverse("evidence:add-statement")
    response = editor_client.post(
        url,
        {
            **TYPED,
            "on_behalf_of": str(ministry.pk),
            "add_entity": "1",
            "new_entity-kind": "person",
            "new_entity-name": "Maria Zakharova",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    person = Entity.objects.get(team=team, name="Maria Zakharova")
    assert person.kind == "person"
    assert (
        AuditEvent.objects.filter(
            action="entity.create", object_id=str(person.pk)
        ).count()
        == 1
    )
    assert EvidenceItem.objects.count() == 0
    assert f'<option value="{person.pk}" selected>Maria Zakharova</option>' in page
    assert f'<option value="{ministry.pk}" selected>MFA of Russia</option>' in page
    assert "Moscow did not violate UN sanctions.</textarea>" in page
    assert 'value="Press briefing"' in page
    # The actor form offers only who can speak or be spoken for.
    assert '<option value="vessel">' not in page
    assert '<option value="person">Person</option>' in page

    response = editor_client.post(
        url, {**TYPED, "speaker": person.pk, "on_behalf_of": ministry.pk}
    )
    assert response.status_code == 302
    statement = EvidenceItem.objects.get().statement
    assert (statement.speaker, statement.on_behalf_of) == (person, ministry)


def test_a_new_government_is_whom_it_was_made_for(editor_client, team):
    response = editor_client.post(
        reverse("evidence:add-statement"),
        {
            **TYPED,
            "add_entity": "1",
            "new_entity-kind": "government",
            "new_entity-name": "Government of Cyprus",
            "new_entity-country": "CY",
        },
    )
    government = Entity.objects.get(name="Government of Cyprus")
    assert response.status_code == 200
    assert (
        f'<option value="{government.pk}" selected>Government of Cyprus</option>'
        in response.content.decode()
    )


def test_a_vessel_is_refused_as_an_actor_and_nothing_is_made(editor_client, team):
    response = editor_client.post(
        reverse("evidence:add-statement"),
        {
            **TYPED,
            "add_entity": "1",
            "new_entity-kind": "vessel",
            "new_entity-name": "X",
        },
    )
    assert response.status_code == 400
    assert "Select a valid choice. vessel is not one of the available choices." in (
        response.content.decode()
    )
    assert Entity.objects.count() == 0
    assert EvidenceItem.objects.count() == 0


def test_from_a_claim_the_link_choices_stay_and_nothing_is_linked(
    editor_client, team, editor
):
    claim = ClaimFactory(team=team, author=editor)
    url = reverse("provenance:claim-evidence-add-statement", args=[claim.pk])
    response = editor_client.post(
        url,
        {
            **TYPED,
            "relation": "contradicts",
            "stance": "denies",
            "note": "The ministry's weekly briefing",
            "add_entity": "1",
            "new_entity-kind": "person",
            "new_entity-name": "Maria Zakharova",
        },
    )
    page = response.content.decode()
    person = Entity.objects.get(name="Maria Zakharova")
    assert response.status_code == 200
    assert ClaimEvidence.objects.count() == 0
    assert EvidenceItem.objects.count() == 0
    assert '<option value="contradicts" selected>' in page
    assert '<option value="denies" selected>' in page
    assert "The ministry&#x27;s weekly briefing</textarea>" in page
    assert f'<option value="{person.pk}" selected>Maria Zakharova</option>' in page

    response = editor_client.post(
        url,
        {**TYPED, "relation": "contradicts", "stance": "denies", "speaker": person.pk},
    )
    link = ClaimEvidence.objects.get()
    assert response.status_code == 302
    assert (link.claim, link.stance, link.item.statement.speaker) == (
        claim,
        "denies",
        person,
    )


def test_another_teams_member_cannot_add_an_actor_here(client, team):
    from tests.factories import MembershipFactory

    outsider = MembershipFactory(role="editor").user
    client.force_login(outsider)
    response = client.post(
        reverse("evidence:add-statement"),
        {
            **TYPED,
            "add_entity": "1",
            "new_entity-kind": "person",
            "new_entity-name": "Z",
        },
    )
    created = Entity.objects.get(name="Z")
    assert response.status_code == 200
    assert created.team_id != team.pk  # made in the outsider's own team only
