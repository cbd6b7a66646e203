"""Per-key and per-user request limits, counted in fixed windows.

DRF's SimpleRateThrottle keeps the time of every request in the window and
rewrites that list on each request: its cost grows with the rate allowed. Here a
window is one cache counter, raised by an atomic increment: constant cost at any
rate, and no lost updates between processes sharing a cache. The price: up to
twice the rate in a burst that straddles two windows.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from .authentication import is_publisher


class WindowThrottle(SimpleRateThrottle):
    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{key}:{window}"
        try:
            count = self.cache.incr(key)  # the common case: the window has begun
        except ValueError:
            # First request of the window (or a race with another process's).
            # The counter outlives its window by a little; it is never read after.
            count = 1 if self.cache.add(key, 1, self.duration + 5) else None
            if count is None:
                count = self.cache.incr(key)
        return count <= self.num_requests

    def wait(self) -> float:
        return max(self.window_ends - self.now, 0.0)


class PublisherKeyThrottle(WindowThrottle):
    """One bucket per API key, named by its (non-secret) prefix."""

    scope = "publisher"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not is_publisher(request):
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": request.auth.key_prefix,
        }


class MemberThrottle(WindowThrottle):
    """Per user (per address before sign-in); publishers are throttled by key
    instead (their pk is not a user's)."""

    scope = "user"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if is_publisher(request):
            return None
        user = request.user
        ident = user.pk if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
