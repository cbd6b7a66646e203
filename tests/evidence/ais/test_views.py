"""AIS pages: upload form, extract page (inline SVG track, tables), status poll,
re-analysis, and the vessel and port entity pages."""

import io
import re

import pytest
from django.conf import settings
from django.urls import reverse

from evidence.ais import services as ais_services
from evidence.ais.demo import demo_ais_extracts
from evidence.models import EvidenceItem
from provenance.demo.story import SYNTHETIC_IDS
from tests.evidence.ais.helpers import DATA

# Extract page and vessel page: the same queries whatever the number of rows.
PAGE_QUERIES = 12
# The vessel page also draws the vessel's map and its ownership graph (issues 20
# and 21): one query more, still whatever the number of rows.
VESSEL_PAGE_QUERIES = PAGE_QUERIES + 1


@pytest.fixture
def demo_items(team, editor, ports, django_capture_on_commit_callbacks):
    ids = []
    for demo in demo_ais_extracts(SYNTHETIC_IDS):
        with django_capture_on_commit_callbacks(execute=True):
            item = ais_services.evidence_add_ais(
                team=team,
                actor=editor,
                upload=io.BytesIO(demo.content),
                filename=demo.filename,
                title=demo.title,
                is_synthetic=True,
            )
        ids.append(item.pk)
    return [EvidenceItem.objects.get(pk=pk) for pk in ids]


