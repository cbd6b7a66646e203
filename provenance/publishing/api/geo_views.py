"""Open geographic formats in the API (issue 21): tracks as GeoJSON (RFC 7946)
and OGC MF-JSON Trajectory, places and scene footprints as GeoJSON, a satellite
scene as a STAC Item. Team members read their team's; publishers only the
published claims they may read (``ClaimViewSet.geojson``)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from evidence.maps import selectors as map_selectors
from evidence.maps.formats import feature_collection, mf_json_collection
from evidence.models import EvidenceItem, EvidenceKind
from provenance.publishing.api.base import ApiView, export_urls
from provenance.publishing.api.permissions import IsTeamMember
from provenance.publishing.api.renderers import ORJSONRenderer
from provenance.publishing.exports.builders import scene_stac


class GeoJSONRenderer(ORJSONRenderer):
    media_type = "application/geo+json"
    format = "geojson"


class STACRenderer(ORJSONRenderer):
    """A STAC Item is GeoJSON; its registered type says so."""

    media_type = "application/geo+json"
    format = "stac"


GEOJSON = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="An RFC 7946 GeoJSON FeatureCollection (WGS84 longitude, latitude).",
)
MF_JSON = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description=(
        "A FeatureCollection of OGC MF-JSON Trajectory features: a LineString per "
        "vessel with `properties.datetimes`, one per node, strictly increasing."
    ),
)
STAC_ITEM = OpenApiResponse(
    response=OpenApiTypes.OBJECT,
    description="A STAC 1.1.0 Item (core and EO extension).",
)


def evidence_features(team: Any, item: EvidenceItem) -> dict[str, Any]:
    """An item's geography: an AIS extract's tracks, an image's footprint or
    GPS position. Http404 when it has none."""
    if item.kind == EvidenceKind.AIS:
        tracks = map_selectors.extract_map_tracks(team=team, item_id=item.pk)
        if not tracks:
            raise Http404("This extract has no analysed track.")
        return feature_collection(tracks=tracks)
    if item.kind == EvidenceKind.IMAGE:
        details = map_selectors.team_images(team=team, item_ids=[item.pk])
        footprints, photos = map_selectors.images_on_map(details)
        if footprints or photos:
            return feature_collection(places=photos, footprints=footprints)
    raise Http404("This item has no geography.")


def evidence_mf_json(team: Any, item: EvidenceItem) -> dict[str, Any]:
    if item.kind != EvidenceKind.AIS:
        raise Http404("Only an AIS extract has tracks.")
    tracks = map_selectors.extract_map_tracks(team=team, item_id=item.pk)
    if not tracks:
        raise Http404("This extract has no analysed track.")
    return mf_json_collection(tracks)


def evidence_stac(request: Request, team: Any, item: EvidenceItem) -> dict[str, Any]:
    """The scene's STAC Item, built as the native export builds its ``stac_item``
    (one builder); its self link is this endpoint's canonical URL."""
    detail = map_selectors.scene_for_item(team=team, item_id=item.pk)
    stac_item = scene_stac(detail, urls=export_urls(request)) if detail else None
    if stac_item is None:
        raise Http404("Only a georeferenced image (a footprint) is a STAC Item.")
    return stac_item


class TeamMapView(ApiView, APIView):
    """Everything the team map shows, as GeoJSON."""

    permission_classes = [IsTeamMember]
    renderer_classes = [GeoJSONRenderer, ORJSONRenderer]

    @extend_schema(
        summary="The team map as GeoJSON (team members)",
        description=(
            "Every analysed AIS track (a MultiLineString per vessel and extract, "
            "broken at dark periods), each dark period (a LineString from where the "
            "vessel went silent to where it was heard again), port calls, the "
            "team's ports and facilities, geolocated photos and scene footprints."
        ),
        responses={200: GEOJSON},
    )
    def get(self, request: Request) -> Response:
        team = self.team()
        tracks = map_selectors.team_map_tracks(team=team)
        footprints, photos = map_selectors.images_on_map(
            map_selectors.team_images(team=team)
        )
        return Response(
            feature_collection(
                tracks=tracks,
                places=[*map_selectors.team_places(team=team), *photos],
                footprints=footprints,
            )
        )


class TeamTracksMFJSONView(ApiView, APIView):
    permission_classes = [IsTeamMember]

    @extend_schema(
        summary="Every analysed AIS track of the team as MF-JSON (team members)",
        responses={200: MF_JSON},
    )
    def get(self, request: Request) -> Response:
        return Response(
            mf_json_collection(map_selectors.team_map_tracks(team=self.team()))
        )


def item_or_404(team: Any, pk: str) -> EvidenceItem:
    return get_object_or_404(EvidenceItem.objects.for_team(team), pk=pk)
