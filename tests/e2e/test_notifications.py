"""Issue 16 in a real browser: an editor requests changes from the review queue; the
reporter sees the header's badge, the notice with the editor's comment, marks it
read, and the same comment arrives by email at a real SMTP server on loopback.
Screenshots at 1280 and 390 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from provenance.claims import services
from tests.factories import (
    EvidenceItemFactory,
    MembershipFactory,
    TeamFactory,
)
from tests.mail import Inbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

COMMENT = "Add the port authority's reply before approval."


@pytest.fixture
def submitted(db, smtp_inbox):
    # After the SMTP server is up: the submission emails the editor.
    team = TeamFactory(name="Desk", slug="desk")
    reporter = MembershipFactory(team=team, role="reporter", user__username="rita").user
    MembershipFactory(team=team, role="editor", user__username="ed")
    claim = services.claim_create(
        team=team, actor=reporter, text="Containers left Rajin for Dunai."
    )
    photo = EvidenceItemFactory(team=team, kind="image", title="Quay photo")
    services.evidence_attach(
        claim_id=claim.pk, item_id=photo.pk, actor=reporter, relation="supports"
    )
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="A photo."
    )
    services.claim_submit(claim_id=claim.pk, actor=reporter, comment="Ready.")
    return {"claim": claim, "reporter": reporter}


def test_reporter_is_told_in_app_and_by_email_when_changes_are_requested(
    smtp_inbox, submitted, new_page, log_in, screenshots, console
):
    shot = screenshots("notifications-")
    editor = new_page()
    log_in(editor, "ed")
    # The editor was told of the submission: the badge shows it.
    expect(editor.locator(".bell .badge")).to_have_text("1")
    editor.goto("/review/")
    row = editor.locator("table.review-queue tbody tr").filter(has_text="Rajin")
    row.locator("textarea").fill(COMMENT)
    row.get_by_role("button", name="Request changes").click()
    expect(editor.get_by_text("Request changes: done.")).to_be_visible()

    reporter = new_page()
    log_in(reporter, "rita")
    bell = reporter.locator(".bell")
    expect(bell.locator(".badge")).to_have_text("1")
    expect(bell).to_have_attribute("aria-label", "Notifications, 1 unread")
    shot(reporter, "badge")
    bell.click()
    notice = reporter.locator("li.notification.unread")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(
        "Changes requested: Containers left Rajin for Dunai."
    )
    expect(notice).to_contain_text(f"ed: {COMMENT}")
    shot(reporter, "list-1280")
    reporter.set_viewport_size({"width": 390, "height": 844})
    assert reporter.evaluate("document.documentElement.scrollWidth") <= 390
    shot(reporter, "list-390")
    reporter.set_viewport_size({"width": 1280, "height": 900})
    notice.get_by_role("button", name="Mark read").click()
    expect(reporter.locator("li.notification.unread")).to_have_count(0)
    expect(reporter.locator(".bell .badge")).to_be_hidden()
    # The notice's link opens the claim.
    reporter.get_by_role("link", name="Changes requested: Containers left").click()
    expect(reporter.locator("h1")).to_contain_text("Containers left Rajin for Dunai.")

    [email] = smtp_inbox.to("rita@example.org")
    assert email["Subject"] == (
        "[Provenance] Changes requested: Containers left Rajin for Dunai."
    )
    text = Inbox.text(email)
    assert f"ed: {COMMENT}" in text
    assert f"/claims/{submitted['claim'].pk}/" in text
    [to_editor] = smtp_inbox.to("ed@example.org")
    assert "Submitted for review" in to_editor["Subject"]
    assert console.errors == []


def test_an_embargoed_claims_email_carries_none_of_its_text(
    smtp_inbox, submitted, new_page, log_in, console
):
    from datetime import timedelta

    from django.utils import timezone

    editor = new_page()
    log_in(editor, "ed")
    editor.goto(submitted["claim"].get_absolute_url())
    editor.get_by_text("Review…").click()
    review = editor.locator("details.review-actions")
    review.locator("textarea").fill("Rajin wagons counted; hold until Friday.")
    later = timezone.now() + timedelta(days=3)
    review.get_by_label("Embargo until (UTC, optional)").fill(
        later.strftime("%Y-%m-%dT%H:%M")
    )
    review.get_by_role("button", name="Approve").click()
    expect(editor.get_by_text("Embargoed until")).to_be_visible()

    [email] = smtp_inbox.to("rita@example.org")
    whole = email.as_string()
    for secret in ("Containers", "Rajin", "Dunai", "wagons", "Friday"):
        assert secret not in whole
    assert email["Subject"] == "[Provenance] Update in Desk"
    assert Inbox.text(email) == (
        "There is an update for you in Provenance (Desk).\n"
        f"http://127.0.0.1:8000/claims/{submitted['claim'].pk}/\n"
    )
    # In the app, behind the team's permissions, the reporter sees what it is.
    reporter = new_page()
    log_in(reporter, "rita")
    reporter.goto("/notifications/")
    expect(reporter.locator("li.notification")).to_contain_text(
        "Approved: Containers left Rajin for Dunai."
    )
    assert console.errors == []
