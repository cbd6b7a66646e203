"""The login page's "Sign in with <provider>" link, shown only when single sign-on
is configured (its route exists only then)."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from provenance.accounts import oidc

register = template.Library()


@register.inclusion_tag("registration/_oidc_login.html", takes_context=True)
def oidc_login(context: template.Context) -> dict[str, object]:
    if not oidc.enabled():
        return {"oidc_url": ""}
    url = reverse("oidc_authentication_init")
    next_url = context.get("next")
    if next_url:
        url = f"{url}?{urlencode({'next': next_url})}"
    return {"oidc_url": url, "oidc_name": oidc.provider_name()}
