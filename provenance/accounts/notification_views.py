"""The user's notifications: the list, marking read, the unread count the header's
badge asks for, and the delivery settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from provenance.accounts import notifications as service
from provenance.accounts import selectors
from provenance.accounts.notification_forms import (
    MarkReadForm,
    NotificationPreferencesForm,
)

PAGE_SIZE = 30


@login_required
@require_safe
def notification_list(request: HttpRequest) -> HttpResponse:
    notices = selectors.notifications_for(request.user)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "provenance/notifications.html",
        {"page": page, "unread": selectors.unread_count(request.user)},
    )


@login_required
@require_POST
def notification_mark_read(request: HttpRequest) -> HttpResponse:
    form = MarkReadForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That is not a notification of yours.")
        return redirect("provenance:notification-list")
    chosen = form.cleaned_data["notification"]
    service.notifications_mark_read(
        user=request.user, notification_ids=None if chosen is None else [chosen]
    )
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("provenance:notification-list")


@login_required
@require_GET
@never_cache
def notification_unread(request: HttpRequest) -> JsonResponse:
    """{"unread": n} for the header's badge (fetched by static/js/notifications.js,
    so cached pages stay valid and their query counts unchanged)."""
    return JsonResponse({"unread": selectors.unread_count(request.user)})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    channels = service.channels_of(request.user)
    form = NotificationPreferencesForm(request.POST or None, channels=channels)
    if request.method == "POST" and form.is_valid():
        service.notification_preferences_set(
            user=request.user, channels=dict(form.cleaned_data)
        )
        messages.success(request, "Notification settings saved.")
        return redirect("provenance:notification-settings")
    return render(request, "provenance/notification_settings.html", {"form": form})
