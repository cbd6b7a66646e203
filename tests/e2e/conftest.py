"""Browser tests: Playwright (sync API) driving Debian's Chromium against
pytest-django's live server, in the same process.

No browser is downloaded: Chromium comes from the system package
(``apt-get install chromium``). Screenshots land in tests/e2e/artifacts/ (git-ignored),
kept by CI as artefacts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.celery_worker import real_celery_worker  # noqa: F401 - a fixture
from tests.oidc_provider.server import oidc_provider, oidc_site  # noqa: F401 - fixtures

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
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", Path(__file__).parent / "artifacts"))
PASSWORD = "correct-horse-42"
# A bounded wait for pages, clicks and expectations: a ceiling, not a duration.
TIMEOUT_MS = 10_000
VIEWPORT = {"width": 1280, "height": 900}


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} not found: apt-get install chromium"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"Browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def _orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop running in this thread while the
    browser is open, and the ORM calls the tests make (arranging data, the database
    flush) would trip Django's async-safety check. Allowed for this package only:
    the browser closes when it ends, so the rest of the suite keeps the check."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package", autouse=True)
def browser(_orm_beside_playwright) -> Iterator[object]:
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
    """This run's pictures only: earlier ones are removed, so CI keeps what it saw."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in [*ARTIFACTS.glob("*.png"), *ARTIFACTS.glob("*.html")]:
        old.unlink()
    return ARTIFACTS


@dataclass
class ConsoleLog:
    """Console errors and uncaught page errors (CSP violations show up here)."""

    errors: list[str] = field(default_factory=list)

    def watch(self, page) -> None:
        def on_console(msg) -> None:
            if msg.type == "error":
                source = msg.location.get("url") or page.url
                self.errors.append(f"{page.url}: {msg.text} [{source}]")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"{page.url}: {exc}"))


@pytest.fixture
def console() -> ConsoleLog:
    return ConsoleLog()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, for the failure pictures below."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def new_page(
    request, browser, live_server, console, artifacts
) -> Iterator[Callable[[], object]]:
    """A page in its own browser context: one context per person, so the reporter
    and the editor have separate sessions. When the test fails, each page is kept
    as it was (screenshot and HTML) beside the step screenshots."""
    pages = []

    def make():
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        console.watch(page)
        pages.append(page)
        return page

    yield make
    report = getattr(request.node, "report_call", None)
    for number, page in enumerate(pages, start=1):
        if report is not None and report.failed:
            stem = artifacts / f"FAILED-{request.node.name}-{number}"
            page.screenshot(path=f"{stem}.png", full_page=True)
            stem.with_suffix(".html").write_text(page.content())
        page.context.close()


class Screenshots:
    """Full-page screenshots named <prefix><NN>-<step>.png, in step order."""

    def __init__(self, folder: Path, prefix: str = "") -> None:
        self.folder = folder
        self.prefix = prefix
        self.count = 0

    def _next(self, step: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        return self.folder / f"{self.prefix}{self.count:02d}-{slug}.png"

    def __call__(self, page, step: str) -> Path:
        path = self._next(step)
        page.screenshot(path=str(path), full_page=True)
        return path

    def element(self, locator, step: str) -> Path:
        """One element alone (e.g. the timeline), scrolled into view."""
        path = self._next(step)
        locator.screenshot(path=str(path))
        return path


@pytest.fixture
def screenshots(artifacts) -> Callable[[str], Screenshots]:
    return lambda prefix="": Screenshots(artifacts, prefix)


def _log_in(page, username: str, password: str = PASSWORD, base: str = "") -> None:
    """Through the real login form (django-axes counts failures per username+IP);
    ``base``: another host name of the live server than the context's."""
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()


@pytest.fixture
def log_in() -> Callable[..., None]:
    return _log_in
