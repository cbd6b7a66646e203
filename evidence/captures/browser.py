"""Capture one web page with headless Chromium (Playwright driving Debian's
``chromium``, never a downloaded browser). No ORM: the service stores what
comes out.

Every request the browser makes — the page, each redirect hop, each
sub-resource — passes through Playwright's request routing, where the address
policy (``evidence.captures.policy``) and the caps on resources, bytes and time
are applied; a refused request is aborted and listed in the summary. WebSockets
are refused (not archived), service workers blocked, downloads refused.

The page is loaded, scrolled to its end to trigger lazy content, left to settle,
and then read: its screenshot (full page, PNG), rendered DOM, text, title, final
URL, status, server address and TLS summary (the screenshot, text and DOM each
cut at a cap, listed in the summary's "truncated"); every exchange goes into the WARC
and the WACZ (``evidence.captures.wacz``).
"""

from __future__ import annotations

import contextlib
import json
import platform
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from evidence.captures import wacz
from evidence.captures.policy import AddressPolicy

TOOL = "Provenance web capture"
TOOL_VERSION = "1.0"
MAX_REDIRECTS = 10
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Scrolls the page one screen at a time to its end (lazy images, infinite lists
# up to the step cap), then back to the top for the screenshot.
_SCROLL = """async ({steps, pauseMs}) => {
  const pause = (ms) => new Promise((done) => setTimeout(done, ms));
  let taken = 0;
  for (; taken < steps; taken++) {
    const before = window.scrollY;
    window.scrollBy(0, window.innerHeight);
    await pause(pauseMs);
    const end = window.innerHeight + window.scrollY >= document.body.scrollHeight;
    if (window.scrollY === before && end) break;
  }
  window.scrollTo(0, 0);
  return taken;
}"""


class CaptureFailed(Exception):
    """The page could not be captured at all (refused, unreachable, timed out)."""

    def __init__(self, message: str, *, summary: dict[str, Any]) -> None:
        super().__init__(message)
        self.summary = summary


@dataclass(frozen=True)
class CaptureOptions:
    viewport_width: int = 1280
    viewport_height: int = 900
    scroll_steps: int = 20
    scroll_pause_ms: int = 150
    settle_ms: int = 500
    timeout_seconds: int = 60
    max_bytes: int = 50 * 1024 * 1024
    max_resources: int = 500
    # What the browser renders is bounded too: a full-page screenshot past this
    # height is cut (Chromium draws nothing useful beyond 16,384 px anyway), and
    # the page's text and rendered DOM are cut at their caps. Each cut is listed
    # in the summary's "truncated".
    max_screenshot_height: int = 16_384
    max_text_chars: int = 2_000_000
    max_dom_bytes: int = 20 * 1024 * 1024
    user_agent: str = ""


@dataclass
class CaptureResult:
    requested_url: str
    final_url: str
    status: int
    title: str
    server_ip: str
    redirects: list[str]
    text: str
    dom_html: bytes
    screenshot_png: bytes
    wacz: bytes
    summary: dict[str, Any]

    def summary_json(self) -> bytes:
        return json.dumps(self.summary, indent=2, sort_keys=True).encode()


@dataclass
class _Recorder:
    policy: AddressPolicy
    options: CaptureOptions
    deadline: float
    allowed: int = 0
    stored_bytes: int = 0
    blocked: list[dict[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    exchanges: list[wacz.Exchange] = field(default_factory=list)
    # The target of the main frame's last redirect, for the capture to follow.
    next_navigation: str = ""
    redirected: set[str] = field(default_factory=set)

    def refusal(self, url: str) -> str:
        if time.monotonic() > self.deadline:
            return f"time cap ({self.options.timeout_seconds} s) reached"
        if self.allowed >= self.options.max_resources:
            return f"resource cap ({self.options.max_resources}) reached"
        if self.stored_bytes >= self.options.max_bytes:
            return f"size cap ({self.options.max_bytes:,} bytes) reached"
        return self.policy.refusal(url)

    def block(self, request: Any, reason: str) -> None:
        self.block_url(request.url, request.resource_type, reason)

    def block_url(self, url: str, resource_type: str, reason: str) -> None:
        self.blocked.append(
            {"url": url, "resource_type": resource_type, "reason": reason}
        )

    def route(self, route: Any) -> None:
        try:
            self._route(route)
        except Exception as exc:
            self.errors.append(f"{route.request.url}: capture error {exc!r}")
            with contextlib.suppress(Exception):  # already answered
                route.abort("failed")

    def _route(self, route: Any) -> None:
        """Fetch an allowed request ourselves with redirects not followed, each
        hop judged by the policy and kept as its own exchange.

        Chromium follows a redirect it is handed without routing the next hop,
        so it is never handed one: a sub-resource's hops are followed here and
        the browser gets the last response; a main-frame navigation's redirect
        aborts it and leaves the target in ``next_navigation`` for the capture
        to navigate to (a new request, routed in turn).
        """
        request = route.request
        reason = self.refusal(request.url)
        if reason:
            self.block(request, reason)
            route.abort("blockedbyclient")
            return
        is_main_navigation = (
            request.is_navigation_request() and request.frame.parent_frame is None
        )
        url = request.url
        for _hop in range(MAX_REDIRECTS + 1):
            fetched = self._fetch(route, request, url)
            if fetched is None:
                route.abort("blockedbyclient")
                return
            status, headers, body = fetched
            location = _header(headers, "location")
            if not (300 <= status < 400 and location):
                route.fulfill(status=status, headers=_joined(headers), body=body)
                return
            target = urljoin(url, location)
            if is_main_navigation:
                self.next_navigation = target
                self.redirected.add(request.url)
                route.abort("aborted")
                return
            reason = self.refusal(target)
            if reason:
                self.block_url(target, request.resource_type, reason)
                route.abort("blockedbyclient")
                return
            url = target
        self.block_url(url, request.resource_type, "too many redirects")
        route.abort("blockedbyclient")

    def _fetch(
        self, route: Any, request: Any, url: str
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """One hop, recorded; None when it failed or passed a cap (recorded)."""
        self.allowed += 1
        remaining_ms = max(1, int((self.deadline - time.monotonic()) * 1000))
        try:
            fetched = route.fetch(url=url, max_redirects=0, timeout=remaining_ms)
            body = fetched.body()
        except Exception as exc:
            self.errors.append(f"{url}: {str(exc).splitlines()[0]}")
            return None
        if self.stored_bytes + len(body) > self.options.max_bytes:
            self.block_url(
                url,
                request.resource_type,
                f"size cap ({self.options.max_bytes:,} bytes) reached",
            )
            return None
        self.stored_bytes += len(body)
        headers = [(h["name"], h["value"]) for h in fetched.headers_array]
        self.exchanges.append(
            wacz.Exchange(
                url=url,
                method=request.method,
                request_headers=[
                    (h["name"], h["value"]) for h in request.headers_array()
                ],
                post_data=request.post_data_buffer or b"",
                status=fetched.status,
                status_text=fetched.status_text,
                response_headers=headers,
                body=body,
                at=datetime.now(UTC),
                server_ip=self.policy.address_of(url),
                resource_type=request.resource_type,
            )
        )
        return fetched.status, headers, body

    def websocket(self, socket: Any) -> None:
        self.blocked.append(
            {
                "url": socket.url,
                "resource_type": "websocket",
                "reason": "WebSockets are not captured",
            }
        )
        socket.close()

    def request_failed(self, request: Any) -> None:
        failure = request.failure or ""
        if "ERR_BLOCKED_BY_CLIENT" in failure or request.url in self.redirected:
            return  # ours: listed with its reason, or a redirect followed
        self.errors.append(f"{request.url}: {failure}")


def _header(headers: list[tuple[str, str]], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "")


def _joined(headers: list[tuple[str, str]]) -> dict[str, str]:
    """Headers for the browser, as the body it gets is already decoded."""
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        if key in ("content-encoding", "transfer-encoding", "content-length"):
            continue
        separator = "\n" if key == "set-cookie" else ", "
        joined[key] = f"{joined[key]}{separator}{value}" if key in joined else value
    return joined


def _navigate(
    page: Any, recorder: _Recorder, url: str, timeout_ms: int
) -> tuple[Any, list[str]]:
    """Go to ``url``, following its redirects one routed navigation at a time:
    (the final response or None, the URLs redirected from)."""
    from playwright.sync_api import Error as PlaywrightError

    redirects: list[str] = []
    for _hop in range(MAX_REDIRECTS + 1):
        recorder.next_navigation = ""
        try:
            return page.goto(url, wait_until="load", timeout=timeout_ms), redirects
        except PlaywrightError as exc:
            if not recorder.next_navigation:
                recorder.errors.append(exc.message.splitlines()[0])
                return None, redirects
        redirects.append(url)
        url = recorder.next_navigation
        reason = recorder.refusal(url)
        if reason:
            recorder.block_url(url, "document", reason)
            recorder.errors.append(f"The page redirects to a refused URL: {reason}")
            return None, redirects
    recorder.errors.append(f"more than {MAX_REDIRECTS} redirects")
    return None, redirects


def capture_page(
    url: str,
    *,
    policy: AddressPolicy,
    options: CaptureOptions | None = None,
    chromium: str = "/usr/bin/chromium",
    requested_by: str = "",
) -> CaptureResult:
    """Load ``url`` in a fresh headless Chromium and keep what it showed.

    Raises CaptureFailed (with the summary so far) when the page itself is
    refused or does not load; refused sub-resources only go into the summary.
    """
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    options = options or CaptureOptions()
    started = datetime.now(UTC)
    clock = time.monotonic()
    recorder = _Recorder(
        policy=policy, options=options, deadline=clock + options.timeout_seconds
    )
    summary: dict[str, Any] = {
        "schema_version": "1.0",
        "tool": TOOL,
        "tool_version": TOOL_VERSION,
        "requested_url": url,
        "requested_by": requested_by,
        "started_at": wacz.iso(started),
        "options": asdict(options),
        "software": {
            **wacz.software_versions(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "bodies": "stored as the browser decoded them (Content-Encoding dropped)",
    }
    refusal = policy.refusal(url)
    if refusal:
        summary["blocked"] = [
            {"url": url, "resource_type": "document", "reason": refusal}
        ]
        summary["errors"] = [f"The page itself is refused: {refusal}"]
        raise CaptureFailed(f"The page is refused: {refusal}", summary=summary)
    # The routes enforce the time cap; the browser's own waits get some grace
    # beyond it, so a capped request ends as refused rather than as a timeout.
    timeout_ms = (options.timeout_seconds + 5) * 1000
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                viewport={
                    "width": options.viewport_width,
                    "height": options.viewport_height,
                },
                service_workers="block",
                accept_downloads=False,
                user_agent=options.user_agent or None,
            )
            context.set_default_timeout(timeout_ms)
            context.route("**/*", recorder.route)
            context.route_web_socket("**/*", recorder.websocket)
            page = context.new_page()
            page.on("requestfailed", recorder.request_failed)
            page.on("pageerror", lambda exc: recorder.errors.append(f"script: {exc}"))
            summary["browser"] = {
                "name": "chromium",
                "version": browser.version,
                "executable": chromium,
            }
            # The time cap runs from the first request (not the browser's start).
            recorder.deadline = time.monotonic() + options.timeout_seconds
            main, redirects = _navigate(page, recorder, url, timeout_ms)
            if main is None:
                summary.update(_tail(recorder, clock))
                reason = recorder.errors[-1] if recorder.errors else "no response"
                raise CaptureFailed(f"The page did not load: {reason}", summary=summary)
            summary["user_agent"] = page.evaluate("navigator.userAgent")
            summary["scroll_steps_taken"] = page.evaluate(
                _SCROLL,
                {"steps": options.scroll_steps, "pauseMs": options.scroll_pause_ms},
            )
            remaining_ms = int((recorder.deadline - time.monotonic()) * 1000)
            # Past the cap every request is refused: nothing is left to wait for
            # (and a timeout of 0 would mean no timeout at all).
            if remaining_ms > 0:
                try:
                    page.wait_for_load_state(
                        "networkidle", timeout=min(remaining_ms, 10_000)
                    )
                except PlaywrightError:
                    recorder.errors.append("the network did not settle before the cap")
            page.wait_for_timeout(options.settle_ms)
            title = page.title()
            dom = page.content().encode()
            text = page.inner_text("body") if page.query_selector("body") else ""
            screenshot, screenshot_cut = _screenshot(page, options)
            final_url = page.url
            status = main.status
        finally:
            browser.close()
    truncated = [screenshot_cut] if screenshot_cut else []
    if len(text) > options.max_text_chars:
        truncated.append(
            {
                "what": "text",
                "reason": f"text cap ({options.max_text_chars:,} characters) "
                f"reached: the page's text has {len(text):,}",
            }
        )
        text = text[: options.max_text_chars]
    if len(dom) > options.max_dom_bytes:
        truncated.append(
            {
                "what": "dom",
                "reason": f"DOM cap ({options.max_dom_bytes:,} bytes) reached: "
                f"the rendered HTML has {len(dom):,}",
            }
        )
        dom = dom[: options.max_dom_bytes]
    done = datetime.now(UTC)
    software = f"{TOOL} {TOOL_VERSION} (warcio {summary['software']['warcio']})"
    page_record = wacz.Page(url=final_url, title=title, text=text, at=started)
    exchanges = list(recorder.exchanges)
    server_ip = policy.address_of(final_url)
    warc = _warc_bytes(exchanges, software=software, url=url)
    package = wacz.build_wacz(
        warc=warc, page=page_record, created=done, software=software, title=title
    )
    summary.update(
        {
            "final_url": final_url,
            "status": status,
            "title": title,
            "server_ip": server_ip,
            "redirects": redirects,
            "resources": len(exchanges),
            "stored_bytes": recorder.stored_bytes,
            "finished_at": wacz.iso(done),
            "truncated": truncated,
            **_tail(recorder, clock),
        }
    )
    return CaptureResult(
        requested_url=url,
        final_url=final_url,
        status=status,
        title=title,
        server_ip=server_ip,
        redirects=redirects,
        text=text,
        dom_html=dom,
        screenshot_png=screenshot,
        wacz=package,
        summary=summary,
    )


def _screenshot(page: Any, options: CaptureOptions) -> tuple[bytes, dict[str, str]]:
    """The full-page PNG, cut at the height cap (and the cut, {} if none)."""
    height = page.evaluate(
        "Math.max(document.documentElement.scrollHeight,"
        " document.body ? document.body.scrollHeight : 0)"
    )
    cap = options.max_screenshot_height
    if height <= cap:
        return page.screenshot(full_page=True, type="png"), {}
    width = page.evaluate("document.documentElement.scrollWidth")
    clip = {"x": 0, "y": 0, "width": max(1, width), "height": cap}
    cut = {
        "what": "screenshot",
        "reason": f"screenshot cap ({cap:,} px high) reached: the page is "
        f"{height:,} px high",
    }
    return page.screenshot(full_page=True, clip=clip, type="png"), cut


def _tail(recorder: _Recorder, clock: float) -> dict[str, Any]:
    return {
        "blocked": list(recorder.blocked),
        "errors": list(recorder.errors),
        "duration_seconds": round(time.monotonic() - clock, 3),
    }


def _warc_bytes(exchanges: list[wacz.Exchange], *, software: str, url: str) -> bytes:
    import io

    out = io.BytesIO()
    wacz.write_warc(
        out,
        exchanges,
        software=software,
        info={"format": "WARC File Format 1.1", "isPartOf": url},
    )
    return out.getvalue()
