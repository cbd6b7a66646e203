"""Team CSV layouts end to end: an unknown layout's upload shows its header and a
sample row, the column mapping is saved as a team layout (audited) and used, later
uploads with the same header are matched, other teams neither see nor use it, and
import_ais --layout reads with it."""

import io
import json
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from evidence.ais import services as ais_services
from evidence.ais.forms import AISEvidenceForm
from evidence.ais.layout_services import ais_layout_save
from evidence.ais.sniff import LayoutRefused
from evidence.models import AISLayout, AISPosition, EvidenceItem
from provenance.audit.models import AuditEvent
from tests.evidence.ais.helpers import DATA

HEADER = ["Ship", "Local time", "Y", "X", "Knots", "Callsign"]
ROWS = [
    ["244000001", "01/07/2021 12:00", "43.2951", "5.3741", "3.5", "FSYN1"],
    ["244000001", "01/07/2021 12:30", "43.2800", "5.3000", "4.0", "FSYN1"],
]
MAPPING = {
    "map_mmsi": "Ship",
    "map_timestamp": "Local time",
    "map_lat": "Y",
    "map_lon": "X",
    "map_sog": "Knots",
    "map_call_sign": "Callsign",
    "time_format": "pattern",
    "time_pattern": "%d/%m/%Y %H:%M",
    "time_zone": "Europe/Paris",
    "layout_name": "Marseille port feed",
}
EVIDENCE = {"source_reliability": "F", "information_credibility": "6"}


def feed(rows=ROWS, header=HEADER, name="feed.csv") -> io.BytesIO:
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    upload = io.BytesIO(text.encode())
    upload.name = name
    return upload


def post(client, data, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("evidence:add-ais"), data)


def refused_page(client, django_capture_on_commit_callbacks):
    return post(
        client, {"file": feed(), **EVIDENCE}, django_capture_on_commit_callbacks
    )


def save_layout(team, actor, name="Marseille port feed"):
    return ais_layout_save(
        team=team,
        actor=actor,
        name=name,
        mapping={"mmsi": "Ship", "timestamp": "Local time", "lat": "Y", "lon": "X"},
        time_format="%d/%m/%Y %H:%M",
        time_zone="Europe/Paris",
        header=HEADER,
    )


def test_unknown_layout_shows_its_header_sample_row_and_a_guessed_mapping(
    editor_client, django_capture_on_commit_callbacks
):
    response = refused_page(editor_client, django_capture_on_commit_callbacks)

    html = response.content.decode()
    assert response.status_code == 400
    assert "Unrecognised AIS layout" in html
    assert (
        "this file&#x27;s header has: Ship, Local time, Y, X, Knots, Callsign" in html
    )
    assert "Map this CSV's columns" in html
    assert '<th scope="col">Local time</th>' in html
    assert "<td>01/07/2021 12:00</td>" in html
    assert '<option value="Y" selected>Y</option>' in html  # guessed latitude
    assert 'name="map_mmsi"' in html
    assert json.loads(response.context["form"].data["csv_header"]) == HEADER
    assert EvidenceItem.objects.count() == AISLayout.objects.count() == 0


def test_mapping_is_saved_as_a_team_layout_and_the_positions_are_imported(
    team, editor, editor_client, django_capture_on_commit_callbacks
):
    page = refused_page(editor_client, django_capture_on_commit_callbacks)
    carried = {k: page.context["form"].data[k] for k in ("csv_header", "csv_sample")}

    response = post(
        editor_client,
        {"file": feed(), **EVIDENCE, **carried, **MAPPING},
        django_capture_on_commit_callbacks,
    )

    item = EvidenceItem.objects.get()
    layout = AISLayout.objects.get()
    assert response.status_code == 302
    assert (layout.team, layout.name, layout.created_by) == (
        team,
        "Marseille port feed",
        editor,
    )
    assert layout.mapping == {
        "mmsi": "Ship",
        "timestamp": "Local time",
        "lat": "Y",
        "lon": "X",
        "sog": "Knots",
        "call_sign": "Callsign",
    }
    assert (layout.time_format, layout.time_zone, layout.header) == (
        "%d/%m/%Y %H:%M",
        "Europe/Paris",
        HEADER,
    )
    event = AuditEvent.objects.get(action="ais_layout.create")
    assert (event.team, event.actor, event.object_id) == (team, editor, str(layout.pk))
    assert event.payload["mapping"] == layout.mapping
    extract = item.ais
    assert (item.processing_state, extract.source_format, extract.layout_name) == (
        "done",
        "custom",
        "Marseille port feed",
    )
    assert extract.column_mapping["columns"] == layout.mapping
    assert extract.column_mapping["time_zone"] == "Europe/Paris"
    # 12:00 and 12:30 in Marseille in July are 10:00 and 10:30 UTC.
    assert [
        (p.mmsi, p.timestamp, p.latitude, p.longitude, p.sog)
        for p in AISPosition.objects.order_by("timestamp")
    ] == [
        ("244000001", datetime(2021, 7, 1, 10, 0, tzinfo=UTC), 43.2951, 5.3741, 3.5),
        ("244000001", datetime(2021, 7, 1, 10, 30, tzinfo=UTC), 43.28, 5.3, 4.0),
    ]


