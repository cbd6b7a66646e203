from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from provenance.publishing.api.capture_views import EvidenceCapturesView
from provenance.publishing.api.claim_views import ClaimViewSet
from provenance.publishing.api.evidence_views import EntityViewSet, EvidenceViewSet
from provenance.publishing.api.factcheck_views import FactCheckImportView
from provenance.publishing.api.geo_views import TeamMapView, TeamTracksMFJSONView
from provenance.publishing.api.search_views import SearchView
from provenance.publishing.api.views import (
    ApiDocsView,
    BundleExportView,
    ClaimsExportView,
    EntitiesFtMView,
)

# No format-suffix routes (claims.json): the handlers take no `format` argument, so
# those URLs were 500s; content negotiation and `?format=` choose the renderer.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("claims", ClaimViewSet, basename="claim")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("entities", EntityViewSet, basename="entity")

urlpatterns = [
    # Before the router: "ftm" is not an entity id.
    path("entities/ftm/", EntitiesFtMView.as_view(), name="entities-ftm"),
    # Before the router: its claims/<pk>/claimreview/ would take "import" as a pk.
    path(
        "claims/import/claimreview/",
        FactCheckImportView.as_view(),
        name="claim-import-claimreview",
    ),
    path("", include(router.urls)),
    re_path(
        r"^evidence/(?P<pk>[^/]+)/captures/$",
        EvidenceCapturesView.as_view(),
        name="evidence-captures",
    ),
    path("search/", SearchView.as_view(), name="search"),
    path("map/", TeamMapView.as_view(), name="map-features"),
    path("map/mf-json/", TeamTracksMFJSONView.as_view(), name="map-tracks-mfjson"),
    path("export/claims.jsonl", ClaimsExportView.as_view(), name="export-claims"),
    path("export/bundle.json", BundleExportView.as_view(), name="export-bundle"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
]
