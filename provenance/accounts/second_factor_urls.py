"""Routes under /account/security/ (names prefixed `account_security`), and
django-otp-webauthn's ceremony endpoints under it, in its `otp_webauthn` namespace
(its template tags reverse those names)."""

from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn_views

from provenance.accounts import second_factor_views as views
from provenance.accounts.second_factor import enrolment_view, second_factor_exempt

# Signed-in users only (the library's views answer anonymous callers themselves;
# here they get the login page like every page): passwordless login is off.
webauthn_patterns = [
    path(
        "registration/begin/",
        enrolment_view(
            login_required(webauthn_views.BeginCredentialRegistrationView.as_view())
        ),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        enrolment_view(login_required(views.CompleteRegistration.as_view())),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        second_factor_exempt(
            login_required(webauthn_views.BeginCredentialAuthenticationView.as_view())
        ),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        second_factor_exempt(login_required(views.CompleteAuthentication.as_view())),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        second_factor_exempt(
            JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])
        ),
        name="js-i18n-catalog",
    ),
]

urlpatterns = [
    path("", views.security_overview, name="account_security"),
    path("verify/", views.verify, name="account_security_verify"),
    path("totp/", views.totp_add, name="account_security_totp_add"),
    path("key/", views.key_add, name="account_security_key_add"),
    path("recovery/", views.recovery_codes, name="account_security_recovery"),
    path("remove/", views.device_remove, name="account_security_device_remove"),
    path("webauthn/", include((webauthn_patterns, "otp_webauthn"))),
]
