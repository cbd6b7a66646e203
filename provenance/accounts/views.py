"""The signed-in user's own pages: switching team, the account page (profile,
email, teams, sessions, API token, password), and the current team's settings."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from provenance.accounts import selectors as team_selectors
from provenance.accounts import services
from provenance.accounts.forms import (
    EmailChangeForm,
    ProfileForm,
    SessionsEndForm,
    TeamSettingsForm,
    TeamSwitchForm,
    TokenForm,
)
from provenance.accounts.second_factor import requires_step_up


@login_required
@require_POST
def team_switch(request: HttpRequest) -> HttpResponse:
    form = TeamSwitchForm(request.POST)
    if not form.is_valid():
        raise PermissionDenied
    chosen = form.cleaned_data["team"]
    if not any(m.team_id == chosen for m in team_selectors.user_teams(request.user)):
        raise PermissionDenied
    request.session[team_selectors.TEAM_SESSION_KEY] = chosen
    return redirect("provenance:claim-list")


# --- The account page -----------------------------------------------------------------


def _account_page(
    request: HttpRequest,
    *,
    status: int = 200,
    new_token: str | None = None,
    **forms: Any,
) -> HttpResponse:
    user = request.user
    context = {
        "profile_form": forms.get("profile_form")
        or ProfileForm(
            initial={"first_name": user.first_name, "last_name": user.last_name}
        ),
        "email_form": forms.get("email_form") or EmailChangeForm(),
        "memberships": team_selectors.user_teams(user),
        "sessions": team_selectors.user_sessions(
            user, current_key=request.session.session_key
        ),
        "token": team_selectors.user_token(user),
        "may_hold_token": bool(team_selectors.user_teams(user)),
        "new_token": new_token,
    }
    response = render(request, "accounts/account.html", context, status=status)
    # The page may carry a token's key, shown once: never kept by a cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def account(request: HttpRequest) -> HttpResponse:
    return _account_page(request)


@login_required
@require_POST
def account_profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST)
    if not form.is_valid():
        return _account_page(request, status=400, profile_form=form)
    services.profile_update(
        user_id=request.user.pk, actor=request.user, **form.cleaned_data
    )
    messages.success(request, "Your name is saved.")
    return redirect("account")


@login_required
@require_POST
def account_email(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST)
    if form.is_valid():
        try:
            services.email_change_request(
                user_id=request.user.pk,
                actor=request.user,
                new_email=form.cleaned_data["email"],
                confirm_url=request.build_absolute_uri(
                    reverse("account-email-confirm")
                ),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
    if not form.is_valid():
        return _account_page(request, status=400, email_form=form)
    messages.info(
        request,
        f"We sent a link to {form.cleaned_data['email']}. Your address changes when "
        "you open it (within 24 hours, signed in as you).",
    )
    return redirect("account")


@login_required
@require_GET
@never_cache
def account_email_confirm(request: HttpRequest) -> HttpResponse:
    """Opening the emailed link, signed in, verifies and sets the address (GET
    only: a HEAD must not use the link)."""
    try:
        user = services.email_change_confirm(
            token=request.GET.get("t", ""), actor=request.user
        )
    except services.EmailLinkError as exc:
        return render(
            request, "accounts/email_confirm.html", {"problem": str(exc)}, status=400
        )
    messages.success(request, f"Your email address is now {user.email} (verified).")
    return redirect("account")


@login_required
@require_POST
def account_sessions_end(request: HttpRequest) -> HttpResponse:
    form = SessionsEndForm(request.POST)
    if not form.is_valid():
        return _account_page(request, status=400)
    everywhere = form.cleaned_data["which"] == "all"
    current = request.session.session_key
    count = services.sessions_end(
        user_id=request.user.pk,
        actor=request.user,
        keep=None if everywhere else current,
    )
    if everywhere:
        # This session's row is gone already; logout clears the cookie too.
        logout(request)
        return redirect("login")
    messages.success(request, f"Signed out of {count} other session(s).")
    return redirect("account")


@login_required
@require_POST
@requires_step_up  # managing an API key asks for a fresh second factor
def account_token(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _account_page(request, status=400)
    if form.cleaned_data["do"] == "revoke":
        services.token_revoke(user_id=request.user.pk, actor=request.user)
        messages.success(request, "Your API token is revoked.")
        return redirect("account")
    token = services.token_create(user_id=request.user.pk, actor=request.user)
    # Shown in this response only (no redirect, nothing kept in the session).
    return _account_page(request, new_token=token.key)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's view (which keeps this session valid under the new password hash),
    then every other session of the user is ended at once rather than at its next
    request."""

    success_url = reverse_lazy("password_change_done")
    # FormView treats PUT as POST and answers OPTIONS; a page needs neither.
    http_method_names = ["get", "head", "post"]

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        request = self.request
        services.sessions_end(
            user_id=request.user.pk,
            actor=request.user,
            keep=request.session.session_key,
            reason="password_change",
        )
        # update_session_auth_hash gave this session a new key: note it again.
        services.session_record_login(
            user=request.user, session_key=request.session.session_key, request=request
        )
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    http_method_names = ["get", "head"]


# --- The team's settings --------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def team_settings(request: HttpRequest) -> HttpResponse:
    """The current team's settings: every member sees them, its admins (and
    superusers) change them through ``team_update`` (403 for the others)."""
    membership = getattr(request, "membership", None)
    if membership is None:
        raise Http404("You are not a member of any team.")
    team = membership.team
    try:
        services.ensure_can_manage(actor=request.user, team=team)
    except PermissionDenied:
        may_manage = False
    else:
        may_manage = True
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("Only a team admin may change its settings.")
        form = TeamSettingsForm(request.POST)
        if form.is_valid():
            services.team_update(
                team_id=team.pk, actor=request.user, **form.cleaned_data
            )
            messages.success(request, "Team settings saved.")
            return redirect("provenance:team-settings")
    else:
        # Read from the row: the request's team carries only a few columns.
        current = team_selectors.team_settings(team_id=team.pk)
        form = TeamSettingsForm(initial=current)
    if not may_manage:
        for field in form.fields.values():
            field.disabled = True
    return render(
        request,
        "accounts/team_settings.html",
        {"team": team, "form": form, "may_manage": may_manage},
        status=400 if form.is_bound and form.errors else 200,
    )
