"""The site's URLs as a deployment with single sign-on configured has them
(provenance/urls.py adds the same include when OIDC_RP_CLIENT_ID is set at start)."""

from django.urls import include, path

from provenance.urls import urlpatterns as site

urlpatterns = [*site, path("oidc/", include("provenance.accounts.oidc_urls"))]