def test_a_malformed_mapping_is_a_form_error_and_nothing_is_saved(
    editor_client, django_capture_on_commit_callbacks
):
    page = refused_page(editor_client, django_capture_on_commit_callbacks)
    carried = {k: page.context["form"].data[k] for k in ("csv_header", "csv_sample")}

    response = post(
        editor_client,
        {
            "file": feed(),
            **EVIDENCE,
            **carried,
            **MAPPING,
            "time_pattern": "%Y-%m-%d %H:%M",
            "map_lon": "",
        },
        django_capture_on_commit_callbacks,
    )

    form = response.context["form"]
    assert response.status_code == 400
    assert form.errors["map_lon"] == ["Choose the column that holds the longitude."]
    assert EvidenceItem.objects.count() == AISLayout.objects.count() == 0


def test_a_time_format_the_sample_row_does_not_match_is_a_form_error(
    editor_client, django_capture_on_commit_callbacks
):
    page = refused_page(editor_client, django_capture_on_commit_callbacks)
    carried = {k: page.context["form"].data[k] for k in ("csv_header", "csv_sample")}

    response = post(
        editor_client,
        {
            "file": feed(),
            **EVIDENCE,
            **carried,
            **MAPPING,
            "time_pattern": "%Y-%m-%d %H:%M",
        },
        django_capture_on_commit_callbacks,
    )

    assert response.context["form"].errors["time_pattern"] == [
        "The sample row's time '01/07/2021 12:00' does not match this format."
    ]
    assert AISLayout.objects.count() == 0


