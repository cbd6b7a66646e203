"""Issue 19: several nodes, one truth. Two gunicorn nodes on their own ports and a
real Celery worker share the PostgreSQL test database, Redis (broker and cache) and
a real S3 server (SeaweedFS): an image uploaded through node A is processed by the
worker from the bucket and downloaded byte for byte through node B; a comment
posted on A shows at once on B's cached claim page; each node reads only the
bucket (its own MEDIA_ROOT stays empty)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from evidence.models import EvidenceItem, ProcessingState
from tests.celery_worker import REPO, allow_audit_flush, database_url, running_worker
from tests.factories import ClaimFactory, MembershipFactory, TeamFactory
from tests.faults.servers import free_port, port_open
from tests.s3 import BUCKET

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "multi-node-pass-1234"
IMAGE = REPO / "tests" / "data" / "images" / "exif_gps.jpg"
BROKER = "redis://127.0.0.1:6379/11"  # a Redis db of its own: queue "celery"
CACHE = "redis://127.0.0.1:6379/10"


@pytest.fixture
def shared(s3_server, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the nodes and the worker share the database")
    prefix = f"multi-{uuid.uuid4().hex[:10]}"
    env = {
        "DATABASE_URL": database_url(connection.settings_dict),
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": BROKER,
        "CACHE_URL": CACHE,
        "MEDIA_STORAGE": "s3",
        "S3_BUCKET": BUCKET,
        "S3_PREFIX": prefix,
        "S3_ENDPOINT_URL": s3_server.endpoint_url,
        "S3_ACCESS_KEY_ID": s3_server.access_key,
        "S3_SECRET_ACCESS_KEY": s3_server.secret_key,
        "SECOND_FACTOR_REQUIRED": "false",
        "PROVENANCE_TESTING": "1",
    }
    yield env, prefix
    allow_audit_flush()


def start_node(
    env: dict[str, str], media: Path, log: Path
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    media.mkdir(parents=True)
    handle = log.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "provenance.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--timeout",
            "60",
        ],
        cwd=REPO,
        env={**os.environ, **env, "MEDIA_ROOT": str(media)},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not port_open(port):
        if process.poll() is not None:
            pytest.fail(f"node exited:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    return process, f"http://127.0.0.1:{port}"


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=30)
    assert page.status_code == 200, (url, page.status_code)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]


def log_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    token = csrf(session, f"{base}/login/")
    response = session.post(
        f"{base}/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
    )
    assert "Log out" in response.text
    return session


def test_upload_on_a_process_by_the_worker_download_on_b(shared, tmp_path, s3_server):
    env, prefix = shared
    team = TeamFactory(slug="nodes")
    user = MembershipFactory(team=team, role="editor", user__username="nadia").user
    # The nodes run the deployment's hashers, not the suite's fast MD5 one.
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save()
    claim = ClaimFactory(team=team, author=user, text="Two nodes, one truth.")
    worker_env = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    with running_worker(
        media_root=tmp_path / "worker-media",
        database=connection.settings_dict,
        log_dir=tmp_path,
        broker_url=BROKER,
        queue="celery",
        extra_env=worker_env,
    ) as worker:
        a, url_a = start_node(env, tmp_path / "a-media", tmp_path / "a.log")
        b, url_b = start_node(env, tmp_path / "b-media", tmp_path / "b.log")
        try:
            on_a = log_in(url_a, "nadia")
            token = csrf(on_a, f"{url_a}/evidence/add/image/")
            with IMAGE.open("rb") as upload:
                added = on_a.post(
                    f"{url_a}/evidence/add/image/",
                    data={
                        "csrfmiddlewaretoken": token,
                        "title": "Quay photo",
                        "source_reliability": "B",
                        "information_credibility": "2",
                    },
                    files={"file": ("quay.jpg", upload, "image/jpeg")},
                    headers={"Referer": f"{url_a}/evidence/add/image/"},
                    timeout=60,
                )
            assert added.status_code == 200, added.text[-2000:]
            item = EvidenceItem.objects.get(team=team, title="Quay photo")
            worker.wait_for(
                lambda: (
                    EvidenceItem.objects.get(pk=item.pk).processing_state
                    == ProcessingState.DONE
                ),
                timeout=90,
                what="the worker to process the image",
            )
            item.refresh_from_db()
            assert "process_image" in worker.log()

            on_b = log_in(url_b, "nadia")
            original = on_b.get(f"{url_b}/evidence/{item.pk}/original/", timeout=30)
            assert original.status_code == 200
            assert original.content == IMAGE.read_bytes()
            display = on_b.get(f"{url_b}/evidence/{item.pk}/display/", timeout=30)
            assert display.status_code == 200
            assert display.headers["Content-Type"].startswith("image/")
            keys = s3_server.client().list_objects_v2(
                Bucket=BUCKET, Prefix=f"{prefix}/"
            )["Contents"]
            assert f"{prefix}/{item.file.name}" in {k["Key"] for k in keys}
            for node in ("a-media", "b-media", "worker-media"):
                assert list((tmp_path / node).rglob("*.*")) == [], node

            # B caches the claim page; a comment posted on A shows on B at once.
            page = f"{url_b}/claims/{claim.pk}/"
            assert "Seen from node A" not in on_b.get(page, timeout=30).text
            assert "Seen from node A" not in on_b.get(page, timeout=30).text
            token = csrf(on_a, f"{url_a}/claims/{claim.pk}/")
            posted = on_a.post(
                f"{url_a}/claims/{claim.pk}/comments/",
                data={"csrfmiddlewaretoken": token, "body": "Seen from node A"},
                headers={"Referer": f"{url_a}/claims/{claim.pk}/"},
                timeout=30,
            )
            assert posted.status_code == 200
            assert "Seen from node A" in on_b.get(page, timeout=30).text
        finally:
            stop(a)
            stop(b)
