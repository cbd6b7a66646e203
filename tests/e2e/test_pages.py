"""Every page loads in Chromium without console errors or uncaught script errors.

The app's Content Security Policy is strict (script-src 'self' + nonce, style-src
'self', no inline style attributes): Chromium reports each violation as a console
error, so a page that breaks the policy fails here.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from evidence.models import EvidenceItem
from provenance.claims import services
from provenance.entities.models import EntityKind
from tests.factories import (
    ClaimEvidenceFactory,
    EntityFactory,
    EvidenceItemFactory,
    MembershipFactory,
    StatementFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def desk(db):
    """A team with a claim that has evidence, a denial and an assessment."""
    team = TeamFactory(name="Desk", slug="desk")
    reporter = MembershipFactory(team=team, role="reporter", user__username="rita").user
    MembershipFactory(team=team, role="editor", user__username="ed")
    vessel = EntityFactory(
        team=team, kind=EntityKind.VESSEL, name="Angara", slug="angara"
    )
    speaker = EntityFactory(
        team=team, kind=EntityKind.PERSON, name="Pak Myong-ho", slug="pak"
    )
    claim = services.claim_create(
        team=team, actor=reporter, text="Containers left Rajin.", subjects=[vessel]
    )
    ClaimEvidenceFactory(claim=claim, item__title="Port webcam archive")
    statement = StatementFactory(
        item=EvidenceItemFactory(team=team, kind="statement", title="Denial"),
        speaker=speaker,
    )
    ClaimEvidenceFactory(
        claim=claim, item=statement.item, relation="contradicts", stance="denies"
    )
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="Two sources."
    )
    services.claim_transition(claim_id=claim.pk, decision="submit", actor=reporter)
    return {"claim": claim, "statement": statement}


def visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == 200, f"{url} answered {response.status}"


def test_pages_load_without_console_errors(
    desk, new_page, log_in, console, screenshots
):
    shot = screenshots("pages-")
    claim = desk["claim"].pk
    reporter = new_page()
    visit(reporter, "/login/")
    log_in(reporter, "rita")
    for url in [
        "/",
        "/?q=Rajin&status=in_review",
        f"/claims/{claim}/",
        f"/claims/{claim}/?as_of=2000-01-01",
        f"/claims/{claim}/edit/",
        f"/claims/{claim}/evidence/",
        f"/claims/{claim}/evidence/add/image/",
        f"/claims/{claim}/evidence/add/statement/",
        f"/claims/{claim}/evidence/add/document/",
        f"/claims/{claim}/evidence/add/link/",
        f"/claims/{claim}/evidence/add/ais/",
        "/claims/new/",
        "/evidence/",
        "/evidence/add/image/",
        "/evidence/add/ais/",
        f"/evidence/{desk['statement'].item_id}/",
        "/entities/",
        "/entities/new/",
        "/entities/angara/",
        "/map/",  # Leaflet and the land layer under the strict CSP (issue 21)
        "/review/",
    ]:
        visit(reporter, url)
    # Swagger UI fetches the schema and renders it with script: wait for it.
    visit(reporter, "/api/v1/docs/")
    expect(reporter.locator(".swagger-ui .info")).to_be_visible()
    reporter.wait_for_load_state("networkidle")
    shot(reporter, "api-docs")

    editor = new_page()
    log_in(editor, "ed")
    visit(editor, "/review/")
    visit(editor, f"/claims/{claim}/")
    editor.get_by_text("Review…").click()
    expect(editor.get_by_role("button", name="Approve")).to_be_visible()
    shot(editor, "review-menu")
    assert console.errors == []


def test_the_console_watch_sees_a_csp_violation(desk, new_page, log_in, console):
    """Guard for the test above: an inline style attribute is refused by the CSP and
    reported, so an empty error list means something."""
    page = new_page()
    log_in(page, "rita")
    with page.expect_console_message(lambda msg: msg.type == "error"):
        page.evaluate("document.body.setAttribute('style', 'color: red')")
    assert page.evaluate("document.body.style.color") == ""
    assert len(console.errors) == 1
    assert "Content Security Policy" in console.errors[0]


def test_no_page_is_wider_than_a_phone(desk, new_page, log_in, screenshots):
    """At 390 px a wide table scrolls inside its frame; the page itself never scrolls
    sideways (the custody table and the review queue's hidden labels once made it
    414 and 624 px wide)."""
    shot = screenshots("phone-")
    claim = desk["claim"].pk
    # Real addresses are long and have no spaces to break at.
    EvidenceItem.objects.filter(pk=desk["statement"].item_id).update(
        url="https://www.example.org/news/2023/10/13/north-korea-denies-arms-"
        "shipments-to-russia-after-white-house-release-0123456789abcdef"
    )
    editor = new_page()
    editor.set_viewport_size({"width": 390, "height": 844})
    log_in(editor, "ed")
    widths = {}
    for url in [
        "/",
        f"/claims/{claim}/",
        "/evidence/",
        f"/evidence/{desk['statement'].item_id}/",
        "/entities/",
        "/entities/angara/",
        "/review/",
        f"/claims/{claim}/versions/",
        f"/claims/{claim}/dossier/",
        "/glossary/",
        "/claims/new/",
    ]:
        visit(editor, url)
        widths[url] = editor.evaluate("document.documentElement.scrollWidth")
    shot(editor, "review-queue")
    assert widths == dict.fromkeys(widths, 390)
