"""What every /api/v1/ view shares: authentication, throttling, rendering, the
caller's scope, and the parsing of time parameters.

Who reads what:
- team members (session or token): their team's claims, evidence and entities, and
  they write claims through the same services as the web forms;
- publishers (``Authorization: Api-Key``): published and retracted claims of the
  teams they are granted, nothing else; any write is 403.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from provenance.accounts import selectors as team_selectors
from provenance.claims.models import Claim
from provenance.publishing.api.authentication import ApiKeyAuthentication, is_publisher
from provenance.publishing.api.parsers import BoundedJSONParser
from provenance.publishing.api.renderers import ORJSONRenderer
from provenance.publishing.api.throttling import MemberThrottle, PublisherKeyThrottle
from provenance.publishing.exports.builders import ExportUrls
from provenance.publishing.exports.queries import readable_claims
from provenance.teams.models import Team

UPDATED_SINCE = OpenApiParameter(
    "updated_since",
    OpenApiTypes.DATETIME,
    description=(
        "Only objects changed at or after this time (ISO 8601; a date means its "
        "midnight UTC). For incremental sync: note the time you start, page through "
        "with the cursor, and pass that time next run."
    ),
)


def parse_when(raw: str, *, name: str) -> datetime:
    """An ISO 8601 datetime, or a date meaning its midnight (UTC); aware, in UTC."""
    invalid = ValidationError({name: "Expected an ISO 8601 date or datetime."})
    try:
        # Both raise ValueError for well-formed impossible values (February 30).
        when = parse_datetime(raw)
        day = parse_date(raw) if when is None else None
    except ValueError as exc:
        raise invalid from exc
    if when is None:
        if day is None:
            raise invalid
        when = datetime.combine(day, time.min)
    if timezone.is_naive(when):
        when = when.replace(tzinfo=UTC)
    try:
        # In UTC for the database: PostgreSQL refuses offsets beyond 15:59.
        return when.astimezone(UTC)
    except OverflowError as exc:
        raise invalid from exc


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def export_urls(request: HttpRequest) -> ExportUrls:
    """The export's URLs, absolute on the host the caller asked."""
    return ExportUrls(base_url(request))


class ApiView:
    """Shared auth, throttling and rendering for our endpoints."""

    authentication_classes = [
        ApiKeyAuthentication,
        SessionAuthentication,
        TokenAuthentication,
    ]
    throttle_classes = [PublisherKeyThrottle, MemberThrottle]
    renderer_classes = [ORJSONRenderer]
    # JSON bodies only, as documented: form encodings turned "" into null.
    parser_classes = [BoundedJSONParser]
    # Any id reaches the view (dots too), which answers a non-numeric one with a
    # JSON 404 rather than a database error (500) or Django's HTML 404.
    lookup_value_regex = "[^/]+"
    request: Request

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        pk = kwargs.get("pk")
        if pk is not None and not (str(pk).isascii() and str(pk).isdigit()):
            raise NotFound("No such object.")

    def team(self) -> Team:
        return team_selectors.require_team(self.request)

    def claim_scope(self) -> tuple[QuerySet[Claim], bool]:
        """(claims the caller may read, whether the caller is the public)."""
        if is_publisher(self.request):
            return readable_claims(publisher=self.request.auth), True
        return readable_claims(team=self.team()), False

    def updated_since(self, queryset: QuerySet) -> QuerySet:
        raw = self.request.query_params.get("updated_since")
        # Present but empty is a malformed time (400), not "no filter".
        if raw is not None:
            when = parse_when(raw, name="updated_since")
            queryset = queryset.filter(updated_at__gte=when)
        return queryset