def test_upload_form_adds_and_processes_an_extract(
    editor_client, django_capture_on_commit_callbacks
):
    with (
        (DATA / "marinecadastre.csv.gz").open("rb") as upload,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = editor_client.post(
            reverse("evidence:add-ais"),
            {
                "file": upload,
                "source_reliability": "F",
                "information_credibility": "6",
                "gap_hours": "6",
            },
        )

    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evidence:ais-detail", args=[item.pk])
    assert (item.kind, item.processing_state, item.ais.rows_kept) == ("ais", "done", 5)
    assert item.ais.analysis_params["gap_hours"] == 6


def test_upload_form_refuses_a_file_that_is_not_ais(editor_client):
    upload = io.BytesIO(b"a,b,c\n1,2,3\n")
    upload.name = "table.csv"

    response = editor_client.post(
        reverse("evidence:add-ais"),
        {"file": upload, "source_reliability": "F", "information_credibility": "6"},
    )

    assert response.status_code == 400
    assert b"Not an AIS extract" in response.content
    assert b"MMSI, timestamp, latitude, longitude" in response.content
    assert EvidenceItem.objects.count() == 0


def test_upload_over_the_limit_gets_413(editor_client, settings):
    settings.UPLOAD_MAX_BYTES = {**settings.UPLOAD_MAX_BYTES, "ais": 50}
    with (DATA / "marinecadastre.csv").open("rb") as upload:
        response = editor_client.post(reverse("evidence:add-ais"), {"file": upload})
    assert response.status_code == 413
    assert EvidenceItem.objects.count() == 0


def test_extract_page_shows_track_and_tables_in_constant_queries(
    editor_client, demo_items, django_assert_max_num_queries
):
    item = demo_items[0]
    url = reverse("evidence:ais-detail", args=[item.pk])

    with django_assert_max_num_queries(PAGE_QUERIES):
        response = editor_client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html
    assert 'class="gap"' in html
    assert 'stroke-dasharray="6 4"' in html
    assert ">Rajin</text>" in html
    assert ">Dunai</text>" in html
    assert "8</strong> runs between" in html
    assert html.count("<tr>", html.index('class="ais-gaps"')) >= 4
    assert 'class="ais-calls"' in html
    assert 'class="ais-voyages"' in html


def test_extract_page_svg_uses_no_inline_styles_or_scripts(editor_client, demo_items):
    response = editor_client.get(
        reverse("evidence:ais-detail", args=[demo_items[0].pk])
    )
    assert response.status_code == 200
    svg = re.search(r"<svg.*?</svg>", response.content.decode(), re.S).group(0)
    assert ">Rajin</text>" in svg  # the track map itself, not some other svg
    assert "style=" not in svg
    assert "<script" not in svg
    assert re.search(r"\son[a-z]+=", svg) is None  # no event handlers


def test_extract_page_lists_rejected_rows_by_reason(
    editor_client, team, editor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        item = ais_services.evidence_add_ais(
            team=team,
            actor=editor,
            upload=io.BytesIO((DATA / "dirty.nmea").read_bytes()),
            filename="dirty.nmea",
        )
    item.refresh_from_db()

    response = editor_client.get(reverse("evidence:ais-detail", args=[item.pk]))

    html = response.content.decode()
    for reason, count in item.ais.rejected.items():
        assert f"<code>{reason}</code>" in html
        assert f"<td>{count}</td>" in html


def test_status_returns_progress_and_the_results_html(editor_client, demo_items):
    item = demo_items[0]
    data = editor_client.get(reverse("evidence:ais-status", args=[item.pk])).json()

    assert data["state"] == "done"
    assert data["is_pending"] is False
    assert data["progress_done"] == data["progress_total"] == item.ais.rows_read
    assert "<svg" in data["html"]


def test_pending_extract_shows_rows_done_of_total(editor_client, team, editor):
    item = ais_services.evidence_add_ais(
        team=team,
        actor=editor,
        upload=io.BytesIO((DATA / "dma.csv").read_bytes()),
        filename="dma.csv",
    )
    EvidenceItem.objects.filter(pk=item.pk).update(
        processing_state="running", progress_done=1, progress_total=3
    )

    response = editor_client.get(reverse("evidence:ais-detail", args=[item.pk]))

    html = response.content.decode()
    assert '<progress class="progress" max="3" value="1">' in html
    assert "1 of 3 rows" in html
    assert 'data-pending="1"' in html


def test_outsider_gets_404_for_the_extract(outsider_client, demo_items):
    item = demo_items[0]
    for name in ("evidence:ais-detail", "evidence:ais-status"):
        response = outsider_client.get(reverse(name, args=[item.pk]))
        assert response.status_code == 404


def test_reanalyse_form_reruns_with_new_parameters(
    editor_client, demo_items, django_capture_on_commit_callbacks
):
    item = demo_items[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("evidence:ais-reanalyse", args=[item.pk]),
            {"gap_hours": "18", "min_dwell_hours": "1", "near_port_km": "5"},
        )

    assert response.status_code == 302
    item.refresh_from_db()
    assert item.ais.analysis_params["gap_hours"] == 18
    assert item.ais.gaps.count() == 1


def test_vessel_page_lists_extracts_calls_and_dark_periods_in_constant_queries(
    editor_client, demo_items, django_assert_max_num_queries
):
    vessel = demo_items[0].ais.vessels.get()
    url = reverse("provenance:entity-detail", args=[vessel.slug])

    with django_assert_max_num_queries(VESSEL_PAGE_QUERIES):
        response = editor_client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert demo_items[0].title in html
    assert html.count("<tr>", html.index("Port calls")) >= 9
    assert "Dark periods" in html
    assert "near Dunai" in html  # the Angara's dark period in port


def test_port_page_lists_the_calls_made_there(editor_client, demo_items, ports):
    response = editor_client.get(
        reverse("provenance:entity-detail", args=[ports["rajin"].slug])
    )
    html = response.content.decode()
    assert "Calls here" in html
    assert "ANGARA" in html
    assert "MARIA" in html


def test_claim_side_page_adds_an_extract_and_links_it(
    editor_client, team, editor, django_capture_on_commit_callbacks
):
    from provenance.claims.models import ClaimEvidence
    from tests.factories import ClaimFactory

    claim = ClaimFactory(team=team, author=editor)
    with (
        (DATA / "tagblock.nmea").open("rb") as upload,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = editor_client.post(
            reverse("provenance:claim-evidence-add-ais", args=[claim.pk]),
            {
                "file": upload,
                "relation": "supports",
                "source_reliability": "F",
                "information_credibility": "6",
            },
        )

    assert response.status_code == 302
    link = ClaimEvidence.objects.get(claim=claim)
    assert (link.item.kind, link.relation) == ("ais", "supports")
    assert EvidenceItem.objects.get(pk=link.item_id).processing_state == "done"


def test_admin_lists_extracts_read_only(client, team, editor, demo_items):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", "r@x.org", "pw")
    client.force_login(admin_user, backend=settings.AUTHENTICATION_BACKENDS[-1])
    response = client.get(reverse("admin:evidence_aisextract_changelist"))
    assert response.status_code == 200
    assert demo_items[0].title in response.content.decode()
