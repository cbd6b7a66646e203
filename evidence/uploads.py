"""Upload size limits that hold even without a Content-Length header.

``provenance.middleware.UploadLimitMiddleware`` answers 413 from Content-Length
before CSRF reads the body, for views that carry an ``upload_kind`` attribute. A
chunked request has no Content-Length, so ``limited_upload`` also installs
``LimitedUploadHandler`` before the body is parsed: it counts the bytes as they
arrive and stops the upload once they pass the limit, so nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.decorators.csrf import csrf_exempt, csrf_protect


class LimitedUploadHandler(FileUploadHandler):
    """First in the chain: passes chunks on until the total passes ``limit``."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.upload_too_large = True
            # Read and discard the rest so the client gets our 413 page, not a reset.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def too_large_response(request: HttpRequest, limit: int) -> HttpResponse:
    body = render_to_string(
        "413.html", {"limit_mb": limit / 1024 / 1024, "request": request}
    )
    return HttpResponse(body, status=413)


def limited_upload(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view as taking uploads of ``kind`` and enforce its size limit.

    The handler must be in place before anything reads request.POST, and CSRF
    reads it; so CSRF is checked here, after the handler (Django's documented way
    to change upload handlers per view).
    """

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        protected = csrf_protect(view)

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            limit = (
                getattr(request, "upload_limit", None)
                or (settings.UPLOAD_MAX_BYTES[kind])
            )
            if request.method in ("POST", "PUT", "PATCH"):
                request.upload_handlers.insert(0, LimitedUploadHandler(request, limit))
                request.POST  # noqa: B018 - parse now, through the handler
                if getattr(request, "upload_too_large", False):
                    return too_large_response(request, limit)
            return protected(request, *args, **kwargs)

        wrapper = csrf_exempt(wrapper)
        # Read by UploadLimitMiddleware (413 from Content-Length, before CSRF).
        wrapper.upload_kind = kind
        return wrapper

    return decorate
