"""manage.py capture_url: the same service and checks as the link form."""

from __future__ import annotations

import json

import pytest
from django.core.management import ManagementUtility, call_command

from evidence.models import EvidenceItem
from provenance.claims.models import ClaimEvidence
from tests.celery_worker import allow_audit_flush
from tests.evidence.captures.site import SCRIPT_TEXT
from tests.factories import ClaimFactory


@pytest.fixture
def audit_flushable(transactional_db):
    yield
    allow_audit_flush()


def run(*args, monkeypatch):
    """Run like `manage.py capture_url ...`: exit status included."""
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    try:
        ManagementUtility(["manage.py", "capture_url", *map(str, args)]).execute()
    except SystemExit as exited:
        return exited.code
    return 0


@pytest.mark.django_db
def test_a_loopback_url_is_refused_with_a_non_zero_exit(
    team, editor, settings, monkeypatch, capsys
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []

    status = run("http://127.0.0.1/", "--team", "team-a", monkeypatch=monkeypatch)

    assert status == 1
    assert capsys.readouterr().err == (
        "CommandError: http://127.0.0.1/: This page cannot be captured: 127.0.0.1 "
        "resolves to a private, loopback or reserved address (127.0.0.1).\n"
    )
    assert EvidenceItem.objects.count() == 0


@pytest.mark.django_db
def test_an_unknown_team_is_refused(monkeypatch, capsys):
    status = run("https://example.org/", "--team", "nope", monkeypatch=monkeypatch)

    assert status == 1
    assert capsys.readouterr().err == "CommandError: No team with slug 'nope'\n"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_json_output_describes_the_capture_linked_to_the_claim(
    audit_flushable, team, editor, settings, site, chromium, capsys
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]
    claim = ClaimFactory(team=team, author=editor)

    call_command(
        "capture_url", site.url("/old"), team="team-a", claim=claim.pk, json=True
    )

    data = json.loads(capsys.readouterr().out)
    item = EvidenceItem.objects.get()
    capture = item.captures.get()
    assert data["id"] == item.pk
    assert data["processing_state"] == "warning"
    assert data["capture"]["final_url"] == site.url("/page")
    assert data["capture"]["redirects"] == [site.url("/old")]
    assert data["capture"]["files"] == {
        f.role: {"sha256": f.sha256, "size_bytes": f.size_bytes}
        for f in capture.files.all()
    }
    assert SCRIPT_TEXT in capture.text
    assert ClaimEvidence.objects.get().item == item


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_capture_that_fails_exits_non_zero(
    audit_flushable, team, editor, settings, site, chromium, monkeypatch, capsys
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]

    status = run(site.url("/away"), "--team", "team-a", monkeypatch=monkeypatch)

    item = EvidenceItem.objects.get()
    assert status == 1
    # Celery's eager runs log to stderr too: the command's own line is the last.
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"CommandError: {site.url('/away')} (evidence #{item.pk}): Capture failed: "
        "The page did not load: The page redirects to a refused URL: localhost is "
        "a private host name"
    )
