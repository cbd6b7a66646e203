"""Page caching keyed on the team's audit-chain head.

Every state change of a team goes through a service that appends to its audit chain,
so the chain head's sequence number is a version of everything the team can see: a
cached page is reused only while no change has been recorded since it was drawn.
Keys also carry the session (pages embed its CSRF token and the user's role), the
heads of every team the user is in (the team switcher names them) and the full path,
so nothing is ever shared between users.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from provenance.accounts.selectors import user_teams

PAGE_TTL_SECONDS = 300


def page_key(*parts: Any) -> str:
    raw = "|".join(str(part) for part in parts)
    return "page:" + hashlib.sha256(raw.encode()).hexdigest()


# What middleware reads off a response besides its headers (django-csp's decorators,
# xframe_options_exempt): kept with the page so a hit is treated as the page was.
_RESPONSE_FLAGS = (
    "_csp_exempt",
    "_csp_exempt_ro",
    "_csp_config",
    "_csp_config_ro",
    "_csp_update",
    "_csp_update_ro",
    "_csp_replace",
    "_csp_replace_ro",
    "xframe_options_exempt",
)


def cached_response(key: str) -> HttpResponse | None:
    """The stored page with every header and flag the view gave it.

    Only the body and Content-Type were kept once: the timeline SVG's own CSP
    (`default-src 'none'; sandbox`) was lost, and the middleware then added the
    site's policy to the hit.
    """
    hit = cache.get(key)
    if not isinstance(hit, dict):  # absent, or stored in an older shape
        return None
    response = HttpResponse(hit["content"])
    for name, value in hit["headers"]:
        response[name] = value
    for name, value in hit["flags"].items():
        setattr(response, name, value)
    response["X-Page-Cache"] = "hit"
    return response


def store_response(key: str, response: HttpResponse) -> None:
    # A cookie is meant for one answer; a page that sets one is drawn every time.
    if response.status_code != 200 or response.streaming or response.cookies:
        return
    flags = {
        name: getattr(response, name)
        for name in _RESPONSE_FLAGS
        if hasattr(response, name)
    }
    entry = {
        "content": response.content,
        "headers": list(response.items()),
        "flags": flags,
    }
    cache.set(key, entry, PAGE_TTL_SECONDS)


def team_page_cache(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Cache a team member's GET page until the team's next recorded change."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if (
            not settings.PAGE_CACHE
            or request.method != "GET"
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
            # Every team the user is in, with its head: the page's team switcher
            # lists them, and joining, leaving or renaming another team is recorded
            # on that team's chain, not this one's.
            *(
                f"{m.pk}:{m.role}:{m.team_id}:{m.audit_seq}"
                for m in user_teams(request.user)
            ),
            request.get_full_path(),
        )
        response = cached_response(key)
        if response is None:
            response = view(request, *args, **kwargs)
            store_response(key, response)
        return response

    return wrapped
