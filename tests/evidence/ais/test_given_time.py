"""Time sources stored on the extract, and the capture start an uploader gives for
an NMEA file without times: through the service, the upload form, import_ais and
reprocessing; shown on the extract page.

``gpsd_saab-r4.log`` (tests/data/real/ais_nmea, SOURCES.md): 14 position reports,
the first 2 before the first clock line, 12 under ``$GPRMC`` clocks from
2011-06-01 13:07:11 to 13:07:21 UTC (independent_times.py, and read in the file).
"""

import io
import json
from datetime import UTC, datetime, timedelta, timezone
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from evidence.ais import services as ais_services
from evidence.models import AISExtract, EvidenceItem
from provenance.audit.models import AuditEvent
from tests.evidence.ais.helpers import DATA
from tests.evidence.ais.test_nmea_time_sources import REAL

SAAB = REAL / "gpsd_saab-r4.log"
START = datetime(2011, 6, 1, 13, 7, 0, tzinfo=UTC)
GIVEN = {
    "at": "2011-06-01T13:07:00Z",
    "applies_to": "every position read without a time",
}


@pytest.fixture
def add_ais(team, editor, django_capture_on_commit_callbacks):
    def add(path, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            item = ais_services.evidence_add_ais(
                team=team,
                actor=editor,
                upload=io.BytesIO(path.read_bytes()),
                filename=path.name,
                **kwargs,
            )
        item.refresh_from_db()
        return item

    return add


def test_without_a_given_time_lines_before_the_first_clock_are_refused(add_ais):
    item = add_ais(SAAB)
    extract = item.ais
    assert (extract.rows_read, extract.rows_kept) == (14, 12)
    assert extract.rejected == {"no_timestamp": 2}
    assert extract.time_source == "receiver_clock_rmc"
    assert extract.time_sources == {"none": 2, "receiver_clock_rmc": 12}
    assert extract.given_time is None
    assert extract.first_at == datetime(2011, 6, 1, 13, 7, 11, tzinfo=UTC)


def test_a_given_time_times_only_the_positions_without_one(add_ais):
    item = add_ais(SAAB, given_time=START)
    extract = item.ais
    assert extract.given_time == GIVEN
    assert (extract.rows_read, extract.rows_kept) == (14, 14)
    assert extract.rejected == {}
    # The file's clock still times its 12; the uploader's time only the 2 before.
    assert extract.time_sources == {"given": 2, "receiver_clock_rmc": 12}
    assert extract.time_source == "receiver_clock_rmc"
    assert extract.first_at == START
    assert extract.last_at == datetime(2011, 6, 1, 13, 7, 21, tzinfo=UTC)
    assert item.processing_state == "done"


def test_a_file_without_any_time_is_timed_by_the_given_time(add_ais):
    item = add_ais(REAL / "pyais_messages.ais", given_time=START)
    extract = item.ais
    assert extract.time_source == "given"
    assert extract.time_sources == {"given": 6}
    # The file repeats its 3 sentences: at one time the repeats are duplicates.
    assert (extract.rows_kept, extract.rejected) == (3, {"duplicate": 3})
    assert extract.first_at == extract.last_at == START


def test_a_given_time_in_another_zone_is_stored_in_utc(add_ais):
    plus_two = START.astimezone(timezone(timedelta(hours=2)))
    item = add_ais(SAAB, given_time=plus_two)
    assert item.ais.given_time == GIVEN


def test_reprocessing_keeps_the_given_time(
    add_ais, editor, django_capture_on_commit_callbacks
):
    item = add_ais(SAAB, given_time=START)
    with django_capture_on_commit_callbacks(execute=True):
        ais_services.ais_reprocess(item_id=item.pk, actor=editor)
    extract = AISExtract.objects.get(item=item)
    assert extract.given_time == GIVEN
    assert extract.time_sources == {"given": 2, "receiver_clock_rmc": 12}
    assert extract.rows_kept == 14


def test_a_naive_given_time_is_refused_before_anything_is_stored(add_ais):
    with pytest.raises(ValidationError) as refused:
        add_ais(SAAB, given_time=datetime(2011, 6, 1, 13, 7))  # noqa: DTZ001
    assert refused.value.message_dict == {
        "given_time": ["The capture start needs a time zone (e.g. UTC)."]
    }
    assert EvidenceItem.objects.count() == 0


def test_a_given_time_for_a_csv_is_refused(add_ais):
    with pytest.raises(ValidationError) as refused:
        add_ais(DATA / "marinecadastre.csv", given_time=START)
    assert refused.value.message_dict == {
        "given_time": [
            "A capture start applies to NMEA files only; a CSV's times come from "
            "its time column."
        ]
    }
    assert EvidenceItem.objects.count() == 0


def test_a_csv_is_timed_by_its_time_column(add_ais):
    item = add_ais(DATA / "marinecadastre.csv")
    assert item.ais.time_source == "csv_column"
    assert item.ais.time_sources == {"csv_column": 5}


def test_upload_form_passes_the_capture_start_to_the_service(
    editor_client, django_capture_on_commit_callbacks
):
    with SAAB.open("rb") as upload, django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("evidence:add-ais"),
            {
                "file": upload,
                "source_reliability": "F",
                "information_credibility": "6",
                "given_time": "2011-06-01T13:07",
            },
        )
    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert item.ais.given_time == GIVEN
    assert item.ais.rows_kept == 14


