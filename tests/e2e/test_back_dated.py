"""Issue 15, problem 2 in a real browser: a claim recorded today about events of
2023. The reporter sees a 2023 timeline, switches to the recording axis, narrows
the window, and looks at the claim as of a 2023 date before it was recorded.
Screenshots at 1280 and 390 px."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import MembershipFactory, TeamFactory
from tests.provenance.claims.test_back_dated import make_back_dated_claim

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def story(db):
    team = TeamFactory(name="Investigations", slug="investigations")
    people = {
        role: MembershipFactory(team=team, role=kind, user__username=role).user
        for role, kind in (("rita", "reporter"), ("ed", "editor"), ("eve", "editor"))
    }
    return make_back_dated_claim(team, people["rita"], people["ed"], people["eve"])


def tick_labels(page) -> list[str]:
    return page.locator(
        ".timeline-chart svg > text[text-anchor=middle]"
    ).all_text_contents()


@pytest.mark.parametrize("width", [1280, 390])
def test_back_dated_claim_reads_as_2023(story, new_page, log_in, screenshots, width):
    shot = screenshots(f"back-dated-{width}-")
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "rita")
    page.goto(f"/claims/{story.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(story.text)
    labels = tick_labels(page)
    assert labels[0] == "20 Aug 2023"
    assert str(timezone.now().year) not in " ".join(labels)
    expect(page.locator(".timeline-chart")).to_contain_text(
        "4 later events pinned to the right edge (listed below)"
    )
    expect(page.locator(".notice.correction")).to_have_text(
        "Correction: the port is Rajin, not Najin."
    )
    assert page.evaluate("document.documentElement.scrollWidth") == width
    shot(page, "happened-axis")

    page.get_by_label("when we recorded them").check()
    page.get_by_role("button", name="Redraw").click()
    assert str(timezone.now().year) in tick_labels(page)[0]
    expect(page.locator(".timeline")).to_contain_text(
        "Every event sits at the day the team recorded it."
    )
    shot(page, "recorded-axis")

    page.get_by_label("when they happened").check()
    page.get_by_label("From:", exact=True).fill("2023-10-01")
    page.get_by_label("To:", exact=True).fill("2023-10-31")
    page.get_by_role("button", name="Redraw").click()
    expect(page.locator("[data-outside]")).to_have_attribute("data-outside", "5")
    shot(page, "october-window")

    page.get_by_label("As of:", exact=True).fill("2023-10-20")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Not yet recorded on 20 Oct 2023"
    )
    expect(page.get_by_role("link", name="Add evidence")).to_have_count(0)
    expect(page.locator(".timeline-chart")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") == width
    shot(page, "as-of-before-creation")


def test_dossier_from_the_claim_page_and_print_without_controls(
    story, new_page, log_in, screenshots
):
    shot = screenshots("dossier-")
    page = new_page()
    log_in(page, "ed")
    page.goto(f"/claims/{story.pk}/")
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("button", name="Redraw")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "claim-page-printed")
    page.emulate_media(media="screen")
    page.get_by_role("link", name="Dossier").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(story.text)
    expect(page.locator(".integrity")).to_contain_text("Audit chain head")
    shot(page, "dossier-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") == 390
    shot(page, "dossier-390")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    assert download.value.suggested_filename == f"claim-{story.pk}-dossier.pdf"
