"""Django admin for editors and admins: each room registers its own models
(Django autodiscovers this module; it imports the rooms' admin modules).

Staff who are not superusers see only their own teams' rows, on every admin view
(teams/admin_base.py). Claims, entities, tags, assessments and audit events are
read-only; review decisions are admin actions that call the claim services; teams
and memberships are managed by superusers through the teams services. History pages
are read-only for everyone. User accounts, groups, API tokens and login logs are
superuser-only pages (below: they are the project's, not a room's).
"""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django.utils import timezone

from provenance.accounts import admin as _accounts_admin  # noqa: F401
from provenance.accounts.second_factor import StepUpAdminMixin
from provenance.audit import admin as _audit_admin  # noqa: F401
from provenance.claims import admin as _claims_admin  # noqa: F401
from provenance.entities import admin as _entities_admin  # noqa: F401
from provenance.publishing import admin as _publishing_admin  # noqa: F401
from provenance.teams.admin_base import SuperuserOnlyMixin

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
_superuser_only_apps("axes")
# Members' API tokens: managing them wants a fresh second factor, like publishers'.
for _model in [m for m in admin.site._registry if m._meta.app_label == "authtoken"]:
    _superuser_only(_model, StepUpAdminMixin)
# Devices hold secrets (TOTP keys); each user manages theirs at /account/security/.
for _model in [
    m
    for m in admin.site._registry
    if m._meta.app_label in ("otp_totp", "otp_static", "django_otp_webauthn")
]:
    admin.site.unregister(_model)
_superuser_only(AccessAttempt, AxesCleanupFromTheAdmin)
