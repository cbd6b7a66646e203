import pytest
from django.urls import reverse

from provenance.claims import services
from provenance.claims.models import Claim
from provenance.entities.models import Entity
from tests.factories import ClaimFactory, EntityFactory


def test_claim_list_shows_only_the_users_team(reporter_client, team, other_team):
    ClaimFactory(team=team, text="Ours: containers at Rajin")
    ClaimFactory(team=other_team, text="Theirs: secret lead")
    response = reporter_client.get(reverse("provenance:claim-list"))
    assert response.status_code == 200
    assert b"Ours: containers at Rajin" in response.content
    assert b"Theirs: secret lead" not in response.content


def test_search_never_finds_another_teams_claim(outsider_client, team):
    ClaimFactory(team=team, text="Containers loaded at Rajin")
    response = outsider_client.get(reverse("provenance:claim-list"), {"q": "Rajin"})
    assert response.status_code == 200
    assert b"Containers loaded at Rajin" not in response.content
    assert b"No claims match" in response.content


def test_other_teams_claim_page_is_404(outsider_client, team):
    claim = ClaimFactory(team=team)
    response = outsider_client.get(reverse("provenance:claim-detail", args=[claim.pk]))
    assert response.status_code == 404


def test_other_teams_entity_page_is_404(outsider_client, team):
    entity = EntityFactory(team=team, slug="rajin")
    response = outsider_client.get(
        reverse("provenance:entity-detail", args=[entity.slug])
    )
    assert response.status_code == 404


def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("provenance:claim-list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_claim_list_filters_by_status_subject_and_tag(reporter_client, team, reporter):
    rajin = EntityFactory(team=team, slug="rajin", name="Rajin")
    services.claim_create(
        team=team,
        actor=reporter,
        text="Tagged and about Rajin",
        subjects=[rajin],
        tag_names=["shipping"],
    )
    ClaimFactory(team=team, text="Unrelated claim", status="published")
    url = reverse("provenance:claim-list")
    assert (
        b"Tagged and about Rajin"
        in reporter_client.get(url, {"tag": "shipping"}).content
    )
    by_subject = reporter_client.get(url, {"subject": "rajin"})
    assert by_subject.status_code == 200
    assert b"Tagged and about Rajin" in by_subject.content
    assert b"Unrelated" not in by_subject.content
    by_status = reporter_client.get(url, {"status": "published"}).content
    assert b"Unrelated claim" in by_status
    assert b"Tagged and about Rajin" not in by_status


@pytest.mark.parametrize("count", [5, 50])
def test_claim_list_query_count_is_constant(
    reporter_client, team, count, django_assert_max_num_queries
):
    subjects = EntityFactory.create_batch(3, team=team)
    for claim in ClaimFactory.create_batch(count, team=team):
        claim.subjects.set(subjects)
    with django_assert_max_num_queries(12):
        response = reporter_client.get(reverse("provenance:claim-list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(count, 25)


def test_claim_create_form_saves_a_draft(reporter_client, team):
    rajin = EntityFactory(team=team, name="Rajin")
    response = reporter_client.post(
        reverse("provenance:claim-create"),
        {
            "text": "Containers were loaded at Rajin.",
            "subjects": [rajin.pk],
            "tag_names": "shipping, imagery",
            "quantity_bound": "at_least",
            "quantity_amount": "1000",
            "quantity_unit": "containers",
        },
    )
    claim = Claim.objects.get()
    assert response.status_code == 302
    assert response["Location"] == claim.get_absolute_url()
    assert claim.status == "draft"
    assert sorted(t.name for t in claim.tags.all()) == ["imagery", "shipping"]
    assert list(claim.subjects.all()) == [rajin]


def test_claim_form_with_empty_text_shows_an_error_and_saves_nothing(reporter_client):
    response = reporter_client.post(reverse("provenance:claim-create"), {"text": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors["text"]
    assert Claim.objects.count() == 0


def test_quantity_without_unit_is_a_field_error(reporter_client):
    response = reporter_client.post(
        reverse("provenance:claim-create"),
        {"text": "A claim", "quantity_amount": "5", "quantity_bound": "at_least"},
    )
    assert response.context["form"].errors["quantity_unit"]
    assert Claim.objects.count() == 0


def test_entity_form_with_a_bad_imo_shows_a_field_error(reporter_client):
    response = reporter_client.post(
        reverse("provenance:entity-create"),
        {"kind": "vessel", "name": "Angara", "imo": "9123457"},
    )
    assert response.status_code == 200
    assert "check digit" in str(response.context["form"].errors["imo"])
    assert Entity.objects.count() == 0


def test_entity_form_refuses_vessel_fields_on_a_person(reporter_client):
    response = reporter_client.post(
        reverse("provenance:entity-create"),
        {"kind": "person", "name": "Someone", "mmsi": "273123456"},
    )
    assert response.context["form"].errors["mmsi"] == ["Only vessels have this field."]


def test_entity_form_creates_a_port(reporter_client, team):
    response = reporter_client.post(
        reverse("provenance:entity-create"),
        {
            "kind": "port",
            "name": "Rajin",
            "locode": "KPRJN",
            "latitude": "42.2167",
            "longitude": "130.2833",
        },
    )
    port = Entity.objects.get()
    assert response.status_code == 302
    assert (port.locode, port.latitude, port.longitude) == ("KPRJN", 42.2167, 130.2833)


def test_stale_edit_form_says_the_claim_changed(
    reporter_client, team, reporter, editor
):
    claim = services.claim_create(team=team, actor=reporter, text="First version")
    services.claim_update(
        claim_id=claim.pk, actor=editor, expected_version=1, text="Editor's version"
    )
    response = reporter_client.post(
        reverse("provenance:claim-edit", args=[claim.pk]),
        {"text": "Reporter's version", "version": 1},
    )
    assert response.status_code == 200
    assert "changed by someone else" in str(response.context["form"].non_field_errors())
    claim.refresh_from_db()
    assert claim.text == "Editor's version"
