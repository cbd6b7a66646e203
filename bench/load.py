"""Load test: gunicorn on 127.0.0.1 with PostgreSQL and 10,000 claims, driven by wrk.

Realistic mode (the default report): 200 signed-in users in 8 teams (sessions made
as Django's login makes them, CSRF cookies as the browser holds them), 10,000
claims (1,250 per team). Each request is one user, drawn at random, asking for a
claim page, the claim list, a claim's timeline SVG or its API page, the claim drawn
from their team's claims with a Zipf-like popularity (rank r weighs 1/r: desks
revisit a few active stories); about 5 % are writes: confidence assessments through
the claim page's form and edits of the user's draft through the API, CSRF checked.
The bare view (/healthz: the full middleware stack and nothing else) is measured
in the same run as the baseline. Rows: the whole mix, then each read kind alone
(same users and popularity). A status >= 400, a socket error or a redirect to the
login page or the second-factor gate counts as an error (bench/realistic.lua sees
every answer). Editors have an authenticator (SECOND_FACTOR_REQUIRED) and their
sessions have passed it, as after the second-factor step.

--single adds the old table: one URL, one session (demo-reporter, logged in
through the login form), each endpoint alone.

Targets (issues 8 and 19): zero errors, p95 < 250 ms, each row >= 0.3x the bare
view, with the per-session page cache off (the default here; Redis holds sessions
and throttles as on several nodes).

    .venv/bin/python bench/load.py [--seconds 15] [--connections 20] [--workers 4]
        [--cache redis|local|off] [--page-cache off|on] [--single]
Needs wrk (apt-get install wrk) and PostgreSQL (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/provenance_bench_load — recreated each run).
wrk (C and LuaJIT, 2 threads) is the load generator: on a 2-core machine a Python
generator for 200 users would take the cores the server needs and measure itself.
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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/provenance_bench_load"
)
from _setup import ROOT, setup

CLAIMS = 10_000
TEAMS = 8
USERS_PER_TEAM = 25
ZIPF_EXPONENT = 1.0
# Request kinds of the realistic mix and their weights (per cent): 95 % reads.
MIX = [
    ("claim_page", 38),
    ("claim_list", 19),
    ("timeline", 14),
    ("api_claim", 24),
    ("assess", 3),
    ("edit", 2),
]
READ_KINDS = {
    "claim_page": "claim page",
    "claim_list": "claim list",
    "timeline": "timeline SVG",
    "api_claim": "API claim page",
}


@dataclass
class Desk:
    """One bench user: their session and CSRF cookies, team and own draft."""

    cookie: str
    csrf: str
    team: int  # index into the teams' popularity lists, from 1 (Lua)
    draft: int


@dataclass
class BenchData:
    claim_one: int
    api_key: str
    desks: list[Desk]
    popular: list[list[int]]  # per team: claim ids, hottest first


def _copy_to(team: Any, rows: list[Any]) -> list[Any]:
    """Unsaved copies of the demo team's rows for another team."""
    copies = []
    for row in rows:
        copy = type(row).objects.get(pk=row.pk)
        copy.pk = copy.id = None
        copy.team = team
        copies.append(copy)
    return copies


