"""The audit trail in the admin: read-only, team-scoped. Only audit_record (chain.py)
appends a row, inside the service that made the change."""

from __future__ import annotations

from django.contrib import admin

from provenance.audit.models import AuditEvent
from provenance.teams.admin_base import NoEditsMixin, TeamScopedAdmin


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
