"""Publisher API-key authentication: ``Authorization: Api-Key <prefix.secret>``."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from provenance.publishing.api.identity import load_publisher
from provenance.publishing.keys import secret_matches, split_key
from provenance.publishing.models import Publisher

KEYWORD = "Api-Key"
# last_used_at is bookkeeping, not an access log: one write a minute at most.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Authenticates a publisher. `request.user` and `request.auth` are the Publisher.

    Listed first, so its `authenticate_header` makes DRF answer 401 (with a
    WWW-Authenticate challenge) rather than 403 when no credentials are sent.
    """

    def authenticate(self, request: Request) -> tuple[Publisher, Publisher] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid API key header: expected 'Api-Key <prefix.secret>'."
            )
        try:
            parts = split_key(header[1].decode("ascii"))
        except UnicodeDecodeError:
            parts = None
        if parts is None:
            raise exceptions.AuthenticationFailed("Malformed API key.")
        prefix, secret = parts
        now = timezone.now()
        publisher = load_publisher(prefix, at=now)
        if publisher is None or not secret_matches(publisher, secret):
            raise exceptions.AuthenticationFailed(
                "Invalid, expired or revoked API key."
            )
        if (
            publisher.last_used_at is None
            or now - publisher.last_used_at >= LAST_USED_RESOLUTION
        ):
            Publisher.objects.filter(pk=publisher.pk).update(last_used_at=now)
            publisher.last_used_at = now
        return publisher, publisher

    def authenticate_header(self, request: Request) -> str:
        return f'{KEYWORD} realm="api"'


def is_publisher(request: Request) -> bool:
    return isinstance(getattr(request, "auth", None), Publisher)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "provenance.publishing.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "Publishers: `Authorization: Api-Key <prefix.secret>`. Reads "
                "published claims of the teams the key is granted, nothing else."
            ),
        }
