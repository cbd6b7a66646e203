"""Entities in the admin: read-only, team-scoped. Entities, their past identities
and sanctions change only through the services (entity_update, past_identity_add,
sanctions_designation_add), on the entity's page, which keeps their history and
audit row. Relationships likewise (relationship_create/update/end, on the entity
page's relationship forms or the API): the admin lists them with their history
and links to the page that changes them."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from provenance.entities.models import (
    Entity,
    PastIdentity,
    Relationship,
    SanctionsDesignation,
)
from provenance.teams.admin_base import (
    NoEditsMixin,
    ReadOnlyInline,
    TeamScopedHistoryAdmin,
)


class PastIdentityInline(ReadOnlyInline):
    model = PastIdentity
    fields = ["field", "value", "start_date", "end_date", "source_url"]
    readonly_fields = fields


class SanctionsInline(ReadOnlyInline):
    model = SanctionsDesignation
    fields = ["authority", "programme", "listed_on", "reason", "source_url"]
    readonly_fields = fields


@admin.register(Entity)
class EntityAdmin(NoEditsMixin, TeamScopedHistoryAdmin):
    list_display = ["name", "kind", "team", "imo", "mmsi", "locode", "is_synthetic"]
    list_filter = ["kind", "team", "is_synthetic", "is_auto_created"]
    search_fields = ["name", "aliases_text", "imo", "mmsi", "locode", "call_sign"]
    readonly_fields = ["edit_page", "created_by", "created_at", "updated_at"]
    inlines = [PastIdentityInline, SanctionsInline]

    @admin.display(description="Edited on")
    def edit_page(self, obj: Entity) -> str:
        url = reverse("provenance:entity-edit", args=[obj.slug])
        return format_html('<a href="{}">the entity page ({})</a>', url, url)


@admin.register(Relationship)
class RelationshipAdmin(NoEditsMixin, TeamScopedHistoryAdmin):
    list_display = [
        "source",
        "kind",
        "target",
        "span_display",
        "confidence",
        "dataset",
        "team",
        "recorded_at",
    ]
    list_filter = ["kind", "team", "confidence", "dataset"]
    search_fields = ["source__name", "target__name", "description", "dataset"]
    list_select_related = ["source", "target", "team"]
    readonly_fields = ["edit_page", "recorded_by", "recorded_at", "updated_at"]

    @admin.display(description="Period")
    def span_display(self, obj: Relationship) -> str:
        return obj.span_display

    @admin.display(description="Changed on")
    def edit_page(self, obj: Relationship) -> str:
        url = reverse("provenance:relationship-edit", args=[obj.target.slug, obj.pk])
        return format_html('<a href="{}">the relationship page ({})</a>', url, url)
