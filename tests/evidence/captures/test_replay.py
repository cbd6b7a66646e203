"""Replay of captures (issue 18): byte ranges on the capture-file view, the
replay origin with its own Content-Security-Policy (the tool's pages keep
theirs), the signed replay source, the vendored ReplayWeb.page, and the list of
WARC records shown beside (or instead of) the replay."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from evidence.captures import replay
from evidence.captures import selectors as capture_selectors
from evidence.models import CaptureFile, CustodyEvent, ProcessingState, WebCapture
from evidence.ranges import ByteRange, RangeNotSatisfiable, parse_range
from provenance.audit.models import AuditEvent
from tests.factories import EvidenceItemFactory

REAL_WACZ = Path(__file__).parents[2] / "data/real/wacz/browsertrix-signed-example.wacz"
REPLAY_ORIGIN = "http://replay.tool.test"
STRICT_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _link_with_wacz(team, user, data: bytes) -> tuple:
    item = EvidenceItemFactory(
        team=team,
        added_by=user,
        kind="link",
        url="https://example.com/",
        processing_state=ProcessingState.DONE,
    )
    capture = WebCapture.objects.create(
        item=item,
        requested_url=item.url,
        requested_by=user,
        final_url="https://example.com/",
        http_status=200,
        title="Example Domain",
        text="Example Domain",
    )
    capture.captured_at = capture.requested_at
    capture.save()
    record = CaptureFile(
        capture=capture,
        role="wacz",
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        mime_type="application/wacz",
    )
    record.file.save("capture.wacz", ContentFile(data), save=True)
    return item, capture, record


def _directives(header: str) -> dict[str, str]:
    """A policy as {directive: sources}, without the per-request nonce (django-csp
    writes the directives in no fixed order, and a nonce only when a page uses
    one)."""
    out = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        if name == "script-src":
            value = " ".join(v for v in value.split() if not v.startswith("'nonce-"))
        out[name] = value
    return out


def _policy_without_nonce(header: str) -> dict[str, str]:
    return _directives(header)


# --- ranges (pure) --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-", ByteRange(0, 9)),
        ("bytes=2-5", ByteRange(2, 5)),
        ("bytes=8-100", ByteRange(8, 9)),
        ("bytes=-3", ByteRange(7, 9)),
        ("bytes=-30", ByteRange(0, 9)),
        ("bytes=5-2", None),
        ("bytes=0-1,4-5", None),
        ("items=0-1", None),
    ],
)
def test_a_range_header_reads_as_the_one_range_it_asks_for(header, expected):
    assert parse_range(header, 10) == expected


@pytest.mark.parametrize("header", ["bytes=10-", "bytes=-0"])
def test_a_range_outside_the_file_is_not_satisfiable(header):
    with pytest.raises(RangeNotSatisfiable):
        parse_range(header, 10)


# --- the capture-file view by ranges --------------------------------------------------
def test_the_capture_file_view_answers_a_range_with_206_and_those_bytes(
    editor_client, team, editor
):
    data = bytes(range(256)) * 4
    item, capture, _ = _link_with_wacz(team, editor, data)
    url = reverse("evidence:capture-file", args=[item.pk, capture.pk, "wacz"])

    response = editor_client.get(url, headers={"Range": "bytes=100-199"})

    assert response.status_code == 206
    assert b"".join(response.streaming_content) == data[100:200]
    assert response["Content-Range"] == f"bytes 100-199/{len(data)}"
    assert response["Content-Length"] == "100"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "application/wacz"


def test_the_capture_file_view_answers_a_suffix_range_and_a_whole_read(
    editor_client, team, editor
):
    data = b"0123456789" * 10
    item, capture, _ = _link_with_wacz(team, editor, data)
    url = reverse("evidence:capture-file", args=[item.pk, capture.pk, "wacz"])

    tail = editor_client.get(url, headers={"Range": "bytes=-22"})
    whole = editor_client.get(url)

    assert tail.status_code == 206
    assert b"".join(tail.streaming_content) == data[-22:]
    assert whole.status_code == 200
    assert b"".join(whole.streaming_content) == data
    assert whole["Content-Length"] == "100"
    assert whole["Content-Disposition"] == (
        f'attachment; filename="evidence-{item.pk}-capture-{capture.pk}-wacz.wacz"'
    )


def test_an_unsatisfiable_range_is_416_with_the_size(editor_client, team, editor):
    item, capture, _ = _link_with_wacz(team, editor, b"x" * 50)
    url = reverse("evidence:capture-file", args=[item.pk, capture.pk, "wacz"])

    response = editor_client.get(url, headers={"Range": "bytes=50-"})

    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */50"


def test_a_head_gives_the_size_without_a_body_or_a_custody_event(
    editor_client, team, editor
):
    item, capture, _ = _link_with_wacz(team, editor, b"x" * 50)
    url = reverse("evidence:capture-file", args=[item.pk, capture.pk, "wacz"])

    response = editor_client.head(url, headers={"Range": "bytes=0-"})

    assert response.status_code == 206
    assert response["Content-Length"] == "50"
    assert response.content == b""
    assert not CustodyEvent.objects.filter(item=item, action="downloaded").exists()


def test_a_download_by_ranges_is_logged_once_from_its_start(
    editor_client, team, editor
):
    item, capture, _ = _link_with_wacz(team, editor, b"x" * 1000)
    url = reverse("evidence:capture-file", args=[item.pk, capture.pk, "wacz"])

    for header in ("bytes=0-99", "bytes=100-499", "bytes=500-", "bytes=-10"):
        assert editor_client.get(url, headers={"Range": header}).status_code == 206

    events = CustodyEvent.objects.filter(item=item, action="downloaded")
    assert [e.detail["role"] for e in events] == ["wacz"]


# --- CSP: the tool's pages keep theirs ------------------------------------------------
def test_the_tools_pages_keep_their_strict_policy(
    settings, editor_client, team, editor
):
    settings.CAPTURE_REPLAY_ORIGIN = REPLAY_ORIGIN
    document = EvidenceItemFactory(team=team, added_by=editor, kind="document")

    for url in (reverse("evidence:item-list"), document.get_absolute_url(), "/"):
        response = editor_client.get(url)
        assert response.status_code == 200, url
        assert _policy_without_nonce(response["Content-Security-Policy"]) == (
            STRICT_POLICY
        ), url


def test_a_links_page_may_frame_the_replay_origin_and_nothing_else_changes(
    settings, editor_client, team, editor
):
    settings.CAPTURE_REPLAY_ORIGIN = REPLAY_ORIGIN
    item, _capture, _ = _link_with_wacz(team, editor, REAL_WACZ.read_bytes())

    response = editor_client.get(item.get_absolute_url())

    policy = _policy_without_nonce(response["Content-Security-Policy"])
    assert policy == {**STRICT_POLICY, "frame-src": REPLAY_ORIGIN}
    html = response.content.decode()
    assert f'src="{REPLAY_ORIGIN}/replay/embed/' in html
    assert 'class="replay-frame"' in html


def test_without_a_replay_origin_the_page_says_why_and_lists_the_records(
    settings, editor_client, team, editor
):
    settings.CAPTURE_REPLAY_ORIGIN = ""
    item, _capture, _ = _link_with_wacz(team, editor, REAL_WACZ.read_bytes())

    response = editor_client.get(item.get_absolute_url())

    html = response.content.decode()
    assert "replay-frame" not in html
    assert "data-replay-off" in html
    assert "this deployment has none (CAPTURE_REPLAY_ORIGIN)" in html
    assert "2 archived records" in html
    assert "https://example.com/favicon.ico" in html
    assert "<td>404</td>" in html
    assert _policy_without_nonce(response["Content-Security-Policy"]) == STRICT_POLICY


def test_the_records_list_reads_a_real_compressed_index():
    with REAL_WACZ.open("rb") as handle:
        listed = replay.wacz_records(handle)

    assert listed.problem == ""
    assert [(r.url, r.status, r.mime, r.length) for r in listed.records] == [
        ("https://example.com/", 200, "text/html", 1282),
        ("https://example.com/favicon.ico", 404, "text/html", 1279),
    ]
    assert listed.records[0].at.isoformat() == "2022-01-18T19:00:09+00:00"


def test_a_wacz_that_is_not_a_zip_lists_the_reason():
    listed = replay.wacz_records(io.BytesIO(b"not a zip"))

    assert listed.records == []
    assert listed.problem.startswith("The index cannot be read:")


# --- the replay origin ----------------------------------------------------------------
@pytest.fixture
def replay_client(settings) -> Client:
    settings.CAPTURE_REPLAY_ORIGIN = REPLAY_ORIGIN
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "replay.tool.test"]
    return Client(HTTP_HOST="replay.tool.test")


def _token(record, user, framed_by="http://tool.test") -> str:
    return capture_selectors.replay_token(record=record, user=user, framed_by=framed_by)


def test_the_replay_origin_answers_replay_paths_only(replay_client):
    for path in ("/", "/login/", "/evidence/", "/api/v1/claims/"):
        response = replay_client.get(path)
        assert response.status_code == 404, path
        assert response.content == b"This host serves replays only."
        assert "Set-Cookie" not in response


def test_the_tools_origin_does_not_serve_the_replay(settings, client):
    settings.CAPTURE_REPLAY_ORIGIN = REPLAY_ORIGIN
    assert client.get("/replay/app/").status_code == 404
    assert client.get("/replay/app/sw.js").status_code == 404


def test_the_service_worker_has_its_own_policy(replay_client):
    response = replay_client.get("/replay/app/sw.js")

    body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert hashlib.sha256(body).hexdigest() == replay.manifest()["files"]["sw.js"]
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'"
    )


def test_the_replay_frame_may_be_framed_by_the_tool_named_in_its_source(
    replay_client, team, editor
):
    _item, _capture, record = _link_with_wacz(team, editor, REAL_WACZ.read_bytes())
    source = f"/replay/wacz/{_token(record, editor)}/capture.wacz"

    response = replay_client.get("/replay/app/", {"source": source})
    bare = replay_client.get("/replay/app/")

    assert response.status_code == 200
    assert b"<replay-app-main>" in response.content
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self' http://tool.test" in policy
    assert "worker-src 'self' blob:" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self';" not in policy
    assert bare["Content-Security-Policy"].endswith("frame-ancestors 'self'")


def test_the_embed_page_opens_the_wacz_and_logs_the_opening(
    replay_client, team, editor
):
    item, capture, record = _link_with_wacz(team, editor, REAL_WACZ.read_bytes())
    token = _token(record, editor)

    response = replay_client.get(f"/replay/embed/{token}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert f'source="/replay/wacz/{token}/capture.wacz"' in html
    assert 'url="https://example.com/"' in html
    assert 'replaybase="/replay/app/"' in html
    assert " nocache " in html  # no archived payloads kept in browser storage
    assert '<script src="/replay/app/ui.js"></script>' in html
    assert response["Content-Security-Policy"].endswith(
        "frame-ancestors http://tool.test"
    )
    assert "X-Frame-Options" not in response
    event = CustodyEvent.objects.get(item=item, action="downloaded")
    assert event.actor == editor
    assert event.detail == {
        "capture": capture.pk,
        "role": "wacz",
        "sha256": record.sha256,
        "purpose": "replay",
    }
    assert AuditEvent.objects.filter(action="evidence.replay_capture").count() == 1


def test_the_replay_reads_the_wacz_by_ranges_with_its_token(
    replay_client, team, editor
):
    data = REAL_WACZ.read_bytes()
    _item, _capture, record = _link_with_wacz(team, editor, data)
    url = f"/replay/wacz/{_token(record, editor)}/capture.wacz"

    head = replay_client.head(url, headers={"Range": "bytes=0-"})
    tail = replay_client.get(url, headers={"Range": "bytes=-64"})

    assert head.status_code == 206
    assert head["Content-Length"] == str(len(data))
    assert tail.status_code == 206
    assert b"".join(tail.streaming_content) == data[-64:]
    assert (
        tail["Content-Range"] == f"bytes {len(data) - 64}-{len(data) - 1}/{len(data)}"
    )


def test_a_tampered_token_opens_nothing(replay_client, team, editor):
    _item, _capture, record = _link_with_wacz(team, editor, b"PK")
    token = _token(record, editor)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    assert replay_client.get(f"/replay/embed/{forged}/").status_code == 404
    assert replay_client.get(f"/replay/wacz/{forged}/capture.wacz").status_code == 404


def test_a_token_stops_working_when_its_user_leaves_the_team(
    replay_client, team, editor
):
    _item, _capture, record = _link_with_wacz(team, editor, b"PK")
    token = _token(record, editor)
    editor.memberships.all().delete()

    assert replay_client.get(f"/replay/wacz/{token}/capture.wacz").status_code == 404


def test_the_item_pages_token_is_for_the_viewer_and_its_origin(
    settings, editor_client, reporter_client, team, editor, reporter
):
    settings.CAPTURE_REPLAY_ORIGIN = REPLAY_ORIGIN
    item, _capture, record = _link_with_wacz(team, editor, b"PK")

    html = reporter_client.get(item.get_absolute_url()).content.decode()

    token = html.split(f"{REPLAY_ORIGIN}/replay/embed/", 1)[1].split("/", 1)[0]
    opened, framed_by, user_id = capture_selectors.replay_file_for_token(token)
    assert (opened, framed_by, user_id) == (record, "http://testserver", reporter.pk)


def test_the_vendored_files_match_their_manifest():
    assert replay.vendored_problems() == []
    assert replay.manifest()["version"] == "2.5.3"
    assert set(replay.manifest()["files"]) == {"ui.js", "sw.js", "LICENSE"}


def test_the_records_list_reads_a_plain_cdxj_index_of_our_own_capture():
    from datetime import UTC, datetime

    from evidence.captures import wacz

    at = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    exchange = wacz.Exchange(
        url="https://example.org/statement",
        method="GET",
        request_headers=[("Host", "example.org")],
        post_data=b"",
        status=200,
        status_text="OK",
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        body=b"<title>Statement</title>",
        at=at,
    )
    out = io.BytesIO()
    wacz.write_warc(out, [exchange], software="test", info={})
    package = wacz.build_wacz(
        warc=out.getvalue(),
        page=wacz.Page(url=exchange.url, title="Statement", text="", at=at),
        created=at,
        software="test",
    )

    listed = replay.wacz_records(io.BytesIO(package))

    assert [(r.url, r.status, r.mime, r.at) for r in listed.records] == [
        ("https://example.org/statement", 200, "text/html", at)
    ]
    assert listed.records[0].filename == "data.warc.gz"


def test_a_links_page_with_replays_costs_the_same_queries_for_more_captures(
    settings, editor_client, team, editor, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CAPTURE_REPLAY_ORIGIN = REPLAY_ORIGIN
    data = REAL_WACZ.read_bytes()
    counts = []
    for captures in (1, 3):
        item, _capture, _record = _link_with_wacz(team, editor, data)
        for _ in range(captures - 1):
            extra = WebCapture.objects.create(
                item=item, requested_url=item.url, requested_by=editor
            )
            extra.captured_at = extra.requested_at
            extra.save()
            CaptureFile.objects.create(
                capture=extra,
                role="wacz",
                sha256=_record.sha256,
                size_bytes=_record.size_bytes,
                mime_type="application/wacz",
                file=_record.file.name,
            )
        with CaptureQueriesContext(connection) as queries:
            response = editor_client.get(item.get_absolute_url())
        assert response.content.decode().count('class="replay-frame"') == captures
        counts.append(len(queries))

    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[0]):
        editor_client.get(item.get_absolute_url())
