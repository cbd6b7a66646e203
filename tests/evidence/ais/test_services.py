"""AIS extracts through the services: upload checks, processing into the database
(COPY on PostgreSQL, batched inserts on SQLite), vessels, analysis, re-analysis."""

import gzip
import io
from datetime import timedelta

import pytest
from django.db import connection

from evidence.ais import services as ais_services
from evidence.ais.analyse import AnalysisParams
from evidence.ais.demo import demo_ais_extracts
from evidence.ais.storage import load_positions
from evidence.ais.validate import parse_and_validate
from evidence.models import (
    AISExtract,
    AISGap,
    AISPosition,
    CustodyEvent,
    EvidenceItem,
    PortCall,
    ProcessingState,
)
from evidence.services import DuplicateEvidence, FileRefused
from provenance.audit.chain import chain_head
from provenance.audit.models import AuditEvent
from provenance.demo.story import SYNTHETIC_IDS
from provenance.entities.models import Entity
from tests.evidence.ais.helpers import DATA, mc_csv, mc_row
from tests.factories import EntityFactory

FORMATS = {
    "marinecadastre.csv": "marinecadastre",
    "marinecadastre.csv.gz": "marinecadastre",
    "marinecadastre_v2.csv.zst": "marinecadastre_v2",
    "dma.csv": "dma",
    "tagblock.nmea": "nmea",
    "timestamps.nmea": "nmea",
    "multisentence.nmea": "nmea",
    "dirty.nmea": "nmea",
}


@pytest.fixture
def add_ais(team, editor, django_capture_on_commit_callbacks):
    """Upload bytes through the service; processing runs on commit (eager)."""

    def add(content: bytes, filename: str = "extract.csv", **fields):
        with django_capture_on_commit_callbacks(execute=True):
            item = ais_services.evidence_add_ais(
                team=team,
                actor=editor,
                upload=io.BytesIO(content),
                filename=filename,
                **fields,
            )
        item.refresh_from_db()
        return item

    return add


def position_rows(extract):
    return list(
        AISPosition.objects.filter(extract=extract)
        .order_by("mmsi", "timestamp", "latitude")
        .values_list(
            "mmsi", "timestamp", "latitude", "longitude", "sog", "cog", "heading"
        )
    )


def derived_rows(extract):
    gaps = list(
        AISGap.objects.filter(extract=extract)
        .order_by("mmsi", "start_at")
        .values_list(
            "vessel_id",
            "mmsi",
            "start_at",
            "end_at",
            "start_latitude",
            "end_longitude",
            "distance_km",
            "near_port_id",
        )
    )
    calls = list(
        PortCall.objects.filter(extract=extract)
        .order_by("mmsi", "arrival_at")
        .values_list("vessel_id", "mmsi", "port_id", "arrival_at", "departure_at")
    )
    return gaps, calls


@pytest.mark.parametrize(("filename", "fmt"), sorted(FORMATS.items()))
def test_each_format_is_imported_end_to_end(add_ais, filename, fmt):
    content = (DATA / filename).read_bytes()
    expected = parse_and_validate(content)

    item = add_ais(content, filename=filename)

    extract = item.ais
    assert (item.processing_state, item.processing_error) == ("done", "")
    assert (extract.source_format, extract.rows_read, extract.rows_kept) == (
        fmt,
        expected.rows_read,
        expected.rows_kept,
    )
    assert extract.rejected == expected.rejected
    assert extract.rows_read == extract.rows_kept + extract.rows_rejected
    assert AISPosition.objects.filter(extract=extract).count() == expected.rows_kept
    mmsis = {f"{m:09d}" for m in expected.positions.mmsi.tolist()} | {
        f"{m:09d}" for m in expected.vessels
    }
    assert {v.mmsi for v in extract.vessels.all()} == mmsis
    assert (item.progress_done, item.progress_total) == (
        expected.rows_read,
        expected.rows_read,
    )


def test_marinecadastre_positions_are_stored_with_their_values(add_ais):
    item = add_ais((DATA / "marinecadastre.csv").read_bytes())

    rows = position_rows(item.ais)
    assert len(rows) == 5
    first, maria = rows[0], rows[3]
    assert first[0] == "273999001"
    assert first[1].isoformat() == "2023-10-01T00:00:00+00:00"
    # Heading 511 is "not available": stored as NULL, the row kept.
    assert first[2:] == (42.2167, 130.2833, 0.0, 0.0, None)
    # SOG 102.3 and COG 360 are "not available" too.
    assert maria[0] == "445999002"
    assert (maria[4], maria[5], maria[6]) == (None, None, None)


def test_vessels_missing_from_the_team_are_created_and_marked(add_ais, team):
    item = add_ais((DATA / "marinecadastre.csv").read_bytes())

    vessels = {v.mmsi: v for v in item.ais.vessels.all()}
    angara = vessels["273999001"]
    assert (angara.kind, angara.name, angara.imo, angara.team_id) == (
        "vessel",
        "SYNTHETIC ANGARA",
        "9999993",
        team.pk,
    )
    assert all(v.is_auto_created for v in vessels.values())


