"""A reporter captures a web page from the link form (issue 18): the page of the
new link shows the capture's screenshot, final URL after the redirect and the
request the address policy refused, at 1280 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.evidence.captures.site import serve_site
from tests.factories import MembershipFactory, TeamFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_reporter_captures_a_page_from_the_link_form(
    settings, new_page, log_in, console, screenshots
):
    team = TeamFactory(name="Desk", slug="desk")
    MembershipFactory(team=team, role="reporter", user__username="rep")
    shot = screenshots("capture-")
    with serve_site() as site:
        settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]
        settings.CAPTURE_TIMEOUT_SECONDS = 30
        page = new_page()
        log_in(page, "rep")
        page.goto("/evidence/add/link/")
        page.get_by_label("URL:", exact=True).fill(site.url("/old"))
        page.get_by_label("Capture the page now:").check()
        shot(page, "link form")
        page.get_by_role("button", name="Add link").click()

        expect(page.locator("h1")).to_have_text("Harbour statement")
        expect(page.locator("[data-final-url]")).to_have_text(site.url("/page"))
        expect(page.locator("[data-capture-blocked] summary")).to_have_text(
            "1 request refused"
        )
        screenshot = page.get_by_role("img", name="Screenshot of Harbour statement")
        expect(screenshot).to_be_visible()
        assert screenshot.evaluate("img => img.naturalWidth") == 1280
        shot(page, "captured link")
    assert console.errors == []
