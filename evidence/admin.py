"""Admin for evidence: browse and filter; edits go through the services.

Files, hashes, processing results and the custody log are read-only: the original
is never altered, and the custody log is written only by the services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from evidence import services
from evidence.models import (
    AISExtract,
    CustodyEvent,
    EvidenceItem,
    ImageDetail,
    NearDuplicate,
    Statement,
)
from provenance.common.dates import validate_past_moment
from provenance.teams.admin_base import NoEditsMixin, ReadOnlyInline, TeamScopedAdmin


class CustodyEventInline(ReadOnlyInline):
    model = CustodyEvent
    fields = ["at", "action", "actor", "party", "tool", "tool_version", "detail"]
    readonly_fields = fields


class ImageDetailInline(ReadOnlyInline):
    model = ImageDetail
    fields = [
        "width",
        "height",
        "phash",
        "captured_at",
        "gps_latitude",
        "gps_longitude",
    ]
    readonly_fields = fields


class StatementInline(ReadOnlyInline):
    model = Statement
    fields = ["speaker", "on_behalf_of", "stated_at", "venue", "quote"]
    readonly_fields = fields


class NearDuplicateInline(ReadOnlyInline):
    model = NearDuplicate
    fk_name = "item"
    fields = ["other", "distance"]
    readonly_fields = fields


class EvidenceItemAdminForm(forms.ModelForm):
    """The date bounds of the evidence pages' forms (provenance.common.dates)."""

    PAST_DATES = ("observed_at", "obtained_at", "archived_at")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.PAST_DATES:
            if name in self.fields:
                self.fields[name].validators.append(validate_past_moment)


@admin.register(EvidenceItem)
class EvidenceItemAdmin(TeamScopedAdmin):
    """The one place an item's descriptive fields and grade are edited: saved by
    evidence_update (membership check, custody and audit rows; a refusal is a 403),
    with the evidence pages' date bounds. Everything else and every inline is
    read-only, and items are neither added nor deleted here. The team filter lists
    only the user's teams (TeamScopedAdmin makes relation filters RelatedOnly)."""

    form = EvidenceItemAdminForm
    list_display = [
        "title",
        "kind",
        "team",
        "grade",
        "processing_state",
        "is_synthetic",
        "is_restricted",
        "created_at",
    ]
    list_filter = [
        "kind",
        "source_reliability",
        "information_credibility",
        "processing_state",
        "is_synthetic",
        "is_restricted",
        "team",
    ]
    search_fields = ["title", "description", "source", "sha256", "original_filename"]
    list_select_related = ["team"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "team",
        "kind",
        "added_by",
        "file",
        "original_filename",
        "sha256",
        "size_bytes",
        "mime_type",
        "has_extension_mismatch",
        "is_restricted",
        "processing_state",
        "processing_error",
        "progress_done",
        "progress_total",
        "created_at",
        "updated_at",
    ]
    inlines = [
        StatementInline,
        ImageDetailInline,
        NearDuplicateInline,
        CustodyEventInline,
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Adding needs the upload checks: use the evidence pages or add_image.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Grade")
    def grade(self, obj: EvidenceItem) -> str:
        return obj.grade

    def save_model(
        self, request: HttpRequest, obj: EvidenceItem, form: Any, change: bool
    ) -> None:
        fields = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.ITEM_FIELDS
        }
        # PermissionDenied (not a member of the item's team, superusers included)
        # is the admin's 403, the view's transaction rolled back: no "changed" log.
        try:
            services.evidence_update(item_id=obj.pk, actor=request.user, **fields)
        except ValidationError as exc:
            self.message_user(request, f"Not saved: {exc}", level=messages.ERROR)


@admin.register(AISExtract)
class AISExtractAdmin(NoEditsMixin, TeamScopedAdmin):
    """Read-only: extracts are written by the AIS services (upload, processing)."""

    team_lookup = "item__team"

    list_display = [
        "item",
        "source_format",
        "rows_read",
        "rows_kept",
        "first_at",
        "last_at",
        "analysed_at",
    ]
    list_filter = ["source_format", "item__team"]
    search_fields = ["item__title", "item__sha256", "vessels__name", "vessels__mmsi"]
    list_select_related = ["item"]
    exclude = ["track_svg"]
    readonly_fields = [
        "item",
        "source_format",
        "rows_read",
        "rows_kept",
        "rejected",
        "vessels",
        "first_at",
        "last_at",
        "analysis_params",
        "summary",
        "analysed_at",
    ]