def test_existing_vessels_are_matched_by_imo_before_mmsi(add_ais, team):
    by_imo = EntityFactory(
        team=team, kind="vessel", name="Angara", imo="9999993", mmsi="273000000"
    )
    by_mmsi = EntityFactory(team=team, kind="vessel", name="Maria", mmsi="445999002")

    item = add_ais((DATA / "marinecadastre.csv").read_bytes())

    assert set(item.ais.vessels.all()) == {by_imo, by_mmsi}
    assert Entity.objects.filter(team=team, kind="vessel").count() == 2


def test_demo_synthetic_imo_is_accepted_and_linked(add_ais, team):
    angara = EntityFactory(
        team=team, kind="vessel", name="Angara", imo="0000012", mmsi="400000001"
    )
    extract = demo_ais_extracts({"Angara": SYNTHETIC_IDS["Angara"]})[0]

    item = add_ais(extract.content, filename=extract.filename)

    assert list(item.ais.vessels.all()) == [angara]
    assert item.ais.summary["vessels"][0]["imo"] == "0000012"


def test_processing_twice_gives_identical_rows(add_ais, ports, team):
    item = add_ais((DATA / "marinecadastre.csv").read_bytes())
    extract = item.ais
    before = (position_rows(extract), derived_rows(extract))
    entities = Entity.objects.filter(team=team).count()

    ais_services.ais_process(item_id=item.pk)

    assert (position_rows(extract), derived_rows(extract)) == before
    assert Entity.objects.filter(team=team).count() == entities
    steps = CustodyEvent.objects.filter(item=item, action="processed")
    assert steps.count() == len(ais_services.PROCESSING_STEPS)


def test_demo_extract_processed_twice_gives_identical_derived_rows(add_ais, ports):
    extract = demo_ais_extracts({"Maria": SYNTHETIC_IDS["Maria"]})[0]
    item = add_ais(extract.content, filename=extract.filename)
    before = (position_rows(item.ais), derived_rows(item.ais))

    ais_services.ais_process(item_id=item.pk)

    assert (position_rows(item.ais), derived_rows(item.ais)) == before
    assert len(before[1][0]) == 4  # dark periods of the demo track
    assert len(before[1][1]) == 9  # port calls


def test_a_file_that_is_not_ais_is_refused_and_nothing_stored(team, editor):
    before = (
        EvidenceItem.objects.count(),
        AISExtract.objects.count(),
        AISPosition.objects.count(),
        AuditEvent.objects.count(),
        chain_head(team),
    )
    content = b"name,city,when\nAlice,Paris,2023-10-01\n"

    with pytest.raises(FileRefused) as refused:
        ais_services.evidence_add_ais(
            team=team,
            actor=editor,
            upload=io.BytesIO(content),
            filename="people.csv",
        )

    assert refused.value.code == "not_ais"
    assert "MMSI, timestamp, latitude, longitude" in refused.value.message
    assert "name, city, when" in refused.value.message
    after = (
        EvidenceItem.objects.count(),
        AISExtract.objects.count(),
        AISPosition.objects.count(),
        AuditEvent.objects.count(),
        chain_head(team),
    )
    assert after == before


def test_gzip_that_is_not_ais_is_refused(team, editor):
    with pytest.raises(FileRefused) as refused:
        ais_services.evidence_add_ais(
            team=team,
            actor=editor,
            upload=io.BytesIO(gzip.compress(b"hello\nworld\n")),
            filename="x.csv.gz",
        )
    assert refused.value.code == "not_ais"


def test_the_same_bytes_twice_raise_duplicate(add_ais, team, editor):
    content = (DATA / "dma.csv").read_bytes()
    first = add_ais(content, filename="dma.csv")

    with pytest.raises(DuplicateEvidence) as duplicate:
        ais_services.evidence_add_ais(
            team=team, actor=editor, upload=io.BytesIO(content), filename="again.csv"
        )
    assert duplicate.value.existing == first


def test_an_upload_over_the_size_limit_is_refused(team, editor, settings):
    settings.UPLOAD_MAX_BYTES = {**settings.UPLOAD_MAX_BYTES, "ais": 100}
    with pytest.raises(FileRefused) as refused:
        ais_services.evidence_add_ais(
            team=team,
            actor=editor,
            upload=io.BytesIO((DATA / "marinecadastre.csv").read_bytes()),
            filename="big.csv",
        )
    assert refused.value.code == "too_large"
    assert EvidenceItem.objects.count() == 0


def test_an_outsider_cannot_add_to_the_team(team, outsider):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        ais_services.evidence_add_ais(
            team=team,
            actor=outsider,
            upload=io.BytesIO((DATA / "dma.csv").read_bytes()),
            filename="dma.csv",
        )


