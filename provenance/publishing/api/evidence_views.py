"""/api/v1/evidence/ and /api/v1/entities/: team members read their team's items
and entities; publishers reach only thumbnails of evidence they may see."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from evidence import selectors as evidence_selectors
from evidence.documents import services as document_services
from evidence.images import annotations
from evidence.models import EvidenceItem
from provenance.entities.models import Entity
from provenance.publishing.api.authentication import is_publisher
from provenance.publishing.api.base import ApiView, export_urls
from provenance.publishing.api.etags import ETagMixin
from provenance.publishing.api.geo_views import (
    GEOJSON,
    MF_JSON,
    STAC_ITEM,
    GeoJSONRenderer,
    STACRenderer,
    evidence_features,
    evidence_mf_json,
    evidence_stac,
    item_or_404,
)
from provenance.publishing.api.outputs import EntityOut, EvidenceItemOut
from provenance.publishing.api.pagination import UpdatedCursorPagination
from provenance.publishing.api.permissions import (
    IsMemberOrReadingPublisher,
    IsTeamMember,
)
from provenance.publishing.api.relationship_views import EntityRelationshipActions
from provenance.publishing.api.renderers import ORJSONRenderer
from provenance.publishing.api.serializers import (
    AnnotationChangeIn,
    AnnotationIn,
    EvidenceLinkIn,
)
from provenance.publishing.exports.builders import evidence_item_export
from provenance.publishing.exports.queries import with_evidence_relations

ANNOTATION_ID = OpenApiParameter(
    "annotation_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="Id of one of the image's annotations.",
)


@extend_schema_view(
    list=extend_schema(summary="List evidence items (team members)"),
    retrieve=extend_schema(summary="One evidence item (team members)"),
    create=extend_schema(
        summary="Add a web page as evidence, captured on request (team members)",
        description="A link item. With `capture: true` (or when the team captures "
        "every new source) its page is captured: follow "
        "`/api/v1/evidence/{id}/captures/`.",
        request=EvidenceLinkIn,
        responses={201: EvidenceItemOut},
    ),
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
        return with_evidence_relations(self.updated_since(items))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        urls = export_urls(request)
        return self.get_paginated_response(
            [evidence_item_export(item, urls=urls) for item in page]
        )

    def retrieve(self, request: Request, pk: str) -> Response:
        item = get_object_or_404(self.get_queryset(), pk=pk)
        return Response(evidence_item_export(item, urls=export_urls(request)))

    def create(self, request: Request) -> Response:
        team = self.team()
        serializer = EvidenceLinkIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = document_services.evidence_add_link(
            team=team, actor=request.user, **serializer.service_fields()
        )
        fresh = self.get_queryset().get(pk=item.pk)
        return Response(
            evidence_item_export(fresh, urls=export_urls(request)),
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        methods=["GET"],
        summary="Annotations on an image (team members): W3C Web Annotations",
        responses={200: OpenApiTypes.OBJECT},
    )
    @extend_schema(
        methods=["POST"],
        summary="Draw an annotation on an image (team members)",
        request=AnnotationIn,
        responses={201: OpenApiTypes.OBJECT},
    )
    @action(detail=True, methods=["get", "post"], url_path="annotations")
    def annotations(self, request: Request, pk: str) -> Response:
        """GET: the image's live annotations as a W3C AnnotationCollection page;
        POST: draw one (CSRF applies to a browser session)."""
        item = get_object_or_404(EvidenceItem.objects.for_team(self.team()), pk=pk)
        if request.method == "POST":
            serializer = AnnotationIn(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = serializer.validated_data
            created = annotations.annotation_create(
                item_id=item.pk, actor=request.user, **data
            )
            created = evidence_selectors.annotation_for_team(
                team=self.team(), annotation_id=created.pk
            )
            return Response(
                annotations.web_annotation(created), status=status.HTTP_201_CREATED
            )
        rows = evidence_selectors.annotations_for_item(item=item)
        return Response(
            {
                "@context": annotations.WEB_ANNOTATION_CONTEXT,
                "type": "AnnotationPage",
                "items": [annotations.web_annotation(a) for a in rows],
            }
        )

    @extend_schema(
        summary="Change an annotation (team members: its author or an editor)",
        description="Only the fields sent change; the annotation gets a new "
        "`version` and the old one stays in its history. A quantity estimate made "
        "from it keeps citing the version it was counted on.",
        request=AnnotationChangeIn,
        responses={200: OpenApiTypes.OBJECT},
        parameters=[ANNOTATION_ID],
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"annotations/(?P<annotation_id>[^/]+)",
    )
    def annotation_change(
        self, request: Request, pk: str, annotation_id: str
    ) -> Response:
        """PATCH: change a live annotation of this image (CSRF applies to a browser
        session)."""
        team = self.team()
        item = item_or_404(team, pk)
        if not annotation_id.isascii() or not annotation_id.isdigit():
            raise Http404("No such annotation.")
        annotation = evidence_selectors.annotation_for_team(
            team=team, annotation_id=int(annotation_id)
        )
        if annotation.item_id != item.pk:
            raise Http404("No such annotation on this image.")
        serializer = AnnotationChangeIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        annotations.annotation_update(
            annotation_id=annotation.pk,
            actor=request.user,
            **serializer.service_fields(),
        )
        changed = evidence_selectors.annotation_for_team(
            team=team, annotation_id=annotation.pk
        )
        return Response(annotations.web_annotation(changed))

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
            # claim's last publish/correct decision, and not ended by then.
            public_at = F("claim_links__claim__public_content_at")
            items = EvidenceItem.objects.exportable().filter(
                Q(claim_links__unlinked_at__isnull=True)
                | Q(claim_links__unlinked_at__gt=public_at),
                claim_links__claim__in=claims.values("pk"),
                claim_links__linked_at__lte=public_at,
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

    @extend_schema(
        summary="An item's geography as GeoJSON (team members)",
        description=(
            "An AIS extract: its tracks, dark periods and port calls; an image: its "
            "scene footprint (Polygon) or its GPS position (Point). 404 when the "
            "item has none."
        ),
        responses={200: GEOJSON, 404: OpenApiResponse(description="No geography")},
    )
    @action(
        detail=True,
        url_path="geojson",
        renderer_classes=[GeoJSONRenderer, ORJSONRenderer],
    )
    def geojson(self, request: Request, pk: str) -> Response:
        team = self.team()
        return Response(evidence_features(team, item_or_404(team, pk)))

    @extend_schema(
        summary="An AIS extract's tracks as OGC MF-JSON Trajectories (team members)",
        responses={200: MF_JSON, 404: OpenApiResponse(description="Not AIS")},
    )
    @action(detail=True, url_path="mf-json")
    def mf_json(self, request: Request, pk: str) -> Response:
        team = self.team()
        return Response(evidence_mf_json(team, item_or_404(team, pk)))

    @extend_schema(
        summary="A satellite scene as a STAC Item (team members)",
        description=(
            "STAC 1.1.0 Item of a georeferenced image: its footprint, acquisition "
            "time, provider, platform, instrument, ground sample distance and "
            "`eo:cloud_cover`, with the original file as the `original` asset."
        ),
        responses={200: STAC_ITEM, 404: OpenApiResponse(description="Not a scene")},
    )
    @action(
        detail=True, url_path="stac", renderer_classes=[STACRenderer, ORJSONRenderer]
    )
    def stac(self, request: Request, pk: str) -> Response:
        team = self.team()
        return Response(evidence_stac(request, team, item_or_404(team, pk)))


@extend_schema_view(
    list=extend_schema(summary="List entities (team members)"),
    retrieve=extend_schema(summary="One entity (team members)"),
)
class EntityViewSet(
    EntityRelationshipActions, ETagMixin, ApiView, viewsets.ReadOnlyModelViewSet
):
    """Entities of the caller's team."""

    permission_classes = [IsTeamMember]
    pagination_class = UpdatedCursorPagination
    serializer_class = EntityOut
    queryset = Entity.objects.none()

    def get_queryset(self) -> QuerySet[Entity]:
        return self.updated_since(Entity.objects.for_team(self.team()))
