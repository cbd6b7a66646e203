"""Issue 15, problem 8: forms that help. An actor made from the claim form without
leaving it (no JavaScript), subjects grouped by kind with a filter, the first
appearance's actor shown, a glossary linked where its terms appear."""

from __future__ import annotations

from django.urls import reverse

from provenance.audit.models import AuditEvent
from provenance.claims.models import Claim
from provenance.entities.models import Entity
from provenance.templatetags.provenance_tags import sentence_case
from tests.factories import ClaimFactory, EntityFactory


def test_add_actor_keeps_the_typed_claim_and_selects_the_new_actor(
    reporter_client, team
):
    old = EntityFactory(team=team, name="Russian Federation", kind="government")
    url = reverse("provenance:claim-create")
    response = reporter_client.post(
        url,
        {
            "text": "Containers left Rajin",
            "subjects": [str(old.pk)],
            "tag_names": "ports",
            "add_entity": "1",
            "new_entity-kind": "vessel",
            "new_entity-name": "Angara",
            "new_entity-country": "RU",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    angara = Entity.objects.get(team=team, name="Angara")
    assert (angara.kind, angara.country) == ("vessel", "RU")
    assert (
        AuditEvent.objects.filter(
            action="entity.create", object_id=str(angara.pk)
        ).count()
        == 1
    )
    assert Claim.objects.count() == 0  # nothing of the claim saved yet
    assert "Containers left Rajin</textarea>" in page
    assert 'value="ports"' in page
    assert f'<option value="{angara.pk}" selected>Angara</option>' in page
    assert f'<option value="{old.pk}" selected>Russian Federation</option>' in page
    assert '<optgroup label="Vessel">' in page
    assert '<optgroup label="Government">' in page
    assert 'data-picker="Filter subjects"' in page
    response = reporter_client.post(
        url, {"text": "Containers left Rajin", "subjects": [str(angara.pk)]}
    )
    claim = Claim.objects.get()
    assert list(claim.subjects.values_list("name", flat=True)) == ["Angara"]


def test_add_actor_without_a_name_is_a_field_error_and_creates_nothing(
    reporter_client, team
):
    response = reporter_client.post(
        reverse("provenance:claim-create"),
        {
            "text": "T",
            "add_entity": "1",
            "new_entity-kind": "person",
            "new_entity-name": " ",
        },
    )
    assert response.status_code == 400
    assert "Give the actor’s name." in response.content.decode()
    assert Entity.objects.count() == 0


def test_claim_page_shows_the_first_speaker_and_links_the_glossary(
    reporter_client, team
):
    speaker = EntityFactory(team=team, name="White House", kind="government")
    claim = ClaimFactory(
        team=team,
        first_appearance_source="Briefing",
        first_appearance_entity=speaker,
    )
    page = reporter_client.get(claim.get_absolute_url()).content.decode()
    assert f'Actor: <a href="{speaker.get_absolute_url()}">White House</a>' in page
    glossary = reverse("provenance:glossary")
    for anchor in ("#icd-203", "#time-axes"):
        assert f'href="{glossary}{anchor}"' in page


def test_glossary_explains_each_term_with_its_anchor(client):
    page = client.get(reverse("provenance:glossary")).content.decode()
    for anchor in ("icd-203", "speaks-for", "time-axes", "admiralty", "relations"):
        assert f'id="{anchor}"' in page
    assert "<td>Roughly even chance</td><td>45–55 %</td>" in page
    assert "<td>B — Usually reliable</td>" in page


def test_sentence_case_keeps_acronyms():
    assert sentence_case("AIS extract") == "AIS extract"
    assert sentence_case("Image") == "image"
    assert sentence_case("Web capture") == "web capture"
