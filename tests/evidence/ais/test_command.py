"""The import_ais command: same service as the upload form, JSON output, refusals."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evidence.ais.demo import demo_ais_extracts
from evidence.models import AISPosition, EvidenceItem
from provenance.audit.chain import chain_head
from provenance.claims.models import ClaimEvidence
from provenance.demo.story import SYNTHETIC_IDS
from tests.evidence.ais.helpers import DATA
from tests.factories import ClaimFactory


def run(*args):
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_ais", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_json_output_for_a_marinecadastre_file(team, editor):
    out, _ = run(str(DATA / "marinecadastre.csv"), "--team", team.slug, "--json")

    data = json.loads(out)
    assert (data["format"], data["rows_read"], data["rows_kept"]) == (
        "marinecadastre",
        5,
        5,
    )
    assert data["rejected"] == {}
    assert [(v["mmsi"], v["imo"], v["name"]) for v in data["vessels"]] == [
        ("273999001", "9999993", "SYNTHETIC ANGARA"),
        ("445999002", "9999981", "SYNTHETIC MARIA"),
    ]
    assert all(v["entity_created"] for v in data["vessels"])
    assert data["processing_state"] == "done"
    assert data["first_at"] == "2023-10-01T00:00:00Z"


def test_json_output_lists_port_calls_voyages_and_dark_periods(
    team, editor, ports, tmp_path
):
    demo = demo_ais_extracts({"Angara": SYNTHETIC_IDS["Angara"]})[0]
    path = tmp_path / demo.filename
    path.write_bytes(demo.content)

    out, _ = run(str(path), "--team", team.slug, "--json", "--synthetic")

    data = json.loads(out)
    assert len(data["port_calls"]) == 9
    assert len(data["voyages"]) == 8
    assert [
        (r["port_a_name"], r["port_b_name"], r["count"])
        for r in data["runs"]["between"]
    ] in (
        [("Rajin", "Dunai", 8)],
        [("Dunai", "Rajin", 8)],
    )
    first_call = data["port_calls"][0]
    assert first_call["port_name"] == "Rajin"
    assert first_call["arrival"].endswith("Z")
    gaps = data["dark_periods"]
    assert len(gaps) == 4
    assert [g["near_port"] for g in gaps] == [None, "Dunai", None, None]
    # The demo track is seeded: its first dark period is always this one.
    assert (gaps[0]["start"], gaps[0]["end"], gaps[0]["duration_hours"]) == (
        "2023-08-17T00:01:22Z",
        "2023-08-17T13:45:01Z",
        13.7275,
    )
    assert gaps[0]["start_position"] == [42.8207, 132.15298]
    assert data["is_synthetic"] is True


def test_rejected_rows_are_reported_by_reason(team, editor):
    out, _ = run(str(DATA / "dirty.nmea"), "--team", team.slug, "--json")

    data = json.loads(out)
    assert data["format"] == "nmea"
    assert data["rows_rejected"] == sum(data["rejected"].values()) > 0
    assert data["rows_read"] == data["rows_kept"] + data["rows_rejected"]


def test_a_file_that_is_not_ais_exits_nonzero_with_the_reason(team, editor, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("name,city\nAlice,Paris\n")
    head = chain_head(team)

    with pytest.raises(CommandError) as error:
        run(str(path), "--team", team.slug, "--json")

    assert error.value.returncode == 1
    assert "Not an AIS extract" in str(error.value)
    assert "MMSI, timestamp, latitude, longitude" in str(error.value)
    assert (EvidenceItem.objects.count(), AISPosition.objects.count()) == (0, 0)
    assert chain_head(team) == head


def test_claim_option_links_the_extract_as_supporting(team, editor):
    claim = ClaimFactory(team=team, author=editor)

    out, _ = run(
        str(DATA / "dma.csv"), "--team", team.slug, "--claim", str(claim.pk), "--json"
    )

    item_id = json.loads(out)["id"]
    link = ClaimEvidence.objects.get(claim=claim)
    assert (link.item_id, link.relation) == (item_id, "supports")


def test_the_same_file_twice_exits_3(team, editor):
    run(str(DATA / "dma.csv"), "--team", team.slug)

    with pytest.raises(CommandError) as error:
        run(str(DATA / "dma.csv"), "--team", team.slug)

    assert error.value.returncode == 3


def test_plain_output_summarises_the_import(team, editor):
    out, _ = run(str(DATA / "tagblock.nmea"), "--team", team.slug)
    assert out.startswith("Imported evidence #")
    assert "rows read" in out


def test_a_file_whose_lines_carry_no_time_ends_in_a_warning_and_exits_non_zero(
    team, editor, tmp_path
):
    # Real sentences (type 1, from pyais's tests) with no time on any line.
    path = tmp_path / "untimed.nmea"
    path.write_bytes(
        b"!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\n"
        b"!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C\n"
    )

    with pytest.raises(CommandError) as refused:
        run(str(path), "--team", team.slug)

    item = EvidenceItem.objects.get(team=team, original_filename="untimed.nmea")
    assert item.processing_state == "warning"
    assert item.processing_warning == (
        "No position was kept: of 2 rows read, 2 had no time. The file carries no "
        "time on its lines; without a time a position cannot be placed on the "
        "timeline. If you know when the capture started, give it as the capture "
        "start (on the extract's page, the upload form or import_ais --time)."
    )
    assert str(refused.value) == f"untimed.nmea (evidence #{item.pk}): " + (
        item.processing_warning
    )
    assert AISPosition.objects.filter(extract__item=item).count() == 0
