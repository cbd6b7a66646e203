"""Pages under /account/security/: the user's factors, enrolment (TOTP with a QR
code, a security key or passkey), recovery codes, removal (with a fresh factor)
and the second-factor step after the password (also the step-up prompt)."""

from __future__ import annotations

import json
from typing import Any

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn import views as webauthn_views

from provenance.accounts import second_factor_services as services
from provenance.accounts.second_factor import (
    enrolment_view,
    has_second_factor,
    mark_verified,
    requires_step_up,
    second_factor_exempt,
    second_factor_required,
)

PENDING_TOTP_SESSION_KEY = "second_factor_pending_totp"


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True}
        ),
    )


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return resolve_url("provenance:claim-list")


@login_required
@enrolment_view
@require_safe
def security_overview(request: HttpRequest) -> HttpResponse:
    devices = list(devices_for_user(request.user, confirmed=True))
    recovery = next((d for d in devices if isinstance(d, StaticDevice)), None)
    return render(
        request,
        "accounts/security.html",
        {
            "devices": [d for d in devices if not isinstance(d, StaticDevice)],
            "recovery_left": recovery.token_set.count() if recovery else None,
            "is_required": second_factor_required(request.user),
            "has_factor": has_second_factor(request.user),
        },
    )


def _pending_totp(request: HttpRequest) -> TOTPDevice:
    device_id = request.session.get(PENDING_TOTP_SESSION_KEY)
    device = TOTPDevice.objects.filter(
        user=request.user, confirmed=False, pk=device_id
    ).first()
    if device is None:
        device = services.totp_device_start(user=request.user)
        request.session[PENDING_TOTP_SESSION_KEY] = device.pk
    return device


@login_required
@enrolment_view
@never_cache  # the page shows the new key
@require_http_methods(["GET", "HEAD", "POST"])
def totp_add(request: HttpRequest) -> HttpResponse:
    """Show a new key as a QR code (SVG, drawn here: the secret never leaves for a
    third-party image service) and confirm it with the app's first code."""
    device = _pending_totp(request)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed = services.totp_device_confirm(
            user=request.user, device_id=device.pk, token=form.cleaned_data["token"]
        )
        if confirmed is not None:
            del request.session[PENDING_TOTP_SESSION_KEY]
            if not request.user.is_verified():
                mark_verified(request, confirmed)
            messages.success(
                request, "Authenticator app added. Now keep a set of recovery codes."
            )
            return redirect("account_security")
        form.add_error(
            "token", "That code is not right (or came too soon after a wrong one)."
        )
    svg = segno.make(device.config_url, error="m").svg_inline(scale=4, border=2)
    return render(
        request,
        "accounts/security_totp.html",
        {
            "form": form,
            "qr_svg": mark_safe(svg),  # noqa: S308 - segno's own SVG, no user input
            "secret": _base32(device),
        },
        status=400 if request.method == "POST" else 200,
    )


def _base32(device: TOTPDevice) -> str:
    from base64 import b32encode

    return b32encode(device.bin_key).decode()


@login_required
@enrolment_view
@require_safe
def key_add(request: HttpRequest) -> HttpResponse:
    """Register a security key or passkey (django-otp-webauthn's ceremony and JS)."""
    return render(request, "accounts/security_key.html")


@login_required
@never_cache  # the codes are shown here only
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown in this response only."""
    if not has_second_factor(request.user):
        messages.error(request, "Add an authenticator app or a key first.")
        return redirect("account_security")
    codes = services.recovery_codes_generate(user=request.user)
    return render(request, "accounts/security_recovery.html", {"codes": codes})


@login_required
@require_POST
@requires_step_up
def device_remove(request: HttpRequest) -> HttpResponse:
    try:
        device = services.device_delete(
            user=request.user, persistent_id=request.POST.get("device", "")
        )
    except PermissionDenied:
        messages.error(request, "No such device.")
    else:
        messages.success(request, f"Removed: {device.name}.")
    return redirect("account_security")


@login_required
@second_factor_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The step after the password, and the step-up prompt: a code from the app, a
    recovery code (used up), or the key (the page's script). Wrong codes are
    throttled per device by django-otp (the wait doubles with each failure)."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if not has_second_factor(request.user):
        return redirect(next_url)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _match(request.user, form.cleaned_data["token"])
        if device is not None:
            mark_verified(request, device)
            return redirect(next_url)
        form.add_error(
            "token",
            "That code is not right, or too many wrong codes came in a row: wait a "
            "little and try again.",
        )
    return render(
        request,
        "accounts/security_verify.html",
        {
            "form": form,
            "next": next_url,
            "has_key": any(
                isinstance(d, webauthn_views.WebAuthnCredential)
                for d in devices_for_user(request.user)
            ),
            "is_step_up": request.user.is_verified(),
        },
        status=400 if request.method == "POST" else 200,
    )


def _match(user: Any, token: str) -> Any:
    """The TOTP or recovery device this code verifies, or None. Each device's
    verify_token refuses while throttled and counts a failure otherwise."""
    token = "".join(token.split())
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, TOTPDevice | StaticDevice) and device.verify_token(token):
            return device
    return None


# --- django-otp-webauthn's ceremony views, inside the gate ---------------------------


class CompleteAuthentication(webauthn_views.CompleteCredentialAuthenticationView):
    def complete_auth(self, device: Any) -> Any:
        # A second factor only (passwordless is off): the session's user, now
        # verified with this key, and the step-up time recorded.
        if device.user_id != self.request.user.pk:
            raise PermissionDenied
        mark_verified(self.request, device)

    def get_success_url(self) -> str:
        return _safe_next(self.request, self.request.GET.get("next"))


class CompleteRegistration(webauthn_views.CompleteCredentialRegistrationView):
    def post(self, *args: Any, **kwargs: Any) -> Any:
        was_verified = self.request.user.is_verified()
        response = super().post(*args, **kwargs)
        if response.status_code != 200:
            return response
        device = webauthn_views.WebAuthnCredential.objects.get(
            user=self.request.user, pk=json.loads(response.content)["id"]
        )
        services.webauthn_registered(user=self.request.user, device=device)
        if not was_verified:
            # Registering the first key counts as passing it (the library's
            # otp_login), with the step-up time recorded too.
            mark_verified(self.request, device)
        return response
