"""The project's admin site: Django's, with "view on site" inside the team scope.

Django's `/admin/r/<content type>/<id>/` looks the object up among every row of
every model and redirects to its page, so any staff user could learn another
team's entity slugs (and which ids exist). Here it goes through the model's admin:
its `get_object` (the team scope) and its view permission, else 404.

Installed by listing `provenance.admin_site.AdminConfig` instead of
`django.contrib.admin` in INSTALLED_APPS; `admin.site` is then this site. No
models at import time: settings load this module before the app registry.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, path


class AdminConfig(DjangoAdminConfig):
    default_site = "provenance.admin_site.AdminSite"


class AdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        """Staff, and past the second factor when they have or need one (the
        middleware sends them to that step first; this holds even without it)."""
        from provenance.accounts.second_factor import second_factor_satisfied

        return super().has_permission(request) and second_factor_satisfied(request)

    def get_urls(self) -> list[Any]:
        scoped = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [
            scoped
            if isinstance(url, URLPattern) and url.name == "view_on_site"
            else url
            for url in super().get_urls()
        ]

    def view_on_site(
        self, request: HttpRequest, content_type_id: str, object_id: str
    ) -> HttpResponse:
        from django.contrib.contenttypes.models import ContentType
        from django.contrib.contenttypes.views import shortcut

        try:
            content_type = ContentType.objects.get_for_id(int(content_type_id))
        except (ContentType.DoesNotExist, ValueError) as exc:
            raise Http404("No such object.") from exc
        model_admin = self._registry.get(content_type.model_class())
        if model_admin is None:
            raise Http404("No such object.")
        obj = model_admin.get_object(request, unquote(object_id))
        if obj is None or not model_admin.has_view_permission(request, obj):
            raise Http404("No such object.")
        return shortcut(request, content_type_id, str(obj.pk))
