"""The add_image command: the same service and checks as the upload form."""

import json

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from evidence.models import EvidenceItem
from provenance.claims.models import ClaimEvidence
from tests.celery_worker import allow_audit_flush
from tests.factories import ClaimFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_flushable(transactional_db):
    yield
    allow_audit_flush()


def run(*args, monkeypatch):
    """Run like `manage.py add_image ...`: exit status and stderr included."""
    # run_from_argv closes connections when done; the test's transaction needs its own.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    try:
        ManagementUtility(["manage.py", "add_image", *map(str, args)]).execute()
    except SystemExit as exited:
        return exited.code
    return 0


# Real commits: the command prints after its transaction commits and (with no
# broker) the image has been processed in between.
@pytest.mark.django_db(transaction=True)
def test_json_output_describes_the_processed_image(
    audit_flushable, team, editor, image_path, capsys
):
    call_command("add_image", image_path("exif_gps.jpg"), team="team-a", json=True)

    data = json.loads(capsys.readouterr().out)
    item = EvidenceItem.objects.get()
    assert data["id"] == item.pk
    assert data["sha256"] == item.sha256
    assert data["mime_type"] == "image/jpeg"
    assert (data["width"], data["height"]) == (item.image.width, item.image.height)
    assert data["exif"]["Model"] == "PT-1"
    assert data["gps"]["latitude"] == item.image.gps_latitude
    assert data["captured_at"] == item.image.captured_at.isoformat()
    assert data["phash"] == item.image.phash
    assert data["near_duplicates"] == []
    assert data["processing_state"] == "done"
    assert data["processing_error"] == ""
    assert item.added_by == editor  # the team's first editor by default


@pytest.mark.django_db(transaction=True)
def test_near_duplicates_are_listed_with_distances(
    audit_flushable, team, editor, image_path, capsys
):
    call_command("add_image", image_path("plain.jpg"), team="team-a")
    first = EvidenceItem.objects.get()
    capsys.readouterr()

    call_command("add_image", image_path("plain_resized.jpg"), team="team-a", json=True)

    data = json.loads(capsys.readouterr().out)
    assert [d["id"] for d in data["near_duplicates"]] == [first.pk]
    assert data["near_duplicates"][0]["distance"] <= 10


def test_refused_file_exits_non_zero_with_the_reason_on_stderr(
    team, editor, image_path, capsys, monkeypatch
):
    code = run(
        image_path("html_named.jpg"), "--team", "team-a", monkeypatch=monkeypatch
    )

    err = capsys.readouterr().err
    assert code == 1
    assert "html_named.jpg: refused: This file is an HTML page" in err
    assert EvidenceItem.objects.count() == 0


def test_duplicate_exits_3_naming_the_existing_item(
    team, editor, image_path, capsys, monkeypatch
):
    call_command("add_image", image_path("plain.jpg"), team="team-a")
    existing = EvidenceItem.objects.get()

    code = run(image_path("plain.jpg"), "--team", "team-a", monkeypatch=monkeypatch)

    assert code == 3
    assert f"already stored as evidence #{existing.pk}" in capsys.readouterr().err


def test_claim_option_links_through_evidence_attach(team, editor, image_path):
    claim = ClaimFactory(team=team, author=editor)

    call_command(
        "add_image",
        image_path("plain.jpg"),
        team="team-a",
        claim=claim.pk,
        relation="supports",
    )

    link = ClaimEvidence.objects.get()
    assert (link.claim, link.relation, link.linked_by) == (claim, "supports", editor)


def test_user_outside_the_team_is_refused(team, editor, outsider, image_path):
    with pytest.raises(CommandError, match="not a member"):
        call_command(
            "add_image", image_path("plain.jpg"), team="team-a", user=outsider.username
        )

    assert EvidenceItem.objects.count() == 0
