"""Load test: gunicorn on 127.0.0.1 with PostgreSQL and the demo scaled to 10,000
claims, driven by wrk at 20 concurrent connections.

Endpoints: claim list, claim page, timeline SVG and the publisher list endpoint, plus
a bare Django view (/healthz, the full middleware stack and nothing else) measured in
the same run as the baseline. Prints requests/s, p50/p95/p99, errors (HTTP >= 400
and socket errors, counted by wrk), whether every answer had the byte size of a
probed 200 (a redirect to the login page would not), and each endpoint's
throughput as a ratio of the bare view's.
Targets (issue 8): zero errors, p95 < 250 ms, each endpoint >= 0.3x the bare view.

    .venv/bin/python bench/load.py [--seconds 15] [--connections 20] [--workers 4]
Needs wrk (apt-get install wrk) and PostgreSQL (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/provenance_bench_load — recreated each run).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/provenance_bench_load"
)
from _setup import ROOT, setup

CLAIMS = 10_000


def scale_demo() -> tuple[int, str]:
    """Load the demo, add published claims up to CLAIMS, return (claim id, key)."""
    from django.contrib.auth import get_user_model
    from simple_history.utils import bulk_create_with_history

    from evidence.models import EvidenceItem
    from provenance.claims.models import Claim, ClaimEvidence, ConfidenceAssessment
    from provenance.demo.loader import load_demo
    from provenance.publishing.keys import publisher_create

    demo = load_demo()
    team, author = demo.team, demo.reporter
    start = datetime(2023, 1, 1, tzinfo=UTC)
    existing = Claim.objects.filter(team=team).count()
    claims = [
        Claim(
            team=team,
            text=f"Synthetic load-test claim {n}: shipments observed at port {n % 97}.",
            slug=f"load-claim-{n}",
            summary="SYNTHETIC load-test data.",
            status="published",
            author=author,
            last_edited_by=author,
            published_at=start + timedelta(minutes=n),
            created_at=start + timedelta(minutes=n),
            updated_at=start + timedelta(minutes=n),
        )
        for n in range(CLAIMS - existing)
    ]
    claims = bulk_create_with_history(claims, Claim, batch_size=1000)
    claims = list(Claim.objects.filter(slug__startswith="load-claim-"))
    subjects = list(demo.entities.values())
    through = Claim.subjects.through
    through.objects.bulk_create(
        [
            through(claim_id=c.pk, entity_id=subjects[i % len(subjects)].pk)
            for i, c in enumerate(claims)
        ],
        batch_size=5000,
    )
    items = list(EvidenceItem.objects.filter(team=team, is_restricted=False)[:10])
    ClaimEvidence.objects.bulk_create(
        [
            ClaimEvidence(
                claim=c,
                item=items[(i + k) % len(items)],
                relation="supports" if k else "contradicts",
                stance="",
                linked_by=author,
                linked_at=c.created_at,
            )
            for i, c in enumerate(claims)
            for k in range(2)
        ],
        batch_size=5000,
    )
    ConfidenceAssessment.objects.bulk_create(
        [
            ConfidenceAssessment(
                claim=c,
                level=("unlikely", "likely", "very_likely")[i % 3],
                rationale="SYNTHETIC load-test assessment.",
                assessed_by=author,
                recorded_at=c.created_at,
                effective_at=c.created_at,
            )
            for i, c in enumerate(claims)
        ],
        batch_size=5000,
    )
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    issued = publisher_create(name="Load-test publisher", teams=[team])
    claim_one = demo.claims["claim-1"].pk
    assert get_user_model().objects.filter(username="demo-reporter").exists()
    return claim_one, issued.key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(
    server: subprocess.Popen, base: str, seconds: float = 60
) -> None:
    """Poll /healthz until gunicorn answers 200. Refused, reset, a read timeout
    (TimeoutError) or an error status all mean "not ready yet"; a server that
    exited or never answered ends the bench with that reason."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited ({server.returncode}) before serving")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.2)
    sys.exit(f"gunicorn did not serve /healthz within {seconds:.0f} s")


