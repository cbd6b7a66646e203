"""PostgreSQL restarted under a running web process (gunicorn, persistent
connections with health checks): requests fail fast and cleanly while it is down,
nothing half-written survives, and the same process serves again once it is
back, without a restart of its own."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.faults.conftest import REPO, wait_until
from tests.faults.servers import free_port

pytestmark = pytest.mark.faults

# An outage must be answered, not hang: a request that gets no answer within this
# read timeout raises requests.Timeout, which fails the test on its outcome.
REQUEST_TIMEOUT = 15.0


class Web:
    def __init__(self, process: subprocess.Popen, url: str, log: Path) -> None:
        self.process, self.url, self.log_path = process, url, log

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(self, method: str, path: str, token: str, **kwargs) -> tuple:
        """(status, body); a connection error or no answer is a failure too."""
        response = requests.request(
            method,
            self.url + path,
            headers={"Authorization": f"Token {token}"},
            timeout=REQUEST_TIMEOUT,
            **kwargs,
        )
        return response.status_code, response.text


@pytest.fixture
def web(stack, tmp_path) -> Iterator[Web]:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    env = stack.env(
        DEBUG="0",
        SECRET_KEY="fault-tests-only-" + "k" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        HTTPS="0",
        DB_CONN_MAX_AGE="60",  # persistent connections, as in production
        CELERY_BROKER_URL="",
    )
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "provenance.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
            ],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Web(process, f"http://127.0.0.1:{port}", log)

    def healthy() -> bool:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{server.log()[-4000:]}")
        # Not ready yet: refused (not listening), or slower than the probe's
        # timeout (a first request imports and connects on a slow machine). A
        # ReadTimeout is a requests.Timeout, not a ConnectionError.
        try:
            return requests.get(server.url + "/healthz", timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    try:
        wait_until(healthy, timeout=30, what="gunicorn to serve")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_web_requests_fail_cleanly_while_postgres_is_down_and_recover_after(stack, web):
    people = stack.remote("make_team", slug="pg-restart")
    token = stack.remote("api_token", user=people["editor"])

    def create(text: str) -> tuple:
        return web.request("POST", "/api/v1/claims/", token, json={"text": text})

    def listing() -> tuple:
        return web.request("GET", "/api/v1/claims/", token)

    assert listing()[0] == 200
    assert create("Before the restart")[0] == 201
    try:
        # A quick restart between requests: the kept connection is dead, and the
        # health check replaces it before the next request uses it.
        stack.postgres.stop()
        stack.postgres.start()
        assert listing()[0] == 200
        assert create("After a quiet restart")[0] == 201

        stack.postgres.stop()
        for status, body in (listing(), create("During the outage")):
            # Django's own error page (DEBUG off): a clean 500, no details.
            assert status == 500, body[:500]
            assert "<h1>Server Error (500)</h1>" in body
            assert "Traceback" not in body
        # The process is alive and its liveness check does not need the database.
        assert requests.get(web.url + "/healthz", timeout=5).status_code == 200

        stack.postgres.start()
        assert listing()[0] == 200
        assert create("After recovery")[0] == 201
    finally:
        stack.postgres.ensure_running()

    assert web.process.poll() is None, web.log()[-4000:]
    status, body = listing()
    assert status == 200
    facts = stack.remote("team_facts", team=people["team"])
    assert facts == {
        "claims": ["After a quiet restart", "After recovery", "Before the restart"],
        "chain_problems": [],
    }
    assert "During the outage" not in body
