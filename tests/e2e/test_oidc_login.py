"""Single sign-on in Chromium, following the real redirects: the site's login page,
the loopback OpenID Connect provider's login and consent pages (tests/oidc_provider),
and back to the site, signed in as the account whose email the provider verified."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from provenance.accounts.models import OIDCIdentity
from tests.factories import MembershipFactory, TeamFactory
from tests.oidc_provider.server import PROVIDER_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_sign_in_with_the_provider_lands_on_the_right_account(
    new_page, live_server, oidc_site, console, screenshots
):
    oidc_site.allow_redirect(f"{live_server.url}/oidc/callback/")
    team = TeamFactory(name="Desk", slug="desk")
    dave = MembershipFactory(team=team, role="reporter", user__username="d.okafor").user
    dave.email = "Dave@Example.org"
    dave.save(update_fields=["email"])
    # Another member, to show the session is dave's and not just anyone's.
    MembershipFactory(team=team, role="editor", user__username="ed")
    shots = screenshots("oidc-")
    page = new_page()

    page.goto("/login/")
    shots(page, "login page")
    page.get_by_role("link", name="Sign in with Test ID").click()

    # The provider's own pages, on another origin.
    page.wait_for_url(f"{oidc_site.url}/accounts/login/**")
    page.get_by_label("Username").fill("dave")
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()
    page.wait_for_url(f"{oidc_site.url}/o/authorize/**")
    shots(page, "provider consent")
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url(f"{live_server.url}/")
    expect(page.locator(".user")).to_have_text("d.okafor · Reporter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    shots(page, "signed in")
    identity = OIDCIdentity.objects.get()
    assert (identity.user_id, identity.subject) == (dave.pk, oidc_site.subjects["dave"])
    # The provider's pages are not ours (its stylesheet is not served): only the
    # site's pages must be free of console errors.
    assert [e for e in console.errors if e.startswith(live_server.url)] == []


def test_an_identity_matching_no_account_is_refused_on_the_login_page(
    new_page, live_server, oidc_site
):
    oidc_site.allow_redirect(f"{live_server.url}/oidc/callback/")
    page = new_page()

    page.goto("/login/")
    page.get_by_role("link", name="Sign in with Test ID").click()
    page.get_by_label("Username").fill("stranger")
    page.get_by_label("Password").fill(PROVIDER_PASSWORD)
    page.get_by_role("button", name="Sign in at the provider").click()
    page.get_by_role("button", name="Authorize").click()

    page.wait_for_url(f"{live_server.url}/login/")
    expect(page.locator(".messages")).to_have_text(
        "No account here matches your Test ID identity. Ask a team admin to add "
        "your verified email address to your account."
    )
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