def build_data() -> BenchData:
    """The demo, 7 more teams, 1,250 claims per team (10,000 in all) with evidence
    and assessments, 25 users per team each with a session and a draft."""
    import random

    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from simple_history.utils import bulk_create_with_history

    from evidence.models import EvidenceItem
    from provenance.claims.models import Claim, ClaimEvidence, ConfidenceAssessment
    from provenance.demo.loader import load_demo
    from provenance.publishing.keys import publisher_create
    from provenance.teams.models import Membership, Team

    demo = load_demo()
    teams = [demo.team] + [
        Team.objects.create(name=f"Desk {n}", slug=f"desk-{n}")
        for n in range(2, TEAMS + 1)
    ]
    demo_entities = list(demo.entities.values())
    demo_items = list(EvidenceItem.objects.filter(team=demo.team, is_restricted=False))
    users = get_user_model()
    unusable = make_password(None)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    per_team = CLAIMS // TEAMS
    rng = random.Random(13)
    popular: list[list[int]] = []
    desks: list[Desk] = []
    for t, team in enumerate(teams, start=1):
        if team == demo.team:
            subjects, items = demo_entities, demo_items[:10]
        else:
            subjects = _copy_to(team, demo_entities)
            for entity in subjects:
                entity.save()
            items = EvidenceItem.objects.bulk_create(_copy_to(team, demo_items[:10]))
        people = users.objects.bulk_create(
            [
                users(username=f"desk{t}-user{n}", password=unusable)
                for n in range(USERS_PER_TEAM)
            ]
        )
        Membership.objects.bulk_create(
            [
                Membership(user=u, team=team, role="editor" if n % 5 else "reporter")
                for n, u in enumerate(people)
            ]
        )
        # Editors must have a second factor (SECOND_FACTOR_REQUIRED): each has an
        # authenticator app, and their sessions have passed it (_session_cookie).
        TOTPDevice.objects.bulk_create(
            [
                TOTPDevice(user=u, name="Bench authenticator", confirmed=True)
                for n, u in enumerate(people)
                if n % 5
            ]
        )
        existing = Claim.objects.filter(team=team).count()
        claims = bulk_create_with_history(
            [
                Claim(
                    team=team,
                    text=f"Synthetic load-test claim {t}-{n}: shipments at port "
                    f"{n % 97}.",
                    slug=f"load-claim-{t}-{n}",
                    summary="SYNTHETIC load-test data.",
                    # Each desk user's own story is a draft they edit.
                    status="draft" if n < USERS_PER_TEAM else "published",
                    author=people[n] if n < USERS_PER_TEAM else people[0],
                    last_edited_by=people[0],
                    published_at=None
                    if n < USERS_PER_TEAM
                    else start + timedelta(minutes=n),
                    created_at=start + timedelta(minutes=n),
                    updated_at=start + timedelta(minutes=n),
                )
                for n in range(per_team - existing)
            ],
            Claim,
            batch_size=1000,
        )
        claims = list(
            Claim.objects.filter(slug__startswith=f"load-claim-{t}-").order_by("pk")
        )
        through = Claim.subjects.through
        through.objects.bulk_create(
            [
                through(claim_id=c.pk, entity_id=subjects[i % len(subjects)].pk)
                for i, c in enumerate(claims)
            ],
            batch_size=5000,
        )
        ClaimEvidence.objects.bulk_create(
            [
                ClaimEvidence(
                    claim=c,
                    item=items[(i + k) % len(items)],
                    relation="supports" if k else "contradicts",
                    stance="",
                    linked_by=people[0],
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
                    assessed_by=people[0],
                    recorded_at=c.created_at,
                    effective_at=c.created_at,
                )
                for i, c in enumerate(claims)
            ],
            batch_size=5000,
        )
        ids = [c.pk for c in claims]
        rng.shuffle(ids)  # the hot stories are any claims, drafts or published
        popular.append(ids)
        desks += [
            Desk(*_session_cookie(u), team=t, draft=claims[n].pk)
            for n, u in enumerate(people)
        ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    issued = publisher_create(name="Load-test publisher", teams=[demo.team])
    assert users.objects.filter(username="demo-reporter").exists()
    return BenchData(
        claim_one=demo.claims["claim-1"].pk,
        api_key=issued.key,
        desks=desks,
        popular=popular,
    )


def _session_cookie(user: Any) -> tuple[str, str]:
    """(Cookie header, CSRF token) of a signed-in browser: a session saved by the
    configured engine with the keys django.contrib.auth.login writes, and a CSRF
    secret from django.middleware.csrf.get_token."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.http import HttpRequest
    from django.middleware.csrf import get_token
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from provenance.accounts.second_factor import (
        NO_FACTOR_SESSION_KEY,
        SECOND_FACTOR_AT_SESSION_KEY,
    )

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    # The password backend, as login() records the one that authenticated.
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    # As the second-factor step leaves it (second_factor.mark_verified) for a user
    # with a device, or as login leaves it (remember_factors_at_login) without one.
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        session[NO_FACTOR_SESSION_KEY] = True
    else:
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[SECOND_FACTOR_AT_SESSION_KEY] = int(time.time())
    session.save()
    request = HttpRequest()
    token = get_token(request)
    secret = request.META["CSRF_COOKIE"]
    return f"sessionid={session.session_key}; csrftoken={secret}", token


def write_lua_data(data: BenchData, path: Path, threads: int) -> None:
    """The realistic script's data: users (with their drafts' current versions, so
    each run's edits name the version they read), popularity and mix."""
    from provenance.claims.confidence import SCALE
    from provenance.claims.models import Claim

    versions = dict(
        Claim.objects.filter(pk__in=[d.draft for d in data.desks]).values_list(
            "pk", "version"
        )
    )
    weights = [1 / rank**ZIPF_EXPONENT for rank in range(1, len(data.popular[0]) + 1)]
    total, running, cdf = sum(weights), 0.0, []
    for weight in weights:
        running += weight
        cdf.append(running / total)

    def lua(value: Any) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k} = {lua(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list | tuple):
            return "{" + ", ".join(lua(v) for v in value) + "}"
        if isinstance(value, str):
            return json.dumps(value)
        return repr(value)

    # Every team's list is as long as the first (1,250); the CDF is shared.
    table = {
        "threads": threads,
        "users": [
            {
                "cookie": d.cookie,
                "csrf": d.csrf,
                "team": d.team,
                "draft": d.draft,
                "version": versions[d.draft],
            }
            for d in data.desks
        ],
        "teams": [ids[: len(cdf)] for ids in data.popular],
        "cdf": cdf,
        "mix": MIX,
        "levels": [band.key for band in SCALE],
    }
    path.write_text("return " + lua(table) + "\n")


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


def wrk_command(seconds: int, connections: int, script: str) -> list[str]:
    return [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / script),
    ]


