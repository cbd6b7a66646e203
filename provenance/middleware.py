"""Refuse oversized uploads with 413 before Django reads (and stores) the body."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
)
from django.template.loader import render_to_string
from django.utils.functional import SimpleLazyObject


def upload_kind(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view as taking uploads of one evidence kind, whose size limit applies."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        view.upload_kind = kind
        return view

    return mark


def upload_limit_for(view_func: Callable[..., Any]) -> int | None:
    view = getattr(view_func, "view_class", None) or view_func
    kind = getattr(view, "upload_kind", None)
    if kind is None:
        return None
    return settings.UPLOAD_MAX_BYTES[kind]


class UploadLimitMiddleware:
    """Placed before CSRF: CSRF reads request.POST, which would store the upload."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        limit = upload_limit_for(view_func)
        if limit is None:
            return None
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            body = render_to_string(
                "413.html", {"limit_mb": limit / 1024 / 1024, "request": request}
            )
            return HttpResponse(body, status=413)
        request.upload_limit = limit
        return None


class TeamMiddleware:
    """Sets request.membership (lazily): the team the user works in, for every app."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from provenance.accounts.selectors import current_membership

        request.membership = SimpleLazyObject(lambda: current_membership(request))
        return self.get_response(request)


class RejectNulMiddleware:
    """400 for a NUL byte in the query string: no field takes one, and PostgreSQL
    refuses it in a query parameter (a 500 otherwise)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", ""):
            message = "NUL bytes are not allowed in a query."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
