"""A captured page replays inside the tool (issue 18): a reporter captures the
loopback test page, and its item page frames ReplayWeb.page from the replay
origin, which replays the WACZ and shows the page's own text, the paragraph its
script added included.

The replay origin is another host name of the same live server:
replay.tool.localhost beside the tool's tool.localhost. Same site (a service
worker may not run in a cross-site frame), another origin: the tool's
host-only cookies are not sent to it.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.evidence.captures.site import SCRIPT_TEXT, serve_site
from tests.factories import MembershipFactory, TeamFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REPLAY_WAIT_SECONDS = 30  # a ceiling for the service worker and the first read
CAPTURE_WAIT_MS = 60_000


def _replayed_frame(page, needle: str):
    """The archived page's frame (…/replay/app/w/…mp_/…) once it shows needle,
    else None when the ceiling passes (not ready yet, every time until then)."""
    deadline = time.monotonic() + REPLAY_WAIT_SECONDS
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "/replay/app/w/" not in frame.url:
                continue
            try:
                text = frame.locator("body").inner_text(timeout=1000)
            except Exception:  # noqa: S112 - a frame mid-navigation is not ready yet
                continue
            if needle in text:
                return frame
        page.wait_for_timeout(250)
    return None


def test_a_captured_page_replays_in_its_item_page(
    settings, live_server, new_page, log_in, console, screenshots
):
    team = TeamFactory(name="Desk", slug="desk")
    MembershipFactory(team=team, role="reporter", user__username="rep")
    port = live_server.url.rsplit(":", 1)[1]
    settings.CAPTURE_REPLAY_ORIGIN = f"http://replay.tool.localhost:{port}"
    settings.ALLOWED_HOSTS = [
        *settings.ALLOWED_HOSTS,
        "replay.tool.localhost",
        "tool.localhost",
    ]
    shot = screenshots("replay-")
    with serve_site() as site:
        settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]
        settings.CAPTURE_TIMEOUT_SECONDS = 30
        page = new_page()
        tool = f"http://tool.localhost:{port}"
        # The first request of the live server on this host name (a ceiling).
        page.goto(f"{tool}/login/", timeout=CAPTURE_WAIT_MS)
        log_in(page, "rep", base=tool)
        page.goto(f"{tool}/evidence/add/link/")
        page.get_by_label("URL:", exact=True).fill(site.url("/page"))
        page.get_by_label("Capture the page now:").check()
        # With no broker the capture runs inside the POST: a longer ceiling.
        with page.expect_navigation(timeout=CAPTURE_WAIT_MS):
            page.get_by_role("button", name="Add link").click(no_wait_after=True)
        expect(page.locator("h1")).to_have_text("Harbour statement")

    replay = page.locator("iframe.replay-frame")
    expect(replay).to_have_attribute(
        "src",
        re.compile(rf"^http://replay\.tool\.localhost:{port}/replay/embed/[^/]+/$"),
    )
    # The paragraph the page's script adds on load: the replay ran the script.
    frame = _replayed_frame(page, SCRIPT_TEXT)
    assert frame is not None, [f.url for f in page.frames]
    assert "The vessel left the port on 3 March." in frame.locator("body").inner_text()
    assert frame.url.endswith(site.url("/page"))
    # The records list beside it, from the WACZ's index.
    expect(page.locator("[data-capture-records] summary")).to_contain_text(
        "archived record"
    )
    shot(page, "replayed")
    page.set_viewport_size({"width": 390, "height": 844})
    assert _replayed_frame(page, SCRIPT_TEXT) is not None
    shot(page, "replayed-narrow")
    replay.scroll_into_view_if_needed()
    shot.element(replay, "replay-frame-narrow")
    # What the archive does not hold (the image the capture refused, the
    # favicon the page never had) the replay answers 404, rightly. Anything else
    # (a CSP violation above all) is an error.
    missing = "Failed to load resource: the server responded with a status of 404"
    errors = [e for e in console.errors if not (missing in e and "/replay/app/w/" in e)]
    assert errors == [], "\n".join(errors)
