"""Issue 16, the account page in a real browser: a reporter asks for a new email
address, follows the link from the mail (read from a real SMTP server on loopback,
tests/mail.py) and sees it verified; then creates an API token, seen
once. At 1280 and 390 px, without horizontal scrolling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import MembershipFactory, TeamFactory
from tests.mail import Inbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rita(db):
    team = TeamFactory(name="Investigations", slug="investigations")
    return MembershipFactory(team=team, role="reporter", user__username="rita").user


@pytest.mark.parametrize("width", [1280, 390])
def test_email_change_is_verified_by_the_link(
    rita, smtp_inbox, new_page, log_in, screenshots, console, width
):
    shot = screenshots(f"account-{width}-")
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "rita")
    page.get_by_role("link", name=re.compile(r"^rita")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.locator("#verified-email")).to_have_text("rita@example.org")
    expect(page.locator("tr.current")).to_contain_text("This session")
    assert page.evaluate("document.documentElement.scrollWidth") == width
    shot(page, "account")

    page.get_by_label("New email address").fill("rita.new@example.org")
    page.get_by_role("button", name="Send verification link").click()
    expect(page.locator(".messages")).to_contain_text(
        "We sent a link to rita.new@example.org."
    )
    expect(page.locator("#verified-email")).to_have_text("rita@example.org")
    [message] = smtp_inbox.messages
    assert message["To"] == "rita.new@example.org"
    link = re.search(r"https?://\S+", Inbox.text(message)).group(0)
    shot(page, "link-sent")

    page.goto(link)
    expect(page.locator(".messages")).to_contain_text(
        "Your email address is now rita.new@example.org (verified)."
    )
    expect(page.locator("#verified-email")).to_have_text("rita.new@example.org")
    shot(page, "verified")

    page.goto(link)
    expect(page.locator("#link-problem")).to_contain_text(
        "This link has already been used"
    )
    shot(page, "link-used")

    page.goto("/account/")
    page.get_by_role("button", name="Create a token").click()
    key = page.locator("#new-token").inner_text()
    assert len(key) == 40
    expect(page.get_by_text(f"Token ending …{key[-4:]}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") == width
    shot(page, "token-once")
    page.goto("/account/")
    expect(page.locator("#new-token")).to_have_count(0)
    assert key not in page.content()
    # The used link's page answers 400 on purpose, which Chromium logs.
    others = [e for e in console.errors if "/account/email/confirm/" not in e]
    assert others == []
