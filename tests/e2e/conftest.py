"""Browser tests: Playwright (sync API) driving Debian's Chromium against
pytest-django's live server, in the same process.

No browser is downloaded: Chromium comes from the system package
(``apt-get install chromium``). Screenshots land in tests/e2e/artifacts/ (git-ignored),
kept by CI as artefacts.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests
# make while arranging data would otherwise trip Django's async-safety check.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "correct-horse-42"
# Bounded waits, ceilings not expected durations: pages and clicks, and evidence
# processing (eager in the live server's thread, or a worker's in CI).
TIMEOUT_MS = 10_000
PROCESSING_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1280, "height": 900}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found: apt-get install chromium"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"Browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """A fresh artefact folder per run, so CI keeps only this run's pictures."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@dataclass
class ConsoleLog:
    """Console errors and uncaught page errors (CSP violations show up here)."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"{page.url}: console.{msg.type}: {msg.text}")
                if msg.type == "error"
                else None
            ),
        )
        page.on(
            "pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}")
        )


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.fixture
def new_page(browser, live_server, console) -> Iterator[Callable[[], object]]:
    """A page in its own browser context: one context per person, so the reporter
    and the editor have separate sessions."""
    contexts = []

    def make():
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        console.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()


class Screenshots:
    """Full-page screenshots named <prefix><NN>-<step>.png, in step order."""

    def __init__(self, folder: Path, prefix: str = "") -> None:
        self.folder = folder
        self.prefix = prefix
        self.count = 0

    def __call__(self, page, step: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{self.prefix}{self.count:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def screenshots(artifacts) -> Callable[[str], Screenshots]:
    return lambda prefix="": Screenshots(artifacts, prefix)


def _log_in(page, username: str, password: str = PASSWORD) -> None:
    """Through the real login form (django-axes counts failures per username+IP)."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


@pytest.fixture
def log_in() -> Callable[..., None]:
    return _log_in
