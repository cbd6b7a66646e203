"""The dataset import page, the screening page and the FtM export API."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from followthemoney import model

from provenance.entities.ftm_import import ftm_import
from provenance.entities.models import DatasetImport, ScreeningCandidate
from tests.factories import EntityFactory

DATA = Path(__file__).resolve().parents[2] / "data" / "ftm"


def _import(team, actor):
    with (DATA / "synthetic_fleet_v1.jsonl").open("rb") as handle:
        return ftm_import(
            team=team, actor=actor, dataset="synthetic-sanctions", lines=handle
        )


@pytest.mark.django_db
def test_editor_uploads_a_dataset_and_sees_the_refused_lines(editor_client, team):
    upload = SimpleUploadedFile(
        "fleet.jsonl", (DATA / "synthetic_fleet_v1.jsonl").read_bytes()
    )

    response = editor_client.post(
        "/datasets/import/", {"dataset": "synthetic-sanctions", "file": upload}
    )

    imp = DatasetImport.objects.get(team=team)
    assert response.status_code == 302
    assert response["Location"] == f"/datasets/imports/{imp.pk}/"
    page = editor_client.get(response["Location"]).content.decode()
    assert "synthetic-sanctions · version" in page
    assert "<td>4</td><td></td><td>not JSON" in page
    assert "unknown schema &#x27;NoSuchSchema&#x27;" in page
    assert "<tr><td>Entities created</td><td>5</td></tr>" in page


@pytest.mark.django_db
def test_reporter_may_not_import(reporter_client):
    assert reporter_client.get("/datasets/import/").status_code == 403


@pytest.mark.django_db
def test_screening_page_lists_candidates_and_an_editor_confirms(
    editor_client, team, editor, second_editor, django_assert_max_num_queries
):
    own = EntityFactory(team=team, kind="vessel", name="Ocean Maria", imo="0000012")
    EntityFactory(team=team, kind="organization", name="Synthetic Shiping Ltd")
    _import(team, second_editor)

    with django_assert_max_num_queries(12):
        page = editor_client.get("/screening/").content.decode()

    assert "Ocean Maria" in page
    assert "Same IMO number 0000012." in page
    assert "Synthetic Shiping Ltd" in page
    # One card per candidate on a phone: the cells say what they are.
    assert '<table class="card-rows">' in page
    assert page.count('<td data-label="Decision">') == 2
    candidate = ScreeningCandidate.objects.get(entity=own)
    response = editor_client.post(
        f"/screening/{candidate.pk}/decide/", {"decision": "confirm", "note": "hull"}
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert (candidate.status, candidate.decided_by) == ("confirmed", editor)
    assert own.sanctions.count() == 1
    confirmed = editor_client.get("/screening/?status=confirmed").content.decode()
    assert f"Confirmed by {editor.username}" in confirmed


@pytest.mark.django_db
def test_reporter_sees_candidates_but_cannot_decide(reporter_client, team, editor):
    own = EntityFactory(team=team, kind="vessel", name="Ocean Maria", imo="0000012")
    _import(team, editor)
    candidate = ScreeningCandidate.objects.get(entity=own)

    page = reporter_client.get("/screening/").content.decode()
    response = reporter_client.post(
        f"/screening/{candidate.pk}/decide/", {"decision": "confirm"}
    )

    assert "To review by an editor" in page
    assert response.status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == "proposed"
    assert not own.sanctions.exists()


@pytest.mark.django_db
def test_another_team_sees_no_candidate(outsider_client, team, editor):
    EntityFactory(team=team, kind="vessel", name="Ocean Maria", imo="0000012")
    _import(team, editor)
    candidate = ScreeningCandidate.objects.get(team=team)

    page = outsider_client.get("/screening/").content.decode()
    response = outsider_client.post(
        f"/screening/{candidate.pk}/decide/", {"decision": "dismiss"}
    )

    assert "Ocean Maria" not in page
    assert "No candidates here." in page
    assert response.status_code == 404


@pytest.mark.django_db
def test_api_streams_the_team_as_ftm_lines(
    reporter_client, team, editor, django_assert_max_num_queries
):
    _import(team, editor)

    with django_assert_max_num_queries(12):
        response = reporter_client.get("/api/v1/entities/ftm/")
        body = b"".join(response.streaming_content)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson"
    lines = body.splitlines()
    assert len(lines) == 5 + 2 + 1
    for line in lines:
        data = orjson.loads(line)
        assert (
            model.get_proxy(data, cleaned=False).to_dict()["properties"]
            == (data["properties"])
        )


@pytest.mark.django_db
def test_api_export_of_another_team_is_its_own(outsider_client, team, editor):
    _import(team, editor)

    response = outsider_client.get("/api/v1/entities/ftm/")

    assert b"".join(response.streaming_content) == b""


@pytest.mark.django_db
def test_entity_page_says_what_came_from_the_dataset(reporter_client, team, editor):
    _import(team, editor)
    vessel = team.entities.get(source_entity_id="syn-vessel-1")

    page = reporter_client.get(vessel.get_absolute_url()).content.decode()

    assert (
        "<dt>Imported from</dt><dd>dataset synthetic-sanctions, id "
        "<code>syn-vessel-1</code></dd>"
    ) in page
    assert '<span class="badge">from dataset synthetic-sanctions</span>' in page
