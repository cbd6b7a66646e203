"""A small web site served on loopback by the tests: a page with an image, a
paragraph its script adds after load, a redirect to it, and a sub-resource on
another loopback host name that the capture must refuse; and a notice
(/notice) whose text changes when the test moves it to its next edition."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A 1×1 PNG (red), as the page's image.
PIXEL_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108020000009077"
    "53de0000000c4944415408d763f8cfc0000003010100c9fe92ef0000000049"
    "454e44ae426082"
)
# /slow.png answers after this long, past a 1-second time cap.
SLOW_SECONDS = 2
SCRIPT_TEXT = "This paragraph was added by the page's script."
PAGE = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Harbour statement</title></head>
<body>
<h1>Harbour statement</h1>
<p>The vessel left the port on 3 March.</p>
<img src="/pixel.png" alt="pixel" width="10" height="10">
<img src="http://localhost:%(port)d/elsewhere.png" alt="elsewhere">
<script src="/late.js"></script>
</body></html>
"""
LATE_JS = (
    "window.addEventListener('load', () => {"
    " const p = document.createElement('p'); p.id = 'late';"
    f" p.textContent = {SCRIPT_TEXT!r}; document.body.appendChild(p); }});"
).encode()


# The notice's editions: the second changes the time, adds a correction and a
# line that looks like markup (shown as text, never as HTML).
NOTICE_EDITIONS = (
    [
        "Port authority notice",
        "The vessel left berth 4 at 06:10.",
        "Cargo: 12,000 t of grain.",
        "Contact: the press office.",
    ],
    [
        "Port authority notice",
        "The vessel left berth 4 at 07:45.",
        "Cargo: 12,000 t of grain.",
        "Contact: the press office.",
        "Correction <script>alert(1)</script> issued on 4 March.",
    ],
)


# A page far taller than a screenshot may be, with a long text.
TALL_HEIGHT = 5000
TALL_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Tall</title></head>"
    f"<body style='margin:0'><div style='height:{TALL_HEIGHT}px'>"
    + "Line of the tall page. " * 40
    + "</div></body></html>"
).encode()


def notice_page(edition: int) -> bytes:
    from html import escape

    lines = "".join(f"<div>{escape(line)}</div>" for line in NOTICE_EDITIONS[edition])
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Port notice</title></head><body>{lines}</body></html>"
    ).encode()


@dataclass
class Site:
    host: str
    port: int
    hits: list[str]
    # Which edition of /notice is served (index into NOTICE_EDITIONS).
    state: dict[str, int]
    scheme: str = "http"

    def next_edition(self) -> None:
        self.state["edition"] += 1

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    hits: list[str]
    state: dict[str, int]

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet tests

    def do_GET(self) -> None:
        self.hits.append(f"{self.headers.get('Host')}{self.path}")
        port = self.server.server_address[1]
        if self.path == "/slow.png":
            time.sleep(SLOW_SECONDS)  # past the test's time cap
        if self.path == "/slow":
            # Once the slow image is over, the page asks for one more.
            body = (
                b"<!doctype html><title>Slow</title><img src=/slow.png"
                b" onerror=\"new Image().src='/pixel.png?after'\""
                b" onload=\"new Image().src='/pixel.png?after'\">"
            )
            self._send("text/html", body)
            return
        if self.path in ("/old", "/away"):
            # /away leaves for another host name of this server (refused).
            target = "/page" if self.path == "/old" else f"http://localhost:{port}/page"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        routes = {
            "/tall": ("text/html; charset=utf-8", TALL_PAGE),
            "/notice": (
                "text/html; charset=utf-8",
                notice_page(self.state["edition"]),
            ),
            "/slow.png": ("image/png", PIXEL_PNG),
            "/page": ("text/html; charset=utf-8", PAGE % {b"port": port}),
            "/pixel.png": ("image/png", PIXEL_PNG),
            "/elsewhere.png": ("image/png", PIXEL_PNG),
            "/late.js": ("text/javascript", LATE_JS),
        }
        if self.path == "/":
            routes["/"] = routes["/page"]
        if self.path not in routes:
            self.send_error(404)
            return
        self._send(*routes[self.path])

    def _send(self, mime: str, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (the capture's time cap) is not the site's error.
        pass


@contextmanager
def serve_site(tls: ssl.SSLContext | None = None) -> Iterator[Site]:
    """The site on 127.0.0.1 (a spare port); over HTTPS with ``tls``."""
    hits: list[str] = []
    state = {"edition": 0}
    handler = type("Handler", (_Handler,), {"hits": hits, "state": state})
    server = _Server(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(
            host="127.0.0.1",
            port=server.server_address[1],
            hits=hits,
            state=state,
            scheme="https" if tls else "http",
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