def test_upload_form_shows_the_service_refusal_on_the_field(editor_client):
    with (DATA / "marinecadastre.csv").open("rb") as upload:
        response = editor_client.post(
            reverse("evidence:add-ais"),
            {
                "file": upload,
                "source_reliability": "F",
                "information_credibility": "6",
                "given_time": "2011-06-01T13:07",
            },
        )
    assert response.status_code == 400
    assert response.context["form"].errors["given_time"] == [
        "A capture start applies to NMEA files only; a CSV's times come from its "
        "time column."
    ]
    assert EvidenceItem.objects.count() == 0


def test_extract_page_says_where_the_time_came_from(editor_client, add_ais):
    item = add_ais(SAAB, given_time=START)
    response = editor_client.get(reverse("evidence:ais-detail", args=[item.pk]))
    html = response.content.decode()
    assert "<dt>Time taken from</dt>" in html
    assert 'data-time-source="receiver_clock_rmc"' in html
    assert "receiver clock ($--RMC) before the line" in html
    assert (
        "positions read, by source: receiver clock ($--RMC) before the line 12; "
        "the capture start given by the uploader 2"
    ) in html
    assert "Capture start given by the uploader: 2011-06-01T13:07:00Z." in html


def run(*args):
    out = StringIO()
    call_command("import_ais", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_ais_time_option(team, editor):
    out = run(str(SAAB), "--team", team.slug, "--time", "2011-06-01T13:07:00", "--json")
    data = json.loads(out)
    assert data["given_time"] == GIVEN
    assert data["time_source"] == "receiver_clock_rmc"
    assert data["time_sources"] == {"given": 2, "receiver_clock_rmc": 12}
    assert data["rows_kept"] == 14


def test_import_ais_refuses_a_time_that_is_not_iso_8601(team, editor):
    with pytest.raises(CommandError) as refused:
        run(str(SAAB), "--team", team.slug, "--time", "yesterday")
    assert "not an ISO 8601 time: 'yesterday'" in str(refused.value)
    assert EvidenceItem.objects.count() == 0


def test_import_ais_refuses_a_time_for_a_csv(team, editor):
    with pytest.raises(CommandError) as refused:
        run(
            str(DATA / "marinecadastre.csv"),
            "--team",
            team.slug,
            "--time",
            "2011-06-01",
        )
    assert str(refused.value) == (
        "marinecadastre.csv: A capture start applies to NMEA files only; a CSV's "
        "times come from its time column."
    )


def test_capture_start_given_later_reprocesses_and_is_audited(
    add_ais, editor, django_capture_on_commit_callbacks
):
    item = add_ais(REAL / "pyais_messages.ais")
    assert (item.processing_state, item.ais.rows_kept) == ("warning", 0)
    with django_capture_on_commit_callbacks(execute=True):
        ais_services.ais_set_capture_start(
            item_id=item.pk, actor=editor, given_time=START
        )
    item.refresh_from_db()
    extract = item.ais
    assert item.processing_state == "done"
    assert extract.given_time == GIVEN
    assert (extract.time_source, extract.rows_kept) == ("given", 3)
    event = AuditEvent.objects.filter(action="evidence.ais_capture_start").get()
    assert event.payload == {"from": None, "to": GIVEN}
    assert event.actor == editor


def test_capture_start_withdrawn_leaves_the_file_untimed(
    add_ais, editor, django_capture_on_commit_callbacks
):
    item = add_ais(REAL / "pyais_messages.ais", given_time=START)
    with django_capture_on_commit_callbacks(execute=True):
        ais_services.ais_set_capture_start(
            item_id=item.pk, actor=editor, given_time=None
        )
    item.refresh_from_db()
    assert item.ais.given_time is None
    assert (item.processing_state, item.ais.time_source) == ("warning", "none")
    assert item.ais.time_sources == {"none": 6}


def test_capture_start_is_refused_to_an_outsider(add_ais, outsider):
    item = add_ais(SAAB)
    with pytest.raises(PermissionDenied):
        ais_services.ais_set_capture_start(
            item_id=item.pk, actor=outsider, given_time=START
        )
    assert AISExtract.objects.get(item=item).given_time is None


def test_capture_start_form_on_the_extract_page(
    editor_client, add_ais, django_capture_on_commit_callbacks
):
    item = add_ais(REAL / "pyais_messages.ais")
    page = editor_client.get(reverse("evidence:ais-detail", args=[item.pk]))
    assert reverse("evidence:ais-capture-start", args=[item.pk]) in (
        page.content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("evidence:ais-capture-start", args=[item.pk]),
            {"given_time": "2011-06-01T13:07"},
        )
    assert response.status_code == 302
    assert AISExtract.objects.get(item=item).given_time == GIVEN
    page = editor_client.get(reverse("evidence:ais-detail", args=[item.pk]))
    assert 'value="2011-06-01T13:07"' in page.content.decode()
