"""Object storage against local disk: image upload, processing and download.

Issue 19. The same N synthetic 2000x2000 JPEGs (bench/images.py's generator,
labelled synthetic) go through the real services twice in one run: once with the
default FileSystemStorage (the baseline) and once with MEDIA_STORAGE=s3 on a
SeaweedFS server started on loopback (tests/s3.py). Per image, in this order, as
a deployment runs them (the task is called in-process, not through a broker):

- upload: ``evidence_add_image`` (type sniffing, pixel cap, full decode and the
  one SHA-256 pass of the upload, storing the original, the item's transaction);
  the upload is read and hashed once (``read_hashed``);
- processing: ``image_process`` (fetching the original to a temp file from S3,
  the analysis with its read-back SHA-256 check, writing the two derivatives,
  the transaction);
- download: the original through the authorizing view (streamed), as a member.

The phases inside are timed by wrapping the functions the services call:
``inspect_image`` (hashing and validation), ``save_original`` (the put),
``local_path`` (the fetch), ``image_analyse`` (decode, derivatives encoded,
pHash) and ``_save_derivatives`` (their writes). The backends alternate image by
image so load from other processes falls on both alike. Prints per-phase medians,
the S3/local ratio and where the S3 time goes.

    .venv/bin/python bench/storage.py [--count 20] [--size 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import _setup

os.environ.setdefault("SECOND_FACTOR_REQUIRED", "false")
os.environ.setdefault("EVIDENCE_TASKS_IN_THREAD", "false")

PHASES = (
    ("upload", "upload (evidence_add_image)"),
    ("inspect", "  validate the upload"),
    ("upload_hash", "    of which read + SHA-256 (one pass)"),
    ("store", "  store original (put)"),
    ("process", "processing (image_process)"),
    ("fetch", "  fetch original to temp file"),
    ("analyse", "  analyse (decode, derivatives, pHash)"),
    ("process_hash", "    of which read + SHA-256 check"),
    ("derivatives", "  write derivatives"),
    ("download", "download original (view)"),
)


class Timer:
    def __init__(self) -> None:
        self.current: dict[str, float] = defaultdict(float)
        self.outer = ""

    def wrap(self, owner: object, name: str, phase: str) -> None:
        """Time calls of ``owner.name``; a phase starting with "_" is named after
        the outer phase it runs in ("upload_hash", "process_hash")."""
        original = getattr(owner, name)
        timer = self

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                named = f"{timer.outer}{phase}" if phase.startswith("_") else phase
                timer.current[named] += time.perf_counter() - t0

        setattr(owner, name, timed)

    def wrap_context(self, owner: object, name: str, phase: str) -> None:
        """A context manager: only entering it (the fetch) is timed."""
        original = getattr(owner, name)
        timer = self

        @contextmanager
        def timed(*args, **kwargs) -> Iterator[Path]:
            t0 = time.perf_counter()
            with original(*args, **kwargs) as value:
                timer.current[phase] += time.perf_counter() - t0
                yield value

        setattr(owner, name, timed)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        t0, self.outer = time.perf_counter(), name
        yield
        self.current[name] += time.perf_counter() - t0

    def take(self) -> dict[str, float]:
        taken, self.current = dict(self.current), defaultdict(float)
        return taken


def instrument(timer: Timer) -> None:
    import evidence.images.process as process
    import evidence.images.services as image_services
    import evidence.services as services

    timer.wrap(process, "inspect_image", "inspect")
    timer.wrap(process, "read_hashed", "_hash")  # upload, and the read-back check
    timer.wrap(services, "save_original", "store")
    timer.wrap_context(image_services, "local_path", "fetch")
    timer.wrap(image_services, "image_analyse", "analyse")
    timer.wrap(image_services, "_save_derivatives", "derivatives")
    # Processing is called here, after the upload, not enqueued on commit.
    image_services._enqueue_processing = lambda item_id: None


def s3_config(server, prefix: str) -> dict:
    from provenance.settings import s3_storage

    config = s3_storage(
        "evidence", server.endpoint_url, server.access_key, server.secret_key
    )
    config["OPTIONS"]["location"] = prefix
    return config


def use_storage(storage) -> None:
    """Make ``storage`` the default one. One instance per backend for the run, as
    a web process keeps its own: a fresh S3 client per image (override_settings)
    cost 0.9 s of boto3 set-up per upload, which no deployment pays."""
    from django.core.files.storage import default_storage, storages

    storages._storages["default"] = storage
    default_storage._wrapped = storage


def run_one(
    path: Path, *, team, user, client, timer: Timer, storage
) -> dict[str, float]:
    from evidence.images.services import evidence_add_image, image_process

    use_storage(storage)
    with timer.phase("upload"), path.open("rb") as upload:
        item = evidence_add_image(
            team=team,
            actor=user,
            upload=upload,
            filename=path.name,
            title=f"Synthetic bench image {uuid.uuid4().hex[:8]}",
            is_synthetic=True,
        )
    with timer.phase("process"):
        image_process(item_id=item.pk)
    item.refresh_from_db()
    assert item.processing_state == "done", item.processing_error
    with timer.phase("download"):
        response = client.get(f"/evidence/{item.pk}/original/")
        size = sum(len(chunk) for chunk in response.streaming_content)
    assert response.status_code == 200
    assert size == item.size_bytes
    return timer.take()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--size", type=int, default=2000)
    args = parser.parse_args()

    _setup.setup("bench_storage")
    from django.conf import settings
    from django.core.files.storage import FileSystemStorage
    from django.test import Client
    from django.utils.module_loading import import_string

    from bench.images import make_jpegs
    from tests.factories import MembershipFactory, TeamFactory
    from tests.s3 import running_s3_server

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    team = TeamFactory(slug="bench-storage", name="Bench storage (synthetic)")
    user = MembershipFactory(team=team, role="editor").user
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])
    timer = Timer()
    instrument(timer)

    with tempfile.TemporaryDirectory() as tmp, running_s3_server() as server:
        started = time.perf_counter()
        paths = make_jpegs(Path(tmp), args.count + 2, args.size)
        print(
            f"generated {len(paths)} synthetic JPEGs of {args.size}x{args.size} "
            f"({sum(p.stat().st_size for p in paths) / len(paths) / 1e6:.2f} MB "
            f"each) in {time.perf_counter() - started:.1f} s"
        )
        config = s3_config(server, "bench")
        backends = {
            "local": FileSystemStorage(),
            "s3": import_string(config["BACKEND"])(**config["OPTIONS"]),
        }
        runs: dict[str, list[dict[str, float]]] = {"local": [], "s3": []}
        for n, path in enumerate(paths):
            # Same file on both: a second team for the second, so it is no duplicate.
            order = ("local", "s3") if n % 2 == 0 else ("s3", "local")
            for name in order:
                member_team = team if name == "local" else s3_team(team, user)
                figures = run_one(
                    path,
                    team=member_team,
                    user=user,
                    client=client,
                    timer=timer,
                    storage=backends[name],
                )
                if n >= 2:  # the first two warm imports, codecs and connections
                    runs[name].append(figures)

    report(runs, count=args.count)


_S3_TEAM: list = []


def s3_team(team, user):
    """A second team of the same user for the S3 copies (one file, two teams)."""
    if not _S3_TEAM:
        from tests.factories import MembershipFactory, TeamFactory

        other = TeamFactory(slug="bench-storage-s3", name="Bench S3 (synthetic)")
        MembershipFactory(team=other, user=user, role="editor")
        _S3_TEAM.append(other)
    return _S3_TEAM[0]


def report(runs: dict[str, list[dict[str, float]]], *, count: int) -> None:
    def median(name: str, phase: str) -> float:
        return statistics.median(run.get(phase, 0.0) for run in runs[name]) * 1000

    print(f"\nper image, median of {count} (ms)")
    print(f"{'phase':40} {'local':>9} {'s3':>9} {'s3/local':>9} {'s3-local':>9}")
    for phase, label in PHASES:
        lo, s3 = median("local", phase), median("s3", phase)
        ratio = f"{s3 / lo:8.2f}x" if lo >= 0.05 else "      n/a"
        print(f"{label:40} {lo:9.1f} {s3:9.1f} {ratio:>9} {s3 - lo:9.1f}")
    totals = {
        name: statistics.median(
            run["upload"] + run["process"] + run["download"] for run in runs[name]
        )
        * 1000
        for name in runs
    }
    print(
        f"{'total (upload + processing + download)':40} {totals['local']:9.1f} "
        f"{totals['s3']:9.1f} {totals['s3'] / totals['local']:8.2f}x "
        f"{totals['s3'] - totals['local']:9.1f}"
    )
    extra = totals["s3"] - totals["local"]
    moved = {
        label.strip(): median("s3", phase) - median("local", phase)
        for phase, label in PHASES
        if phase in ("store", "fetch", "derivatives", "download")
    }
    print("\nwhere S3's extra time goes (of the median total's difference):")
    for label, ms in moved.items():
        share = f"{ms / extra * 100:5.0f}%" if extra > 0 else "   n/a"
        print(f"  {label:38} {ms:8.1f} ms {share}")


if __name__ == "__main__":
    main()
