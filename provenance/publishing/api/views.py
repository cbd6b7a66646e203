"""/api/v1/export/ (JSON Lines, signed bundles), the API docs page and the public
signing key. The resources live in claim_views.py and evidence_views.py; what every
view shares, in base.py."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.views import APIView

from provenance.entities.ftm_export import ftm_lines
from provenance.publishing import signing
from provenance.publishing.api.authentication import is_publisher
from provenance.publishing.api.base import UPDATED_SINCE, ApiView, export_urls
from provenance.publishing.api.outputs import BundleOut, ClaimOut
from provenance.publishing.api.permissions import (
    IsMemberOrReadingPublisher,
    IsTeamMember,
)
from provenance.publishing.api.renderers import JSONLinesRenderer, ORJSONRenderer
from provenance.publishing.exports.builders import iter_claim_exports
from provenance.publishing.exports.bundles import bundle_payload
from provenance.publishing.exports.native import jsonl_lines


class ClaimsExportView(ApiView, APIView):
    """Every claim the caller may read, one JSON object per line, streamed."""

    permission_classes = [IsMemberOrReadingPublisher]
    renderer_classes = [ORJSONRenderer, JSONLinesRenderer]
    chunk_size = 500

    @extend_schema(
        summary="Bulk export as JSON Lines (streamed)",
        description=(
            "One claim (the same object as GET /claims/{id}/) per line, in id order, "
            "in constant server memory. Supports `updated_since`."
        ),
        parameters=[UPDATED_SINCE],
        responses={(200, "application/x-ndjson"): ClaimOut},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        claims, public = self.claim_scope()
        lines = jsonl_lines(
            iter_claim_exports(
                self.updated_since(claims),
                public=public,
                urls=export_urls(request),
                chunk_size=self.chunk_size,
            )
        )
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
        response["Content-Disposition"] = 'attachment; filename="claims.jsonl"'
        response["Cache-Control"] = "no-store"
        return response


class EntitiesFtMView(ApiView, APIView):
    """The team's entities, relationships and sanctions designations as
    FollowTheMoney entities, one per line, streamed (team members)."""

    permission_classes = [IsTeamMember]
    renderer_classes = [ORJSONRenderer, JSONLinesRenderer]

    @extend_schema(
        summary="Entities as FollowTheMoney JSON lines (team members, streamed)",
        description=(
            "One FollowTheMoney entity ({id, schema, properties, datasets, "
            "referents}) per line: entities as Vessel, Person, Organization, "
            "PublicBody or Address; relationships as Ownership, Directorship or "
            "UnknownLink; designations as Sanction. Values are as followthemoney "
            "cleans them. What came from an imported dataset names it in `datasets` "
            "and its id there in `referents`. Constant server memory."
        ),
        responses={(200, "application/x-ndjson"): OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        team = self.team()
        response = StreamingHttpResponse(
            ftm_lines(team=team), content_type="application/x-ndjson"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{team.slug}-entities.ftm.jsonl"'
        )
        response["Cache-Control"] = "no-store"
        return response


class BundleExportView(ApiView, APIView):
    """The readable claims in one Ed25519-signed bundle, with audit-chain heads."""

    permission_classes = [IsMemberOrReadingPublisher]

    @extend_schema(
        summary="Signed export bundle",
        description=(
            "Ed25519 over the RFC 8785 canonical JSON of `payload`; the file is "
            "itself canonical JSON. Verify offline with the key from "
            "/.well-known/provenance-signing-key (`manage.py verify_bundle`)."
        ),
        parameters=[UPDATED_SINCE],
        responses={200: BundleOut},
    )
    def get(self, request: Request) -> HttpResponse:
        claims, public = self.claim_scope()
        if is_publisher(request):
            teams = list(request.auth.teams.all())
        else:
            teams = [self.team()]
        payload = bundle_payload(
            claims=self.updated_since(claims),
            public=public,
            urls=export_urls(request),
            teams=teams,
        )
        body = signing.bundle_bytes(signing.sign_bundle(payload))
        response = HttpResponse(body, content_type="application/json")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = (
            f'attachment; filename="provenance-bundle-{stamp}.json"'
        )
        response["Cache-Control"] = "no-store"
        return response


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI from the sidecar's static files; the init script is a separate
    same-origin request, so the page runs under our CSP with no inline script."""

    template_name = "provenance/api_docs.html"
    # OPTIONS would render DRF's metadata through the page template: a 500.
    http_method_names = ["get", "head"]


@require_GET
def signing_public_key(request: HttpRequest) -> JsonResponse:
    """The public half of the bundle signing key (JWK set and PEM). Public."""
    response = JsonResponse(signing.public_key_document())
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