def login(base: str) -> str:
    """A session cookie for demo-reporter, through the real login form."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    data = (
        f"csrfmiddlewaretoken={token}&username=demo-reporter"
        "&password=demo-reporter-pass"
    ).encode()
    request = urllib.request.Request(
        f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"}
    )
    opener.open(request)
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        sys.exit("login failed: no session cookie")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def response_bytes(url: str, headers: dict[str, str]) -> int:
    """Size on the wire of one answer to the request wrk repeats; it must be a 200."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        conn.shutdown(socket.SHUT_WR)
        raw = b"".join(iter(lambda: conn.recv(65536), b""))
    status = raw.split(b" ", 2)[1]
    if status != b"200":
        sys.exit(f"{path} answered {status.decode()} before the run")
    return len(raw)


def run_wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk_report.lua"),
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    # Every answer should be the probed 200 byte for byte (cached pages are); a
    # redirect to the login page or an error page would change the average.
    expected = response_bytes(url, headers)
    per_request = result["bytes"] / max(result["requests"], 1)
    result["size_mismatch"] = abs(per_request - expected) > 0.001 * expected
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--cache",
        choices=["local", "redis", "off"],
        default="local",
        help="Page cache: per-process memory (default), shared Redis, or off "
        "(every page is built).",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    url = setup("bench_load")
    claim_one, api_key = scale_demo()
    static_root = tempfile.mkdtemp()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "load-bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        "CACHE_URL": {
            "local": "",
            "redis": "redis://127.0.0.1:6379/12",
            "off": "dummy://",
        }[args.cache],
        # Per-key throttling would answer 429 to a load test by design.
        "API_PUBLISHER_RATE": "1000000/min",
    }
    venv_bin = Path(sys.executable).parent
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(venv_bin / "gunicorn"),
            "provenance.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.workers),
            # Gunicorn writes no access log unless asked (BENCH_ACCESS_LOG=1).
            *(["--access-logfile", "-"] if os.environ.get("BENCH_ACCESS_LOG") else []),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_serving(server, base)
        cookie = login(base)
        session = {"Cookie": cookie}
        publisher = {
            "Authorization": f"Api-Key {api_key}",
            "Accept": "application/json",
        }
        endpoints = [
            ("bare view (/healthz)", "/healthz", {}),
            ("claim list", "/", session),
            ("claim page (demo claim 1)", f"/claims/{claim_one}/", session),
            ("timeline SVG", f"/claims/{claim_one}/timeline.svg", session),
            ("publisher claim list (API)", "/api/v1/claims/", publisher),
        ]
        for _, path, headers in endpoints:  # warm every worker's caches
            run_wrk(base + path, headers, 2, args.connections)
        results = [
            (name, run_wrk(base + path, headers, args.seconds, args.connections))
            for name, path, headers in endpoints
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)

    bare = results[0][1]["rps"]
    print(
        f"gunicorn {args.workers} sync workers; wrk 2 threads, {args.connections} "
        f"connections, {args.seconds} s each; {CLAIMS:,} claims on PostgreSQL; "
        f"page cache: {args.cache}"
    )
    print(
        f"{'endpoint':30} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7} {'all 200':>8} {'KB/req':>7} {'x bare':>7}"
    )
    ok = True
    for name, r in results:
        errors = r["http_errors"] + r["socket_errors"]
        ratio = r["rps"] / bare
        same = "no" if r["size_mismatch"] else "yes"
        print(
            f"{name:30} {r['rps']:8.1f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
            f"{r['p99_ms']:8.1f} {errors:7d} {same:>8} "
            f"{r['bytes'] / max(r['requests'], 1) / 1024:7.1f} {ratio:7.2f}"
        )
        if name != results[0][0]:
            ok &= not r["size_mismatch"]
            ok &= errors == 0 and r["p95_ms"] < 250 and ratio >= 0.3
    print("targets (0 errors, p95 < 250 ms, >= 0.3x bare):", "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
