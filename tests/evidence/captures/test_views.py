"""A captured link's page, its files, the link form's Capture option."""

from __future__ import annotations

import hashlib
import re

from django.core.files.base import ContentFile
from django.urls import reverse

from evidence.models import (
    CaptureFile,
    CustodyEvent,
    EvidenceItem,
    ProcessingState,
    WebCapture,
)
from provenance.audit.models import AuditEvent
from tests.factories import EvidenceItemFactory

FILES = {
    "wacz": (b"PK\x03\x04 wacz", "application/wacz"),
    "screenshot": (b"\x89PNG\r\n\x1a\n", "image/png"),
    "dom": (b"<html></html>", "text/html"),
    "text": (b"Harbour statement", "text/plain"),
    "summary": (b"{}", "application/json"),
}


def _captured_link(team, editor, *, captures: int = 1) -> EvidenceItem:
    item = EvidenceItemFactory(
        team=team,
        added_by=editor,
        url="https://example.org/statement",
        processing_state=ProcessingState.WARNING,
    )
    for n in range(captures):
        capture = WebCapture.objects.create(
            item=item,
            requested_url=item.url,
            requested_by=editor,
            final_url=f"https://example.org/statement/v{n}",
            http_status=200,
            title="Harbour statement",
            server_ip="93.184.215.14",
            redirects=["https://example.org/old"],
            summary={
                "blocked": [
                    {
                        "url": "http://10.0.0.1/x.png",
                        "resource_type": "image",
                        "reason": "10.0.0.1 resolves to a private address",
                    }
                ],
                "errors": [],
                "resources": 4,
                "stored_bytes": 601,
            },
            blocked_count=1,
        )
        capture.captured_at = capture.requested_at
        capture.save()
        for role, (data, mime) in FILES.items():
            record = CaptureFile(
                capture=capture,
                role=role,
                sha256=hashlib.sha256(data).hexdigest(),
                size_bytes=len(data),
                mime_type=mime,
            )
            record.file.save(f"{role}.bin", ContentFile(data), save=True)
    return item


def test_captured_link_page_shows_the_capture_and_its_files(
    editor_client, team, editor
):
    item = _captured_link(team, editor)
    capture = item.captures.get()

    response = editor_client.get(item.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "https://example.org/statement/v0" in html
    assert "93.184.215.14" in html
    assert "1 request refused" in html
    assert "10.0.0.1 resolves to a private address" in html
    for role, (data, _mime) in FILES.items():
        assert hashlib.sha256(data).hexdigest() in html
        assert reverse("evidence:capture-file", args=[item.pk, capture.pk, role]) in (
            html
        )
    assert "Capture again" in html


def test_captured_link_page_query_count_does_not_grow_with_captures(
    editor_client, team, editor, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for captures in (1, 6):  # 6: three in full, three listed
        item = _captured_link(team, editor, captures=captures)
        with CaptureQueriesContext(connection) as queries:
            response = editor_client.get(item.get_absolute_url())
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        editor_client.get(item.get_absolute_url())


def test_the_newest_three_captures_are_shown_in_full_the_rest_listed(
    editor_client, team, editor
):
    item = _captured_link(team, editor, captures=5)
    by_number = {
        n: c.pk
        for n, c in enumerate(item.captures.order_by("requested_at", "pk"), start=1)
    }

    html = editor_client.get(item.get_absolute_url()).content.decode()

    full = re.findall(r'<section class="capture" data-capture="(\d+)"', html)
    assert full == [str(by_number[n]) for n in (5, 4, 3)]
    for n in (5, 4, 3):
        assert f"<h2>Capture {n} · " in html
    assert "2 earlier captures</summary>" in html
    listed = re.findall(r'<tr data-capture="(\d+)" data-capture-number="(\d+)">', html)
    assert listed == [(str(by_number[2]), "2"), (str(by_number[1]), "1")]
    # An earlier capture's files stay one click away.
    wacz = reverse("evidence:capture-file", args=[item.pk, by_number[1], "wacz"])
    assert wacz in html
    assert html.count('class="replay-frame"') <= 3


def test_a_capture_file_download_is_written_to_the_custody_log(
    editor_client, team, editor
):
    item = _captured_link(team, editor)
    capture = item.captures.get()

    response = editor_client.get(
        reverse("evidence:capture-file", args=[item.pk, capture.pk, "wacz"])
    )

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == FILES["wacz"][0]
    assert response["Content-Disposition"] == (
        f'attachment; filename="evidence-{item.pk}-capture-{capture.pk}-wacz.wacz"'
    )
    event = CustodyEvent.objects.get(item=item, action="downloaded")
    assert event.detail == {
        "capture": capture.pk,
        "role": "wacz",
        "sha256": hashlib.sha256(FILES["wacz"][0]).hexdigest(),
    }
    assert AuditEvent.objects.filter(action="evidence.download_capture").count() == 1


def test_the_screenshot_is_shown_inline_without_a_custody_entry(
    editor_client, team, editor
):
    item = _captured_link(team, editor)
    capture = item.captures.get()

    response = editor_client.get(
        reverse("evidence:capture-file", args=[item.pk, capture.pk, "screenshot"])
    )

    assert response.status_code == 200
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "image/png",
        "inline",
    )
    assert not CustodyEvent.objects.filter(item=item, action="downloaded").exists()


def test_another_teams_member_gets_404_for_a_capture_file(
    outsider_client, team, editor
):
    item = _captured_link(team, editor)
    capture = item.captures.get()

    response = outsider_client.get(
        reverse("evidence:capture-file", args=[item.pk, capture.pk, "wacz"])
    )

    assert response.status_code == 404


def test_the_link_form_with_capture_queues_a_capture(
    editor_client, team, settings, django_capture_on_commit_callbacks
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = editor_client.post(
            reverse("evidence:add-link"),
            {
                "url": "http://127.0.0.1:9/page",
                "capture": "on",
                "source_reliability": "F",
                "information_credibility": "6",
            },
        )

    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert (item.kind, item.processing_state) == ("link", "pending")
    assert item.captures.get().requested_url == "http://127.0.0.1:9/page"
    assert len(callbacks) == 1


def test_the_link_form_refuses_to_capture_a_loopback_address(
    editor_client, team, settings
):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = []

    response = editor_client.post(
        reverse("evidence:add-link"),
        {
            "url": "http://127.0.0.1/",
            "capture": "on",
            "source_reliability": "F",
            "information_credibility": "6",
        },
    )

    assert response.status_code == 400
    assert "This page cannot be captured: 127.0.0.1 resolves to a private" in (
        response.content.decode()
    )
    assert EvidenceItem.objects.count() == 0


def test_the_link_form_without_capture_adds_a_plain_link(editor_client, team):
    response = editor_client.post(
        reverse("evidence:add-link"),
        {
            "url": "https://example.org/",
            "source_reliability": "F",
            "information_credibility": "6",
        },
    )

    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert item.processing_state == "not_needed"
    assert not item.captures.exists()


def test_the_evidence_list_finds_a_link_by_its_captured_text_once(
    editor_client, team, editor
):
    item = _captured_link(team, editor, captures=2)
    WebCapture.objects.filter(item=item).update(text="The vessel left on 3 March.")

    response = editor_client.get(reverse("evidence:item-list"), {"q": "vessel left"})

    assert [i.pk for i in response.context["page"].object_list] == [item.pk]
