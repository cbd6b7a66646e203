"""ETag over the rendered body, and 304 on a matching If-None-Match."""

from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags
from rest_framework.request import Request


def body_etag(body: bytes) -> str:
    """A strong ETag for these bytes."""
    return f'"{hashlib.sha256(body).hexdigest()[:40]}"'


class ETagMixin:
    """For GET/HEAD 200 responses of an APIView: a strong ETag from the body hash.

    Computed from what was rendered, so it changes exactly when the representation
    does (a new assessment, link or correction), whatever caused it.
    """

    def finalize_response(
        self, request: Request, response: HttpResponse, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Authorization", "Cookie"))
        if request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        if getattr(response, "streaming", False):
            return response
        if hasattr(response, "render"):
            response.render()
        # A view that cached its body may have cached the body's ETag with it.
        etag = response.get("ETag") or body_etag(response.content)
        response["ETag"] = etag
        wanted = parse_etags(request.META.get("HTTP_IF_NONE_MATCH", ""))
        if "*" in wanted or etag in wanted or f"W/{etag}" in wanted:
            not_modified = HttpResponseNotModified()
            not_modified["ETag"] = etag
            patch_vary_headers(not_modified, ("Authorization", "Cookie"))
            return not_modified
        return response
