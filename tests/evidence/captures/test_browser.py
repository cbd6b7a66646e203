"""The capture itself, against the tests' own site on loopback (Chromium)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from warcio.archiveiterator import ArchiveIterator

from evidence.captures.browser import CaptureFailed, CaptureOptions, capture_page
from evidence.captures.policy import AddressPolicy
from tests.evidence.captures.site import PAGE, SCRIPT_TEXT
from tests.evidence.captures.test_wacz import wacz_validate

pytestmark = pytest.mark.e2e

OPTIONS = CaptureOptions(timeout_seconds=30, scroll_pause_ms=50, settle_ms=100)


def _capture(site, chromium, path="/old", **options):
    return capture_page(
        site.url(path),
        policy=AddressPolicy.allowing([site.host]),
        options=CaptureOptions(**{**OPTIONS.__dict__, **options}),
        chromium=chromium,
        requested_by="test",
    )


@pytest.fixture
def captured(site, chromium):
    return _capture(site, chromium)


def test_capture_follows_the_redirect_and_records_the_final_page(captured, site):
    assert captured.requested_url == site.url("/old")
    assert captured.final_url == site.url("/page")
    assert captured.redirects == [site.url("/old")]
    assert (captured.status, captured.title) == (200, "Harbour statement")
    assert captured.server_ip == "127.0.0.1"


def test_page_text_holds_the_script_loaded_paragraph(captured):
    assert SCRIPT_TEXT in captured.text
    assert f'<p id="late">{SCRIPT_TEXT}</p>'.encode() in captured.dom_html
    assert captured.screenshot_png.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_wacz_validates_and_its_hashes_match(captured, tmp_path):
    path = tmp_path / "capture.wacz"
    path.write_bytes(captured.wacz)
    archive = zipfile.ZipFile(path)
    package = json.loads(archive.read("datapackage.json"))

    for resource in package["resources"]:
        data = archive.read(resource["path"])
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert wacz_validate(path).stdout.splitlines()[-1] == (
        "Validation succeeded, the passed WACZ is valid"
    )
    pages = [
        json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()
    ]
    assert SCRIPT_TEXT in pages[1]["text"]


def test_the_warc_holds_every_exchange_the_browser_made(captured, site):
    archive = zipfile.ZipFile(io.BytesIO(captured.wacz))
    records = ArchiveIterator(io.BytesIO(archive.read("archive/data.warc.gz")))
    responses = {
        r.rec_headers.get_header("WARC-Target-URI"): r.http_headers.get_statuscode()
        for r in records
        if r.rec_type == "response"
    }

    assert responses == {
        site.url("/old"): "302",
        site.url("/page"): "200",
        site.url("/pixel.png"): "200",
        site.url("/late.js"): "200",
    }


def test_a_sub_resource_on_a_private_host_is_refused_and_recorded(captured, site):
    assert captured.summary["blocked"] == [
        {
            "url": f"http://localhost:{site.port}/elsewhere.png",
            "resource_type": "image",
            "reason": "localhost is a private host name",
        }
    ]
    assert f"localhost:{site.port}/elsewhere.png" not in site.hits


def test_a_redirect_to_a_private_host_is_refused_before_it_is_fetched(site, chromium):
    with pytest.raises(CaptureFailed) as failed:
        _capture(site, chromium, path="/away")

    assert str(failed.value) == (
        "The page did not load: The page redirects to a refused URL: "
        "localhost is a private host name"
    )
    assert failed.value.summary["blocked"] == [
        {
            "url": f"http://localhost:{site.port}/page",
            "resource_type": "document",
            "reason": "localhost is a private host name",
        }
    ]
    assert site.hits == [f"127.0.0.1:{site.port}/away"]


def test_loopback_is_refused_without_the_allow_setting(site, chromium):
    with pytest.raises(CaptureFailed) as failed:
        capture_page("http://127.0.0.1/", policy=AddressPolicy(), chromium=chromium)

    assert str(failed.value) == (
        "The page is refused: 127.0.0.1 resolves to a private, loopback or "
        "reserved address (127.0.0.1)"
    )
    assert site.hits == []


def test_the_resource_cap_refuses_what_comes_after_it(site, chromium):
    captured = _capture(site, chromium, path="/page", max_resources=2)

    assert captured.summary["resources"] == 2
    assert [b["reason"] for b in captured.summary["blocked"]] == [
        "resource cap (2) reached",
        "resource cap (2) reached",
    ]


def test_the_summary_says_who_when_and_with_what(captured):
    summary = captured.summary

    assert summary["requested_by"] == "test"
    assert summary["browser"]["name"] == "chromium"
    assert "HeadlessChrome" in summary["user_agent"]
    assert set(summary["software"]) >= {"playwright", "warcio", "python"}
    assert summary["options"]["max_resources"] == 500
    assert summary["errors"] == []


def test_the_size_cap_refuses_what_would_pass_it(site, chromium):
    page_bytes = len(PAGE % {b"port": site.port})

    captured = _capture(site, chromium, path="/page", max_bytes=page_bytes + 10)

    assert captured.summary["stored_bytes"] == page_bytes
    assert sorted(
        (b["url"], b["reason"])
        for b in captured.summary["blocked"]
        if b["reason"].startswith("size cap")
    ) == [
        (site.url("/late.js"), f"size cap ({page_bytes + 10:,} bytes) reached"),
        (site.url("/pixel.png"), f"size cap ({page_bytes + 10:,} bytes) reached"),
    ]


def test_the_time_cap_cuts_a_slow_request_and_refuses_what_follows(site, chromium):
    captured = _capture(site, chromium, path="/slow", timeout_seconds=1)

    assert captured.title == "Slow"
    assert [e.split(": ", 1)[0] for e in captured.summary["errors"]] == [
        site.url("/slow.png")
    ]
    assert {b["reason"] for b in captured.summary["blocked"]} == {
        "time cap (1 s) reached"
    }
