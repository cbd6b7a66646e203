"""What the browser renders is bounded as well as what it fetches (issue 18):
the screenshot, the text and the DOM are cut at their caps, each cut listed in
the summary (Chromium, loopback site)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from evidence.captures.browser import CaptureOptions, capture_page
from evidence.captures.policy import AddressPolicy
from tests.evidence.captures.site import TALL_HEIGHT

pytestmark = pytest.mark.e2e


def test_the_screenshot_text_and_dom_are_cut_at_their_caps_and_say_so(site, chromium):
    """One capture for the three caps (each capture launches Chromium)."""
    captured = capture_page(
        site.url("/tall"),
        policy=AddressPolicy.allowing([site.host]),
        options=CaptureOptions(
            timeout_seconds=30,
            scroll_pause_ms=20,
            scroll_steps=2,
            settle_ms=100,
            max_screenshot_height=1000,
            max_text_chars=50,
            max_dom_bytes=200,
        ),
        chromium=chromium,
    )

    with Image.open(io.BytesIO(captured.screenshot_png)) as shot:
        assert shot.height == 1000
    assert captured.text == ("Line of the tall page. " * 3)[:50]
    assert len(captured.dom_html) == 200
    assert captured.summary["truncated"] == [
        {
            "what": "screenshot",
            "reason": f"screenshot cap (1,000 px high) reached: the page is "
            f"{TALL_HEIGHT:,} px high",
        },
        {
            "what": "text",
            "reason": "text cap (50 characters) reached: the page's text has 919",
        },
        {
            "what": "dom",
            "reason": captured.summary["truncated"][2]["reason"],
        },
    ]
    assert captured.summary["truncated"][2]["reason"].startswith(
        "DOM cap (200 bytes) reached: the rendered HTML has "
    )
