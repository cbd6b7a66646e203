"""Claim page with 500 timeline events: time and queries, against a bare Django view.

Prints median render times and the ratio to a bare view (the login page) in the
same run. Target (issue 5): under 300 ms with 500 events, constant query count.
    .venv/bin/python bench/claim_page.py [--runs 30]
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
    from tests.factories import (
        ClaimEvidenceFactory,
        ClaimFactory,
        MembershipFactory,
        StatementFactory,
    )

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

    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])

    anonymous = Client()

    def bare() -> None:
        # The login page: the same middleware stack and base layout, no domain data.
        assert anonymous.get("/login/").status_code == 200

    def page(claim_id: int):
        def run() -> None:
            response = client.get(f"/claims/{claim_id}/")
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
    one_ms, one_q = measure(page(small.pk))
    big_ms, big_q = measure(page(big.pk))
    print(f"database: {url.split(':')[0]}; runs: {args.runs} (medians)")
    print(f"bare view (login page)       {bare_ms:8.1f} ms")
    print(f"claim page, 1 event          {one_ms:8.1f} ms  {one_q:3d} queries")
    print(f"claim page, 500 events       {big_ms:8.1f} ms  {big_q:3d} queries")
    print(f"ratio 500 events / 1 event   {big_ms / one_ms:8.2f}x")
    print(f"ratio 500 events / bare view {big_ms / bare_ms:8.2f}x")
    verdict = "meets" if big_ms < 300 and big_q == one_q else "MISSES"
    print(f"target: < 300 ms and constant queries — {verdict}")


if __name__ == "__main__":
    main()
