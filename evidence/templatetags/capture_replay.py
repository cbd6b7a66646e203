"""The replay of a capture beside its screenshot and text, and the list of the
WARC records its WACZ indexes (shown always: the fallback without JavaScript,
and the only view when no replay origin is configured)."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from evidence.captures import replay
from evidence.captures import selectors as capture_selectors
from evidence.models import CaptureFile, WebCapture

register = template.Library()


def _wacz(capture: WebCapture) -> CaptureFile | None:
    # From the page's prefetch of captures__files (no query per capture).
    for record in capture.files.all():
        if record.role == CaptureFile.Role.WACZ:
            return record
    return None


@register.inclusion_tag("evidence/_capture_replay.html", takes_context=True)
def capture_replay(context: dict[str, Any], capture: WebCapture) -> dict[str, Any]:
    request = context.get("request")
    record = _wacz(capture)
    if record is None or request is None:
        return {"capture": capture, "record": None}
    origin = settings.CAPTURE_REPLAY_ORIGIN
    replay_url = ""
    if origin:
        token = capture_selectors.replay_token(
            record=record,
            user=request.user,
            framed_by=replay.origin_of(request.build_absolute_uri("/")),
        )
        replay_url = origin + f"/replay/embed/{token}/"
    return {
        "capture": capture,
        "record": record,
        "replay_url": replay_url,
        "records": capture_selectors.wacz_records(record),
        "replay_version": replay.manifest()["version"],
    }
