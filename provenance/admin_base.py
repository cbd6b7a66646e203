"""Admin pieces the apps' admin modules share."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Membership, Team


def member_team_ids(request: HttpRequest) -> QuerySet[Membership]:
    return Membership.objects.filter(user=request.user).values("team_id")


class TeamScopedAdmin(admin.ModelAdmin):
    """Non-superuser staff see and pick only the teams they are members of."""

    team_lookup = "team"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.team_lookup}__in": member_team_ids(request)})

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if db_field.name == "team" and not request.user.is_superuser:
            kwargs["queryset"] = Team.objects.filter(pk__in=member_team_ids(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class NoEditsMixin:
    """For records only services write (audit events, assessments, analyses, logs):
    the admin shows them and never adds, changes or deletes one."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(NoEditsMixin, admin.TabularInline):
    extra = 0
    can_delete = False
