"""Issue 19: several nodes, one truth. Two gunicorn nodes on their own ports and a
real Celery worker share the PostgreSQL test database, Redis (broker, cache, API
throttle counters) and a real S3 server (SeaweedFS), started once for the module:

- an image uploaded through node A is processed by the worker from the bucket and
  downloaded byte for byte through node B; no node keeps a file locally;
- a comment posted on A shows at once on B's cached claim page, also for one
  session used on both nodes (a load balancer without sticky sessions);
- a claim published through B reaches the publisher's webhook once (the worker
  delivers it);
- the API throttle holds across nodes: the (limit+1)th request is refused
  whichever node answers it;
- a node killed (SIGKILL) while an upload streams to it stores nothing; one
  killed the moment the upload's object appears in the bucket leaves either a
  whole item or an object without a record, which sweep_storage removes."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from evidence.models import EvidenceItem, ProcessingState
from provenance.claims.models import Claim, ClaimStatus
from provenance.publishing.keys import publisher_create
from tests.celery_worker import REPO, allow_audit_flush, database_url, running_worker
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    MembershipFactory,
    TeamFactory,
)
from tests.faults.servers import free_port, port_open
from tests.s3 import BUCKET, S3Server
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "multi-node-pass-1234"
IMAGE = REPO / "tests" / "data" / "images" / "exif_gps.jpg"
BROKER = "redis://127.0.0.1:6379/11"  # a Redis db of its own: queue "celery"
CACHE = "redis://127.0.0.1:6379/10"
API_LIMIT = 4  # API_MEMBER_RATE for the nodes: 4 a day, one window for the test


@dataclass
class Cluster:
    env: dict[str, str]
    prefix: str
    url_a: str
    url_b: str
    tmp: Path
    s3: S3Server
    receiver: Receiver
    worker: object

    def object_keys(self) -> list[str]:
        listed = self.s3.client().list_objects_v2(
            Bucket=BUCKET, Prefix=f"{self.prefix}/"
        )
        return [entry["Key"] for entry in listed.get("Contents", [])]


@pytest.fixture(scope="module")
def cluster(
    s3_server, django_db_setup, django_db_blocker, tmp_path_factory
) -> Iterator[Cluster]:
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL: the nodes and the worker share the database")
        database = dict(connection.settings_dict)
    tmp = tmp_path_factory.mktemp("cluster")
    prefix = f"multi-{uuid.uuid4().hex[:10]}"
    env = {
        "DATABASE_URL": database_url(database),
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
        "WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver is on loopback
        "API_MEMBER_RATE": f"{API_LIMIT}/day",
    }
    receiver = Receiver()
    worker_env = {k: v for k, v in env.items() if k != "DATABASE_URL"}
    try:
        with running_worker(
            media_root=tmp / "worker-media",
            database=database,
            log_dir=tmp,
            broker_url=BROKER,
            queue="celery",
            extra_env=worker_env,
        ) as worker:
            a, url_a = start_node(env, tmp / "a-media", tmp / "a.log")
            b, url_b = start_node(env, tmp / "b-media", tmp / "b.log")
            try:
                yield Cluster(
                    env, prefix, url_a, url_b, tmp, s3_server, receiver, worker
                )
            finally:
                stop(a)
                stop(b)
    finally:
        receiver.close()


@pytest.fixture
def shared(cluster):
    yield cluster
    allow_audit_flush()
    # The flush drops this test's rows: its objects go too, so the next test's
    # bucket holds only what it stores.
    client = cluster.s3.client()
    for key in cluster.object_keys():
        client.delete_object(Bucket=BUCKET, Key=key)


def member(team, username: str, role: str):
    """A member whose password the nodes check with the deployment's hasher (the
    suite's fast MD5 one is not theirs)."""
    user = MembershipFactory(team=team, role=role, user__username=username).user
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save()
    return user


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


def upload_image(session: requests.Session, base: str, title: str):
    token = csrf(session, f"{base}/evidence/add/image/")
    with IMAGE.open("rb") as upload:
        return session.post(
            f"{base}/evidence/add/image/",
            data={
                "csrfmiddlewaretoken": token,
                "title": title,
                "source_reliability": "B",
                "information_credibility": "2",
            },
            files={"file": ("quay.jpg", upload, "image/jpeg")},
            headers={"Referer": f"{base}/evidence/add/image/"},
            timeout=60,
        )


def comment(session: requests.Session, base: str, claim_id: int, body: str):
    token = csrf(session, f"{base}/claims/{claim_id}/")
    return session.post(
        f"{base}/claims/{claim_id}/comments/",
        data={"csrfmiddlewaretoken": token, "body": body},
        headers={"Referer": f"{base}/claims/{claim_id}/"},
        timeout=30,
    )


