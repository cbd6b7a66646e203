import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from provenance.audit.chain import chain_head, verify_chain
from provenance.audit.models import AuditEvent
from provenance.claims.models import Claim
from provenance.entities.models import Entity
from provenance.teams.models import Team


def test_load_demo_loads_seven_claims_and_the_places(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    team = Team.objects.get(slug="demo")
    assert Claim.objects.filter(team=team).count() == 7
    rajin = Entity.objects.get(team=team, name="Rajin")
    assert (rajin.locode, rajin.latitude, rajin.longitude) == (
        "KPRJN",
        42.2167,
        130.2833,
    )
    dunai = Entity.objects.get(team=team, name="Dunai")
    assert (dunai.locode, dunai.latitude, dunai.longitude) == ("", 42.8803, 132.3375)
    depot = Entity.objects.get(team=team, name="Tikhoretsk ammunition depot")
    assert (depot.kind, depot.latitude, depot.longitude) == ("facility", 45.855, 40.125)


def test_load_demo_twice_changes_nothing(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    team = Team.objects.get(slug="demo")
    before = (chain_head(team), Claim.objects.count(), AuditEvent.objects.count())
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    after = (chain_head(team), Claim.objects.count(), AuditEvent.objects.count())
    assert after == before
    assert list(verify_chain(team)) == []


def test_demo_claim_one_is_quantified_with_the_white_house_as_source(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    claim = Claim.objects.get(slug="north-korea-is-supplying-munitions-to-russia")
    assert claim.quantity_display == "at least 1,000 containers"
    assert claim.first_appearance_entity.name == "United States"
    assert claim.first_appearance_at.date().isoformat() == "2023-10-13"


def test_demo_vessels_carry_labelled_synthetic_identifiers(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    angara = Entity.objects.get(name="Angara")
    assert angara.is_synthetic is True
    assert angara.imo.startswith("00000")
    assert "synthetic" in angara.description


def test_demo_reporter_sees_the_seven_claims(client, db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    response = client.post(
        reverse("login"),
        {"username": "demo-reporter", "password": "demo-reporter-pass"},
    )
    assert response.status_code == 302
    page = client.get(reverse("provenance:claim-list"))
    assert page.context["page"].paginator.count == 7
    assert b"more than 1,000 containers" in page.content


def _claim_one_page(client, as_of: str):
    claim = Claim.objects.get(slug="north-korea-is-supplying-munitions-to-russia")
    return client.get(
        reverse("provenance:claim-detail", args=[claim.pk]), {"as_of": as_of}
    )


def test_demo_claim_one_as_of_12_october(client, db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client.post(
        reverse("login"),
        {"username": "demo-reporter", "password": "demo-reporter-pass"},
    )
    shown = _claim_one_page(client, "2023-10-12").context["shown"]
    assert shown.text == "North Korea is supplying munitions to Russia."
    assert shown.quantity_display == ""
    assert shown.confidence.level == "roughly_even_chance"
    assert [d.item.title for d in shown.denials] == [
        "North Korea denies sending weapons to Russia"
    ]


def test_demo_claim_one_as_of_17_october(client, db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client.post(
        reverse("login"),
        {"username": "demo-reporter", "password": "demo-reporter-pass"},
    )
    response = _claim_one_page(client, "2023-10-17")
    shown = response.context["shown"]
    assert shown.text.startswith("North Korea has shipped more than 1,000 containers")
    assert shown.quantity_display == "at least 1,000 containers"
    assert shown.confidence.level == "very_likely"
    assert b'data-confidence="very_likely"' in response.content
    assert [d.item.title for d in shown.denials] == [
        "Burmistrov denies that Russia violated UN sanctions",
        "North Korea denies sending weapons to Russia",
    ]
    imagery = [link.item for link in shown.links if link.item.kind == "image"]
    assert imagery
    assert all(item.is_synthetic for item in imagery)


def test_demo_team_and_members_are_written_by_the_teams_services(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    team = Team.objects.get(slug="demo")
    users = {m.role: m.user_id for m in team.memberships.all()}
    first = AuditEvent.objects.filter(team=team).order_by("seq")[:4]
    assert [
        (e.seq, e.actor_label, e.action, e.payload, e.at.isoformat()) for e in first
    ] == [
        (
            1,
            "system",
            "team.create",
            {"name": "Demo newsroom", "slug": "demo"},
            "2023-09-05T09:00:00+00:00",
        ),
        (
            2,
            "system",
            "membership.add",
            {"user": users["reporter"], "role": "reporter"},
            "2023-09-05T09:00:00+00:00",
        ),
        (
            3,
            "system",
            "membership.add",
            {"user": users["editor"], "role": "editor"},
            "2023-09-05T09:00:00+00:00",
        ),
        (
            4,
            "demo-reporter",
            "entity.create",
            first[3].payload,
            first[3].at.isoformat(),
        ),
    ]
    assert team.created_at.isoformat() == "2023-09-05T09:00:00+00:00"


def test_demo_claims_keep_the_slugs_the_service_gave_them(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    slugs = list(
        Claim.objects.filter(team__slug="demo")
        .order_by("pk")
        .values_list("slug", flat=True)
    )
    assert slugs[:2] == [
        "north-korea-is-supplying-munitions-to-russia",
        "containers-loaded-at-rajin-were-carried-by-the-angara-and-the-maria-to-dunai",
    ]
    assert len(set(slugs)) == 7


def test_demo_users_have_verified_example_org_addresses(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    users = get_user_model().objects.filter(username__startswith="demo-")
    assert dict(users.values_list("username", "email")) == {
        "demo-editor": "demo-editor@example.org",
        "demo-reporter": "demo-reporter@example.org",
    }


def test_a_demo_user_without_an_address_gets_it_with_an_audit_row(db):
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    get_user_model().objects.filter(username="demo-reporter").update(email="")
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    reporter = get_user_model().objects.get(username="demo-reporter")
    assert reporter.email == "demo-reporter@example.org"
    event = AuditEvent.objects.get(action="account.email_verified")
    assert event.payload == {
        "user": reporter.pk,
        "email": ["", "demo-reporter@example.org"],
    }


def test_demo_claim_one_has_a_labelled_comment_thread(db):
    from provenance.claims.models import Comment

    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    claim = Claim.objects.get(slug="north-korea-is-supplying-munitions-to-russia")
    thread = list(Comment.objects.on_claim(claim).order_by("created_at"))
    assert len(thread) == 3
    assert all(c.body.startswith("[demo] ") for c in thread)
    assert [c.parent_id for c in thread] == [None, thread[0].pk, thread[1].pk]
    assert thread[0].quote_text == "has never exported weapons or ammunition"
    assert [u.username for u in thread[0].mentions.all()] == ["demo-editor"]
    assert AuditEvent.objects.filter(action="comment.create").count() == 3


@pytest.mark.django_db(transaction=True)
def test_make_run_loads_the_demo_with_every_item_processed(settings):
    """As `make run` does: no broker, processing in background threads. The
    loader commits inside tasks_run_here, so nothing is left to those threads."""
    from evidence.models import EvidenceItem, ProcessingState

    settings.EVIDENCE_TASKS_IN_THREAD = True
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    states = dict(
        EvidenceItem.objects.exclude(
            processing_state=ProcessingState.NOT_NEEDED
        ).values_list("title", "processing_state")
    )
    # Five images, the georeferenced scene (issue 21) and two AIS extracts.
    assert len(states) == 8
    assert set(states.values()) == {ProcessingState.DONE}
    # The scene is described once processed: synthetic, its footprint on Rajin.
    from evidence.maps.geometry import polygon_contains
    from evidence.models import SatelliteScene

    scene = SatelliteScene.objects.select_related("item__image").get()
    assert scene.item.is_synthetic
    assert "SYNTHETIC DEMO SCENE" in scene.item.description
    assert (scene.gsd_m, scene.cloud_cover_percent) == (5.0, 5.0)
    assert polygon_contains(scene.item.image.geo["footprint"], 130.2833, 42.2167)


def test_demo_records_who_owns_what_backed_by_its_documents(db):
    from evidence.models import RelationshipEvidence
    from provenance.claims.models import ClaimRelationship
    from provenance.entities.models import Relationship

    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    team = Team.objects.get(slug="demo")
    edges = {
        (r.source.name, r.kind, r.target.name): r
        for r in Relationship.objects.for_team(team).select_related("source", "target")
    }
    assert sorted(edges) == [
        (
            "Azia Shipping Holdings",
            "linked_to",
            "Moscow logistics firm (unnamed in the reporting)",
        ),
        ("Azia Shipping Holdings", "registered_owner", "Maria"),
        ("M Leasing", "registered_owner", "Angara"),
        ("Marine Trans Shipping", "registered_owner", "Angara"),
    ]
    for edge in edges.values():
        # No date, share or identifier the reporting does not give.
        assert (edge.start_date, edge.end_date, edge.share_percent) == (
            None,
            None,
            None,
        )
        assert (edge.dataset, edge.source_entity_id) == ("", None)
        assert edge.recorded_at.date().isoformat() == "2023-10-16"
        assert RelationshipEvidence.objects.current().filter(relationship=edge).exists()
    moscow = edges[
        (
            "Azia Shipping Holdings",
            "linked_to",
            "Moscow logistics firm (unnamed in the reporting)",
        )
    ]
    assert {link.item.title for link in moscow.evidence_links.all()} == {
        "The Maria: Cyprus ownership and a Moscow logistics link",
        "RUSI analysis of satellite imagery: Rajin, Dunai, Tikhoretsk",
    }
    assert moscow.target.imo == ""
    for owner in ("M Leasing", "Marine Trans Shipping"):
        [designation] = Entity.objects.get(team=team, name=owner).sanctions.all()
        assert designation.authority == "United States"
        assert "2022" in designation.reason
    assert ClaimRelationship.objects.filter(claim__team=team).count() == 2
