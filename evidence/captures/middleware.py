"""The replay origin answers /replay/ and nothing else.

A replayed page's scripts run in the replay origin (evidence/captures/replay.py);
were the tool's own pages (its login form above all) reachable there, a captured
page could open them. The tool's origin, in turn, does not serve /replay/ (the
replay views check the host). Placed before the session middleware, so the
replay origin never sets a cookie.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound

REPLAY_PREFIX = "/replay/"


def is_replay_host(request: HttpRequest) -> bool:
    origin = settings.CAPTURE_REPLAY_ORIGIN
    if not origin:
        return False
    return request.get_host().lower() == origin.split("://", 1)[1].lower()


class ReplayOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_replay_host(request) and not request.path.startswith(REPLAY_PREFIX):
            return HttpResponseNotFound(
                b"This host serves replays only.", content_type="text/plain"
            )
        return self.get_response(request)