def test_upload_on_a_process_by_the_worker_download_on_b(shared):
    c = shared
    team = TeamFactory(slug="nodes")
    member(team, "nadia", "editor")
    on_a = log_in(c.url_a, "nadia")

    added = upload_image(on_a, c.url_a, "Quay photo")

    assert added.status_code == 200, added.text[-2000:]
    item = EvidenceItem.objects.get(team=team, title="Quay photo")
    c.worker.wait_for(
        lambda: (
            EvidenceItem.objects.get(pk=item.pk).processing_state
            == ProcessingState.DONE
        ),
        timeout=90,
        what="the worker to process the image",
    )
    item.refresh_from_db()
    assert "process_image" in c.worker.log()
    on_b = log_in(c.url_b, "nadia")
    original = on_b.get(f"{c.url_b}/evidence/{item.pk}/original/", timeout=30)
    assert original.status_code == 200
    assert original.content == IMAGE.read_bytes()
    display = on_b.get(f"{c.url_b}/evidence/{item.pk}/display/", timeout=30)
    assert display.status_code == 200
    assert display.headers["Content-Type"].startswith("image/")
    assert f"{c.prefix}/{item.file.name}" in c.object_keys()
    for node in ("a-media", "b-media", "worker-media"):
        assert list((c.tmp / node).rglob("*.*")) == [], node


def test_a_comment_on_a_shows_at_once_on_b_s_cached_page(shared):
    c = shared
    team = TeamFactory(slug="nodes")
    user = member(team, "nadia", "editor")
    claim = ClaimFactory(team=team, author=user, text="Two nodes, one truth.")
    on_a, on_b = log_in(c.url_a, "nadia"), log_in(c.url_b, "nadia")
    page = f"{c.url_b}/claims/{claim.pk}/"
    assert "Seen from node A" not in on_b.get(page, timeout=30).text
    assert "Seen from node A" not in on_b.get(page, timeout=30).text  # cached

    assert comment(on_a, c.url_a, claim.pk, "Seen from node A").status_code == 200

    assert "Seen from node A" in on_b.get(page, timeout=30).text


def test_one_session_on_both_nodes_never_sees_a_stale_page(shared):
    """No sticky sessions: the same cookie reaches A and B in turn. B's cached
    claim page and evidence list follow every write made on A."""
    c = shared
    team = TeamFactory(slug="nodes")
    user = member(team, "nadia", "editor")
    claim = ClaimFactory(team=team, author=user, text="One session, two nodes.")
    session = log_in(c.url_a, "nadia")  # the cookie is sent to both nodes
    page_b = f"{c.url_b}/claims/{claim.pk}/"
    for n in range(3):
        before = session.get(page_b, timeout=30).text
        assert session.get(page_b, timeout=30).text == before  # a cache hit
        assert comment(session, c.url_a, claim.pk, f"Write {n} on A").status_code
        shown = session.get(page_b, timeout=30).text
        assert all(f"Write {m} on A" in shown for m in range(n + 1)), n

    listing = f"{c.url_b}/evidence/"
    assert "Quay photo" not in session.get(listing, timeout=30).text
    assert upload_image(session, c.url_a, "Quay photo").status_code == 200
    assert "Quay photo" in session.get(listing, timeout=30).text
    c.worker.wait_for(  # the worker's run ends before the flush
        lambda: EvidenceItem.objects.filter(
            team=team, processing_state=ProcessingState.DONE
        ).exists(),
        timeout=90,
        what="the worker to process the image",
    )


def test_a_claim_published_on_b_notifies_the_publisher_once(shared):
    c = shared
    team = TeamFactory(slug="nodes")
    author = member(team, "rhea", "reporter")
    member(team, "nadia", "editor")
    claim = ClaimFactory(
        team=team, author=author, status=ClaimStatus.APPROVED, text="Published on B."
    )
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    issued = publisher_create(name="Wire desk", teams=[team])
    issued.publisher.webhook_url = c.receiver.url
    issued.publisher.save(update_fields=["webhook_url"])
    on_b = log_in(c.url_b, "nadia")
    token = csrf(on_b, f"{c.url_b}/claims/{claim.pk}/")
    before = len(c.receiver.requests)

    published = on_b.post(
        f"{c.url_b}/claims/{claim.pk}/review/",
        data={
            "csrfmiddlewaretoken": token,
            "decision": "publish",
            "version": claim.version,
        },
        headers={"Referer": f"{c.url_b}/claims/{claim.pk}/"},
        timeout=30,
    )

    assert published.status_code == 200
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.PUBLISHED
    c.worker.wait_for(
        lambda: len(c.receiver.requests) > before,
        timeout=60,
        what="the worker to deliver the webhook",
    )
    time.sleep(2)  # room for a duplicate delivery to show (none may)
    sent = c.receiver.requests[before:]
    assert len(sent) == 1
    headers, body, code = sent[0]
    assert code == 200
    payload = json.loads(body)
    assert payload["type"] == "claim.published"
    assert payload["claim"]["id"] == claim.pk
    assert c.receiver.accepted[headers["Idempotency-Key"]] == 1


