"""Single sign-on through an OpenID Connect provider (mozilla-django-oidc), optional
per deployment: configured only by environment (settings.py, "Single sign-on"); with
no client id nothing here is routed, listed as a backend or shown on the login page.

What the library does and what is added here:
- The library runs the authorization-code flow with state, nonce and PKCE kept in
  the session, checks state and nonce, exchanges the code, verifies the ID token's
  signature against the provider's keys and reads userinfo.
- It does not check the ID token's audience or issuer: `_claims_of` does.
- An identity reaches an EXISTING, active account only: by its bound issuer + `sub`
  (OIDCIdentity), else, the first time, by an email the provider marks verified that
  matches exactly one User.email (case-insensitive), which is then bound
  (oidc_services). Never a new user, never a membership (OIDC_CREATE_USER is off and
  unused: `get_or_create_user` is replaced).
- A refusal is an `OIDCRefused` exception, not a None from the backend: Django's
  `authenticate` would send `user_login_failed`, which django-axes counts, and a
  sign-on failure must not lock anyone's password login. Refusals are logged here
  (logger `provenance.accounts.oidc`) and shown on the login page.
- Success ends in `auth.login` with the password backend's path: the session is
  exactly a password login's (the identity fast path, the second-factor gate and
  the `user_logged_in` receivers, such as axes' access log, all apply as they do).
- The endpoints may come from the provider's discovery document
  (OIDC_OP_DISCOVERY_URL), read on the first sign-on and kept for the process.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from provenance.accounts.models import OIDCIdentity
from provenance.accounts.oidc_services import oidc_identity_bind

logger = logging.getLogger(__name__)

# This module's backend, listed in AUTHENTICATION_BACKENDS when sign-on is on.
BACKEND = f"{__name__}.ProvenanceOIDCBackend"
CALLBACK_URL_NAME = "oidc_authentication_callback"

# Setting -> key of the discovery document it falls back to.
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    "OIDC_OP_ISSUER": "issuer",
}
_discovery: dict[str, dict[str, Any]] = {}
_discovery_lock = threading.Lock()


class OIDCRefused(Exception):
    """A sign-on that reached the provider and came back, refused here.
    `reason` is for the log; `message` for the person."""

    def __init__(self, reason: str, message: str, **context: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.context = context


def enabled() -> bool:
    return bool(getattr(settings, "OIDC_ENABLED", False))


def provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or "single sign-on"


def discovery_document(url: str) -> dict[str, Any]:
    """The provider's /.well-known/openid-configuration, fetched once per process
    (a provider that moves its endpoints is a restart, as any setting change)."""
    with _discovery_lock:
        if url not in _discovery:
            response = requests.get(
                url,
                timeout=import_from_settings("OIDC_TIMEOUT", 10),
                verify=import_from_settings("OIDC_VERIFY_SSL", True),
            )
            response.raise_for_status()
            _discovery[url] = response.json()
        return _discovery[url]


def oidc_setting(attr: str, *default: Any) -> Any:
    """A setting, or for an endpoint left unset, the discovery document's value."""
    value = getattr(settings, attr, None)
    if value in (None, "") and attr in DISCOVERED:
        url = getattr(settings, "OIDC_OP_DISCOVERY_URL", "")
        if url:
            value = discovery_document(url).get(DISCOVERED[attr])
    if value in (None, ""):
        if default:
            return default[0]
        if attr in DISCOVERED:
            raise ImproperlyConfigured(
                f"{attr} is not set and OIDC_OP_DISCOVERY_URL does not give it"
            )
        return import_from_settings(attr)
    return value


def _verified(value: Any) -> bool:
    # Some providers send the claim as a string.
    return value is True or (isinstance(value, str) and value.lower() == "true")


