"""Captures stored without a browser, for the tests of what is built on them
(the browser's own tests make real ones): ``store_capture`` seals a real WACZ of
a small synthetic exchange through the capture service (signed; time-stamped
when a TSA is configured); ``stored_capture`` writes a finished capture with its
text straight to the database."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from evidence import processing
from evidence.captures import attestation, services, wacz
from evidence.captures.browser import CaptureResult
from evidence.captures.policy import AddressPolicy
from evidence.models import CaptureFile, EvidenceItem, ProcessingState, WebCapture
from tests.factories import EvidenceItemFactory

PAGE = b"<!doctype html><title>Harbour statement</title><p>Synthetic page.</p>"


def store_capture(item: EvidenceItem, *, url: str = "") -> WebCapture:
    url = url or item.url
    at = datetime.now(UTC)
    capture = WebCapture.objects.create(item=item, requested_url=url)
    EvidenceItem.objects.filter(pk=item.pk).update(processing_state=processing.RUNNING)
    exchange = wacz.Exchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "test")],
        post_data=b"",
        status=200,
        status_text="OK",
        response_headers=[("Content-Type", "text/html")],
        body=PAGE,
        at=at,
    )
    out = io.BytesIO()
    wacz.write_warc(out, [exchange], software="test", info={})
    page = wacz.Page(url=url, title="Harbour statement", text="Synthetic page.", at=at)
    result = CaptureResult(
        requested_url=url,
        final_url=url,
        status=200,
        title="Harbour statement",
        server_ip="",
        redirects=[],
        text="Synthetic page.",
        dom_html=PAGE,
        screenshot_png=b"\x89PNG synthetic",
        wacz=wacz.build_wacz(
            warc=out.getvalue(), page=page, created=at, software="test"
        ),
        summary={"schema_version": "1.0", "final_url": url, "blocked": []},
    )
    sealed = attestation.seal(result, policy=AddressPolicy())
    services._capture_done(capture.pk, result, timestamp_reply=sealed.timestamp_reply)
    capture.refresh_from_db()
    return capture


def captured_item(team, by, **fields) -> EvidenceItem:
    return EvidenceItemFactory(
        team=team,
        added_by=by,
        url="https://example.org/notice",
        **{"processing_state": ProcessingState.DONE, **fields},
    )


def stored_capture(
    item: EvidenceItem, *, by, text: str, at: datetime | None = None
) -> WebCapture:
    """A finished capture of the item with its text (and the text as a file)."""
    at = at or timezone.now() - timedelta(minutes=10)
    capture = WebCapture.objects.create(
        item=item,
        requested_url=item.url,
        requested_by=by,
        requested_at=at,
        captured_at=at + timedelta(seconds=5),
        final_url=item.url,
        http_status=200,
        title="Port notice",
        text=text,
        summary={"blocked": [], "errors": [], "resources": 1, "stored_bytes": 10},
    )
    data = text.encode()
    record = CaptureFile(
        capture=capture,
        role=CaptureFile.Role.TEXT,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        mime_type="text/plain",
    )
    record.file.save("text.txt", ContentFile(data), save=True)
    return capture