def test_rejected_rows_are_counted_and_never_stop_the_import(add_ais):
    content = mc_csv(
        mc_row(),
        mc_row(mmsi="12"),
        mc_row(when="yesterday"),
        mc_row(lat="95.0"),
        mc_row(when="2023-10-01T01:00:00", lat="42.2168"),
    )

    item = add_ais(content)

    assert item.processing_state == "done"
    assert (item.ais.rows_read, item.ais.rows_kept) == (5, 2)
    assert item.ais.rejected == {
        "bad_mmsi": 1,
        "bad_timestamp": 1,
        "bad_position": 1,
    }


def test_a_corrupt_original_fails_with_the_reason_and_stores_nothing(add_ais):
    content = gzip.compress((DATA / "marinecadastre.csv").read_bytes() * 50)
    truncated = content[: len(content) // 2]

    item = add_ais(truncated, filename="cut.csv.gz")

    assert item.processing_state == ProcessingState.FAILED
    assert "compressed content could not be read" in item.processing_error
    assert AISPosition.objects.filter(extract=item.ais).count() == 0


def test_demo_extracts_show_five_runs_and_dark_periods_at_sea(add_ais, ports):
    for demo in demo_ais_extracts(SYNTHETIC_IDS):
        item = add_ais(
            demo.content,
            filename=demo.filename,
            title=demo.title,
            description=demo.description,
            is_synthetic=True,
        )
        extract = item.ais
        runs = {
            frozenset((r["port_a_name"], r["port_b_name"])): r["count"]
            for r in extract.summary["runs"]["between"]
        }
        assert runs == {frozenset(("Rajin", "Dunai")): 8}  # >= 5 in the claim
        at_sea = [g for g in extract.gaps.all() if g.near_port_id is None]
        placed_at_sea = [
            w for w in demo.dark_periods if w[1] - w[0] < timedelta(hours=16)
        ]
        assert len(at_sea) == len(placed_at_sea) >= 3
        for gap, (off, on) in zip(at_sea, placed_at_sea, strict=True):
            assert off - timedelta(minutes=30) <= gap.start_at <= off
            assert on <= gap.end_at <= on + timedelta(minutes=30)
        assert item.is_synthetic
        assert all(v.is_synthetic for v in extract.vessels.all())
        assert "SYNTHETIC DEMO DATA" in item.description


def test_reanalysis_with_a_longer_threshold_finds_fewer_dark_periods(
    add_ais, ports, editor, team
):
    demo = demo_ais_extracts({"Angara": SYNTHETIC_IDS["Angara"]})[0]
    item = add_ais(demo.content, filename=demo.filename)
    assert item.ais.gaps.count() == 4
    positions_before = position_rows(item.ais)

    ais_services.ais_reanalyse(
        item_id=item.pk, actor=editor, params=AnalysisParams(gap_hours=18)
    )

    item.refresh_from_db()
    extract = AISExtract.objects.get(pk=item.ais.pk)
    assert extract.gaps.count() == 1  # only the 20 h dark period in port
    assert extract.analysis_params["gap_hours"] == 18
    assert extract.summary["params"]["gap_hours"] == 18
    assert position_rows(extract) == positions_before
    assert AuditEvent.objects.filter(team=team).last().action == (
        "evidence.ais_reanalyse"
    )
    assert item.processing_state == "done"


def test_reanalysis_request_queues_and_runs_the_task(
    add_ais, ports, editor, django_capture_on_commit_callbacks
):
    demo = demo_ais_extracts({"Maria": SYNTHETIC_IDS["Maria"]})[0]
    item = add_ais(demo.content, filename=demo.filename)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ais_services.ais_reanalyse_request(
            item_id=item.pk, actor=editor, params=AnalysisParams(min_dwell_hours=2)
        )

    assert len(callbacks) == 1
    extract = AISExtract.objects.get(pk=item.ais.pk)
    assert extract.analysis_params["min_dwell_hours"] == 2
    assert EvidenceItem.objects.get(pk=item.pk).processing_state == "done"


def test_positions_are_loaded_with_copy_on_postgresql(add_ais):
    item = add_ais((DATA / "marinecadastre.csv").read_bytes())

    store = CustodyEvent.objects.get(item=item, detail__step="store")
    if connection.vendor == "postgresql":
        assert store.tool_version.startswith("PostgreSQL COPY")
    else:
        assert store.tool_version.endswith("batched INSERT")


def test_stored_positions_reload_exactly_as_validated(add_ais):
    content = (DATA / "marinecadastre_v2.csv.zst").read_bytes()
    expected = parse_and_validate(content).positions
    item = add_ais(content, filename="v2.csv.zst")

    loaded = load_positions(item.ais.pk)

    for name in ("mmsi", "timestamp_us", "lat", "lon", "sog", "cog", "heading"):
        assert getattr(loaded, name).tolist() == pytest.approx(
            getattr(expected, name).tolist(), nan_ok=True
        )
