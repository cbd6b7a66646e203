"""Issue 15, items 1 and 4 in a real browser, from the reporter's and the editor's
side: a statement linked wrongly (Supports, with the stance Denies) is corrected
with a reason, a wrong photo is unlinked, the as-of view of an earlier day still
shows the links as they were; then the editor requests changes from the queue
(which shows the reporter's submission comment and its age) and the reporter sees
the banner with the comment. Screenshots at 1280 and 390 px.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from provenance.claims import services
from provenance.claims.models import Claim, ClaimEvidence, ClaimStatus
from tests.factories import (
    EvidenceItemFactory,
    MembershipFactory,
    StatementFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
DENIAL = "Owner's statement"
WRONG_PHOTO = "Photo of another ship"


@pytest.fixture
def desk(db):
    """A draft recorded three days ago with a good photo, a photo of another ship
    and a denial linked as Supports (confirmed by mistake), and an assessment."""
    team = TeamFactory(name="Desk", slug="desk")
    reporter = MembershipFactory(team=team, role="reporter", user__username="rita").user
    MembershipFactory(team=team, role="editor", user__username="ed")
    then = timezone.now() - timedelta(days=3)
    claim = services.claim_create(
        team=team, actor=reporter, text="Containers left Rajin.", at=then
    )
    good = EvidenceItemFactory(team=team, kind="image", title="Quay photo")
    wrong = EvidenceItemFactory(team=team, kind="image", title=WRONG_PHOTO)
    denial = StatementFactory(
        item=EvidenceItemFactory(team=team, kind="statement", title=DENIAL),
        quote="We decline to comment on cargo.",
    )
    for item, relation, stance in [
        (good, "supports", ""),
        (wrong, "supports", ""),
        (denial.item, "supports", "denies"),
    ]:
        services.evidence_attach(
            claim_id=claim.pk,
            item_id=item.pk,
            actor=reporter,
            relation=relation,
            stance=stance,
            confirm_contradiction=bool(stance),
            reason="Read as a confirmation" if stance else "",
            at=then,
        )
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="A photo.", at=then
    )
    return {"claim": claim, "then": then}


def evidence_row(page: Page, title: str):
    evidence = page.get_by_role("heading", name="Evidence", exact=True)
    return evidence.locator("xpath=following-sibling::ul[1]/li").filter(has_text=title)


def change_link(page: Page, title: str):
    return evidence_row(page, title).get_by_role("link", name="Change…")


def both_widths(page: Page, shot, step: str) -> None:
    """A screenshot at 1280 px and one at 390 px; the page never scrolls sideways
    on the phone."""
    page.set_viewport_size(DESKTOP)
    shot(page, f"{step}-1280")
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    shot(page, f"{step}-390")
    page.set_viewport_size(DESKTOP)


def test_reporter_corrects_links_and_sees_the_editors_request(
    desk, new_page, log_in, screenshots, console
):
    shot = screenshots("links-")
    claim = desk["claim"]
    claim_url = f"/claims/{claim.pk}/"
    reporter = new_page()
    log_in(reporter, "rita")
    reporter.goto(claim_url)
    expect(evidence_row(reporter, DENIAL)).to_contain_text("contradictory, confirmed")
    both_widths(reporter, shot, "wrong-links")

    # 1. The denial was linked as Supports: change its stance and relation, with why.
    change_link(reporter, DENIAL).click()
    expect(reporter.get_by_role("heading", name="Change evidence link")).to_be_visible()
    change = reporter.locator("form.link-change")
    change.get_by_label("Relation").select_option(label="Context")
    change.get_by_label("Stance").select_option(label="Declines to comment")
    change.get_by_label("Why the change").fill("They declined to comment; no denial.")
    both_widths(reporter, shot, "change-form")
    change.get_by_role("button", name="Save change").click()
    expect(reporter.get_by_text("Link changed.")).to_be_visible()
    row = evidence_row(reporter, DENIAL)
    expect(row).to_contain_text("Context")
    expect(row).to_contain_text("Declines to comment")
    expect(row).to_contain_text("Why: They declined to comment; no denial.")

    # 2. The photo of another ship is unlinked, with why.
    change_link(reporter, WRONG_PHOTO).click()
    unlink = reporter.locator("form.link-unlink")
    unlink.get_by_label("Why unlink it").fill("It shows the Sofia, not the Angara.")
    unlink.get_by_role("button", name="Unlink").click()
    expect(reporter.get_by_text("Link removed.")).to_be_visible()
    expect(evidence_row(reporter, WRONG_PHOTO)).to_have_count(0)
    ended = reporter.locator("details.ended-links")
    ended.locator("summary").click()
    expect(ended).to_contain_text("Changed and unlinked links (2)")
    expect(ended).to_contain_text("It shows the Sofia, not the Angara.")
    both_widths(reporter, shot, "links-corrected")

    # 3. As of two days ago, the team still had the links as they were then.
    day = (desk["then"] + timedelta(days=1)).date().isoformat()
    reporter.goto(f"{claim_url}?as_of={day}")
    expect(evidence_row(reporter, WRONG_PHOTO)).to_have_count(1)
    expect(evidence_row(reporter, DENIAL)).to_contain_text("Supports")
    expect(evidence_row(reporter, DENIAL)).to_contain_text("Denies")
    expect(change_link(reporter, DENIAL)).to_have_count(0)
    both_widths(reporter, shot, "as-of-before")

    # 4. Submit with a comment; the reporter is told only the rules that are theirs.
    reporter.goto(claim_url)
    reporter.get_by_text("Review…").click()
    review = reporter.locator("details.review-actions")
    expect(review).to_contain_text("optional: the editors see it in the queue")
    expect(review).not_to_contain_text("retract")
    review.locator("textarea").fill("Fixed two links; the AIS file is next.")
    review.get_by_role("button", name="Submit for review").click()
    expect(reporter.get_by_text("Submit for review: done.")).to_be_visible()

    # 5. The editor sees the comment and how long it has waited, asks for changes.
    editor = new_page()
    log_in(editor, "ed")
    editor.goto("/review/")
    row = editor.locator("table.review-queue tbody tr").filter(has_text="Rajin")
    expect(row).to_contain_text("rita wrote: Fixed two links; the AIS file is next.")
    expect(row.locator("time")).to_have_text(re.compile(r"^\d+\xa0minutes?$"))
    both_widths(editor, shot, "queue")
    row.locator("textarea").fill("Add the port authority's reply before approval.")
    row.get_by_role("button", name="Request changes").click()
    expect(editor.get_by_text("Request changes: done.")).to_be_visible()

    # 6. The reporter sees the banner with the editor's comment.
    reporter.reload()
    banner = reporter.locator(".changes-requested")
    expect(banner).to_contain_text("Changes requested by ed")
    expect(banner).to_contain_text("Add the port authority's reply before approval.")
    expect(banner).to_contain_text("edit the claim, then submit it for review again")
    both_widths(reporter, shot, "changes-requested")
    reporter.goto("/review/")
    expect(reporter.locator("table tbody tr").filter(has_text="Rajin")).to_contain_text(
        "Changes requested by ed"
    )

    current = ClaimEvidence.objects.current().filter(claim=claim)
    assert sorted(current.values_list("item__title", "relation", "stance")) == [
        (DENIAL, "context", "declines_to_comment"),
        ("Quay photo", "supports", ""),
    ]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT
    assert console.errors == []
