"""Admin pieces the apps' admin modules share: the team scope, the read-only rules
and the history views.

The admin is not a second write path (issue 12): what a service owns is read-only
here (`NoEditsMixin`), or saved by calling the service. Every view a non-superuser
can open shows only rows of their teams: changelist, change page, history, a
historical version, delete, actions, list filters, form choices and autocomplete
(Django's autocomplete view asks the *target* model's admin for its queryset).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import (
    flatten_fieldsets,
    get_fields_from_path,
    unquote,
)
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

from provenance.teams.models import Membership, Team


def member_team_ids(request: HttpRequest) -> QuerySet[Membership]:
    return Membership.objects.filter(user=request.user).values("team_id")


def scoped_choices(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Limit a form field's or filter's choices to what the user's teams hold:
    teams they belong to, rows of those teams, users who share a team with them."""
    if request.user.is_superuser:
        return queryset
    model = queryset.model
    teams = member_team_ids(request)
    if model is Team:
        return queryset.filter(pk__in=teams)
    if model is get_user_model():
        return queryset.filter(memberships__team__in=teams).distinct()
    try:
        model._meta.get_field("team")
    except FieldDoesNotExist:
        return queryset
    return queryset.filter(team__in=teams)


def _scoped_remote(request: HttpRequest, db_field: Any) -> QuerySet:
    return scoped_choices(request, db_field.remote_field.model._default_manager.all())


class TeamScopedAdmin(admin.ModelAdmin):
    """Non-superuser staff see and pick only the teams they are members of."""

    team_lookup = "team"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.team_lookup}__in": member_team_ids(request)})

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        # A plain "team" or "claim__team" filter lists every row of the related
        # model; RelatedOnly lists those the (scoped) changelist rows point to.
        return [self._related_only(entry) for entry in super().get_list_filter(request)]

    def _related_only(self, entry: Any) -> Any:
        if not isinstance(entry, str):
            return entry
        try:
            field = get_fields_from_path(self.model, entry)[-1]
        except FieldDoesNotExist:
            return entry
        if field.is_relation:
            return (entry, admin.RelatedOnlyFieldListFilter)
        return entry

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if not request.user.is_superuser and "queryset" not in kwargs:
            kwargs["queryset"] = _scoped_remote(request, db_field)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> Any:
        if not request.user.is_superuser and "queryset" not in kwargs:
            kwargs["queryset"] = _scoped_remote(request, db_field)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedHistoryMixin:
    """For every SimpleHistoryAdmin: history is as team-scoped as the change page,
    and read-only.

    simple-history 3.13's `history_view` falls back to
    `historical_records.latest().instance` when the object is outside
    `get_queryset` (so any team's history showed, a deleted object's too), and its
    `history_form_view` saves a POSTed form as a raw "revert" whatever
    `has_change_permission` says: no service, no review, no audit row. Here both
    views first find the object in `get_queryset` (404 otherwise, deleted objects
    included), and a historical version answers GET only: anything else is a 403
    for everyone, superusers too (SIMPLE_HISTORY_REVERT_DISABLED hides the button).
    Reverting, if it is ever offered, is a service (`claim_update` with a reason).
    """

    def _visible_or_404(self, request: HttpRequest, object_id: str) -> Model:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404("No such object in your teams.")
        return obj

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._visible_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: Any = None,
    ) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("History is read-only: reverting is switched off.")
        obj = self._visible_or_404(request, object_id)
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        history_id = history.model._meta.get_field("history_id")
        try:
            history_id.to_python(version_id)
        except ValidationError as exc:
            raise Http404("No such version.") from exc
        # Every field shown as a value, none as an input: no choices to list.
        request.is_history_record = True
        return super().history_form_view(
            request, str(obj.pk), version_id, extra_context
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not getattr(request, "is_history_record", False):
            return readonly
        # Declared names, else the model's editable fields (not get_fieldsets:
        # without declared fields it asks get_form, which asks this method).
        if self.fieldsets:
            names = flatten_fieldsets(self.fieldsets)
        elif self.fields:
            names = list(self.fields)
        else:
            opts = self.model._meta
            names = [
                field.name
                for field in [*opts.fields, *opts.many_to_many]
                if field.editable and field is not opts.auto_field
            ]
        return [*names, *(name for name in readonly if name not in names)]

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True


class TeamScopedHistoryAdmin(ScopedHistoryMixin, TeamScopedAdmin, SimpleHistoryAdmin):
    """The base of every admin with simple-history's history pages."""


class NoEditsMixin:
    """For records only services write (claims, entities, audit events, assessments,
    analyses, logs): the admin shows them and never adds, changes or deletes one, so
    neither the change form, the delete view nor "delete selected" exists."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SuperuserManagedMixin:
    """Read-only for non-superusers (with the view permission, in their teams);
    superusers add, change and delete as their model permissions say, except that
    `superuser_can_delete = False` keeps deletion off for everyone."""

    superuser_can_delete = True

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            self.superuser_can_delete
            and request.user.is_superuser
            and super().has_delete_permission(request, obj)
        )


class SuperuserOnlyMixin:
    """Invisible to everyone but those `is_allowed` admits (active superusers by
    default): no app-index entry, no list, no page, no autocomplete, whatever
    model permissions the user holds."""

    def is_allowed(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.is_allowed(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.is_allowed(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.is_allowed(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.is_allowed(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.is_allowed(request) and super().has_delete_permission(request, obj)


class ReadOnlyInline(NoEditsMixin, admin.TabularInline):
    extra = 0
    can_delete = False
