"""A capture stored without a browser: a real WACZ of a small synthetic
exchange, sealed (signed; time-stamped when a TSA is configured) and stored by
the capture service, for the tests of what is built on stored captures."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from evidence import processing
from evidence.captures import attestation, services, wacz
from evidence.captures.browser import CaptureResult
from evidence.captures.policy import AddressPolicy
from evidence.models import EvidenceItem, WebCapture

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
