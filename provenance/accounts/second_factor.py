"""The second factor: who must have one, the gate after the password, and step-up.

Devices are django-otp's: TOTP (authenticator apps), static tokens (recovery codes)
and WebAuthn credentials (django-otp-webauthn). A password login leaves the session
signed in but not verified (`request.user.is_verified()` is False); the middleware
below then allows only the second-factor step (or, for a user who must have a
factor and has none, enrolment) and signing out. Staff get the same gate, so the
Django admin's login is covered too (provenance/admin_site.py checks it again).

Step-up: every verification records its time in the session
(`SECOND_FACTOR_AT_SESSION_KEY`); the dangerous actions (publish, retract, lifting a
restriction, managing publishers and their keys) want it within
`SECOND_FACTOR_STEP_UP_SECONDS`. They are checked at the request layer (views,
admin, API), since only a request knows how fresh its session's factor is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice

from provenance.accounts.identity import memberships_of

SECOND_FACTOR_AT_SESSION_KEY = "second_factor_at"
NO_FACTOR_SESSION_KEY = "second_factor_none"
# Review decisions that put content in front of publishers or take it back
# (the values of provenance.claims.models.Decision, which sits above this layer).
STEP_UP_DECISIONS = frozenset({"publish", "correct", "retract"})
# Paths a signed-in user who owes a second factor may still reach.
_ALWAYS_OPEN = ("/static/", "/logout/", "/admin/logout/", "/healthz")


def second_factor_required(user: Any) -> bool:
    """Must this user have (and use) a second factor? Editors, admins, staff and
    members of a team that asks for one — when `SECOND_FACTOR_REQUIRED` is on."""
    if not settings.SECOND_FACTOR_REQUIRED or not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return any(
        membership.is_editor or membership.team.requires_second_factor
        for membership in memberships_of(user)
    )


def enrolled_devices(user: Any) -> list[Device]:
    """The user's confirmed factors other than recovery codes (which back up a
    factor; they are not one on their own)."""
    return [
        device
        for device in devices_for_user(user, confirmed=True)
        if not isinstance(device, StaticDevice)
    ]


def has_second_factor(user: Any) -> bool:
    return bool(enrolled_devices(user))


def mark_verified(request: HttpRequest, device: Device) -> None:
    """The session passed its second factor with `device` now (the step-up time)."""
    otp_login(request, device)
    request.session[SECOND_FACTOR_AT_SESSION_KEY] = int(time.time())
    request.session.pop(NO_FACTOR_SESSION_KEY, None)


def step_up_needed(request: HttpRequest) -> bool:
    """Does this request need a fresh second factor before a dangerous action?
    Users with no factor who are not required to have one (the demo, with the
    requirement off) are not asked; everyone else is, after the window."""
    user = request.user
    if not user.is_authenticated:
        return False
    if not second_factor_required(user) and not has_second_factor(user):
        return False
    verified_at = request.session.get(SECOND_FACTOR_AT_SESSION_KEY)
    if not user.is_verified() or not isinstance(verified_at, int):
        return True
    return time.time() - verified_at > settings.SECOND_FACTOR_STEP_UP_SECONDS


def verify_url(next_url: str, *, step_up: bool = False) -> str:
    query = {"next": next_url}
    if step_up:
        query["step_up"] = "1"
    return f"{reverse('account_security_verify')}?{urlencode(query)}"


def page_before(request: HttpRequest) -> str:
    """Where a refused POST came from (its form's page), to return to after the
    step-up; the site's front page if the browser did not say."""
    referer = request.headers.get("referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return referer
    return reverse("provenance:claim-list")


def step_up_response(
    request: HttpRequest, *, next_url: str | None = None
) -> HttpResponse:
    """Send the user to confirm their second factor, then back to `next_url` (a POST
    is not replayed: they repeat the action, which says so)."""
    next_url = next_url or page_before(request)
    messages.info(
        request, "Confirm your second factor, then repeat the action: it was not done."
    )
    return redirect(verify_url(next_url, step_up=True))


def requires_step_up(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A view whose POST is a step-up action (GET only shows a form)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST" and step_up_needed(request):
            return step_up_response(request)
        return view(request, *args, **kwargs)

    return wrapper


def session_has_factor(request: HttpRequest) -> bool:
    """`has_second_factor` for the session's user, remembered in the session when
    the answer is no: the gate runs on every request, and the device tables cost
    three queries. A factor added from another session is seen at the next login
    (or at the next step-up, which always asks the tables)."""
    if request.session.get(NO_FACTOR_SESSION_KEY):
        return False
    if has_second_factor(request.user):
        return True
    request.session[NO_FACTOR_SESSION_KEY] = True
    return False


def second_factor_satisfied(request: HttpRequest) -> bool:
    """May this signed-in session do anything beyond the second-factor pages?
    The requirement itself is read afresh each time (no query: roles and team
    flags come with the user), so turning it on reaches sessions already open."""
    user = request.user
    if user.is_verified():
        return True
    return not second_factor_required(user) and not session_has_factor(request)


@receiver(user_logged_in)
def remember_factors_at_login(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """Any login (password, the admin's, single sign-on): note in the new session
    whether the user has a factor, so the gate costs no query afterwards."""
    session = getattr(request, "session", None)
    if session is None:
        return
    session.pop(NO_FACTOR_SESSION_KEY, None)
    if not has_second_factor(user):
        session[NO_FACTOR_SESSION_KEY] = True


class SecondFactorMiddleware:
    """After the password: a user with a factor passes it before anything else; a
    user who must have one and has none enrols first. Token-authenticated API calls
    never reach here as a user (DRF authenticates them in the view)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        path = request.path_info
        if path.startswith(_ALWAYS_OPEN) or getattr(
            view_func, "second_factor_exempt", False
        ):
            return None
        if second_factor_satisfied(request):
            return None
        enrolling = not session_has_factor(request)
        if enrolling and getattr(view_func, "second_factor_enrolment", False):
            return None
        if path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Second factor required: verify it in the web app first."},
                status=403,
            )
        if enrolling:
            return redirect(reverse("account_security"))
        return redirect(verify_url(request.get_full_path()))


def second_factor_exempt(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reachable before the second factor: the second-factor step itself."""
    view.second_factor_exempt = True
    return view


def enrolment_view(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reachable by a user who must enrol and has not yet (the enrolment pages)."""
    view.second_factor_enrolment = True
    return view


class StepUpAdminMixin:
    """A ModelAdmin whose every write (add, change, delete, actions) wants a fresh
    second factor: publishers and API keys. The form comes back after the step."""

    def _step_up(self, request: HttpRequest) -> HttpResponse | None:
        if request.method == "POST" and step_up_needed(request):
            return step_up_response(request, next_url=request.get_full_path())
        return None

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._step_up(request) or super().changeform_view(
            request, *args, **kwargs
        )

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._step_up(request) or super().delete_view(request, *args, **kwargs)

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return self._step_up(request) or super().changelist_view(
            request, *args, **kwargs
        )
