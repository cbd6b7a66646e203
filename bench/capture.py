"""Web capture against a bare Playwright page load, in the same run (issue 18).

Both sides launch Debian's Chromium, load the tests' local site (a redirect, an
image, a script-added paragraph, a refused sub-resource) on loopback and take a
full-page screenshot; the capture also routes and judges every request, keeps
every exchange, scrolls, reads the DOM and text and builds the WACZ. Rounds
alternate the two so drift hits both alike. Target: capture ≤ 2× bare.

    python bench/capture.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evidence.captures.browser import (  # noqa: E402
    CHROMIUM_ARGS,
    CaptureOptions,
    capture_page,
)
from evidence.captures.policy import AddressPolicy  # noqa: E402
from tests.evidence.captures.site import serve_site  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def bare(url: str) -> float:
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(url, wait_until="load")
        page.screenshot(full_page=True, type="png")
        browser.close()
    return time.perf_counter() - start


def captured(url: str, host: str, options: CaptureOptions) -> float:
    start = time.perf_counter()
    capture_page(
        url, policy=AddressPolicy.allowing([host]), options=options, chromium=CHROMIUM
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    # The default options (scroll pauses, settle time) as deployed, and without
    # the fixed waits, which show what routing and archiving cost by themselves.
    variants = {
        "capture (default options)": CaptureOptions(),
        "capture (no scroll/settle waits)": CaptureOptions(
            scroll_pause_ms=0, settle_ms=0
        ),
    }
    with serve_site() as site:
        url = site.url("/old")
        bare(url)  # warm the disk cache for both sides
        times: dict[str, list[float]] = {"bare goto + screenshot": []}
        times.update({name: [] for name in variants})
        for _ in range(args.rounds):
            times["bare goto + screenshot"].append(bare(url))
            for name, options in variants.items():
                times[name].append(captured(url, site.host, options))
    base = statistics.median(times["bare goto + screenshot"])
    print(f"{'':36} {'median s':>9} {'min s':>7} {'ratio':>6}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:36} {median:9.3f} {min(values):7.3f} {median / base:6.2f}")


if __name__ == "__main__":
    main()
