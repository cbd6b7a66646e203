"""The ownership graph's services: edges created, changed and ended with history
and audit rows, dates kept to their precision, team scope, and the evidence
behind an edge (evidence.relationship_links)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evidence import relationship_links
from evidence.models import RelationshipEvidence
from provenance.audit.models import AuditEvent
from provenance.entities import services
from provenance.entities.models import EntityKind, Relationship
from tests.factories import EntityFactory, EvidenceItemFactory, MembershipFactory

AT = datetime(2023, 10, 16, 12, 0, tzinfo=UTC)


@pytest.fixture
def owner(team):
    return EntityFactory(team=team, name="Owner Ltd")


@pytest.fixture
def vessel(team):
    return EntityFactory(team=team, name="Ship", kind=EntityKind.VESSEL)


def _create(team, actor, owner, vessel, **fields):
    return services.relationship_create(
        team=team,
        actor=actor,
        kind=fields.pop("kind", "registered_owner"),
        source_id=owner.pk,
        target_id=vessel.pk,
        **fields,
    )


def test_create_records_history_and_audit_at_the_given_time(
    team, reporter, owner, vessel
):
    edge = _create(
        team,
        reporter,
        owner,
        vessel,
        start_date=date(2022, 5, 17),
        start_precision="year",
        confidence="likely",
        confidence_rationale="Registry extract",
        at=AT,
    )
    assert edge.start_date == date(2022, 1, 1)
    assert edge.span_display == "since 2022"
    assert edge.recorded_by == reporter
    assert edge.recorded_at == AT
    [version] = edge.history.all()
    assert version.history_type == "+"
    assert version.history_date == AT
    assert version.history_user == reporter
    event = AuditEvent.objects.get(action="relationship.create")
    assert event.object_id == str(edge.pk)
    assert event.object_type == "provenance.relationship"
    assert event.payload["kind"] == "registered_owner"
    assert event.payload["source"] == owner.pk
    assert event.payload["start_date"] == "2022-01-01"
    assert event.at == AT


def test_end_date_is_the_last_day_of_its_period(team, reporter, owner, vessel):
    edge = _create(
        team,
        reporter,
        owner,
        vessel,
        start_date=date(2019, 2, 10),
        start_precision="month",
        end_date=date(2021, 2, 3),
        end_precision="month",
        end_is_approximate=True,
    )
    assert edge.start_date == date(2019, 2, 1)
    assert edge.end_date == date(2021, 2, 28)
    assert edge.span_display == "February 2019 – about February 2021"
    assert edge.is_valid_on(date(2021, 2, 28))
    assert not edge.is_valid_on(date(2021, 3, 1))
    assert list(Relationship.objects.valid_on(date(2019, 2, 1))) == [edge]
    assert list(Relationship.objects.valid_on(date(2019, 1, 31))) == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"kind": "linked_to"},
            "description",
            "Say what the link is.",
        ),
        (
            {"kind": "ship_manager", "share_percent": Decimal(50)},
            "share_percent",
            "Only an owner holds a share.",
        ),
        (
            {"confidence": "likely"},
            "confidence_rationale",
            "Say why you rate it so.",
        ),
        (
            {"start_date": date(2022, 1, 1), "end_date": date(2021, 6, 1)},
            "end_date",
            "The end cannot be before the start.",
        ),
        (
            {"start_date": date(1800, 1, 1)},
            "start_date",
            "Enter a date between 1900-01-01 and tomorrow (UTC).",
        ),
    ],
)
def test_bad_input_is_a_field_error_and_stores_nothing(
    team, reporter, owner, vessel, fields, field, message
):
    with pytest.raises(ValidationError) as caught:
        _create(team, reporter, owner, vessel, **fields)
    assert caught.value.message_dict[field] == [message]
    assert Relationship.objects.count() == 0
    assert not AuditEvent.objects.filter(action="relationship.create").exists()


def test_another_teams_entity_is_answered_as_missing(team, other_team, reporter, owner):
    stranger = EntityFactory(team=other_team, kind=EntityKind.VESSEL)
    with pytest.raises(ValidationError) as caught:
        _create(team, reporter, owner, stranger)
    assert caught.value.message_dict == {
        "target": ["No entity with this id in the team."]
    }


def test_an_entity_has_no_relationship_with_itself(team, reporter, owner):
    with pytest.raises(ValidationError) as caught:
        _create(team, reporter, owner, owner)
    assert caught.value.message_dict == {
        "target": ["An entity has no relationship with itself."]
    }


def test_another_teams_member_can_neither_create_nor_change(
    team, other_team, reporter, owner, vessel
):
    outsider = MembershipFactory(team=other_team, role="editor").user
    with pytest.raises(PermissionDenied):
        _create(team, outsider, owner, vessel)
    edge = _create(team, reporter, owner, vessel)
    with pytest.raises(PermissionDenied):
        services.relationship_update(
            relationship_id=edge.pk, actor=outsider, description="x"
        )
    with pytest.raises(PermissionDenied):
        services.relationship_end(
            relationship_id=edge.pk, actor=outsider, end_date=date(2023, 1, 1)
        )
    assert Relationship.objects.get().history.count() == 1


def test_update_keeps_the_old_version_with_the_reason(team, reporter, owner, vessel):
    edge = _create(team, reporter, owner, vessel, at=AT)
    later = datetime(2023, 10, 20, tzinfo=UTC)
    services.relationship_update(
        relationship_id=edge.pk,
        actor=reporter,
        reason="Registry checked",
        confidence="very_likely",
        confidence_rationale="Equasis entry",
        at=later,
    )
    edge.refresh_from_db()
    assert edge.confidence == "very_likely"
    assert edge.updated_at == later
    newest, oldest = edge.history.all()
    assert oldest.confidence == ""
    assert newest.confidence == "very_likely"
    assert newest.history_change_reason == "Registry checked"
    event = AuditEvent.objects.get(action="relationship.update")
    assert event.payload == {
        "from": {"confidence": "", "confidence_rationale": ""},
        "to": {"confidence": "very_likely", "confidence_rationale": "Equasis entry"},
        "reason": "Registry checked",
    }


def test_update_with_nothing_changed_is_refused(team, reporter, owner, vessel):
    edge = _create(team, reporter, owner, vessel, description="x")
    with pytest.raises(ValidationError):
        services.relationship_update(
            relationship_id=edge.pk, actor=reporter, description="x"
        )
    assert edge.history.count() == 1


def test_end_closes_an_open_edge_once(team, reporter, owner, vessel):
    edge = _create(team, reporter, owner, vessel, start_date=date(2020, 1, 1))
    services.relationship_end(
        relationship_id=edge.pk,
        actor=reporter,
        end_date=date(2023, 3, 9),
        end_precision="month",
        reason="Sold",
    )
    edge.refresh_from_db()
    assert edge.end_date == date(2023, 3, 31)
    assert edge.end_precision == "month"
    assert edge.history.first().history_change_reason == "Sold"
    event = AuditEvent.objects.get(action="relationship.end")
    assert event.payload == {
        "end_date": "2023-03-31",
        "end_precision": "month",
        "end_is_approximate": False,
        "reason": "Sold",
    }
    with pytest.raises(ValidationError) as caught:
        services.relationship_end(
            relationship_id=edge.pk, actor=reporter, end_date=date(2023, 5, 1)
        )
    assert "end_date" in caught.value.message_dict


def test_imported_edges_stay_distinguishable(team, reporter, owner, vessel):
    mine = _create(team, reporter, owner, vessel)
    imported = _create(
        team,
        reporter,
        owner,
        vessel,
        kind="ship_manager",
        dataset="us_ofac_sdn",
        source_entity_id="ofac-ownership-1",
    )
    assert not mine.is_imported
    assert mine.source_entity_id is None
    assert imported.is_imported
    assert list(Relationship.objects.team_asserted()) == [mine]
    assert list(Relationship.objects.imported()) == [imported]


# --- evidence behind an edge ----------------------------------------------------------


def test_record_links_evidence_and_a_bad_item_leaves_no_edge(
    team, other_team, reporter, owner, vessel
):
    item = EvidenceItemFactory(team=team)
    foreign = EvidenceItemFactory(team=other_team)
    edge = relationship_links.relationship_record(
        team=team,
        actor=reporter,
        kind="registered_owner",
        source_id=owner.pk,
        target_id=vessel.pk,
        evidence=[relationship_links.EvidenceCitation(item.pk, "supports", "p. 3")],
    )
    [link] = edge.evidence_links.all()
    assert (link.item, link.relation, link.note) == (item, "supports", "p. 3")
    assert AuditEvent.objects.filter(action="relationship.evidence_link").count() == 1
    with pytest.raises(ValidationError) as caught:
        relationship_links.relationship_record(
            team=team,
            actor=reporter,
            kind="ship_manager",
            source_id=owner.pk,
            target_id=vessel.pk,
            evidence=[relationship_links.EvidenceCitation(foreign.pk)],
        )
    assert caught.value.message_dict == {
        "item": ["No evidence item with this id in the team."]
    }
    assert Relationship.objects.count() == 1


def test_link_change_and_unlink_keep_every_version(team, reporter, owner, vessel):
    item = EvidenceItemFactory(team=team)
    edge = _create(team, reporter, owner, vessel)
    link = relationship_links.relationship_evidence_link(
        relationship_id=edge.pk,
        item_id=item.pk,
        actor=reporter,
        relation="supports",
        at=AT,
    )
    changed = relationship_links.relationship_evidence_change(
        link_id=link.pk,
        actor=reporter,
        reason="Reads the other way",
        relation="contradicts",
        at=datetime(2023, 10, 17, tzinfo=UTC),
    )
    assert changed.replaces == link
    link.refresh_from_db()
    assert link.unlinked_at == datetime(2023, 10, 17, tzinfo=UTC)
    assert link.was_in_force(AT)
    with pytest.raises(ValidationError):
        relationship_links.relationship_evidence_unlink(
            link_id=link.pk, actor=reporter, reason="again"
        )
    with pytest.raises(ValidationError) as caught:
        relationship_links.relationship_evidence_unlink(
            link_id=changed.pk, actor=reporter, reason=" "
        )
    assert caught.value.message_dict == {"reason": ["Say why: a reason is required."]}
    relationship_links.relationship_evidence_unlink(
        link_id=changed.pk, actor=reporter, reason="Wrong ship"
    )
    assert RelationshipEvidence.objects.current().count() == 0
    assert RelationshipEvidence.objects.count() == 2
    assert list(
        AuditEvent.objects.filter(action__startswith="relationship.evidence")
        .order_by("seq")
        .values_list("action", flat=True)
    ) == [
        "relationship.evidence_link",
        "relationship.evidence_change",
        "relationship.evidence_unlink",
    ]


def test_another_teams_member_cannot_link_evidence(team, other_team, owner, vessel):
    reporter = MembershipFactory(team=team).user
    outsider = MembershipFactory(team=other_team).user
    edge = _create(team, reporter, owner, vessel)
    with pytest.raises(PermissionDenied):
        relationship_links.relationship_evidence_link(
            relationship_id=edge.pk,
            item_id=EvidenceItemFactory(team=team).pk,
            actor=outsider,
            relation="supports",
        )