def last_json_line(command: list[str], seconds: int) -> dict:
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def run_wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> dict:
    command = wrk_command(seconds, connections, "wrk_report.lua")
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    result = last_json_line([*command, url], seconds)
    result["errors"] = result["http_errors"] + result["socket_errors"]
    # Every answer should be the probed 200 byte for byte (cached pages are); a
    # redirect to the login page or an error page would change the average.
    expected = response_bytes(url, headers)
    per_request = result["bytes"] / max(result["requests"], 1)
    result["size_mismatch"] = abs(per_request - expected) > 0.001 * expected
    return result


def run_realistic(
    base: str,
    data: BenchData,
    kinds: list[str],
    seconds: int,
    connections: int,
    work: Path,
) -> dict:
    """One wrk run of the realistic script, restricted to `kinds` if given."""
    data_file = work / "realistic_data.lua"
    write_lua_data(data, data_file, threads=2)
    command = wrk_command(seconds, connections, "realistic.lua")
    result = last_json_line(
        [*command, base + "/", "--", str(data_file), *kinds], seconds
    )
    result["errors"] = (
        result["status_errors"] + result["login_redirects"] + result["socket_errors"]
    )
    return result


def check_sessions(base: str, data: BenchData) -> None:
    """Every bench user's session signs them in (a claim list, not the login page)."""
    for desk in data.desks:
        request = urllib.request.Request(f"{base}/", headers={"Cookie": desk.cookie})
        with urllib.request.urlopen(request, timeout=30) as answer:
            if answer.status != 200 or any(
                gate in answer.url for gate in ("/login/", "/account/security/")
            ):
                sys.exit(f"a bench session did not sign in: {answer.url}")


def start_server(args: argparse.Namespace, url: str, static_root: str) -> tuple:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ["SECRET_KEY"],
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "0",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        "CACHE_URL": CACHE_URLS[args.cache],
        "PAGE_CACHE": "1" if args.page_cache == "on" else "0",
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
    return server, f"http://127.0.0.1:{port}"


CACHE_URLS = {"local": "", "redis": "redis://127.0.0.1:6379/11", "off": "dummy://"}
HEADER = (
    f"{'':32} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
    f"{'errors':>7} {'KB/req':>7} {'x bare':>7}"
)


