"""Single sign-on's two routes, included under /oidc/ only when it is configured
(provenance/urls.py). The names are the library's, which it reverses itself."""

from django.urls import path

from provenance.accounts.oidc import CALLBACK_URL_NAME, OIDCCallbackView, OIDCStartView

urlpatterns = [
    path("authenticate/", OIDCStartView.as_view(), name="oidc_authentication_init"),
    path("callback/", OIDCCallbackView.as_view(), name=CALLBACK_URL_NAME),
]
