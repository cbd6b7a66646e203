"""The replay of a capture's WACZ in ReplayWeb.page, served on the replay
origin only (evidence/captures/replay.py says why), each response with its own
Content-Security-Policy; the tool's pages keep theirs.

/replay/embed/<token>/ is the page the item page frames: ReplayWeb.page's
<replay-web-page> pointed at /replay/wacz/<token>/capture.wacz. It registers the
service worker /replay/app/sw.js (scope /replay/app/), which answers the replay
frame /replay/app/ and the archived pages under it from the WACZ, read by
ranges.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.clickjacking import (
    xframe_options_exempt,
    xframe_options_sameorigin,
)
from django.views.decorators.http import require_safe

from evidence import streaming
from evidence.captures import replay
from evidence.captures import selectors as capture_selectors
from evidence.captures import services as capture_services
from evidence.captures.middleware import is_replay_host

_APP_INDEX = b"""<!doctype html>
<html>
<head><meta charset="utf-8"><title>Replay</title>
<script src="/replay/app/ui.js"></script></head>
<body><replay-app-main></replay-app-main></body>
</html>
"""


def _replay_host_only(request: HttpRequest) -> None:
    if not is_replay_host(request):
        raise Http404("Replays are served on the replay origin only.")


@require_safe
@xframe_options_sameorigin
def replay_app(request: HttpRequest) -> HttpResponse:
    """The replay frame before the service worker answers it."""
    _replay_host_only(request)
    # frame-ancestors covers every ancestor, the tool's item page too: the
    # origin that page was served on is in the source's token.
    framed_by = ""
    source = urlsplit(request.GET.get("source", "")).path
    prefix = "/replay/wacz/"
    if source.startswith(prefix):
        token = source[len(prefix) :].split("/", 1)[0]
        try:
            _record, framed_by, _user = capture_selectors.replay_file_for_token(token)
        except Http404:
            framed_by = ""
    response = HttpResponse(_APP_INDEX, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = replay.app_policy(framed_by)
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def replay_asset(request: HttpRequest, name: str) -> FileResponse:
    """ui.js or sw.js, as vendored (their SHA-256 in replayweb/MANIFEST.json)."""
    _replay_host_only(request)
    if name not in replay.VENDORED:
        raise Http404
    response = FileResponse(
        (replay.VENDOR_DIR / name).open("rb"),
        content_type="text/javascript; charset=utf-8",
    )
    response["Content-Security-Policy"] = (
        replay.worker_policy() if name == "sw.js" else replay.app_policy("")
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
@xframe_options_exempt  # frame-ancestors names the one origin that may frame it
def replay_embed(request: HttpRequest, token: str) -> HttpResponse:
    _replay_host_only(request)
    record, framed_by, user_id = capture_selectors.replay_file_for_token(token)
    if request.method == "GET":
        capture_services.capture_replay_open(file_id=record.pk, actor_id=user_id)
    capture = record.capture
    response = render(
        request,
        "evidence/replay_embed.html",
        {
            "capture": capture,
            "source": reverse("replay:wacz", args=[token]),
            "url": capture.final_url or capture.requested_url,
        },
    )
    response["Content-Security-Policy"] = replay.embed_policy(framed_by)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_safe
def replay_wacz(
    request: HttpRequest, token: str
) -> HttpResponse | StreamingHttpResponse:
    """The WACZ, whole or by one byte range, for the replay's service worker."""
    _replay_host_only(request)
    record, _framed_by, _user_id = capture_selectors.replay_file_for_token(token)
    return streaming.file_response(
        record.file,
        content_type="application/wacz",
        filename="capture.wacz",
        as_attachment=False,
        request=request,
    )
