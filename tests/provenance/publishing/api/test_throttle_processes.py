"""The API throttle holds across web processes: real gunicorn, two sync workers,
requests sent four at a time so both workers answer. With the per-process
local-memory cache each worker counted alone (1,200 answers in 7 s at 600/min)."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from django.db import connection
from rest_framework.authtoken.models import Token

from tests.factories import MembershipFactory, TeamFactory
from tests.provenance.publishing.api.helpers import make_publisher, published

pytestmark = pytest.mark.django_db(transaction=True)

REPO = Path(__file__).resolve().parents[4]
LIMIT = 20
SENT = 3 * LIMIT
# Per hour, so one burst falls in one window (checked, and sent again if not).
RATE = f"{LIMIT}/hour"
READY_SECONDS = 60


@pytest.fixture(autouse=True)
def _audit_table_can_be_flushed():
    """PostgreSQL's append-only trigger allows the post-test TRUNCATE only in a
    session that asks for it."""
    yield
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET provenance.allow_audit_truncate = 'on'")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url_for_servers(tmp_path: Path) -> str:
    """A URL at which other processes read what this test has committed."""
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user, host = settings["USER"], settings["HOST"] or "127.0.0.1"
        return f"postgres://{user}@{host}:{settings['PORT'] or 5432}/{settings['NAME']}"
    # The SQLite test database lives in this process's memory: copy it to a file.
    connection.ensure_connection()
    path = tmp_path / "db.sqlite3"
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return f"sqlite:///{path}"


def status_of(url: str, headers: dict[str, str]) -> int:
    return requests.get(url, headers=headers, timeout=30).status_code


def wait_until_ready(server: subprocess.Popen, base: str) -> None:
    """Poll /healthz; a refused connection or a timeout only means not yet."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:  # refused, reset or timed out alike
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready after {READY_SECONDS} s")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


@pytest.fixture
def gunicorn(tmp_path, request):
    """Start gunicorn with two workers; yields its base URL."""

    def start(cache_url: str) -> str:
        if cache_url:
            # Our own Redis db: no counter from an earlier run (ids repeat) is left.
            redis.Redis.from_url(cache_url).flushdb()
        port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "provenance.settings",
            "DATABASE_URL": database_url_for_servers(tmp_path),
            "CACHE_URL": cache_url,
            "DEBUG": "0",
            "PROVENANCE_TESTING": "1",
            "SECRET_KEY": "throttle-test-only-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1",
            "HTTPS": "0",
            "MEDIA_ROOT": str(tmp_path / "media"),
            "SIGNING_KEY_PATH": str(tmp_path / "signing_key.pem"),
            "LOG_LEVEL": "WARNING",
            "API_PUBLISHER_RATE": RATE,
            "API_MEMBER_RATE": RATE,
        }
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "provenance.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                "2",
                "--timeout",
                "60",
                # Django is imported once, then forked: both workers are up at once.
                "--preload",
            ],
            cwd=REPO,
            env=env,
        )
        request.addfinalizer(lambda: stop(server))
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(server, base)
        return base

    return start


def burst(url: str, headers: dict[str, str]) -> Counter:
    """SENT requests, four at a time, all in one throttle window."""
    for _ in range(2):
        window = int(time.time() // 3600)
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda _: status_of(url, headers), range(SENT)))
        if int(time.time() // 3600) == window:
            return Counter(statuses)
        # The hour turned during the burst: the next one starts a fresh window.
    raise AssertionError("two bursts each straddled an hour")


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.parametrize(
    "cache_url",
    [
        "",
        pytest.param(
            "redis://127.0.0.1:6379/10",
            marks=pytest.mark.skipif(
                not redis_available(), reason="no Redis at 127.0.0.1:6379"
            ),
        ),
    ],
    ids=["database", "redis"],
)
def test_the_api_throttle_holds_across_worker_processes(gunicorn, cache_url):
    team = TeamFactory(slug="throttle-team")
    published(team)
    key = make_publisher(team).key
    member = MembershipFactory(team=team, role="reporter").user
    token = Token.objects.create(user=member).key
    base = gunicorn(cache_url)
    url = f"{base}/api/v1/claims/"

    publisher = burst(url, {"Authorization": f"Api-Key {key}"})
    assert publisher == {200: LIMIT, 429: SENT - LIMIT}
    reporter = burst(url, {"Authorization": f"Token {token}"})
    assert reporter == {200: LIMIT, 429: SENT - LIMIT}
