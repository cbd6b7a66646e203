"""/api/v1/claims/: read claims as exports (native JSON, ClaimReview, PROV), and
team members' writes through the claims services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from provenance.accounts.caching import PAGE_TTL_SECONDS, page_key
from provenance.accounts.second_factor import (
    STEP_UP_DECISIONS,
    has_second_factor,
    second_factor_required,
    step_up_needed,
)
from provenance.claims import selectors, services
from provenance.claims.maps import export_geography
from provenance.claims.models import Claim, ClaimEvidence
from provenance.common.dates import AS_OF_MESSAGE, is_sane_moment
from provenance.publishing.api.authentication import is_publisher
from provenance.publishing.api.base import (
    UPDATED_SINCE,
    ApiView,
    export_urls,
    parse_when,
)
from provenance.publishing.api.etags import ETagMixin, body_etag
from provenance.publishing.api.geo_views import (
    GEOJSON,
    GeoJSONRenderer,
)
from provenance.publishing.api.outputs import AssessmentOut, ClaimOut, LinkOut
from provenance.publishing.api.pagination import UpdatedCursorPagination
from provenance.publishing.api.permissions import (
    IsMemberOrReadingPublisher,
    IsTeamMember,
)
from provenance.publishing.api.renderers import JSONLDRenderer, ORJSONRenderer
from provenance.publishing.api.serializers import (
    AssessmentIn,
    ClaimUpdateIn,
    ClaimWriteIn,
    DecisionIn,
    LinkChangeIn,
    LinkIn,
    UnlinkIn,
)
from provenance.publishing.exports.builders import (
    assessment_out,
    claim_export,
    claim_export_as_of,
    link_record,
)
from provenance.publishing.exports.claimreview import claim_review
from provenance.publishing.exports.prov import prov_json
from provenance.publishing.exports.queries import (
    readable_claims,
    with_export_relations,
)
from provenance.publishing.exports.shapes import ClaimExport
from provenance.teams.models import Team

AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description=(
        "Show the claim as the team's record stood at the end of this date (UTC), "
        "as on the web page; a datetime is taken as given. Publishers get 404 if "
        "the claim was not published then."
    ),
)
LINK_ID = OpenApiParameter(
    "link_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="Id of the link's current version (from the links list).",
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
        return with_export_relations(self.updated_since(claims), public=public)

    def _export(self, claim: Claim, **kwargs: Any) -> ClaimExport:
        return claim_export(
            claim,
            public=is_publisher(self.request),
            urls=export_urls(self.request),
            **kwargs,
        )

    def _member_answer(self, team: Team, claim: Claim, **kwargs: Any) -> Response:
        """The claim as a member reads it after a write, loaded afresh."""
        fresh = with_export_relations(readable_claims(team=team), public=False).get(
            pk=claim.pk
        )
        return Response(self._export(fresh), **kwargs)

    def list(self, request: Request) -> Response:
        public = is_publisher(request)
        key = None
        if public and settings.PAGE_CACHE:
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
        urls = export_urls(request)
        data = [claim_export(c, public=public, urls=urls) for c in page]
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
            with_export_relations(claims, public=public, to_attr=False), pk=pk
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
        export = claim_export_as_of(
            claim, state=state, public=public, urls=export_urls(request)
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
        return self._member_answer(team, claim, status=status.HTTP_201_CREATED)

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
        return self._member_answer(team, claim)

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
            claim_review(export, url=page), content_type="application/ld+json"
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
        if data.validated_data["decision"] in STEP_UP_DECISIONS and _step_up_needed(
            request
        ):
            raise PermissionDenied(
                "This decision needs a fresh second factor: confirm it in the web "
                "app (account security), then repeat the request with that session."
            )
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
        return self._member_answer(team, claim)

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
        pagination_class=None,  # the whole history, as a plain list
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
            return Response(assessment_out(assessment), status=201)
        history = claim.assessments.latest_first().prefetch_related("evidence")
        return Response([assessment_out(a) for a in history])

    @extend_schema(
        methods=["GET"],
        summary="Evidence links of a claim, every version (team members)",
        description="Oldest first. A change ends a version (`unlinked_at`) and "
        "records the next one, which names it in `replaces`; an unlinked link ends "
        "with no successor. Current links have `unlinked_at` null.",
        responses={200: LinkOut(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Link an evidence item of the team to the claim (team members)",
        request=LinkIn,
        responses={201: LinkOut},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="links",
        permission_classes=[IsTeamMember],
        pagination_class=None,  # every version, as a plain list
    )
    def links(self, request: Request, pk: str) -> Response:
        claim = get_object_or_404(Claim.objects.for_team(self.team()), pk=pk)
        if request.method == "POST":
            data = LinkIn(data=request.data)
            data.is_valid(raise_exception=True)
            fields = dict(data.validated_data)
            try:
                link = services.evidence_attach(
                    claim_id=claim.pk,
                    item_id=fields.pop("evidence"),
                    actor=request.user,
                    **fields,
                )
            except ValueError as exc:  # a retracted claim
                raise ValidationError({"detail": str(exc)}) from exc
            return Response(link_record(link), status=201)
        rows = claim.evidence_links.select_related("linked_by", "unlinked_by")
        return Response([link_record(r) for r in rows.order_by("linked_at", "pk")])

    @extend_schema(
        summary="Change a link's relation, stance or note, with the reason",
        description="The current version ends and a new one replaces it; earlier "
        "as-of views still read the old one. A contradictory pair needs "
        "`confirm_contradiction`. On an approved claim the change sends it back to "
        "review; on a published one it reaches publishers with the next correction.",
        request=LinkChangeIn,
        responses={200: LinkOut},
        parameters=[LINK_ID],
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"links/(?P<link_id>[^/]+)",
        permission_classes=[IsTeamMember],
    )
    def link_change(self, request: Request, pk: str, link_id: str) -> Response:
        link = self._current_link(pk, link_id)
        data = LinkChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.evidence_link_change(
            link_id=link.pk, actor=request.user, **data.validated_data
        )
        return Response(link_record(new))

    @extend_schema(
        summary="Unlink a wrong link, with the reason",
        description="The link ends; its row stays with who, when and why.",
        request=UnlinkIn,
        responses={200: LinkOut},
        parameters=[LINK_ID],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"links/(?P<link_id>[^/]+)/unlink",
        permission_classes=[IsTeamMember],
    )
    def link_unlink(self, request: Request, pk: str, link_id: str) -> Response:
        link = self._current_link(pk, link_id)
        data = UnlinkIn(data=request.data)
        data.is_valid(raise_exception=True)
        ended = services.evidence_unlink(
            link_id=link.pk, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(link_record(ended))

    def _current_link(self, pk: str, link_id: str) -> ClaimEvidence:
        """The claim's link of the member's team; 404 otherwise. An ended version
        is a 400: only the current one can change."""
        claim = get_object_or_404(Claim.objects.for_team(self.team()), pk=pk)
        if not link_id.isascii() or not link_id.isdigit():
            # Routed loosely so a malformed id answers the API's JSON 404.
            raise Http404("No such link.")
        link = get_object_or_404(claim.evidence_links, pk=link_id)
        if link.unlinked_at is not None:
            ended = "This link version has ended: change the current one."
            raise ValidationError({"detail": ended})
        return link

    @extend_schema(
        summary="A claim's geography as GeoJSON (members; publishers for published)",
        description=(
            "Its places (port and facility subjects), geolocated photos, scene "
            "footprints and AIS tracks. Members: the tracks of the claim's vessels "
            "across the team's extracts; publishers: what the published claim "
            "links (no restricted item), the tracks of its linked AIS extracts."
        ),
        responses={200: GEOJSON},
    )
    @action(
        detail=True,
        url_path="geojson",
        renderer_classes=[GeoJSONRenderer, ORJSONRenderer],
    )
    def geojson(self, request: Request, pk: str) -> Response:
        claim = get_object_or_404(self.get_queryset(), pk=pk)
        public = is_publisher(request)
        return Response(
            export_geography(team=claim.team, export=self._export(claim), public=public)
        )

    @extend_schema(
        summary="The claim's provenance as W3C PROV-JSON",
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
    )
    @action(detail=True, url_path="prov")
    def prov(self, request: Request, pk: str) -> HttpResponse:
        claim = get_object_or_404(self.get_queryset(), pk=pk)
        document = prov_json(self._export(claim), urls=export_urls(request))
        return HttpResponse(document, content_type="application/json")


def _step_up_needed(request: Request) -> bool:
    """Publish, correct and retract want a fresh second factor: a session shows its
    own; a member's token cannot show one, so it may take these decisions only
    when its user has no factor and needs none (publishers' keys never reach
    decisions: IsTeamMember)."""
    if isinstance(request.successful_authenticator, SessionAuthentication):
        return step_up_needed(request._request)
    return second_factor_required(request.user) or has_second_factor(request.user)
