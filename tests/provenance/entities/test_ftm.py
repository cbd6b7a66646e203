"""FollowTheMoney import (streamed, versioned, with dataset provenance), export
(validated by followthemoney) and sanctions screening, on the synthetic fixture in
tests/data/ftm (see its README)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import orjson
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from followthemoney import model

from provenance.accounts.models import Notification
from provenance.audit.models import AuditEvent
from provenance.entities.ftm_export import ftm_lines
from provenance.entities.ftm_import import ftm_import
from provenance.entities.models import (
    DatasetImport,
    DatasetRecord,
    Entity,
    Relationship,
    SanctionsDesignation,
    ScreeningCandidate,
)
from provenance.entities.screening import screening_decide
from tests.factories import EntityFactory

DATA = Path(__file__).resolve().parents[2] / "data" / "ftm"
DATASET = "synthetic-sanctions"


def _import(team, actor, name="synthetic_fleet_v1.jsonl"):
    with (DATA / name).open("rb") as handle:
        return ftm_import(
            team=team, actor=actor, dataset=DATASET, lines=handle, file_name=name
        )


def _own_vessel(team):
    return EntityFactory(
        team=team, kind="vessel", name="Ocean Maria", imo="0000012", slug="ocean-maria"
    )


@pytest.mark.django_db
def test_import_makes_entities_edge_and_designation_with_dataset_provenance(
    team, editor
):
    imp = _import(team, editor)

    vessel = Entity.objects.get(team=team, source_entity_id="syn-vessel-1")
    assert (vessel.kind, vessel.name, vessel.imo, vessel.mmsi) == (
        "vessel",
        "Ocean Marya",
        "0000012",
        "000000012",
    )
    assert (vessel.call_sign, vessel.flag, vessel.aliases) == ("SYN1", "PA", ["Marya"])
    assert (vessel.dataset, vessel.is_auto_created) == (DATASET, True)
    company = Entity.objects.get(team=team, source_entity_id="syn-company-1")
    assert (company.kind, company.name, company.country) == (
        "organization",
        "Synthetic Shipping Ltd",
        "MT",
    )
    edge = Relationship.objects.get(team=team, source_entity_id="syn-own-1")
    assert (edge.kind, edge.source, edge.target, edge.dataset) == (
        "registered_owner",
        company,
        vessel,
        DATASET,
    )
    assert (edge.start_date, edge.start_precision, edge.end_date) == (
        date(2021, 3, 1),
        "month",
        None,
    )
    assert edge.share_percent == Decimal(100)
    director = Relationship.objects.get(team=team, source_entity_id="syn-dir-1")
    assert (director.kind, director.source.name, director.start_precision) == (
        "director",
        "Ivan Testperson",
        "year",
    )
    designation = SanctionsDesignation.objects.get(entity=vessel)
    assert (
        designation.authority,
        designation.programme,
        designation.listed_on,
        designation.dataset,
        designation.source_entity_id,
    ) == (
        "Synthetic Sanctions Authority",
        "SYN-PROGRAMME",
        date(2022, 5, 10),
        DATASET,
        "syn-sanction-1",
    )
    record = DatasetRecord.objects.get(team=team, source_entity_id="syn-vessel-1")
    assert (record.entity, record.first_import, record.last_import) == (
        vessel,
        imp,
        imp,
    )
    assert record.first_seen.isoformat() == "2022-05-10T00:00:00+00:00"
    assert record.last_seen.isoformat() == "2024-01-01T00:00:00+00:00"
    assert sorted(
        Entity.objects.filter(team=team).values_list("source_entity_id", flat=True)
    ) == [
        "syn-company-1",
        "syn-le-1",
        "syn-org-1",
        "syn-person-1",
        "syn-vessel-1",
    ]
    assert imp.counts["entities_created"] == 5
    assert imp.counts["relationships_created"] == 2
    assert imp.counts["designations_created"] == 1
    assert AuditEvent.objects.filter(team=team, action="entity.create").count() == 5
    assert AuditEvent.objects.filter(team=team, action="dataset.import").count() == 1


@pytest.mark.django_db
def test_malformed_lines_are_reported_by_number_and_the_rest_imported(team, editor):
    imp = _import(team, editor)

    assert imp.lines_read == 11
    assert imp.errors_total == 3
    assert [e["line"] for e in imp.errors] == [4, 8, 11]
    assert imp.errors[0]["error"] == "not JSON: unexpected end of data"
    assert imp.errors[1]["error"] == "unknown schema 'NoSuchSchema'"
    assert imp.errors[2]["error"] == "no id"
    assert DatasetRecord.objects.filter(team=team).count() == 8


@pytest.mark.django_db
def test_reimport_of_a_newer_version_updates_without_duplicates(team, editor):
    first = _import(team, editor)
    edge = Relationship.objects.get(team=team, source_entity_id="syn-own-1")

    second = _import(team, editor, "synthetic_fleet_v2.jsonl")

    assert second.version > first.version
    assert Entity.objects.filter(team=team).count() == 5
    assert Relationship.objects.filter(team=team).count() == 2
    assert SanctionsDesignation.objects.filter(entity__team=team).count() == 1
    assert DatasetRecord.objects.filter(team=team).count() == 8
    edge.refresh_from_db()
    assert edge.end_date == date(2023, 6, 30)
    assert edge.history.first().history_change_reason == (
        f"{DATASET} version {second.version}"
    )
    assert second.counts["records_changed"] == 1
    assert second.counts["records_unchanged"] == 7
    assert second.counts["relationships_updated"] == 1
    assert second.counts["entities_updated"] == 0
    assert second.counts["entities_created"] == 0
    assert second.errors == []
    record = DatasetRecord.objects.get(team=team, source_entity_id="syn-own-1")
    assert (record.first_import, record.last_import) == (first, second)


@pytest.mark.django_db
def test_import_is_for_editors(team, reporter):
    with pytest.raises(PermissionDenied):
        _import(team, reporter)
    assert not DatasetImport.objects.exists()


@pytest.mark.django_db
def test_a_failure_leaves_nothing_written(team, editor):
    def lines():
        yield (DATA / "synthetic_fleet_v1.jsonl").read_bytes().splitlines()[0]
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        ftm_import(team=team, actor=editor, dataset=DATASET, lines=lines())
    assert not DatasetRecord.objects.exists()
    assert not Entity.objects.exists()
    assert not DatasetImport.objects.exists()


@pytest.mark.django_db
def test_export_is_ftm_that_followthemoney_validates(team, editor):
    _import(team, editor)
    own = _own_vessel(team)

    lines = list(ftm_lines(team=team))

    proxies = []
    for line in lines:
        data = orjson.loads(line)
        proxy = model.get_proxy(data, cleaned=False)
        # Every value survives followthemoney's own cleaning and schema checks.
        assert proxy.to_dict()["properties"] == data["properties"]
        for prop in proxy.schema.required:
            assert proxy.get(prop), (data["id"], prop)
        proxies.append((proxy, data))
    by_id = {proxy.id: (proxy, data) for proxy, data in proxies}
    assert len(by_id) == len(lines) == 6 + 2 + 1
    own_proxy, own_data = by_id[f"provenance-team-a-entity-{own.pk}"]
    assert own_proxy.schema.name == "Vessel"
    assert own_proxy.get("imoNumber") == ["IMO0000012"]
    assert (own_data["datasets"], own_data["referents"]) == ([], [])
    vessel = Entity.objects.get(team=team, source_entity_id="syn-vessel-1")
    vessel_data = by_id[f"provenance-team-a-entity-{vessel.pk}"][1]
    assert (vessel_data["datasets"], vessel_data["referents"]) == (
        [DATASET],
        ["syn-vessel-1"],
    )
    edge = Relationship.objects.get(team=team, source_entity_id="syn-own-1")
    edge_proxy = by_id[f"provenance-team-a-relationship-{edge.pk}"][0]
    assert edge_proxy.schema.name == "Ownership"
    assert edge_proxy.get("owner") == [f"provenance-team-a-entity-{edge.source_id}"]
    assert edge_proxy.get("asset") == [f"provenance-team-a-entity-{vessel.pk}"]
    assert edge_proxy.get("startDate") == ["2021-03-01"]


@pytest.mark.django_db
def test_export_reimports_as_a_dataset(team, other_team, editor, user_factory):
    from tests.factories import MembershipFactory

    _import(team, editor)
    other_editor = MembershipFactory(team=other_team, role="editor").user
    lines = list(ftm_lines(team=team))

    imp = ftm_import(
        team=other_team, actor=other_editor, dataset="team-a-export", lines=lines
    )

    assert imp.errors == []
    assert Entity.objects.filter(team=other_team).count() == 5
    assert Relationship.objects.filter(team=other_team).count() == 2


@pytest.mark.django_db
def test_screening_proposes_same_imo_and_near_name_and_links_nothing(team, editor):
    own = _own_vessel(team)
    unrelated = EntityFactory(team=team, kind="vessel", name="Blue Lagoon")

    _import(team, editor)

    candidates = list(ScreeningCandidate.objects.filter(team=team))
    assert [(c.entity, c.record.source_entity_id) for c in candidates] == [
        (own, "syn-vessel-1")
    ]
    candidate = candidates[0]
    assert candidate.score == 1.0
    assert candidate.reasons[0] == "Same IMO number 0000012."
    assert candidate.reasons[1].startswith("Names alike (0.9")
    assert candidate.status == "proposed"
    assert not own.sanctions.exists()
    assert not ScreeningCandidate.objects.filter(entity=unrelated).exists()


@pytest.mark.django_db
def test_near_spelled_name_alone_is_proposed(team, editor):
    own = EntityFactory(team=team, kind="organization", name="Synthetic Shiping Ltd")

    _import(team, editor)

    candidate = ScreeningCandidate.objects.get(entity=own)
    assert candidate.record.source_entity_id == "syn-company-1"
    assert 0.8 <= candidate.score < 1.0
    assert candidate.reasons[0].startswith("Names alike")


@pytest.mark.django_db
def test_confirming_links_the_designation_with_the_dataset_version(
    team, editor, second_editor
):
    own = _own_vessel(team)
    imp = _import(team, editor)
    candidate = ScreeningCandidate.objects.get(entity=own)

    screening_decide(
        candidate_id=candidate.pk, actor=second_editor, confirm=True, note="Same hull"
    )

    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by, candidate.decided_in) == (
        "confirmed",
        second_editor,
        imp,
    )
    designation = own.sanctions.get()
    assert (
        designation.authority,
        designation.dataset,
        designation.source_entity_id,
    ) == (
        "Synthetic Sanctions Authority",
        DATASET,
        "syn-sanction-1",
    )
    event = AuditEvent.objects.get(team=team, action="screening.confirm")
    assert event.payload["version"] == imp.version
    assert event.payload["designations"] == [designation.pk]
    with pytest.raises(ValidationError):
        screening_decide(candidate_id=candidate.pk, actor=editor, confirm=False)


@pytest.mark.django_db
def test_dismissing_links_nothing_and_stays_dismissed_on_reimport(team, editor):
    own = _own_vessel(team)
    _import(team, editor)
    candidate = ScreeningCandidate.objects.get(entity=own)

    screening_decide(candidate_id=candidate.pk, actor=editor, confirm=False)
    _import(team, editor, "synthetic_fleet_v2.jsonl")

    candidate.refresh_from_db()
    assert candidate.status == "dismissed"
    assert ScreeningCandidate.objects.filter(team=team).count() == 1
    assert not own.sanctions.exists()
    assert AuditEvent.objects.filter(team=team, action="screening.dismiss").count() == 1


@pytest.mark.django_db
def test_reimport_rescreens_and_notifies_editors_of_new_candidates(
    team, editor, second_editor
):
    _import(team, editor)
    assert not Notification.objects.exists()
    own = EntityFactory(team=team, kind="person", name="Ivan Testpersen")

    _import(team, editor, "synthetic_fleet_v2.jsonl")

    assert ScreeningCandidate.objects.get(entity=own).record.source_entity_id == (
        "syn-person-1"
    )
    notice = Notification.objects.get()
    assert notice.recipient == second_editor
    assert notice.title == (
        f"Screening against {DATASET}: 1 new candidate(s) to review"
    )
    assert notice.url == "/screening/"


@pytest.mark.django_db
def test_another_team_sees_and_screens_nothing(team, other_team, editor, outsider):
    own_a = _own_vessel(team)
    own_b = _own_vessel(other_team)

    _import(team, editor)

    assert list(Entity.objects.filter(team=other_team)) == [own_b]
    assert not ScreeningCandidate.objects.filter(team=other_team).exists()
    assert not ScreeningCandidate.objects.filter(entity=own_b).exists()
    assert [
        orjson.loads(line)["properties"]["name"] for line in ftm_lines(team=other_team)
    ] == [["Ocean Maria"]]
    candidate = ScreeningCandidate.objects.get(entity=own_a)
    with pytest.raises(PermissionDenied):
        screening_decide(candidate_id=candidate.pk, actor=outsider, confirm=True)
    candidate.refresh_from_db()
    assert candidate.status == "proposed"


@pytest.mark.django_db
def test_import_ftm_command_prints_the_report(team, editor):
    out = io.StringIO()
    call_command(
        "import_ftm",
        str(DATA / "synthetic_fleet_v1.jsonl"),
        "--team",
        team.slug,
        "--dataset",
        DATASET,
        "--json",
        stdout=out,
    )
    report = orjson.loads(out.getvalue())
    assert report["lines_read"] == 11
    assert [e["line"] for e in report["errors"]] == [4, 8, 11]
    assert report["counts"]["entities_created"] == 5


@pytest.mark.django_db
def test_export_ftm_command_writes_lines(team, editor, tmp_path):
    _import(team, editor)
    target = tmp_path / "out.jsonl"

    call_command("export_ftm", "--team", team.slug, "--output", str(target))

    lines = target.read_bytes().splitlines()
    assert len(lines) == 5 + 2 + 1
    assert {orjson.loads(line)["schema"] for line in lines} == {
        "Vessel",
        "Organization",
        "Person",
        "Ownership",
        "Directorship",
        "Sanction",
    }


@pytest.mark.django_db
def test_a_repeated_id_is_reported_and_the_later_line_wins(team, editor):
    lines = [
        b'{"id": "syn-p", "schema": "Person", "properties": {"name": ["A Testname"]}}',
        b"",
        b'{"id": "syn-p", "schema": "Person", "properties": {"name": ["B Testname"]}}',
    ]

    imp = ftm_import(team=team, actor=editor, dataset=DATASET, lines=lines)

    assert imp.errors == [
        {
            "error": "the same id appears twice in this file; the later line wins",
            "line": 3,
            "id": "syn-p",
        }
    ]
    assert list(Entity.objects.filter(team=team).values_list("name", flat=True)) == [
        "B Testname"
    ]
