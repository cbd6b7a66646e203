"""Claims, tags and confidence assessments in the admin: read-only records,
team-scoped. A claim's content is edited on the claim page (version check,
history, audit row); review decisions are the changelist's actions, which call the
same service as the web pages (claim_transition), so the workflow's rules (role,
four eyes, evidence, embargo) hold here too, and each decision names the version
the editor's list showed (issue 12, finding 6)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from provenance.claims import selectors, services
from provenance.claims.confidence import ConfidenceLevel
from provenance.claims.models import (
    Claim,
    ClaimEvidence,
    ConfidenceAssessment,
    Decision,
    Review,
    Tag,
)
from provenance.claims.rules import EditConflict, InvalidTransition
from provenance.teams.admin_base import (
    NoEditsMixin,
    ReadOnlyInline,
    TeamScopedAdmin,
    TeamScopedHistoryAdmin,
)


@admin.register(Tag)
class TagAdmin(NoEditsMixin, TeamScopedAdmin):
    """Read-only for everyone: tags come from the claim form (claim_create and
    claim_update), and renaming or deleting one here would change published claims
    without a review."""

    list_display = ["name", "team"]
    list_filter = ["team"]
    search_fields = ["name"]


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ["at", "decision", "from_status", "to_status", "by", "comment"]
    readonly_fields = fields
    verbose_name_plural = "review trail"


class EvidenceLinkInline(ReadOnlyInline):
    """Every version of every link, read-only: a link is changed or unlinked on the
    claim page, through the same service (reason, history, audit row)."""

    model = ClaimEvidence
    fields = [
        "item",
        "relation",
        "stance",
        "note",
        "reason",
        "linked_by",
        "linked_at",
        "unlinked_by",
        "unlinked_at",
        "unlink_reason",
        "change_on_page",
    ]
    readonly_fields = fields

    @admin.display(description="Change or unlink")
    def change_on_page(self, obj: ClaimEvidence) -> str:
        if obj.pk is None or obj.unlinked_at is not None:
            return "—"
        url = reverse("provenance:claim-link-change", args=[obj.claim_id, obj.pk])
        return format_html('<a href="{}">on the claim page</a>', url)


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


SEEN_VERSION_PREFIX = "seen_version_"


def _seen_version(request: HttpRequest, claim_pk: int) -> int | None:
    """The claim version the editor's changelist showed, posted with the action."""
    raw = request.POST.get(f"{SEEN_VERSION_PREFIX}{claim_pk}", "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _review_action(decision: str, description: str, done: str) -> Any:
    def action(
        modeladmin: ClaimAdmin, request: HttpRequest, queryset: QuerySet
    ) -> None:
        modeladmin.apply_decision(request, queryset, decision=decision, done=done)

    action.__name__ = f"review_{decision}"
    return admin.action(description=description)(action)


@admin.register(Claim)
class ClaimAdmin(NoEditsMixin, TeamScopedHistoryAdmin):
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
        "seen_version",
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
        "edit_page",
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
    readonly_fields = ["edit_page", "edit_history", "audit_trail"]
    inlines = [EvidenceLinkInline, ReviewInline]

    @admin.display(description="Edited on")
    def edit_page(self, obj: Claim) -> str:
        url = reverse("provenance:claim-edit", args=[obj.pk])
        return format_html('<a href="{}">the claim page ({})</a>', url, url)

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

    @admin.display(description="Version")
    def seen_version(self, obj: Claim) -> str:
        # The row's version rides along with the action form (the changelist rows
        # sit inside it), so a decision names the version the editor listed and is
        # refused if the claim changed since (issue 12, finding 6).
        return format_html(
            '{}<input type="hidden" name="{}" value="{}">',
            obj.version,
            f"{SEEN_VERSION_PREFIX}{obj.pk}",
            obj.version,
        )

    def apply_decision(
        self, request: HttpRequest, queryset: QuerySet, *, decision: str, done: str
    ) -> None:
        """Run one review decision on each selected claim through the service;
        refused ones are reported one by one, the others applied."""
        try:
            publish_at = ReviewActionForm.base_fields["publish_at"].clean(
                request.POST.get("publish_at") or None
            )
        except ValidationError as exc:
            self.message_user(request, _error_text(exc), messages.ERROR)
            return
        applied = 0
        for claim in queryset.order_by("pk"):
            refusal = self._decide(request, claim, decision, publish_at)
            if refusal:
                self.message_user(
                    request, f"“{claim}”: refused — {refusal}", messages.ERROR
                )
            else:
                applied += 1
        if applied:
            self.message_user(request, f"{done}: {applied} claim(s).", messages.SUCCESS)

    def _decide(
        self, request: HttpRequest, claim: Claim, decision: str, publish_at: Any
    ) -> str:
        """One claim's decision at the version its row showed; why it was refused,
        or "" when it was applied."""
        seen = _seen_version(request, claim.pk)
        if seen is None:
            return "the version you saw is unknown; reload the list and decide again."
        try:
            services.claim_transition(
                claim_id=claim.pk,
                decision=decision,
                actor=request.user,
                expected_version=seen,
                comment=request.POST.get("comment", ""),
                publish_at=publish_at,
            )
        except (
            EditConflict,
            InvalidTransition,
            PermissionDenied,
            ValidationError,
            ValueError,
        ) as exc:
            return _error_text(exc)
        return ""


@admin.register(ConfidenceAssessment)
class ConfidenceAssessmentAdmin(NoEditsMixin, TeamScopedAdmin):
    """Append-only: viewable here, never added, changed or deleted (a mistaken
    assessment is superseded through the claim page or the API)."""

    team_lookup = "claim__team"
    list_display = ["claim", "level", "effective_at", "recorded_at", "assessed_by"]
    list_filter = ["level", "claim__team"]
    search_fields = ["rationale", "claim__text"]
    list_select_related = ["claim", "assessed_by"]
