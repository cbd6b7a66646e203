"""Capturing a link as evidence, through the service and its task (Chromium)."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evidence.documents import services as document_services
from evidence.models import CaptureFile, CustodyEvent, EvidenceItem, WebCapture
from provenance.audit.models import AuditEvent
from tests.evidence.captures.site import SCRIPT_TEXT


@pytest.fixture
def allow_site(settings, site):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]
    settings.CAPTURE_TIMEOUT_SECONDS = 30
    return site


def test_a_loopback_url_is_refused_before_anything_is_written(
    team, editor, settings, site
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []

    with pytest.raises(ValidationError) as refused:
        document_services.evidence_add_link(
            capture=True, team=team, actor=editor, url="http://127.0.0.1/"
        )

    assert refused.value.message_dict == {
        "url": [
            "This page cannot be captured: 127.0.0.1 resolves to a private, "
            "loopback or reserved address (127.0.0.1)."
        ]
    }
    assert EvidenceItem.objects.count() == 0
    assert site.hits == []


def test_an_outsider_cannot_capture_for_the_team(team, outsider, allow_site):
    with pytest.raises(PermissionDenied):
        document_services.evidence_add_link(
            capture=True, team=team, actor=outsider, url=allow_site.url("/page")
        )
    assert EvidenceItem.objects.count() == 0


def test_the_capture_is_queued_on_commit_and_the_link_waits_pending(
    team, editor, allow_site, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        item = document_services.evidence_add_link(
            capture=True, team=team, actor=editor, url=allow_site.url("/old")
        )

    assert len(callbacks) == 1
    assert (item.kind, item.processing_state, item.url) == (
        "link",
        "pending",
        allow_site.url("/old"),
    )
    capture = WebCapture.objects.get(item=item)
    assert (capture.requested_by, capture.captured_at) == (editor, None)
    assert AuditEvent.objects.filter(action="evidence.add").get().payload[
        "capture"
    ] == (capture.pk)
    assert allow_site.hits == []


@pytest.fixture
def captured(team, editor, allow_site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = document_services.evidence_add_link(
            capture=True, team=team, actor=editor, url=allow_site.url("/old"), title=""
        )
    item.refresh_from_db()
    return item


pytestmark_browser = pytest.mark.e2e


@pytestmark_browser
def test_captured_link_keeps_each_file_with_its_sha256(captured, chromium):
    capture = captured.captures.get()
    files = {f.role: f for f in capture.files.all()}

    assert sorted(files) == ["dom", "screenshot", "summary", "text", "wacz"]
    for record in files.values():
        with record.file.open("rb") as handle:
            data = handle.read()
        assert record.sha256 == hashlib.sha256(data).hexdigest()
        assert record.size_bytes == len(data)
    with files["text"].file.open("rb") as handle:
        assert SCRIPT_TEXT in handle.read().decode()
    with files["summary"].file.open("rb") as handle:
        assert json.loads(handle.read())["final_url"] == capture.final_url


@pytestmark_browser
def test_captured_link_records_the_page_and_warns_of_the_refused_request(
    captured, allow_site, chromium
):
    capture = captured.captures.get()

    assert (capture.final_url, capture.http_status, capture.server_ip) == (
        allow_site.url("/page"),
        200,
        "127.0.0.1",
    )
    assert capture.redirects == [allow_site.url("/old")]
    assert SCRIPT_TEXT in capture.text
    assert capture.blocked_count == 1
    assert (captured.processing_state, captured.processing_warning) == (
        "warning",
        "Captured, but 1 request(s) refused: see the capture summary.",
    )
    assert captured.title == "Harbour statement"
    assert captured.archived_at == capture.captured_at


@pytestmark_browser
def test_each_stored_file_has_a_custody_event_and_the_capture_an_audit_event(
    captured, chromium
):
    capture = captured.captures.get()
    events = CustodyEvent.objects.filter(
        item=captured, action=CustodyEvent.Action.PROCESSED
    )
    hashes = {f.role: f.sha256 for f in capture.files.all()}

    assert {e.detail["step"]: e.detail["sha256"] for e in events} == {
        f"capture_{role}": sha256 for role, sha256 in hashes.items()
    }
    assert {e.tool for e in events} == {"Provenance web capture"}
    audit = AuditEvent.objects.filter(action="evidence.captured").get()
    assert audit.payload["files"] == hashes
    assert audit.payload["blocked"] == 1


@pytestmark_browser
def test_running_the_task_twice_keeps_one_set_of_files(captured, chromium):
    from evidence.tasks import capture_url

    capture = captured.captures.get()

    assert capture_url(capture.pk) == "warning"
    assert CaptureFile.objects.filter(capture=capture).count() == 5


@pytestmark_browser
def test_a_page_that_redirects_to_a_private_host_fails_with_the_reason(
    team, editor, allow_site, django_capture_on_commit_callbacks, chromium
):
    with django_capture_on_commit_callbacks(execute=True):
        item = document_services.evidence_add_link(
            capture=True, team=team, actor=editor, url=allow_site.url("/away")
        )
    item.refresh_from_db()
    capture = item.captures.get()

    assert (item.processing_state, item.processing_error) == (
        "failed",
        "Capture failed: The page did not load: The page redirects to a refused "
        "URL: localhost is a private host name",
    )
    assert capture.blocked_count == 1
    assert capture.files.count() == 0
