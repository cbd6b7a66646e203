"""Page caching keyed on the team's audit-chain head.

Every state change of a team goes through a service that appends to its audit chain,
so the chain head's sequence number is a version of everything the team can see: a
cached page is reused only while no change has been recorded since it was drawn.
Keys also carry the session (pages embed its CSRF token and the user's role) and the
full path, so nothing is ever shared between users.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

PAGE_TTL_SECONDS = 300


def page_key(*parts: Any) -> str:
    raw = "|".join(str(part) for part in parts)
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


def cached_response(key: str) -> HttpResponse | None:
    hit = cache.get(key)
    if hit is None:
        return None
    content, content_type = hit
    response = HttpResponse(content, content_type=content_type)
    response["X-Page-Cache"] = "hit"
    return response


def store_response(key: str, response: HttpResponse) -> None:
    if response.status_code == 200 and not response.streaming:
        cache.set(key, (response.content, response["Content-Type"]), PAGE_TTL_SECONDS)


def team_page_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Cache a team member's GET page until the team's next recorded change."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if (
            request.method != "GET"
            or not request.user.is_authenticated
            or not membership
            or request.session.session_key is None
            # A pending flash message belongs to this response only.
            or len(get_messages(request))
        ):
            return view(request, *args, **kwargs)
        key = page_key(
            view.__module__,
            view.__name__,
            request.session.session_key,
            membership.pk,
            membership.role,
            f"{membership.team_id}:{membership.audit_seq}",
            request.get_full_path(),
        )
        response = cached_response(key)
        if response is None:
            response = view(request, *args, **kwargs)
            store_response(key, response)
        return response

    return wrapped
