"""A webhook endpoint on 127.0.0.1 for tests: records every POST it is sent and
answers from a script of status codes, then 200."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self) -> None:
        self.script: list[int] = []
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.accepted: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                code = receiver.script.pop(0) if receiver.script else 200
                receiver.requests.append((dict(self.headers), body, code))
                if code == 200:
                    # An idempotent receiver: the key decides whether it is new.
                    key = self.headers["Idempotency-Key"]
                    receiver.accepted[key] = receiver.accepted.get(key, 0) + 1
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
