from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle
from rest_framework.views import APIView

from .authentication import is_publisher


class PublisherKeyThrottle(SimpleRateThrottle):
    """One bucket per API key, named by its (non-secret) prefix."""

    scope = "publisher"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not is_publisher(request):
            return None
        return self.cache_format % {
            "scope": self.scope,
            "ident": request.auth.key_prefix,
        }


class MemberThrottle(UserRateThrottle):
    """Per user; publishers are throttled by key instead (their pk is not a user's)."""

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if is_publisher(request):
            return None
        return super().get_cache_key(request, view)
