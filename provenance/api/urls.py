from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
)
from rest_framework.routers import DefaultRouter

from .views import ClaimViewSet, EntityViewSet

router = DefaultRouter()
router.register("claims", ClaimViewSet, basename="claim")
router.register("entities", EntityViewSet, basename="entity")

urlpatterns = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="api:schema"), name="docs"),
]
