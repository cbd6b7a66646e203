"""Admin for publishers and their webhook log; imported at the end of
provenance/admin.py, which registers everything else.

Publishers cross team lines (one key may read several teams), so only superusers
manage them: every page, action and permission here asks `can_manage_publishers`,
whatever model permissions a staff user holds, and every write is a keys.py service
(create, update, new key, revoke, delete), audited in each team's chain. The outbox
and the delivery log are superuser-only and read-only. A publisher with deliveries
is revoked rather than deleted: its delivery log is read-only, so the admin's
delete refuses. The API key is shown once, in the message after creation (or after
"Issue a new key"); only its SHA-256 is stored.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from provenance.accounts.second_factor import StepUpAdminMixin
from provenance.publishing.keys import (
    PUBLISHER_FIELDS,
    can_manage_publishers,
    publisher_create,
    publisher_delete,
    publisher_revoke,
    publisher_rotate_key,
    publisher_update,
)
from provenance.publishing.models import OutboxEvent, Publisher, WebhookDelivery
from provenance.publishing.webhooks import check_webhook_url
from provenance.teams.admin_base import NoEditsMixin, SuperuserOnlyMixin


class PublisherManagersOnly(SuperuserOnlyMixin):
    def is_allowed(self, request: HttpRequest) -> bool:
        return can_manage_publishers(request.user)


class SuperuserOnlyAdmin(PublisherManagersOnly, admin.ModelAdmin):
    pass


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


class DeliveryInline(NoEditsMixin, PublisherManagersOnly, admin.TabularInline):
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

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookDelivery]:
        return super().get_queryset(request).select_related("event")


@admin.register(Publisher)
class PublisherAdmin(StepUpAdminMixin, SuperuserOnlyAdmin):
    """Every write here wants a fresh second factor (the key is the publishers'
    access to the team's published work)."""

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
        # The services save the row and its teams; the admin only reads the form.
        if change:
            publisher_update(
                publisher_id=obj.pk,
                actor=request.user,
                **{
                    name: form.cleaned_data[name]
                    for name in form.changed_data
                    if name in PUBLISHER_FIELDS
                },
            )
            return
        issued = publisher_create(
            actor=request.user,
            **{name: form.cleaned_data[name] for name in PublisherForm.Meta.fields},
        )
        # The admin logs the addition and redirects by this object's pk.
        obj.pk = issued.publisher.pk
        obj._state.adding = False
        self.message_user(
            request,
            f"API key for {obj.name} (shown once, copy it now): {issued.key}  —  "
            f"webhook signing secret: {issued.webhook_secret}",
            messages.WARNING,
        )

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool
    ) -> None:
        """Not form.save_m2m(): the service set the teams. The delivery inline is
        read-only, so its formset saves nothing (it still records that for the
        admin's change message)."""
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Publisher) -> None:
        publisher_delete(publisher_ids=[obj.pk], actor=request.user)

    def delete_queryset(
        self, request: HttpRequest, queryset: QuerySet[Publisher]
    ) -> None:
        publisher_delete(
            publisher_ids=queryset.values_list("pk", flat=True), actor=request.user
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
