"""Fixtures for fault tests: a private PostgreSQL and Redis for the session, and a
``stack`` per test to run workers, the web app and remote steps against them.

Nothing here uses the test process's own database or the machine's shared
servers, so the fault tests run the same whatever DATABASE_URL says. Without the
server binaries they skip with the reason; with CI=true they fail instead.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.celery_worker import WorkerHandle, running_worker
from tests.faults.remote import RESULT_MARK
from tests.faults.servers import PrivatePostgres, PrivateRedis, ServerUnavailable

REPO = Path(__file__).resolve().parents[2]
DATABASE = "provenance"
TEST_TIME_LIMIT = 150  # seconds; a hung fault test fails instead of hanging CI
REMOTE_TIMEOUT = 60


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"fault tests must run in CI, but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _hard_time_limit():
    """SIGALRM ends a test stuck in a wait or a subprocess call, loudly."""

    def expired(signum, frame):
        raise TimeoutError(f"fault test exceeded its {TEST_TIME_LIMIT} s limit")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(TEST_TIME_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def base_env(postgres: PrivatePostgres, media_root: Path, **extra: str) -> dict:
    """Environment of every process of the private stack (web, worker, remote)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "provenance.settings",
        "DATABASE_URL": postgres.url(DATABASE),
        "MEDIA_ROOT": str(media_root),
        "SIGNING_KEY_PATH": str(media_root.parent / "signing_key.pem"),
        "PROVENANCE_TESTING": "1",
        "WEBHOOK_ALLOW_PRIVATE": "1",
        "WEBHOOK_TIMEOUT_SECONDS": "5",
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("CELERY_BROKER_URL", None)
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def private_postgres(tmp_path_factory) -> Iterator[PrivatePostgres]:
    """One PostgreSQL 15 for the session, migrated once (about 15 s)."""
    try:
        server = PrivatePostgres()
    except ServerUnavailable as exc:
        _unavailable(str(exc))
    try:
        server.init()
        server.start()
        server.create_database(DATABASE)
        media = tmp_path_factory.mktemp("faults-migrate")
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=REPO,
            env=base_env(server, media),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"migrate on the private PostgreSQL failed:\n{result.stderr}")
        yield server
    finally:
        server.destroy()


@pytest.fixture(scope="session")
def private_redis() -> Iterator[PrivateRedis]:
    try:
        server = PrivateRedis()
    except ServerUnavailable as exc:
        _unavailable(str(exc))
    try:
        server.start()
        yield server
    finally:
        server.destroy()


_redis_databases = itertools.cycle(range(1, 16))


@dataclass
class Stack:
    """One test's view of the private servers."""

    postgres: PrivatePostgres
    redis: PrivateRedis
    media_root: Path
    log_dir: Path
    redis_db: int
    queue: str = field(default_factory=lambda: f"faults-{uuid.uuid4().hex[:10]}")

    @property
    def broker_url(self) -> str:
        return self.redis.url(self.redis_db)

    def env(self, **extra: str) -> dict:
        defaults = {
            "CELERY_BROKER_URL": self.broker_url,
            "FAULTS_TASK_QUEUE": self.queue,
        }
        return base_env(self.postgres, self.media_root, **{**defaults, **extra})

    def remote(self, name: str, /, **kwargs: Any) -> Any:
        """Run one ``tests.faults.remote`` command in a fresh process."""
        result = subprocess.run(
            [sys.executable, "-m", "tests.faults.remote", name, json.dumps(kwargs)],
            cwd=REPO,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=REMOTE_TIMEOUT,
            check=False,
        )
        for line in result.stdout.splitlines():
            if line.startswith(RESULT_MARK):
                return json.loads(line[len(RESULT_MARK) :])
        pytest.fail(
            f"remote {name}({kwargs}) failed ({result.returncode}):\n"
            f"{result.stderr[-4000:]}"
        )

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """A quick read of the private database, for polling."""
        import psycopg

        with psycopg.connect(self.postgres.url(DATABASE), connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    def item_state(self, item_id: int) -> str:
        from evidence.models import EvidenceItem

        table = EvidenceItem._meta.db_table
        rows = self.query(
            f"SELECT processing_state FROM {table} WHERE id = %s",  # noqa: S608 - model table
            (item_id,),
        )
        return rows[0][0]

    @contextmanager
    def worker(
        self,
        *,
        pool: str = "solo",
        extra_env: dict[str, str] | None = None,
    ) -> Iterator[WorkerHandle]:
        """A real ``celery worker`` on this test's queue (a second one on the same
        queue is a restart: it picks up what the first left unacknowledged)."""
        env = {
            k: v
            for k, v in self.env(**(extra_env or {})).items()
            if k.startswith(("FAULTS_", "WEBHOOK_", "SIGNING_"))
        }
        with running_worker(
            media_root=self.media_root,
            database={
                "USER": "postgres",
                "HOST": "127.0.0.1",
                "PORT": str(self.postgres.port),
                "NAME": DATABASE,
            },
            log_dir=self.log_dir,
            broker_url=self.broker_url,
            extra_env=env,
            queue=self.queue,
            app="tests.faults.celery_app",
            pool=pool,
        ) as handle:
            yield handle


@pytest.fixture
def stack(private_postgres, private_redis, tmp_path_factory, tmp_path) -> Stack:
    media = tmp_path_factory.getbasetemp() / "faults-media"
    media.mkdir(exist_ok=True)
    return Stack(
        postgres=private_postgres,
        redis=private_redis,
        media_root=media,
        log_dir=tmp_path,
        redis_db=next(_redis_databases),
    )


def wait_until(
    predicate: Callable[[], Any],
    *,
    timeout: float,
    what: str,
    interval: float = 0.2,
    context: Callable[[], str] = lambda: "",
) -> Any:
    """Poll until ``predicate()`` is truthy and return it; fail loudly on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}\n{context()}")
        time.sleep(interval)
