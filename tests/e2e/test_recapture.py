"""Capture again, then compare (issue 18): a reporter captures the port's
notice, the notice changes, "Capture again" keeps a second version, and the
diff page shows what changed, unified and side by side, at 1280 and 390 px.

The second test follows a capture run by a real Celery worker (PostgreSQL and
Redis): the open page shows it pending and turns done by its own polling,
with capture 2 listed, without being reloaded."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from evidence.models import EvidenceItem
from tests.celery_worker import allow_audit_flush, running_worker
from tests.evidence.captures.site import serve_site
from tests.factories import MembershipFactory, TeamFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# A ceiling for the worker's capture and the page's polling, not a duration.
CAPTURE_TIMEOUT_MS = 90_000
UNIFIED = [
    "@@ -1,4 +1,5 @@",
    " Port authority notice",
    "-The vessel left berth 4 at 06:10.",
    "+The vessel left berth 4 at 07:45.",
    " Cargo: 12,000 t of grain.",
    " Contact: the press office.",
    "+Correction <script>alert(1)</script> issued on 4 March.",
]


def _fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


def test_capture_again_then_the_diff_shows_the_change(
    settings, new_page, log_in, console, screenshots
):
    team = TeamFactory(name="Desk", slug="desk")
    MembershipFactory(team=team, role="reporter", user__username="rep")
    shot = screenshots("recapture-")
    with serve_site() as site:
        settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]
        settings.CAPTURE_TIMEOUT_SECONDS = 30
        page = new_page()
        log_in(page, "rep")
        page.goto("/evidence/add/link/")
        page.get_by_label("URL:", exact=True).fill(site.url("/notice"))
        page.get_by_label("Capture the page now:").check()
        page.get_by_role("button", name="Add link").click()
        expect(page.locator("h1")).to_have_text("Port notice")
        expect(page.locator("[data-capture-number]")).to_have_count(1)

        site.next_edition()
        page.get_by_role("button", name="Capture again").click()
        expect(page.locator("[data-capture-number]")).to_have_count(2)
        expect(page.locator("[data-capture-number]").first).to_contain_text(
            "Capture 2 · "
        )
        expect(page.locator("[data-capture-asked]").first).to_contain_text("by rep")
        shot(page, "two captures")

        page.get_by_role("link", name="Compare captures").click()
        expect(page.locator("h1")).to_have_text("Changes between captures")
        unified = page.locator("[data-diff=unified]")
        assert unified.inner_text().splitlines() == UNIFIED
        expect(page.locator("[data-diff-counts]")).to_have_text("+2 −1")
        assert _fits(page)
        shot(page, "diff unified 1280")

        page.get_by_label("Side by side").check()
        page.get_by_role("button", name="Compare").click()
        changed = page.locator("[data-diff=side] tr.changed")
        expect(changed).to_have_count(1)
        expect(changed.locator("td.old")).to_have_text(
            "The vessel left berth 4 at 06:10."
        )
        expect(changed.locator("td.new")).to_have_text(
            "The vessel left berth 4 at 07:45."
        )
        shot(page, "diff side 1280")

        page.set_viewport_size(PHONE)
        assert _fits(page)
        shot(page, "diff side 390")
        page.get_by_label("Unified").check()
        page.get_by_role("button", name="Compare").click()
        assert page.locator("[data-diff=unified]").inner_text().splitlines() == UNIFIED
        assert _fits(page)
        shot(page, "diff unified 390")
    assert console.errors == []


def test_the_page_follows_a_capture_run_by_a_real_worker(
    settings, tmp_path, new_page, log_in, console, screenshots
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker reads the test database")
    team = TeamFactory(name="Desk", slug="desk")
    MembershipFactory(team=team, role="reporter", user__username="rep")
    shot = screenshots("recapture-poll-")
    with serve_site() as site:
        settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]
        try:
            with running_worker(
                media_root=Path(settings.MEDIA_ROOT),
                database=connection.settings_dict,
                log_dir=tmp_path,
                extra_env={
                    "CAPTURE_ALLOWED_PRIVATE_HOSTS": site.host,
                    "CAPTURE_TIMEOUT_SECONDS": "30",
                },
            ) as worker:
                page = new_page()
                log_in(page, "rep")
                page.goto("/evidence/add/link/")
                page.get_by_label("URL:", exact=True).fill(site.url("/notice"))
                page.get_by_label("Capture the page now:").check()
                page.get_by_role("button", name="Add link").click()
                state = page.locator("#processing [data-state]")
                expect(state).to_have_text("Done", timeout=CAPTURE_TIMEOUT_MS)
                item = EvidenceItem.objects.get()

                site.next_edition()
                # Paused, so the page surely starts pending and only its
                # polling can show the result.
                os.kill(worker.process.pid, signal.SIGSTOP)
                try:
                    page.get_by_role("button", name="Capture again").click()
                    expect(page).to_have_url(
                        page.url.split("/evidence/")[0] + item.get_absolute_url()
                    )
                    expect(state).to_have_text("Pending")
                    expect(page.locator("[data-capture-number]").first).to_contain_text(
                        "Capture 2 · requested"
                    )
                    shot(page, "pending")
                    page.evaluate("window.__notReloaded = true")
                finally:
                    os.kill(worker.process.pid, signal.SIGCONT)

                expect(state).to_have_text("Done", timeout=CAPTURE_TIMEOUT_MS)
                expect(page.locator("[data-capture-compare]")).to_be_visible()
                expect(page.locator("[data-final-url]").first).to_have_text(
                    site.url("/notice")
                )
                shot(page, "done")
                assert page.evaluate("window.__notReloaded") is True
        finally:
            allow_audit_flush()
    assert console.errors == []
