"""Captures written straight to the database, for the tests of what is shown
of them (the browser's own tests make real ones)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from evidence.models import CaptureFile, EvidenceItem, ProcessingState, WebCapture
from tests.factories import EvidenceItemFactory


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