def test_the_api_throttle_holds_across_nodes(shared):
    c = shared
    team = TeamFactory(slug="nodes")
    user = member(team, "nadia", "editor")
    # Counters outlive the test database (a day in Redis): this user's are new.
    cache = redis.Redis.from_url(CACHE)
    for key in cache.scan_iter(f"*throttle_user_{user.pk}:*"):
        cache.delete(key)
    session = log_in(c.url_a, "nadia")
    nodes = [c.url_a, c.url_b] * API_LIMIT

    codes = [
        session.get(f"{base}/api/v1/claims/", timeout=30).status_code
        for base in nodes[: API_LIMIT + 2]
    ]

    assert codes == [200] * API_LIMIT + [429, 429]


def _raw_upload(base: str, session: requests.Session, size: int):
    """A socket with the headers and the first part of a multipart upload of a
    ``size``-byte synthetic text document to ``base``; the rest of the body and
    the request's end, to send when the test chooses."""
    token = csrf(session, f"{base}/evidence/add/document/")
    boundary = uuid.uuid4().hex
    fields = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
        f"{v}\r\n".encode()
        for k, v in (
            ("csrfmiddlewaretoken", token),
            ("title", "Half-sent document"),
            ("source_reliability", "B"),
            ("information_credibility", "2"),
        )
    )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(fields) + len(head) + size + len(tail)
    cookies = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
    host = base.removeprefix("http://")
    request = (
        f"POST /evidence/add/document/ HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {length}\r\nCookie: {cookies}\r\n"
        f"Referer: {base}/evidence/add/document/\r\n\r\n"
    ).encode()
    address, port = host.split(":")
    sock = socket.create_connection((address, int(port)), timeout=30)
    sock.sendall(request + fields + head)
    return sock, tail


LINE = b"Synthetic notes line for the killed-node upload test.\n"


def _send_text(sock: socket.socket, size: int) -> None:
    chunk = LINE * (1024 * 1024 // len(LINE))
    sent = 0
    while sent < size:
        part = chunk[: size - sent]
        sock.sendall(part)
        sent += len(part)


def _kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _sweep(c: Cluster, *args: str) -> str:
    """manage.py sweep_storage run as an operator would, beside the nodes."""
    done = subprocess.run(
        [sys.executable, "manage.py", "sweep_storage", "--grace-hours", "0", *args],
        cwd=REPO,
        env={**os.environ, **c.env, "MEDIA_ROOT": str(c.tmp / "sweep-media")},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()[-1]


def _every_item_whole(c: Cluster, team) -> set[str]:
    """Each item of the team has its object, of its recorded hash; their keys."""
    keys = set()
    for item in EvidenceItem.objects.filter(team=team):
        key = f"{c.prefix}/{item.file.name}"
        body = c.s3.client().get_object(Bucket=BUCKET, Key=key)["Body"].read()
        assert hashlib.sha256(body).hexdigest() == item.sha256
        keys.add(key)
    return keys


def test_a_node_killed_mid_upload_leaves_no_item_and_no_object(shared):
    c = shared
    team = TeamFactory(slug="nodes")
    member(team, "nadia", "editor")
    size = 16 * 1024 * 1024  # past the in-memory threshold: a temp file on the node
    node, url = start_node(c.env, c.tmp / "c-media", c.tmp / "c.log")
    try:
        session = log_in(url, "nadia")
        sock, _tail = _raw_upload(url, session, size)
        _send_text(sock, size // 2)  # half the file is on its way
        _kill(node)
        sock.close()

        assert EvidenceItem.objects.filter(team=team).count() == 0
        assert c.object_keys() == []
        assert _sweep(c) == "Found 0 object(s) with no record (0 bytes)."

        # Killed the moment its object shows in the bucket: between the S3 put
        # and the row's commit, or just after. No item is half-stored; an object
        # put but never committed is what sweep_storage removes.
        node, url = start_node(c.env, c.tmp / "d-media", c.tmp / "d.log")
        session = log_in(url, "nadia")
        sock, tail = _raw_upload(url, session, size)
        _send_text(sock, size)
        sock.sendall(tail)
        deadline = time.monotonic() + 60
        while not c.object_keys() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert c.object_keys(), "the node never stored the upload"
        _kill(node)
        sock.close()
        whole = _every_item_whole(c, team)
        swept = _sweep(c, "--delete")
        print(f"killed after the put: {len(whole)} item(s) committed; {swept}")  # noqa: T201
        assert swept == (
            "Removed 0 object(s) with no record (0 bytes)."
            if whole
            else f"Removed 1 object(s) with no record ({size} bytes)."
        )
        assert set(c.object_keys()) == whole
    finally:
        stop(node)