def print_row(name: str, r: dict, bare: float, extra: str = "") -> bool:
    """Print one row; whether it meets the targets."""
    ratio = r["rps"] / bare
    print(
        f"{name:32} {r['rps']:8.1f} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} "
        f"{r['p99_ms']:8.1f} {r['errors']:7d} "
        f"{r['bytes'] / max(r['requests'], 1) / 1024:7.1f} {ratio:7.2f}{extra}"
    )
    return r["errors"] == 0 and r["p95_ms"] < 250 and ratio >= 0.3


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--cache",
        choices=sorted(CACHE_URLS),
        default="redis",
        help="The cache: shared Redis (default, as several nodes run: sessions, "
        "throttles and any page cache in it), per-process memory, or none at all.",
    )
    parser.add_argument(
        "--page-cache",
        choices=("on", "off"),
        default="off",
        help="The per-session page cache (PAGE_CACHE): off by default, so every "
        "page is built (issue 19's targets are for the pages themselves).",
    )
    parser.add_argument(
        "--single",
        action="store_true",
        help="Also the old table: one URL and one session per endpoint.",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    # The bench process makes the sessions the server reads: one secret for both.
    os.environ["SECRET_KEY"] = "load-bench-only-" + "x" * 40
    url = setup("bench_load")
    data = build_data()
    static_root = tempfile.mkdtemp()
    work = Path(tempfile.mkdtemp())
    server, base = start_server(args, url, static_root)
    seconds, connections = args.seconds, args.connections
    single: list[tuple[str, dict]] = []
    try:
        wait_until_serving(server, base)
        check_sessions(base, data)
        run_realistic(base, data, [], 3, connections, work)  # warm every worker
        bare = run_wrk(base + "/healthz", {}, seconds, connections)
        rows = [("realistic mix (95 % reads)", [])]
        rows += [(f"  {label} only", [kind]) for kind, label in READ_KINDS.items()]
        realistic = [
            (name, run_realistic(base, data, kinds, seconds, connections, work))
            for name, kinds in rows
        ]
        if args.single:
            single = run_single(base, data, seconds, connections)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)

    print(
        f"gunicorn {args.workers} sync workers; wrk 2 threads, {connections} "
        f"connections, {seconds} s per row; {CLAIMS:,} claims in {TEAMS} teams on "
        f"PostgreSQL; {len(data.desks)} signed-in users; cache: {args.cache}, "
        f"page cache: {args.page_cache}"
    )
    print(f"\nRealistic mode (Zipf s={ZIPF_EXPONENT}, mix {dict(MIX)})")
    print(HEADER)
    print_row("bare view (/healthz)", bare, bare["rps"])
    ok = True
    for name, r in realistic:
        ok &= print_row(name, r, bare["rps"])
    mix = realistic[0][1]
    print(
        f"mix answers: {mix['ok_2xx']} 2xx, {mix['redirects']} redirects (form "
        f"writes), {mix['login_redirects']} to the login page or second-factor gate, "
        f"{mix['status_errors']} >= 400; sent {mix['sent']}"
    )
    print("targets (0 errors, p95 < 250 ms, >= 0.3x bare):", "met" if ok else "MISSED")
    if single:
        print("\nSingle URL, one session (the old table)")
        print(HEADER + f" {'all 200':>8}")
        ok = True
        for name, r in single:
            same = "no" if r["size_mismatch"] else "yes"
            ok &= print_row(name, r, bare["rps"], f" {same:>8}")
            ok &= not r["size_mismatch"]
        print(
            "targets (0 errors, p95 < 250 ms, >= 0.3x bare, all 200):",
            "met" if ok else "MISSED",
        )


def run_single(
    base: str, data: BenchData, seconds: int, connections: int
) -> list[tuple[str, dict]]:
    """The old figures: each endpoint alone, one URL and one session."""
    session = {"Cookie": login(base)}
    publisher = {
        "Authorization": f"Api-Key {data.api_key}",
        "Accept": "application/json",
    }
    endpoints = [
        ("claim list", "/", session),
        ("claim page (demo claim 1)", f"/claims/{data.claim_one}/", session),
        ("timeline SVG", f"/claims/{data.claim_one}/timeline.svg", session),
        ("publisher claim list (API)", "/api/v1/claims/", publisher),
    ]
    for _, path, headers in endpoints:  # warm every worker's caches
        run_wrk(base + path, headers, 2, connections)
    return [
        (name, run_wrk(base + path, headers, seconds, connections))
        for name, path, headers in endpoints
    ]


if __name__ == "__main__":
    main()
