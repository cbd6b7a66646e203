"""Django admin for editors and admins.

Staff who are not superusers see only their own teams' rows. Claims are read-only
here: their content is edited in the web app (with the version check), and review
decisions are admin actions that call the same services as the web pages, so the
workflow's rules (role, four eyes, evidence, embargo) hold in the admin too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from . import selectors, services
from .admin_base import NoEditsMixin, ReadOnlyInline, TeamScopedAdmin
from .confidence import ConfidenceLevel
from .models import (
    AuditEvent,
    Claim,
    ClaimEvidence,
    ConfidenceAssessment,
    Decision,
    Entity,
    Membership,
    PastIdentity,
    Review,
    SanctionsDesignation,
    Tag,
    Team,
)
from .rules import InvalidTransition


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(TeamScopedAdmin):
    team_lookup = "pk"
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(TeamScopedAdmin):
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
class EntityAdmin(TeamScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "kind", "team", "imo", "mmsi", "locode", "is_synthetic"]
    list_filter = ["kind", "team", "is_synthetic", "is_auto_created"]
    search_fields = ["name", "aliases_text", "imo", "mmsi", "locode", "call_sign"]
    readonly_fields = ["created_by", "created_at", "updated_at"]
    inlines = [PastIdentityInline, SanctionsInline]


@admin.register(Tag)
class TagAdmin(TeamScopedAdmin):
    list_display = ["name", "team"]
    list_filter = ["team"]
    search_fields = ["name"]


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ["at", "decision", "from_status", "to_status", "by", "comment"]
    readonly_fields = fields
    verbose_name_plural = "review trail"


class EvidenceLinkInline(ReadOnlyInline):
    model = ClaimEvidence
    fields = ["item", "relation", "stance", "note", "linked_by", "linked_at"]
    readonly_fields = fields


# --- Claims: review actions -----------------------------------------------------------


class ConfidenceFilter(admin.SimpleListFilter):
    title = "current confidence"
    parameter_name = "confidence"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*ConfidenceLevel.choices, ("none", "Not assessed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        if value == "none":
            return queryset.filter(current_confidence__isnull=True)
        return queryset.filter(current_confidence=value)


class ReviewActionForm(ActionForm):
    comment = forms.CharField(
        required=False,
        label="Comment",
        widget=forms.TextInput(
            attrs={"size": 40, "placeholder": "Comment / correction note / reason"}
        ),
    )
    publish_at = forms.DateTimeField(
        required=False,
        label="Embargo until (UTC, approve only)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or exc.__class__.__name__


def _review_action(decision: str, description: str, done: str) -> Any:
    def action(
        modeladmin: ClaimAdmin, request: HttpRequest, queryset: QuerySet
    ) -> None:
        modeladmin.apply_decision(request, queryset, decision=decision, done=done)

    action.__name__ = f"review_{decision}"
    return admin.action(description=description)(action)


@admin.register(Claim)
class ClaimAdmin(NoEditsMixin, TeamScopedAdmin, SimpleHistoryAdmin):
    # Status and content change only through services: the claim page for content,
    # the actions below for decisions. The change page is a read-only record.
    list_display = [
        "__str__",
        "team",
        "status",
        "author",
        "current_confidence",
        "publish_at",
        "updated_at",
    ]
    # RelatedOnly: the choices come from the (team-scoped) rows, not every team/user.
    list_filter = [
        "status",
        ("team", admin.RelatedOnlyFieldListFilter),
        ("author", admin.RelatedOnlyFieldListFilter),
        ConfidenceFilter,
    ]
    search_fields = ["text", "summary", "slug"]
    date_hierarchy = "updated_at"
    list_select_related = ["team", "author"]
    action_form = ReviewActionForm
    actions = [
        _review_action(Decision.SUBMIT, "Submit for review", "Submitted"),
        _review_action(
            Decision.APPROVE, "Approve (embargo: set “Embargo until”)", "Approved"
        ),
        _review_action(
            Decision.REQUEST_CHANGES,
            "Request changes (comment required)",
            "Sent back for changes",
        ),
        _review_action(Decision.PUBLISH, "Publish", "Published"),
        _review_action(
            Decision.CORRECT, "Correct (comment = public note)", "Corrected"
        ),
        _review_action(Decision.RETRACT, "Retract (comment = reason)", "Retracted"),
    ]
    fields = [
        "team",
        "text",
        "slug",
        "summary",
        "subjects",
        "tags",
        "status",
        "publish_at",
        "published_at",
        "correction_note",
        "retraction_reason",
        "author",
        "last_edited_by",
        "version",
        "created_at",
        "updated_at",
        "edit_history",
        "audit_trail",
    ]
    readonly_fields = ["edit_history", "audit_trail"]
    inlines = [EvidenceLinkInline, ReviewInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).with_current_confidence()

    @admin.display(description="Current confidence", ordering="current_confidence")
    def current_confidence(self, obj: Claim) -> str:
        level = getattr(obj, "current_confidence", None)
        return ConfidenceLevel(level).label if level else "—"

    @admin.display(description="Edit history")
    def edit_history(self, obj: Claim) -> str:
        rows = obj.history.select_related("history_user").order_by("history_date")
        return format_html(
            "<table><tr><th>When</th><th>Who</th><th>Status</th><th>Version</th>"
            "<th>Reason</th><th>Text</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                "<td>{}</td></tr>",
                (
                    (
                        f"{row.history_date:%Y-%m-%d %H:%M:%S}",
                        row.history_user or "—",
                        row.status,
                        row.version,
                        row.history_change_reason or "",
                        row.text,
                    )
                    for row in rows
                ),
            ),
        )

    @admin.display(description="Audit trail")
    def audit_trail(self, obj: Claim) -> str:
        events = selectors.audit_trail_for(obj)
        return format_html(
            "<table><tr><th>#</th><th>When</th><th>Who</th><th>Action</th>"
            "<th>Payload</th><th>Hash</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code>"
                "</td><td><code title='{}'>{}…</code></td></tr>",
                (
                    (
                        event.seq,
                        f"{event.at:%Y-%m-%d %H:%M:%S}",
                        event.actor_label,
                        event.action,
                        event.payload,
                        event.hash,
                        event.hash[:12],
                    )
                    for event in events
                ),
            ),
        )

    def apply_decision(
        self, request: HttpRequest, queryset: QuerySet, *, decision: str, done: str
    ) -> None:
        """Run one review decision on each selected claim through the service;
        refused ones are reported one by one, the others applied."""
        comment = request.POST.get("comment", "")
        try:
            publish_at = ReviewActionForm.base_fields["publish_at"].clean(
                request.POST.get("publish_at") or None
            )
        except ValidationError as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
            return
        applied = 0
        for claim in queryset.order_by("pk"):
            try:
                services.claim_transition(
                    claim_id=claim.pk,
                    decision=decision,
                    actor=request.user,
                    comment=comment,
                    publish_at=publish_at,
                )
            except (
                InvalidTransition,
                PermissionDenied,
                ValidationError,
                ValueError,
            ) as exc:
                self.message_user(
                    request, f"“{claim}”: refused — {_error_text(exc)}", messages.ERROR
                )
            else:
                applied += 1
        if applied:
            self.message_user(request, f"{done}: {applied} claim(s).", messages.SUCCESS)


@admin.register(AuditEvent)
class AuditEventAdmin(NoEditsMixin, TeamScopedAdmin):
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


# Publishers, the webhook outbox and its delivery log (issue 7): registered there.
from .api import admin as _publisher_admin  # noqa: E402, F401


@admin.register(ConfidenceAssessment)
class ConfidenceAssessmentAdmin(NoEditsMixin, TeamScopedAdmin):
    """Append-only: viewable here, never added, changed or deleted (a mistaken
    assessment is superseded through the claim page or the API)."""

    team_lookup = "claim__team"
    list_display = ["claim", "level", "effective_at", "recorded_at", "assessed_by"]
    list_filter = ["level", "claim__team"]
    search_fields = ["rationale", "claim__text"]
    list_select_related = ["claim", "assessed_by"]
