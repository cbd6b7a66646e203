"""Start a real ``celery -A provenance worker`` for a test, against Redis and the
PostgreSQL *test* database.

Reusable by any test that must see work go through a broker::

    from tests.celery_worker import real_celery_worker  # noqa: F401 (conftest)

    @pytest.mark.worker
    @pytest.mark.django_db(transaction=True)
    def test_it(real_celery_worker):
        ...enqueue a task...
        real_celery_worker.wait_for(lambda: Item.objects.get(pk=pk).state == "done")

Isolation: each worker consumes one uniquely named queue on a spare Redis db
(``CELERY_TEST_BROKER_URL``, default redis://127.0.0.1:6379/13), and the test
process sends every task there, so it never picks up other work and other workers
never pick up ours. The worker runs with ``--pool=solo`` and is terminated (then
killed if need be) when the test ends; its log is attached to any failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

REPO = Path(__file__).resolve().parents[1]
DEFAULT_BROKER = "redis://127.0.0.1:6379/13"
READY_TIMEOUT = 30.0


@dataclass
class WorkerHandle:
    process: subprocess.Popen
    queue: str
    broker_url: str
    log_path: Path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for(
        self,
        predicate: Callable[[], bool],
        *,
        timeout: float = 60.0,
        interval: float = 0.25,
        what: str = "the condition",
    ) -> None:
        """Poll ``predicate`` until true; fail with the worker's log after timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process.poll() is not None:
                pytest.fail(
                    f"Celery worker exited ({self.process.returncode}) before "
                    f"{what}:\n{self.log()[-4000:]}"
                )
            time.sleep(interval)
        pytest.fail(
            f"Timed out after {timeout}s waiting for {what}:\n{self.log()[-4000:]}"
        )


def _redis_reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or 6379), timeout=1
        ):
            return True
    except OSError:
        return False


def database_url(settings_dict: dict) -> str:
    """DATABASE_URL for the test database the test process is using."""
    user = quote(settings_dict.get("USER") or "")
    password = quote(settings_dict.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@contextmanager
def _app_sending_to(broker_url: str, queue: str) -> Iterator[None]:
    """Switch the test process's Celery app to the broker and queue; restore after."""
    from provenance.celery import app

    keys = ("broker_url", "task_always_eager", "task_default_queue")
    saved = {key: app.conf[key] for key in keys}
    app.conf.update(
        broker_url=broker_url, task_always_eager=False, task_default_queue=queue
    )
    _forget_connections(app)
    try:
        yield
    finally:
        app.conf.update(saved)
        _forget_connections(app)


def _forget_connections(app) -> None:
    # Connection pools are bound to the broker they were made for (and kombu keeps
    # them in a process-wide registry), and app.amqp caches the default queue and
    # router: reset all of them so the next use follows the current conf.
    from kombu import pools

    pools.reset()
    app._pool = None
    app.__dict__.pop("amqp", None)


@contextmanager
def running_worker(
    *,
    media_root: Path,
    database: dict,
    log_dir: Path,
    broker_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    queue: str | None = None,
    app: str = "provenance",
    pool: str = "solo",
) -> Iterator[WorkerHandle]:
    """``queue``: reuse a queue (a restarted worker picks up what the last one left);
    ``app``: the ``-A`` module (fault tests pass one with test-only broker options)."""
    broker_url = broker_url or os.environ.get("CELERY_TEST_BROKER_URL", DEFAULT_BROKER)
    if not _redis_reachable(broker_url):
        pytest.skip(f"Redis is not reachable at {broker_url}")
    queue = queue or f"test-{uuid.uuid4().hex[:12]}"
    log_path = log_dir / f"celery-{queue}-{uuid.uuid4().hex[:6]}.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "provenance.settings",
        "DATABASE_URL": database_url(database),
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker_url,
        "MEDIA_ROOT": str(media_root),
        "PROVENANCE_TESTING": "1",
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        app,
        "worker",
        f"--pool={pool}",
        "--concurrency=1",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel=INFO",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    handle = WorkerHandle(process, queue, broker_url, log_path)
    try:
        handle.wait_for(
            lambda: " ready." in handle.log(),
            timeout=READY_TIMEOUT,
            what="the worker to be ready",
        )
        with _app_sending_to(broker_url, queue):
            yield handle
    finally:
        _stop(process)
        _delete_queue(broker_url, queue)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _delete_queue(broker_url: str, queue: str) -> None:
    from kombu import Connection

    try:
        with Connection(broker_url, connect_timeout=2) as conn:
            conn.default_channel.queue_delete(queue)
    except Exception:  # noqa: S110 - best-effort tidy-up of a uniquely named key
        pass


def allow_audit_flush() -> None:
    """Let the transactional test's flush TRUNCATE the append-only audit table (the
    PostgreSQL trigger allows it only in a session that asks)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET provenance.allow_audit_truncate = 'on'")


@pytest.fixture
def real_celery_worker(settings, tmp_path, transactional_db):
    """A real Celery worker for this test (PostgreSQL test database only).

    Needs committed data, so it brings ``transactional_db`` with it."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: a worker process cannot see the SQLite in-memory "
            "test database (run with DATABASE_URL=postgres://...)"
        )
    try:
        with running_worker(
            media_root=Path(settings.MEDIA_ROOT),
            database=connection.settings_dict,
            log_dir=tmp_path,
        ) as handle:
            yield handle
    finally:
        allow_audit_flush()
