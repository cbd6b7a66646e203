from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    AuditEvent,
    Claim,
    ClaimEvidence,
    Entity,
    Membership,
    PastIdentity,
    Review,
    SanctionsDesignation,
    Tag,
    Team,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user"]


class PastIdentityInline(admin.TabularInline):
    model = PastIdentity
    extra = 0


class SanctionsInline(admin.TabularInline):
    model = SanctionsDesignation
    extra = 0


@admin.register(Entity)
class EntityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "team", "imo", "mmsi", "locode", "is_synthetic"]
    list_filter = ["kind", "team", "is_synthetic", "is_auto_created"]
    search_fields = ["name", "aliases_text", "imo", "mmsi", "locode", "call_sign"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [PastIdentityInline, SanctionsInline]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "team"]
    list_filter = ["team"]
    search_fields = ["name"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ["at", "decision", "from_status", "to_status", "by", "comment"]
    readonly_fields = fields


class EvidenceLinkInline(ReadOnlyInline):
    model = ClaimEvidence
    fields = ["item", "relation", "stance", "note", "linked_by", "linked_at"]
    readonly_fields = fields


@admin.register(Claim)
class ClaimAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "team", "status", "author", "updated_at"]
    list_filter = ["status", "team", "author"]
    search_fields = ["text", "summary", "slug"]
    date_hierarchy = "updated_at"
    readonly_fields = [
        "status",
        "author",
        "last_edited_by",
        "version",
        "published_at",
        "created_at",
        "updated_at",
    ]
    inlines = [EvidenceLinkInline, ReviewInline]
    list_select_related = ["team", "author"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = [
        "seq",
        "team",
        "action",
        "object_type",
        "object_id",
        "actor_label",
        "at",
    ]
    list_filter = ["team", "action", "object_type"]
    search_fields = ["object_id", "actor_label", "hash"]
    list_select_related = ["team"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