def test_a_refused_upload_saves_no_layout(
    team, editor, editor_client, django_capture_on_commit_callbacks
):
    save_layout(team, editor, name="Existing")
    ais_services.evidence_add_ais(
        team=team, actor=editor, upload=feed(), filename="feed.csv", enqueue=False
    )
    carried = {"csv_header": json.dumps(HEADER), "csv_sample": json.dumps(ROWS[0])}

    response = post(
        editor_client,
        {"file": feed(), **EVIDENCE, **carried, **MAPPING},
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 400
    assert b"These exact bytes are already stored in your team." in response.content
    assert list(AISLayout.objects.values_list("name", flat=True)) == ["Existing"]


def test_a_later_upload_with_the_same_header_uses_the_team_layout(
    team, editor, django_capture_on_commit_callbacks
):
    save_layout(team, editor)
    reordered = [[r[3], r[0], r[1], r[2], r[4], r[5]] for r in ROWS]
    header = [HEADER[3], HEADER[0], HEADER[1], HEADER[2], HEADER[4], HEADER[5]]

    with django_capture_on_commit_callbacks(execute=True):
        item = ais_services.evidence_add_ais(
            team=team,
            actor=editor,
            upload=feed(reordered, header),
            filename="again.csv",
        )

    item.refresh_from_db()
    assert (item.ais.source_format, item.ais.layout_name, item.ais.rows_kept) == (
        "custom",
        "Marseille port feed",
        2,
    )
    assert AISPosition.objects.order_by("timestamp").first().timestamp == datetime(
        2021, 7, 1, 10, 0, tzinfo=UTC
    )


def test_the_layout_can_be_picked_on_the_upload_form(
    team, editor, editor_client, django_capture_on_commit_callbacks
):
    layout = save_layout(team, editor)
    other_header = ["Ship", "Local time", "Y", "X"]  # not the saved header

    response = post(
        editor_client,
        {
            "file": feed([r[:4] for r in ROWS], other_header),
            **EVIDENCE,
            "layout": str(layout.pk),
        },
        django_capture_on_commit_callbacks,
    )

    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert (item.ais.layout_name, item.ais.rows_kept) == ("Marseille port feed", 2)


def test_another_team_neither_sees_nor_uses_the_layout(
    team, editor, other_team, outsider, django_capture_on_commit_callbacks
):
    layout = save_layout(team, editor)

    form = AISEvidenceForm(team=other_team)
    assert "layout" not in form.fields  # the other team has no layouts
    with pytest.raises(PermissionDenied):
        ais_services.evidence_add_ais(
            team=other_team,
            actor=outsider,
            upload=feed(),
            filename="feed.csv",
            layout=layout,
        )
    with pytest.raises(LayoutRefused):  # its header is not matched for them
        ais_services.evidence_add_ais(
            team=other_team, actor=outsider, upload=feed(), filename="feed.csv"
        )
    assert EvidenceItem.objects.count() == 0


def test_another_teams_layout_is_not_a_valid_choice_on_the_form(
    team, editor, outsider_client, other_team, outsider
):
    layout = save_layout(team, editor)
    save_layout(other_team, outsider, name="Theirs")

    response = outsider_client.post(
        reverse("evidence:add-ais"),
        {"file": feed(), **EVIDENCE, "layout": str(layout.pk)},
    )

    assert response.status_code == 400
    assert "layout" in response.context["form"].errors
    assert EvidenceItem.objects.count() == 0


def test_saving_needs_membership_and_a_free_name(team, editor, outsider):
    save_layout(team, editor)

    with pytest.raises(PermissionDenied):
        save_layout(team, outsider, name="Mine")
    with pytest.raises(ValidationError) as error:
        save_layout(team, editor)
    assert error.value.messages == [
        "Your team already has a layout named 'Marseille port feed'."
    ]
    assert AISLayout.objects.count() == 1
    assert AuditEvent.objects.filter(action="ais_layout.create").count() == 1


def run(*args):
    out = StringIO()
    call_command("import_ais", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_ais_reads_a_file_with_a_named_team_layout(team, editor, tmp_path):
    save_layout(team, editor)
    path = tmp_path / "feed.csv"
    path.write_bytes(feed([r[:4] for r in ROWS], HEADER[:4]).getvalue())

    data = json.loads(
        run(str(path), "--team", team.slug, "--layout", "Marseille port feed", "--json")
    )

    assert (data["format"], data["rows_kept"]) == ("custom", 2)
    assert EvidenceItem.objects.get().ais.layout_name == "Marseille port feed"


def test_import_ais_with_an_unknown_layout_name_lists_the_known_ones(
    team, editor, tmp_path
):
    save_layout(team, editor)
    path = tmp_path / "feed.csv"
    path.write_bytes(feed().getvalue())

    with pytest.raises(CommandError) as error:
        run(str(path), "--team", team.slug, "--layout", "Nope")

    assert str(error.value) == (
        "No AIS layout named 'Nope' in this team (known: Marseille port feed)."
    )


def test_an_extract_keeps_reading_with_its_recorded_mapping_once_the_layout_is_gone(
    team, editor, django_capture_on_commit_callbacks
):
    save_layout(team, editor)
    with django_capture_on_commit_callbacks(execute=True):
        item = ais_services.evidence_add_ais(
            team=team, actor=editor, upload=feed(), filename="feed.csv"
        )
    AISLayout.objects.all().delete()

    item = ais_services.ais_process(item_id=item.pk)

    assert (item.processing_state, item.ais.rows_kept, item.ais.layout_name) == (
        "done",
        2,
        "Marseille port feed",
    )
    assert AISPosition.objects.order_by("timestamp").first().timestamp == datetime(
        2021, 7, 1, 10, 0, tzinfo=UTC
    )


def test_a_built_in_layout_is_recorded_with_the_columns_it_read(
    team, editor, django_capture_on_commit_callbacks
):
    path = DATA / "layouts" / "marinetraffic.csv"
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as upload:
        item = ais_services.evidence_add_ais(
            team=team, actor=editor, upload=upload, filename=path.name
        )

    item.refresh_from_db()
    assert (item.ais.source_format, item.ais.layout_name, item.ais.rows_kept) == (
        "marinetraffic",
        "marinetraffic",
        3,
    )
    assert item.ais.column_mapping == {
        "columns": {
            "mmsi": "MMSI",
            "timestamp": "TIMESTAMP",
            "lat": "LAT",
            "lon": "LON",
            "sog": "SPEED",
            "cog": "COURSE",
            "heading": "HEADING",
            "imo": "IMO",
            "name": "SHIPNAME",
            "ship_type": "SHIPTYPE",
        },
        "time_format": "iso8601",
        "time_zone": "UTC",
    }
