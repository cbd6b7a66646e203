"""The ownership graph on the web and the API: the entity page draws and lists it
(as of a date, in constant queries), forms add, change and end edges with their
evidence, a claim cites an edge, the members' API and the native export."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from evidence import relationship_links
from evidence.models import RelationshipEvidence
from provenance.audit.models import AuditEvent
from provenance.claims import relationship_citations
from provenance.claims import services as claim_services
from provenance.entities import services
from provenance.entities.models import EntityKind, Relationship
from tests.factories import (
    EntityFactory,
    EvidenceItemFactory,
    MembershipFactory,
    UserFactory,
)

RECORDED = datetime(2023, 10, 16, 10, tzinfo=UTC)


@pytest.fixture
def maria(team, reporter):
    ship = EntityFactory(team=team, name="Maria", slug="maria", kind=EntityKind.VESSEL)
    owner = EntityFactory(team=team, name="Azia Shipping Holdings", slug="azia")
    firm = EntityFactory(team=team, name="Moscow firm", slug="moscow-firm")
    doc = EvidenceItemFactory(team=team, title="RUSI analysis")
    owns = relationship_links.relationship_record(
        team=team,
        actor=reporter,
        kind="registered_owner",
        source_id=owner.pk,
        target_id=ship.pk,
        confidence="likely",
        confidence_rationale="RUSI's analysis",
        evidence=[relationship_links.EvidenceCitation(doc.pk, "supports", "p. 2")],
        at=RECORDED,
    )
    linked = services.relationship_create(
        team=team,
        actor=reporter,
        kind="linked_to",
        source_id=owner.pk,
        target_id=firm.pk,
        description="Handles MoD logistics, RUSI says",
        at=RECORDED,
    )
    claim = claim_services.claim_create(
        team=team, actor=reporter, text="Maria carried containers", subjects=[ship]
    )
    about_owner = claim_services.claim_create(
        team=team, actor=reporter, text="Azia is a front", subjects=[owner]
    )
    return {
        "ship": ship,
        "owner": owner,
        "firm": firm,
        "doc": doc,
        "owns": owns,
        "linked": linked,
        "claim": claim,
        "about_owner": about_owner,
    }


def test_vessel_page_draws_and_lists_its_owner_with_evidence(reporter_client, maria):
    response = reporter_client.get(maria["ship"].get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    for node in (maria["ship"], maria["owner"], maria["firm"]):
        assert f'data-node="{node.pk}"' in svg
    assert f'data-edge="{maria["owns"].pk}"' in svg
    assert f'data-edge="{maria["linked"].pk}"' in svg
    [owners] = response.context["graph"].sections
    assert owners.title == "Owners"
    assert [row.other.name for row in owners.rows] == ["Azia Shipping Holdings"]
    assert "RUSI analysis</a> — p. 2" in html
    # Claims about every entity in view, one click away.
    owner_claims = reverse("provenance:claim-list") + "?subject=azia"
    assert f'href="{owner_claims}">1 claim about it</a>' in html


def test_entity_page_queries_stay_constant_as_the_graph_grows(
    team, reporter, reporter_client, maria, django_assert_max_num_queries
):
    url = maria["owner"].get_absolute_url()
    reporter_client.get(url)  # warm the session and membership caches
    with django_assert_max_num_queries(14):
        small = reporter_client.get(url)
    for n in range(12):
        ship = EntityFactory(team=team, name=f"Ship {n}", kind=EntityKind.VESSEL)
        relationship_links.relationship_record(
            team=team,
            actor=reporter,
            kind="registered_owner",
            source_id=maria["owner"].pk,
            target_id=ship.pk,
            evidence=[
                relationship_links.EvidenceCitation(EvidenceItemFactory(team=team).pk)
            ],
        )
        manager = EntityFactory(team=team, name=f"Manager {n}")
        services.relationship_create(
            team=team,
            actor=reporter,
            kind="ship_manager",
            source_id=manager.pk,
            target_id=ship.pk,
        )
    with django_assert_max_num_queries(14):
        big = reporter_client.get(url)
    assert len(big.context["graph"].graph.nodes) == 27
    assert len(small.context["graph"].graph.nodes) == 3


def test_as_of_a_date_before_the_record_shows_no_relationships(reporter_client, maria):
    url = maria["ship"].get_absolute_url()
    before = reporter_client.get(url, {"as_of": "2023-10-15", "axis": "recorded"})
    assert before.context["graph"].graph.is_empty
    assert "No relationships recorded for this date." in before.content.decode()
    after = reporter_client.get(url, {"as_of": "2023-10-16", "axis": "recorded"})
    assert len(after.context["graph"].graph.edges) == 2


def test_as_of_a_date_out_of_range_is_a_bad_request(reporter_client, maria):
    response = reporter_client.get(
        maria["ship"].get_absolute_url(), {"as_of": "1800-01-01"}
    )
    assert response.status_code == 400


def test_another_teams_member_and_staff_cannot_see_or_write(
    other_team, outsider_client, login_as, maria
):
    staff = UserFactory(username="staff-b", is_staff=True)
    MembershipFactory(user=staff, team=other_team, role="editor")
    for client in (outsider_client, login_as(staff)):
        page = client.get(maria["ship"].get_absolute_url())
        assert page.status_code == 404
        edit = client.post(
            reverse(
                "provenance:relationship-end",
                args=[maria["ship"].slug, maria["owns"].pk],
            ),
            {"end_date": "2023-10-20", "end_precision": "day"},
        )
        assert edit.status_code == 404
        api = client.get(reverse("api:entity-relationships", args=[maria["ship"].pk]))
        assert api.status_code == 404
    assert Relationship.objects.get(pk=maria["owns"].pk).end_date is None


def test_add_form_records_an_edge_with_its_evidence(team, reporter_client, maria):
    manager = EntityFactory(team=team, name="Manager Ltd")
    response = reporter_client.post(
        reverse("provenance:relationship-create", args=[maria["ship"].slug]),
        {
            "source": manager.pk,
            "kind": "ship_manager",
            "target": maria["ship"].pk,
            "start_date": "2022-05-04",
            "start_precision": "year",
            "end_precision": "day",
            "confidence": "likely",
            "confidence_rationale": "Equasis",
            "evidence": [maria["doc"].pk],
            "evidence_relation": "supports",
            "evidence_note": "manager named",
        },
    )
    edge = Relationship.objects.get(source=manager)
    assert response.status_code == 302
    assert response["Location"] == f"/entities/maria/#relationship-{edge.pk}"
    assert (edge.kind, edge.start_date, edge.span_display) == (
        "ship_manager",
        date(2022, 1, 1),
        "since 2022",
    )
    [link] = edge.evidence_links.all()
    assert (link.item, link.note) == (maria["doc"], "manager named")


def test_add_form_bad_input_is_a_field_error_and_stores_nothing(
    team, reporter_client, maria
):
    response = reporter_client.post(
        reverse("provenance:relationship-create", args=[maria["ship"].slug]),
        {
            "source": maria["owner"].pk,
            "kind": "linked_to",
            "target": maria["ship"].pk,
            "start_precision": "day",
            "end_precision": "day",
            "evidence_relation": "supports",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {"description": ["Say what the link is."]}
    assert Relationship.objects.count() == 2


def test_change_and_end_forms_keep_history(reporter_client, maria):
    slug, pk = maria["ship"].slug, maria["owns"].pk
    response = reporter_client.post(
        reverse("provenance:relationship-edit", args=[slug, pk]),
        {
            "description": "Owner per registry",
            "confidence": "very_likely",
            "confidence_rationale": "Registry checked",
            "start_precision": "day",
            "end_precision": "day",
            "reason": "Registry",
        },
    )
    assert response.status_code == 302
    response = reporter_client.post(
        reverse("provenance:relationship-end", args=[slug, pk]),
        {"end_date": "2023-11-10", "end_precision": "month", "reason": "Sold"},
    )
    assert response.status_code == 302
    edge = Relationship.objects.get(pk=pk)
    assert (edge.confidence, edge.end_date) == ("very_likely", date(2023, 11, 30))
    assert [v.history_change_reason for v in edge.history.order_by("history_id")] == [
        None,
        "Registry",
        "Sold",
    ]
    page = reporter_client.get(reverse("provenance:relationship-edit", args=[slug, pk]))
    assert page.status_code == 200
    assert "since 16 October" not in page.content.decode()
    assert "November 2023" in page.content.decode()


def test_evidence_link_and_unlink_forms(team, reporter_client, maria):
    slug, pk = maria["ship"].slug, maria["owns"].pk
    other = EvidenceItemFactory(team=team, title="Registry extract")
    response = reporter_client.post(
        reverse("provenance:relationship-evidence-link", args=[slug, pk]),
        {"item": other.pk, "relation": "contradicts", "note": "other owner"},
    )
    assert response.status_code == 302
    link = RelationshipEvidence.objects.current().get(item=other)
    response = reporter_client.post(
        reverse("provenance:relationship-evidence-unlink", args=[slug, pk, link.pk]),
        {"reason": "wrong ship"},
    )
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.unlink_reason == "wrong ship"


def test_a_claim_cites_an_edge_and_shows_it(reporter_client, maria):
    claim = maria["claim"]
    response = reporter_client.post(
        reverse("provenance:claim-relationship-cite", args=[claim.pk]),
        {"relationship": maria["owns"].pk, "relation": "supports", "note": "owner"},
    )
    assert response.status_code == 302
    page = reporter_client.get(claim.get_absolute_url())
    html = page.content.decode()
    section = html[html.index('id="cited-relationships"') :]
    assert 'Azia Shipping Holdings</a> <span class="muted">is the registered owner' in (
        section
    )
    assert f"#relationship-{maria['owns'].pk}" in section
    assert AuditEvent.objects.filter(action="claim.relationship_cite").count() == 1


# --- API ------------------------------------------------------------------------------


def test_api_records_lists_changes_and_ends(team, reporter_client, maria):
    url = reverse("api:entity-relationships", args=[maria["ship"].pk])
    manager = EntityFactory(team=team, name="Manager Ltd")
    created = reporter_client.post(
        url,
        {
            "kind": "operator",
            "source": manager.pk,
            "target": maria["ship"].pk,
            "start_date": "2021-03-02",
            "start_precision": "month",
            "dataset": "us_ofac_sdn",
            "source_entity_id": "ofac-x-1",
            "evidence": [{"evidence": maria["doc"].pk, "note": "listed"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["start_date"] == "2021-03-01"
    assert body["period"] == "since March 2021"
    assert (body["dataset"], body["source_entity_id"]) == ("us_ofac_sdn", "ofac-x-1")
    assert body["source"]["name"] == "Manager Ltd"
    assert [(e["title"], e["relation"], e["note"]) for e in body["evidence"]] == [
        ("RUSI analysis", "supports", "listed")
    ]
    listed = reporter_client.get(url).json()
    assert [r["kind"] for r in listed] == ["registered_owner", "operator"]
    then = reporter_client.get(url, {"as_of": "2023-10-15"}).json()
    assert then == []
    edge_url = reverse(
        "api:entity-relationship-change", args=[maria["ship"].pk, body["id"]]
    )
    changed = reporter_client.patch(
        edge_url,
        {"confidence": "likely", "confidence_rationale": "OFAC", "reason": "r"},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert changed.json()["confidence"] == "likely"
    ended = reporter_client.post(
        reverse("api:entity-relationship-end", args=[maria["ship"].pk, body["id"]]),
        {"end_date": "2023-01-05", "end_precision": "year"},
        content_type="application/json",
    )
    assert ended.status_code == 200
    assert ended.json()["end_date"] == "2023-12-31"


def test_api_bad_input_is_a_400_with_the_field(reporter_client, team, maria):
    url = reverse("api:entity-relationships", args=[maria["ship"].pk])
    response = reporter_client.post(
        url,
        {
            "kind": "ship_manager",
            "source": maria["owner"].pk,
            "target": maria["ship"].pk,
            "share_percent": "20",
        },
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json() == {"share_percent": ["Only an owner holds a share."]}
    assert Relationship.objects.count() == 2


def test_native_export_lists_the_cited_relationships(
    team, reporter, reporter_client, maria
):
    relationship_citations.relationship_cite(
        claim_id=maria["claim"].pk,
        relationship_id=maria["owns"].pk,
        actor=reporter,
        relation="supports",
    )
    body = reporter_client.get(
        reverse("api:claim-detail", args=[maria["claim"].pk])
    ).json()
    [cited] = body["relationships"]
    assert cited["relation"] == "supports"
    assert cited["relationship"]["kind"] == "registered_owner"
    assert cited["relationship"]["source"]["name"] == "Azia Shipping Holdings"
    assert cited["relationship"]["target"]["slug"] == "maria"
    assert cited["relationship"]["confidence"] == "likely"
    assert body["schema_version"] == "1.2"


def test_api_list_queries_stay_constant(
    team, reporter, reporter_client, maria, django_assert_max_num_queries
):
    url = reverse("api:entity-relationships", args=[maria["owner"].pk])
    reporter_client.get(url)  # warm the session and membership caches
    with django_assert_max_num_queries(8):
        assert len(reporter_client.get(url).json()) == 2
    for n in range(12):
        ship = EntityFactory(team=team, name=f"Ship {n}", kind=EntityKind.VESSEL)
        relationship_links.relationship_record(
            team=team,
            actor=reporter,
            kind="registered_owner",
            source_id=maria["owner"].pk,
            target_id=ship.pk,
            evidence=[
                relationship_links.EvidenceCitation(EvidenceItemFactory(team=team).pk)
            ],
        )
    with django_assert_max_num_queries(8):
        assert len(reporter_client.get(url).json()) == 14
    with django_assert_max_num_queries(8):
        assert reporter_client.get(url, {"as_of": "2099-01-01"}).json()[0]["kind"] == (
            "registered_owner"
        )


def test_add_form_needs_the_page_entity_at_one_end(team, reporter_client, maria):
    response = reporter_client.post(
        reverse("provenance:relationship-create", args=[maria["ship"].slug]),
        {
            "source": maria["owner"].pk,
            "kind": "parent",
            "target": maria["firm"].pk,
            "start_precision": "day",
            "end_precision": "day",
            "evidence_relation": "supports",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "source": ["Maria must be the source or the target."]
    }
    assert Relationship.objects.count() == 2


@pytest.mark.parametrize("public", [True, False])
def test_the_bulk_export_lists_the_cited_relationships_as_the_api_does(
    team, reporter, maria, public
):
    from provenance.claims.models import Claim
    from provenance.publishing.exports import builders

    relationship_citations.relationship_cite(
        claim_id=maria["claim"].pk,
        relationship_id=maria["owns"].pk,
        actor=reporter,
        relation="supports",
    )
    Claim.objects.filter(pk=maria["claim"].pk).update(
        status="published", public_content_at=timezone.now()
    )
    claims = Claim.objects.filter(pk=maria["claim"].pk)
    urls = builders.ExportUrls("https://provenance.example.org")
    bulk, plain = (
        list(builders.iter_claim_exports(claims, public=public, urls=urls, bulk=b))
        for b in (True, False)
    )
    assert bulk == plain
    assert bulk[0].relationships[0].relationship.source.name == (
        "Azia Shipping Holdings"
    )
