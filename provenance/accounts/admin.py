"""Teams and memberships in the admin: superusers manage them, every save and
delete through the teams services (permission, audit row, one transaction);
other staff see their own teams read-only, so nobody joins a team or promotes
themselves here."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from provenance.accounts import services
from provenance.teams.admin_base import SuperuserManagedMixin, TeamScopedAdmin
from provenance.teams.models import Membership, Team


def _adopt(obj: Any, saved: Any) -> None:
    """Point the admin's unsaved instance at the row a service inserted, so its
    log entry and redirect name the new row."""
    obj.pk = saved.pk
    obj.created_at = saved.created_at
    obj._state.adding = False


class MembershipInlineForm(forms.ModelForm):
    """Only the role of an existing membership changes: another user is another
    membership (remove this one, add that one)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "user" in self.fields:
            self.fields["user"].disabled = True


class MembershipInline(SuperuserManagedMixin, admin.TabularInline):
    model = Membership
    form = MembershipInlineForm
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]


def save_membership_formset(
    request: HttpRequest, team: Team, formset: BaseInlineFormSet
) -> None:
    """The team page's member rows, each change through a service; the formset's
    bookkeeping (new, changed, deleted objects) filled as `formset.save()` would,
    for the admin's change message."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.deleted_forms:
        if form.instance.pk:
            services.membership_remove(
                membership_id=form.instance.pk, actor=request.user
            )
            formset.deleted_objects.append(form.instance)
    for form in formset.forms:
        if form in formset.deleted_forms or not form.has_changed():
            continue
        role = form.cleaned_data["role"]
        if form.instance.pk:
            saved = services.membership_update(
                membership_id=form.instance.pk, actor=request.user, role=role
            )
            formset.changed_objects.append((saved, form.changed_data))
        else:
            saved = services.membership_add(
                team=team, user=form.cleaned_data["user"], actor=request.user, role=role
            )
            formset.new_objects.append(saved)


@admin.register(Team)
class TeamAdmin(SuperuserManagedMixin, TeamScopedAdmin):
    """Superusers create teams, rename them and manage their members (team_create,
    team_update, membership_*). Nobody deletes a team in the admin: it would take
    its claims, evidence and audit chain with it."""

    superuser_can_delete = False
    team_lookup = "pk"
    list_display = [
        "name",
        "slug",
        "requires_second_factor",
        "captures_new_sources",
        "created_at",
    ]
    readonly_fields = ["created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def save_model(
        self, request: HttpRequest, obj: Team, form: ModelForm, change: bool
    ) -> None:
        if change:
            services.team_update(
                team_id=obj.pk,
                actor=request.user,
                name=obj.name,
                slug=obj.slug,
                requires_second_factor=obj.requires_second_factor,
                captures_new_sources=obj.captures_new_sources,
            )
        else:
            saved = services.team_create(
                actor=request.user, name=obj.name, slug=obj.slug
            )
            settings = {
                name: True
                for name in ("requires_second_factor", "captures_new_sources")
                if getattr(obj, name)
            }
            if settings:
                saved = services.team_update(
                    team_id=saved.pk, actor=request.user, **settings
                )
            _adopt(obj, saved)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: Any, change: bool
    ) -> None:
        if formset.model is not Membership:
            raise TypeError(f"No service saves {formset.model.__name__} here.")
        save_membership_formset(request, form.instance, formset)


@admin.register(Membership)
class MembershipAdmin(SuperuserManagedMixin, TeamScopedAdmin):
    """Superusers add, change (the role) and remove memberships, through the
    services; other staff see their teams' members read-only."""

    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        # Another user or team is another membership: only the role changes.
        return [*readonly, "user", "team"] if obj is not None else readonly

    def save_model(
        self, request: HttpRequest, obj: Membership, form: ModelForm, change: bool
    ) -> None:
        if change:
            services.membership_update(
                membership_id=obj.pk, actor=request.user, role=obj.role
            )
        else:
            saved = services.membership_add(
                team=obj.team, user=obj.user, actor=request.user, role=obj.role
            )
            _adopt(obj, saved)

    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        services.membership_remove(membership_id=obj.pk, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # "Delete selected": every row or none, each with its audit row.
        with transaction.atomic():
            for pk in queryset.order_by("pk").values_list("pk", flat=True):
                services.membership_remove(membership_id=pk, actor=request.user)
