"""Claim pages without the page cache: time and queries, against a bare Django view.

Prints median render times and ratios in the same run: the demo's claim 1 (a
signed-in demo-reporter, as on the demo) and a claim with 1 and with 500 timeline
events (200 assessments, 300 statements), against a bare view (the login page).
Targets (issue 19, PostgreSQL): the demo claim <= 6x the bare view; 500 events
<= 3x the 1-event page and under 150 ms; the same query count for 500 events as
for one event of each kind (an assessment, a linked statement).
    BENCH_DATABASE_URL=postgres://... .venv/bin/python bench/claim_page.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import UTC, datetime, timedelta

from _setup import setup

# Measure building the page, not the page cache.
os.environ["CACHE_URL"] = "dummy://"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    url = setup("bench_claim_page")

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from provenance.claims.models import ConfidenceAssessment
    from provenance.demo.loader import load_demo
    from tests.factories import (
        ClaimEvidenceFactory,
        ClaimFactory,
        MembershipFactory,
        StatementFactory,
    )

    demo = load_demo()
    membership = MembershipFactory(role="reporter")
    user, team = membership.user, membership.team
    big = ClaimFactory(team=team, author=user)
    small = ClaimFactory(team=team, author=user)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    ConfidenceAssessment.objects.bulk_create(
        ConfidenceAssessment(
            claim=big,
            level=("unlikely", "roughly_even_chance", "likely")[n % 3],
            rationale=f"Step {n}",
            assessed_by=user,
            recorded_at=start + timedelta(days=n),
            effective_at=start + timedelta(days=n),
        )
        for n in range(200)
    )
    for n in range(300):
        statement = StatementFactory(
            item__team=team, stated_at=start + timedelta(hours=n * 17)
        )
        ClaimEvidenceFactory(
            claim=big,
            item=statement.item,
            relation="contradicts" if n % 3 else "supports",
            stance="denies" if n % 3 else "asserts",
        )
    ConfidenceAssessment.objects.create(
        claim=small, level="likely", rationale="One", assessed_by=user
    )
    # Queries grow with the kinds of content, not the events: an assessment's
    # cited evidence and a link's captures and annotations are one query each,
    # skipped when the claim has none (so the 1-event page has one fewer). The
    # constant-queries check compares the 500-event page with one event of each.
    each = ClaimFactory(team=team, author=user)
    ConfidenceAssessment.objects.create(
        claim=each, level="likely", rationale="One", assessed_by=user
    )
    one = StatementFactory(item__team=team, stated_at=start)
    ClaimEvidenceFactory(claim=each, item=one.item, relation="supports")

    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])

    anonymous = Client()
    demo_client = Client()
    demo_client.force_login(demo.reporter, backend=settings.AUTHENTICATION_BACKENDS[-1])

    def bare() -> None:
        # The login page: the same middleware stack and base layout, no domain data.
        assert anonymous.get("/login/").status_code == 200

    def page(claim_id: int, as_user=client):
        def run() -> None:
            response = as_user.get(f"/claims/{claim_id}/")
            assert response.status_code == 200

        return run

    def measure(func) -> tuple[float, int]:
        func()  # warm up templates and caches
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            func()
            times.append(time.perf_counter() - t0)
        with CaptureQueriesContext(connection) as queries:
            func()
        return statistics.median(times) * 1000, len(queries.captured_queries)

    bare_ms, _ = measure(bare)
    demo_ms, demo_q = measure(page(demo.claims["claim-1"].pk, demo_client))
    one_ms, one_q = measure(page(small.pk))
    big_ms, big_q = measure(page(big.pk))
    _, each_q = measure(page(each.pk))
    print(f"database: {url.split(':')[0]}; runs: {args.runs} (medians); page cache off")
    print(f"bare view (login page)       {bare_ms:8.1f} ms")
    print(f"demo claim 1                 {demo_ms:8.1f} ms  {demo_q:3d} queries")
    print(f"claim page, 1 event          {one_ms:8.1f} ms  {one_q:3d} queries")
    print(f"claim page, 500 events       {big_ms:8.1f} ms  {big_q:3d} queries")
    print(f"claim page, 1 event of each kind        {each_q:3d} queries")
    print(f"ratio demo claim / bare view {demo_ms / bare_ms:8.2f}x  (target <= 6x)")
    print(f"ratio 500 events / 1 event   {big_ms / one_ms:8.2f}x  (target <= 3x)")
    print(f"ratio 500 events / bare view {big_ms / bare_ms:8.2f}x")
    checks = {
        "demo <= 6x bare": demo_ms <= 6 * bare_ms,
        "500 events <= 3x 1 event": big_ms <= 3 * one_ms,
        "500 events < 150 ms": big_ms < 150,
        "constant queries": big_q == each_q,
    }
    for name, ok in checks.items():
        print(f"target {name:26} {'meets' if ok else 'MISSES'}")


if __name__ == "__main__":
    main()