class ProvenanceOIDCBackend(OIDCAuthenticationBackend):
    """The library's code-flow backend, matching identities to existing users only."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Django builds every listed backend for each authenticate() call, password
        # logins included: read nothing (no discovery) until a sign-on needs it.
        self.UserModel = get_user_model()

    # The library reads these as attributes; here they are read when used.
    OIDC_OP_TOKEN_ENDPOINT = property(
        lambda self: oidc_setting("OIDC_OP_TOKEN_ENDPOINT")
    )
    OIDC_OP_USER_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_USER_ENDPOINT"))
    OIDC_OP_JWKS_ENDPOINT = property(
        lambda self: oidc_setting("OIDC_OP_JWKS_ENDPOINT", None)
    )
    OIDC_RP_CLIENT_ID = property(lambda self: oidc_setting("OIDC_RP_CLIENT_ID"))
    OIDC_RP_CLIENT_SECRET = property(lambda self: oidc_setting("OIDC_RP_CLIENT_SECRET"))
    OIDC_RP_SIGN_ALGO = property(
        lambda self: oidc_setting("OIDC_RP_SIGN_ALGO", "RS256")
    )
    OIDC_RP_IDP_SIGN_KEY = property(
        lambda self: oidc_setting("OIDC_RP_IDP_SIGN_KEY", None)
    )

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the callback, and only with the callback's arguments: a password
        # login (even one posted with ?code=&state=) never reaches the provider.
        if (
            request is None
            or "nonce" not in kwargs
            or "password" in kwargs
            or request.resolver_match is None
            or request.resolver_match.url_name != CALLBACK_URL_NAME
        ):
            return None
        return super().authenticate(request, **kwargs)

    def get_or_create_user(
        self, access_token: str, id_token: str, payload: dict[str, Any]
    ) -> Any:
        issuer, subject = self._claims_of(payload)
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if str(userinfo.get("sub", "")) != subject:
            # OIDC Core 5.3.2: userinfo for another subject is not this person's.
            raise OIDCRefused(
                "userinfo-subject-mismatch",
                "The sign-on provider's answer was inconsistent.",
                issuer=issuer,
                subject=subject,
            )
        claims = {**userinfo, **payload}
        identity = (
            OIDCIdentity.objects.select_related("user")
            .filter(issuer=issuer, subject=subject)
            .first()
        )
        if identity is not None:
            user = identity.user
            self._ensure_active(user, issuer=issuer, subject=subject)
            return user
        user = self._user_by_verified_email(claims, issuer=issuer, subject=subject)
        self._ensure_active(user, issuer=issuer, subject=subject)
        if OIDCIdentity.objects.filter(user=user, issuer=issuer).exists():
            raise OIDCRefused(
                "account-bound-to-other-subject",
                "This account is already linked to another identity at "
                f"{provider_name()}. Sign in with that identity, or with your "
                "password.",
                issuer=issuer,
                subject=subject,
                user=user.pk,
            )
        try:
            oidc_identity_bind(user=user, issuer=issuer, subject=subject)
        except IntegrityError:
            # A concurrent first sign-on bound it meanwhile: the next try decides.
            raise OIDCRefused(
                "bind-conflict",
                "Signing in did not complete. Please try again.",
                issuer=issuer,
                subject=subject,
            ) from None
        logger.info("oidc bound issuer=%s subject=%s user=%s", issuer, subject, user.pk)
        return user

    def _claims_of(self, payload: dict[str, Any]) -> tuple[str, str]:
        """The ID token's issuer and subject, once its audience and issuer are
        checked (the library verifies the signature and nonce, not these).
        Refused with OIDCRefused, not SuspiciousOperation: the library would turn
        that into a None from the backend, and axes would count the failure."""
        client_id = self.OIDC_RP_CLIENT_ID
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        issuer = str(payload.get("iss") or "")
        subject = str(payload.get("sub") or "")
        expected = oidc_setting("OIDC_OP_ISSUER", None)
        if client_id not in audiences or (
            len(audiences) > 1 and payload.get("azp") != client_id
        ):
            reason = "id-token-audience"
        elif not issuer or (expected and issuer != expected):
            reason = "id-token-issuer"
        elif not subject:
            reason = "id-token-subject"
        else:
            return issuer, subject
        raise OIDCRefused(
            reason,
            f"Signing in was refused: the answer from {provider_name()} did not "
            "check out. Please start again.",
            issuer=issuer,
            subject=subject,
        )

    def _user_by_verified_email(
        self, claims: dict[str, Any], *, issuer: str, subject: str
    ) -> Any:
        email = str(claims.get("email") or "").strip()
        if not email or not _verified(claims.get("email_verified")):
            raise OIDCRefused(
                "email-not-verified",
                f"{provider_name()} did not confirm a verified email address for "
                "you, so no account can be matched. Verify your address there, or "
                "sign in with your password.",
                issuer=issuer,
                subject=subject,
            )
        users = list(self.UserModel.objects.filter(email__iexact=email)[:2])
        if len(users) != 1:
            raise OIDCRefused(
                "no-account" if not users else "ambiguous-email",
                f"No account here matches your {provider_name()} identity. Ask a "
                "team admin to add your verified email address to your account.",
                issuer=issuer,
                subject=subject,
            )
        return users[0]

    def _ensure_active(self, user: Any, *, issuer: str, subject: str) -> None:
        if not user.is_active:
            raise OIDCRefused(
                "inactive-user",
                "This account is deactivated.",
                issuer=issuer,
                subject=subject,
                user=user.pk,
            )


def _password_backend() -> str:
    """The backend a password login records in the session (the last non-OIDC,
    non-axes one listed): a sign-on session must be indistinguishable from it."""
    candidates = [
        path
        for path in settings.AUTHENTICATION_BACKENDS
        if path != BACKEND and not path.startswith("axes.")
    ]
    return candidates[-1]


def _refuse(
    request: HttpRequest, reason: str, message: str, **context: Any
) -> HttpResponse:
    logger.warning(
        "oidc sign-on refused: %s ip=%s %s",
        reason,
        request.META.get("REMOTE_ADDR", ""),
        " ".join(f"{key}={value}" for key, value in sorted(context.items())),
    )
    messages.error(request, message)
    return HttpResponseRedirect(resolve_url(settings.LOGIN_URL))


class OIDCStartView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider (state, nonce, PKCE kept in the session)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super(OIDCAuthenticationRequestView, self).__init__(*args, **kwargs)

    OIDC_OP_AUTH_ENDPOINT = property(
        lambda self: oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
    )
    OIDC_RP_CLIENT_ID = property(lambda self: oidc_setting("OIDC_RP_CLIENT_ID"))

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except requests.RequestException as exc:
            return _refuse(
                request,
                "provider-unreachable",
                f"{provider_name()} could not be reached. Please try again later.",
                error=type(exc).__name__,
            )


class OIDCCallbackView(OIDCAuthenticationCallbackView):
    """The provider's redirect back: the library checks state and nonce and
    authenticates; refusals become a message on the login page."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            return super().get(request)
        except OIDCRefused as exc:
            return _refuse(request, exc.reason, exc.message, **exc.context)
        except SuspiciousOperation as exc:
            # A state not issued to this browser, a nonce, signature, audience or
            # issuer that does not check out: tampered with or replayed.
            return _refuse(
                request,
                "callback-rejected",
                "Signing in was refused: the answer from "
                f"{provider_name()} did not check out. Please start again.",
                error=str(exc),
            )
        except requests.RequestException as exc:
            return _refuse(
                request,
                "provider-error",
                f"{provider_name()} did not complete the sign-on. Please try again.",
                error=type(exc).__name__,
            )

    def login_failure(self) -> HttpResponse:
        # The library's own failure paths: the provider sent an error (the person
        # declined consent, say), or the callback came without a sign-on started.
        request = self.request
        return _refuse(
            request,
            "provider-declined" if request.GET.get("error") else "no-sign-on-started",
            f"Signing in with {provider_name()} did not complete.",
            error=request.GET.get("error", ""),
        )

    def login_success(self) -> HttpResponse:
        self.user.backend = _password_backend()
        logger.info("oidc sign-on user=%s", self.user.pk)
        return super().login_success()
