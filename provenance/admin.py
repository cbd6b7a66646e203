"""Django admin for editors and admins.

Staff who are not superusers see only their own teams' rows, on every admin view
(see admin_base). Claims, entities and tags are read-only here: their content is
edited in the web app (with the version check, history and audit row), and review
decisions are admin actions that call the same services as the web pages, so the
workflow's rules (role, four eyes, evidence, embargo) hold in the admin too. History
pages are read-only for everyone. Teams and memberships are managed by superusers
only; user accounts, groups, API tokens and login logs are superuser-only pages.
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from provenance.audit.models import AuditEvent
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
from provenance.entities.models import Entity, PastIdentity, SanctionsDesignation
from provenance.teams.admin_base import (
    NoEditsMixin,
    ReadOnlyInline,
    SuperuserManagedMixin,
    SuperuserOnlyMixin,
    TeamScopedAdmin,
    TeamScopedHistoryAdmin,
)
from provenance.teams.models import Membership, Team


class MembershipInline(SuperuserManagedMixin, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


@admin.register(Team)
class TeamAdmin(SuperuserManagedMixin, TeamScopedAdmin):
    """Superusers create teams, rename them and manage their members; other staff
    see their own teams read-only (so nobody joins a team or promotes themselves
    here). Nobody deletes a team in the admin: it would take its claims, evidence
    and audit chain with it."""

    superuser_can_delete = False
    team_lookup = "pk"
    list_display = ["name", "slug", "created_at"]
    readonly_fields = ["created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(SuperuserManagedMixin, TeamScopedAdmin):
    """Superusers add, change and remove memberships; other staff see their
    teams' members read-only."""

    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


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
    """Read-only: entities, their past identities and sanctions change only through
    the services (entity_update, past_identity_add, sanctions_designation_add), on
    the entity's page, which keeps their history and audit row."""

    list_display = ["name", "kind", "team", "imo", "mmsi", "locode", "is_synthetic"]
    list_filter = ["kind", "team", "is_synthetic", "is_auto_created"]
    search_fields = ["name", "aliases_text", "imo", "mmsi", "locode", "call_sign"]
    readonly_fields = ["edit_page", "created_by", "created_at", "updated_at"]
    inlines = [PastIdentityInline, SanctionsInline]

    @admin.display(description="Edited on")
    def edit_page(self, obj: Entity) -> str:
        url = reverse("provenance:entity-edit", args=[obj.slug])
        return format_html('<a href="{}">the entity page ({})</a>', url, url)


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
            seen = _seen_version(request, claim.pk)
            if seen is None:
                self.message_user(
                    request,
                    f"“{claim}”: refused — the version you saw is unknown; "
                    "reload the list and decide again.",
                    messages.ERROR,
                )
                continue
            try:
                services.claim_transition(
                    claim_id=claim.pk,
                    decision=decision,
                    actor=request.user,
                    expected_version=seen,
                    comment=comment,
                    publish_at=publish_at,
                )
            except (
                EditConflict,
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
from provenance.publishing import admin as _publisher_admin  # noqa: E402, F401


@admin.register(ConfidenceAssessment)
class ConfidenceAssessmentAdmin(NoEditsMixin, TeamScopedAdmin):
    """Append-only: viewable here, never added, changed or deleted (a mistaken
    assessment is superseded through the claim page or the API)."""

    team_lookup = "claim__team"
    list_display = ["claim", "level", "effective_at", "recorded_at", "assessed_by"]
    list_filter = ["level", "claim__team"]
    search_fields = ["rationale", "claim__text"]
    list_select_related = ["claim", "assessed_by"]


# --- Accounts, tokens and login logs: superusers only --------------------------------
# Django's, DRF's and axes' own admins list every user, token and login attempt of
# every team, and a staff user with change_user could make themselves superuser.


def _superuser_only(model: type, *mixins: type) -> None:
    """Re-register `model`'s admin behind SuperuserOnlyMixin (once), plus `mixins`."""
    if not admin.site.is_registered(model):
        return
    registered = type(admin.site.get_model_admin(model))
    bases = (*mixins, registered)
    if not issubclass(registered, SuperuserOnlyMixin):
        bases = (*mixins, SuperuserOnlyMixin, registered)
    admin.site.unregister(model)
    admin.site.register(model, type(registered.__name__, bases, {}))


def _superuser_only_apps(*app_labels: str) -> None:
    for model in list(admin.site._registry):
        if model._meta.app_label in app_labels:
            _superuser_only(model)


class NoUserDeletion:
    """Nobody deletes a user here, superusers neither: it would rewrite the claims,
    evidence and audit rows they touched (SET_NULL) and drop their memberships.
    Deactivate the account instead (uncheck "Active")."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AxesCleanupFromTheAdmin:
    @admin.action(description="Clean up expired attempts")
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
        # axes reads the attempt time its login handler sets; the admin has none.
        if not hasattr(request, "axes_attempt_time"):
            request.axes_attempt_time = timezone.now()
        super().cleanup_expired_attempts(request, queryset)


_superuser_only(get_user_model(), NoUserDeletion)
_superuser_only(Group)
_superuser_only_apps("authtoken", "axes")
_superuser_only(AccessAttempt, AxesCleanupFromTheAdmin)
