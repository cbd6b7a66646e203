"""The /api/v1/ endpoints. Views parse, call one service or export selector, render.

Who reads what:
- team members (session or token): their team's claims, evidence and entities, and
  they write claims through the same services as the web forms;
- publishers (``Authorization: Api-Key``): published and retracted claims of the
  teams they are granted, nothing else; any write is 403.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import F, Prefetch, QuerySet
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import status, viewsets
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evidence.models import AISGap, EvidenceItem, PortCall
from provenance.audit.caching import PAGE_TTL_SECONDS, page_key
from provenance.claims import selectors, services
from provenance.claims.models import Claim
from provenance.common.dates import AS_OF_MESSAGE, is_sane_moment
from provenance.entities.models import Entity
from provenance.publishing import exports, signing
from provenance.publishing.api.authentication import ApiKeyAuthentication, is_publisher
from provenance.publishing.api.etags import ETagMixin, body_etag
from provenance.publishing.api.pagination import UpdatedCursorPagination
from provenance.publishing.api.parsers import BoundedJSONParser
from provenance.publishing.api.permissions import (
    IsMemberOrReadingPublisher,
    IsTeamMember,
)
from provenance.publishing.api.renderers import (
    JSONLDRenderer,
    JSONLinesRenderer,
    ORJSONRenderer,
)
from provenance.publishing.api.serializers import (
    AssessmentIn,
    AssessmentOut,
    BundleOut,
    ClaimOut,
    ClaimUpdateIn,
    ClaimWriteIn,
    DecisionIn,
    EntityOut,
    EvidenceItemOut,
)
from provenance.publishing.api.throttling import MemberThrottle, PublisherKeyThrottle
from provenance.teams import selectors as team_selectors
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
AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description=(
        "Show the claim as the team's record stood at the end of this date (UTC), "
        "as on the web page; a datetime is taken as given. Publishers get 404 if "
        "the claim was not published then."
    ),
)
AXIS = OpenApiParameter(
    "axis",
    OpenApiTypes.STR,
    enum=["recorded", "happened"],
    description=(
        "With as_of: 'recorded' (default) counts what had been recorded by then; "
        "'happened' counts evidence by when it happened and assessments by the "
        "date they speak for."
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
        if pk is not None and not str(pk).isdigit():
            raise NotFound("No such object.")

    def team(self) -> Team:
        return team_selectors.require_team(self.request)

    def claim_scope(self) -> tuple[QuerySet[Claim], bool]:
        """(claims the caller may read, whether the caller is the public)."""
        if is_publisher(self.request):
            return exports.readable_claims(publisher=self.request.auth), True
        return exports.readable_claims(team=self.team()), False

    def updated_since(self, queryset: QuerySet) -> QuerySet:
        raw = self.request.query_params.get("updated_since")
        # Present but empty is a malformed time (400), not "no filter".
        if raw is not None:
            when = parse_when(raw, name="updated_since")
            queryset = queryset.filter(updated_at__gte=when)
        return queryset


@extend_schema_view(
    list=extend_schema(
        summary="List claims",
        description=(
            "Publishers: published and retracted claims of granted teams. Members: "
            "every claim of their team. Cursor-paginated, newest change first."
        ),
        parameters=[UPDATED_SINCE],
    ),
    retrieve=extend_schema(summary="One claim", parameters=[AS_OF, AXIS]),
    create=extend_schema(
        summary="Create a draft claim (team members)",
        request=ClaimWriteIn,
        responses={201: ClaimOut},
    ),
    partial_update=extend_schema(
        summary="Edit a claim (team members)",
        description="Optimistic concurrency: a stale `version` answers 409.",
        request=ClaimUpdateIn,
        responses={200: ClaimOut, 409: OpenApiResponse(description="Edit conflict")},
    ),
)
class ClaimViewSet(ETagMixin, ApiView, viewsets.GenericViewSet):
    """Claims with quantity, confidence history, evidence, statements and denials."""

    permission_classes = [IsMemberOrReadingPublisher]
    pagination_class = UpdatedCursorPagination
    serializer_class = ClaimOut
    queryset = Claim.objects.none()  # for the schema; real rows come from claim_scope
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Claim]:
        claims, public = self.claim_scope()
        return exports.with_export_relations(self.updated_since(claims), public=public)

    def _export(self, claim: Claim, **kwargs: Any) -> exports.ClaimExport:
        return exports.claim_export(
            claim,
            public=is_publisher(self.request),
            urls=exports.ExportUrls(base_url(self.request)),
            **kwargs,
        )

    def list(self, request: Request) -> Response:
        public = is_publisher(request)
        key = None
        if public:
            # What a publisher reads changes only with its teams' audit chains.
            key = page_key(
                "api-claims",
                request.auth.pk,
                sorted(request.auth.team_heads.items()),
                request.get_full_path(),
            )
            hit = cache.get(key)
            if hit is not None:
                body, etag = hit
                response = HttpResponse(body, content_type="application/json")
                response["ETag"] = etag
                return response
        page = self.paginate_queryset(self.get_queryset())
        urls = exports.ExportUrls(base_url(request))
        data = [exports.claim_export(c, public=public, urls=urls) for c in page]
        response = self.get_paginated_response(data)
        if key is not None:
            # Cache the bytes and their ETag: unpickling thousands of export
            # dataclasses costs more than building them, hashing the body nearly so.
            body = ORJSONRenderer().render(response.data)
            cache.set(key, (body, body_etag(body)), PAGE_TTL_SECONDS)
        return response

    def retrieve(self, request: Request, pk: str) -> Response:
        raw = request.query_params.get("as_of")
        if raw is None:
            return Response(self._export(get_object_or_404(self.get_queryset(), pk=pk)))
        claims, public = self.claim_scope()
        # Prefetched into the managers: claim_as_of reads claim.evidence_links.all().
        claim = get_object_or_404(
            exports.with_export_relations(claims, public=public, to_attr=False), pk=pk
        )
        try:
            day = parse_date(raw)
        except ValueError:
            day = None  # well-formed but impossible: parse_when says why
        when = selectors.end_of_day(day) if day else parse_when(raw, name="as_of")
        if not is_sane_moment(when, now=timezone.now() + timedelta(days=1)):
            raise ValidationError({"as_of": [AS_OF_MESSAGE]})
        axis = request.query_params.get("axis", "recorded")
        if axis not in selectors.AXES:
            raise ValidationError({"axis": f"One of {', '.join(selectors.AXES)}."})
        state = selectors.claim_as_of(claim=claim, when=when, axis=axis)
        export = exports.claim_export_as_of(
            claim,
            state=state,
            public=is_publisher(request),
            urls=exports.ExportUrls(base_url(request)),
        )
        if export is None:
            raise Http404("The claim was not published at that time.")
        return Response(export)

    def create(self, request: Request) -> Response:
        team = self.team()
        serializer = ClaimWriteIn(data=request.data, context={"team": team})
        serializer.is_valid(raise_exception=True)
        try:
            claim = services.claim_create(
                team=team, actor=request.user, **serializer.service_fields()
            )
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        fresh = exports.with_export_relations(
            exports.readable_claims(team=team), public=False
        ).get(pk=claim.pk)
        return Response(self._export(fresh), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        team = self.team()
        claim = get_object_or_404(Claim.objects.for_team(team), pk=pk)
        # Not partial=True: every field but `version` is optional already, and
        # partial would drop `version` from the required fields (a 500 when missing).
        serializer = ClaimUpdateIn(data=request.data, context={"team": team})
        serializer.is_valid(raise_exception=True)
        try:
            services.claim_update(
                claim_id=claim.pk,
                actor=request.user,
                expected_version=serializer.validated_data["version"],
                reason=serializer.validated_data.get("reason", ""),
                **serializer.service_fields(),
            )
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        fresh = exports.with_export_relations(
            exports.readable_claims(team=team), public=False
        ).get(pk=claim.pk)
        return Response(self._export(fresh))

    @extend_schema(
        summary="The claim as schema.org ClaimReview (JSON-LD)",
        responses={(200, "application/ld+json"): OpenApiTypes.OBJECT},
    )
    @action(
        detail=True,
        url_path="claimreview",
        renderer_classes=[JSONLDRenderer, ORJSONRenderer],
    )
    def claimreview(self, request: Request, pk: str) -> Response:
        claim = get_object_or_404(self.get_queryset(), pk=pk)
        export = self._export(claim)
        page = None
        if is_publisher(request):
            page = request.auth.claim_page_url(
                claim_id=export.id, slug=export.slug, team=export.team
            )
        return Response(
            exports.claim_review(export, url=page), content_type="application/ld+json"
        )

    @extend_schema(
        summary="Take a review decision on a claim (team members)",
        description=(
            "Same rules as the web page: editors approve, publish, correct and "
            "retract, never their own work (four eyes). `version` is the "
            "`internal.version` the decision was made on: if the claim changed "
            "since, 409. A correction carries the new public content (`text`, "
            "`summary`, `quantity`, `subjects`, `tags`, first appearance) with its "
            "public note in `comment`; a published claim changes only this way."
        ),
        request=DecisionIn,
        responses={
            200: ClaimOut,
            409: OpenApiResponse(description="Stale version or decision not allowed"),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="decisions",
        permission_classes=[IsTeamMember],
    )
    def decisions(self, request: Request, pk: str) -> Response:
        team = self.team()
        claim = get_object_or_404(Claim.objects.for_team(team), pk=pk)
        data = DecisionIn(data=request.data, context={"team": team})
        data.is_valid(raise_exception=True)
        try:
            services.claim_transition(
                claim_id=claim.pk,
                decision=data.validated_data["decision"],
                actor=request.user,
                expected_version=data.validated_data["version"],
                comment=data.validated_data["comment"],
                publish_at=data.validated_data["publish_at"],
                changes=data.changes(),
            )
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        fresh = exports.with_export_relations(
            exports.readable_claims(team=team), public=False
        ).get(pk=claim.pk)
        return Response(self._export(fresh))

    @extend_schema(
        summary="The claim's provenance as W3C PROV-JSON",
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
    )
    @extend_schema(
        methods=["GET"],
        summary="Assessment history of a claim (team members)",
        description="Append-only: assessments are never edited or deleted; a "
        "mistaken one is superseded by a new one that names it.",
        responses={200: AssessmentOut(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a confidence assessment (team members)",
        request=AssessmentIn,
        responses={201: AssessmentOut},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="assessments",
        permission_classes=[IsTeamMember],
    )
    def assessments(self, request: Request, pk: str) -> Response:
        claim = get_object_or_404(Claim.objects.for_team(self.team()), pk=pk)
        if request.method == "POST":
            data = AssessmentIn(data=request.data)
            data.is_valid(raise_exception=True)
            try:
                assessment = services.confidence_assess(
                    claim_id=claim.pk,
                    actor=request.user,
                    level=data.validated_data["level"],
                    rationale=data.validated_data["rationale"],
                    evidence_ids=data.validated_data["evidence"],
                    effective_at=data.validated_data["effective_at"],
                    supersedes_id=data.validated_data["supersedes"],
                )
            except ValueError as exc:  # e.g. a retracted claim
                raise ValidationError({"detail": str(exc)}) from exc
            return Response(exports.assessment_out(assessment), status=201)
        history = claim.assessments.latest_first().prefetch_related("evidence")
        return Response([exports.assessment_out(a) for a in history])

    @action(detail=True, url_path="prov")
    def prov(self, request: Request, pk: str) -> HttpResponse:
        claim = get_object_or_404(self.get_queryset(), pk=pk)
        urls = exports.ExportUrls(base_url(request))
        document = exports.prov_json(self._export(claim), urls=urls)
        return HttpResponse(document, content_type="application/json")


def _evidence_relations(items: QuerySet[EvidenceItem]) -> QuerySet[EvidenceItem]:
    return items.select_related(
        "team",
        "image",
        "ais",
        "statement__speaker",
        "statement__on_behalf_of",
    ).prefetch_related(
        Prefetch(
            "ais__port_calls",
            queryset=PortCall.objects.select_related("port", "vessel").order_by(
                "arrival_at", "pk"
            ),
        ),
        Prefetch(
            "ais__gaps",
            queryset=AISGap.objects.select_related("vessel", "near_port").order_by(
                "start_at", "pk"
            ),
        ),
    )


@extend_schema_view(
    list=extend_schema(summary="List evidence items (team members)"),
    retrieve=extend_schema(summary="One evidence item (team members)"),
)
class EvidenceViewSet(ETagMixin, ApiView, viewsets.ReadOnlyModelViewSet):
    """Evidence items: metadata, hashes, grade, thumbnail URL, statement details and
    AIS summaries (port calls, voyages, dark periods)."""

    permission_classes = [IsTeamMember]
    pagination_class = UpdatedCursorPagination
    serializer_class = EvidenceItemOut
    queryset = EvidenceItem.objects.none()

    def get_permissions(self) -> list[Any]:
        if self.action == "thumbnail":
            return [IsMemberOrReadingPublisher()]
        return super().get_permissions()

    def get_queryset(self) -> QuerySet[EvidenceItem]:
        items = EvidenceItem.objects.for_team(self.team())
        return _evidence_relations(self.updated_since(items))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        urls = exports.ExportUrls(base_url(request))
        return self.get_paginated_response(
            [exports.evidence_item_export(item, urls=urls) for item in page]
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        item = get_object_or_404(self.get_queryset(), pk=pk)
        urls = exports.ExportUrls(base_url(request))
        return Response(exports.evidence_item_export(item, urls=urls))

    @extend_schema(
        summary="Thumbnail of an image (members; publishers for published evidence)",
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/webp"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, url_path="thumbnail")
    def thumbnail(self, request: Request, pk: str) -> FileResponse:
        if is_publisher(request):
            claims, _ = self.claim_scope()
            # One link (same join) must be readable and public: linked by the
            # claim's last publish/correct decision.
            items = EvidenceItem.objects.exportable().filter(
                claim_links__claim__in=claims.values("pk"),
                claim_links__linked_at__lte=F("claim_links__claim__public_content_at"),
            )
        else:
            items = EvidenceItem.objects.for_team(self.team())
        item = get_object_or_404(items.select_related("image").distinct(), pk=pk)
        image = getattr(item, "image", None)
        if image is None or not image.thumbnail:
            raise Http404("No thumbnail for this item.")
        name = image.thumbnail.name.lower()
        content_type = "image/webp" if name.endswith(".webp") else "image/jpeg"
        return FileResponse(image.thumbnail.open("rb"), content_type=content_type)


@extend_schema_view(
    list=extend_schema(summary="List entities (team members)"),
    retrieve=extend_schema(summary="One entity (team members)"),
)
class EntityViewSet(ETagMixin, ApiView, viewsets.ReadOnlyModelViewSet):
    """Entities of the caller's team."""

    permission_classes = [IsTeamMember]
    pagination_class = UpdatedCursorPagination
    serializer_class = EntityOut
    queryset = Entity.objects.none()

    def get_queryset(self) -> QuerySet[Entity]:
        return self.updated_since(Entity.objects.for_team(self.team()))


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
        lines = exports.jsonl_lines(
            exports.iter_claim_exports(
                self.updated_since(claims),
                public=public,
                urls=exports.ExportUrls(base_url(request)),
                chunk_size=self.chunk_size,
            )
        )
        response = StreamingHttpResponse(lines, content_type="application/x-ndjson")
        response["Content-Disposition"] = 'attachment; filename="claims.jsonl"'
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
        payload = exports.bundle_payload(
            claims=self.updated_since(claims),
            public=public,
            urls=exports.ExportUrls(base_url(request)),
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
