"""Comments in a real browser: a reporter mentions the editor through the
@-autocomplete (which offers the team's members only); the editor sees the comment,
replies, and has the mention recorded as a notification."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from provenance.accounts.models import Notification
from provenance.claims import services
from tests.factories import MembershipFactory, TeamFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(db):
    team = TeamFactory(name="Investigations", slug="investigations")
    reporter = MembershipFactory(team=team, role="reporter", user__username="rita").user
    editor = MembershipFactory(team=team, role="editor", user__username="ed").user
    other = TeamFactory(name="Elsewhere", slug="elsewhere")
    # Another team's user whose name also starts with "ed": never offered.
    MembershipFactory(team=other, role="reporter", user__username="edna")
    claim = services.claim_create(
        team=team, actor=reporter, text="The Angara left Rajin with munitions."
    )
    return claim, reporter, editor


def test_reporter_mentions_the_editor_who_sees_it_and_is_notified(
    desk, new_page, log_in, screenshots, console
):
    claim, _, _ = desk
    shot = screenshots("comments-")
    reporter = new_page()
    log_in(reporter, "rita")
    reporter.goto(claim.get_absolute_url())
    box = reporter.get_by_label("Comment", exact=True)
    box.fill("Can you check the port call, ")
    box.press_sequentially("@e")
    options = reporter.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_text("@ed")
    shot(reporter, "autocomplete")
    box.press("Enter")
    expect(box).to_have_value("Can you check the port call, @ed ")
    box.press_sequentially("**today**?")
    reporter.get_by_role("button", name="Comment", exact=True).click()
    expect(reporter.get_by_text("Comment added.")).to_be_visible()
    shot(reporter, "posted")

    assert list(
        Notification.objects.filter(kind="mention").values_list(
            "recipient__username", flat=True
        )
    ) == ["ed"]

    editor_page = new_page()
    log_in(editor_page, "ed")
    editor_page.goto(claim.get_absolute_url())
    thread = editor_page.locator("#comments")
    expect(thread.locator(".mention")).to_have_text("@ed")
    expect(thread.locator(".comment-body strong")).to_have_text("today")
    thread.get_by_role("link", name="Reply").click()
    editor_page.get_by_label("Comment", exact=True).fill("Checked: it is in the AIS.")
    editor_page.get_by_role("button", name="Comment", exact=True).click()
    expect(editor_page.locator(".thread.replies .comment-body")).to_have_text(
        "Checked: it is in the AIS."
    )
    shot(editor_page, "replied")
    assert console.errors == []
