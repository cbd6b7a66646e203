"""Admin for publishers and their webhook log; imported at the end of
provenance/admin.py, which registers everything else.

Publishers cross team lines (one key may read several teams), so only superusers
manage them. The API key is shown once, in the message after creation (or after
"Issue a new key"); only its SHA-256 is stored.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from ..admin_base import NoEditsMixin
from ..models import OutboxEvent, Publisher, WebhookDelivery
from ..webhooks import check_webhook_url
from .keys import (
    assign_new_key,
    new_webhook_secret,
    publisher_audit,
    publisher_revoke,
    publisher_rotate_key,
)


class SuperuserOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser


class ReadOnlyLogAdmin(NoEditsMixin, SuperuserOnlyAdmin):
    pass


class PublisherForm(forms.ModelForm):
    class Meta:
        model = Publisher
        fields = [
            "name",
            "teams",
            "expires_at",
            "webhook_url",
            "is_webhook_enabled",
            "claim_url_template",
        ]

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"]
        if url:
            check_webhook_url(url)
        return url


class DeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    fields = [
        "event",
        "state",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    readonly_fields = fields
    ordering = ["-pk"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).select_related("event")


@admin.register(Publisher)
class PublisherAdmin(SuperuserOnlyAdmin):
    form = PublisherForm
    list_display = [
        "name",
        "key_prefix",
        "is_usable",
        "expires_at",
        "revoked_at",
        "last_used_at",
        "webhook_url",
        "is_webhook_enabled",
    ]
    list_filter = ["teams", "is_webhook_enabled"]
    search_fields = ["name", "key_prefix", "webhook_url"]
    filter_horizontal = ["teams"]
    readonly_fields = ["key_prefix", "revoked_at", "last_used_at", "created_at"]
    actions = ["revoke_keys", "issue_new_keys"]
    inlines = [DeliveryInline]

    @admin.display(boolean=True, description="usable")
    def is_usable(self, obj: Publisher) -> bool:
        return obj.is_usable(timezone.now())

    def save_model(
        self, request: HttpRequest, obj: Publisher, form: forms.ModelForm, change: bool
    ) -> None:
        # The teams it read before the edit: their chains record the change too.
        obj._teams_before = (
            list(obj.teams.values_list("pk", flat=True)) if change else []
        )
        if change:
            super().save_model(request, obj, form, change)
            return
        key = assign_new_key(obj)
        obj.webhook_secret = new_webhook_secret()
        super().save_model(request, obj, form, change)
        self.message_user(
            request,
            f"API key for {obj.name} (shown once, copy it now): {key}  —  "
            f"webhook signing secret: {obj.webhook_secret}",
            messages.WARNING,
        )

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # After the teams are saved; the admin view's transaction covers both.
        publisher_audit(
            form.instance,
            actor=request.user,
            action="publisher.change" if change else "publisher.create",
            also_team_ids=form.instance._teams_before,
        )

    @admin.action(description="Revoke the selected publishers' keys")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[Publisher]) -> None:
        count = publisher_revoke(
            publisher_ids=queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)

    @admin.action(description="Issue a new key (the old one stops working)")
    def issue_new_keys(
        self, request: HttpRequest, queryset: QuerySet[Publisher]
    ) -> None:
        for publisher in queryset:
            key = publisher_rotate_key(
                publisher_id=publisher.pk, actor=request.user
            ).key
            self.message_user(
                request,
                f"New API key for {publisher.name} (shown once): {key}",
                messages.WARNING,
            )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyLogAdmin):
    list_display = [
        "event",
        "publisher",
        "state",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["state", "publisher"]
    search_fields = ["event__idempotency_key", "publisher__name", "last_error"]
    list_select_related = ["event", "publisher"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyLogAdmin):
    list_display = [
        "event_type",
        "claim",
        "team",
        "idempotency_key",
        "created_at",
        "dispatched_at",
    ]
    list_filter = ["event_type", "team"]
    search_fields = ["idempotency_key", "claim__text"]
    list_select_related = ["claim", "team"]
    inlines = [DeliveryInline]


__all__ = ["OutboxEventAdmin", "PublisherAdmin", "WebhookDeliveryAdmin"]
