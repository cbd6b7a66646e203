"""Search at scale (issue 17): p50/p95 of mixed queries through the search service
and through GET /api/v1/search/, against hand-written raw SQL over the same columns
in the same run; and what index upkeep adds to a claim write.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_search \\
        .venv/bin/python bench/search.py [--claims 100000] [--evidence 1000000]
        [--queries 200] [--writes 100]

Documents are bulk-inserted (title, body and their transliterations, then one UPDATE
per batch computing the vector with the same expression the indexer uses), spread
over 10 teams with skewed word popularity (Zipf); queries are drawn the same way:
single words common and rare, two words, phrases, exclusions, OR, Cyrillic, typos.
The raw baseline runs the same two statements the service needs (rows, counts per
kind) written by hand, with the query folded in Python as the service does (with
unaccent() in the SQL, a STABLE function, the tsquery is rebuilt per ranked row:
1.5x slower than the service at 220,000 documents); the service adds parsing,
highlighting and the "did you mean" pass when nothing matches. Targets: service
p95 < 50 ms, service throughput >= 0.5x the baseline's, index upkeep < 20 % of a
claim write.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from _setup import setup

os.environ["CACHE_URL"] = "dummy://"

VESSELS = ["Angara", "Maria", "Lady R", "Sparta IV", "Ursa Major", "Baltic Leader"]
PLACES = ["Rajin", "Dunai", "Vostochny", "Tartus", "Novorossiysk", "Kerch", "Nakhodka"]
CYRILLIC = ["Ангара", "Бурмистров", "Находка", "Восточный", "Керчь"]
WORDS = [
    "containers",
    "munitions",
    "shells",
    "rockets",
    "transfer",
    "port",
    "call",
    "loading",
    "dark",
    "period",
    "transponder",
    "satellite",
    "imagery",
    "railway",
    "wagons",
    "cargo",
    "manifest",
    "denial",
    "statement",
    "ministry",
    "sanctions",
    "designation",
    "vessel",
    "tanker",
    "bulk",
    "carrier",
    "flag",
    "registry",
    "owner",
    "company",
    "shell",
    "front",
    "customs",
    "inspection",
    "berth",
    "crane",
    "pier",
    "convoy",
    "escort",
]


def zipf_choice(rng: random.Random, items: list[str]) -> str:
    weights = [1 / (rank + 1) for rank in range(len(items))]
    return rng.choices(items, weights=weights)[0]


def sentence(rng: random.Random, n: int) -> str:
    vocabulary = WORDS + VESSELS + PLACES
    words = [zipf_choice(rng, vocabulary) for _ in range(n)]
    if rng.random() < 0.05:
        words.append(rng.choice(CYRILLIC))
    return " ".join(words)


def populate(claims: int, evidence: int, teams: list) -> None:
    from django.db import transaction
    from django.db.models import F

    from provenance.search.indexing import document_vector
    from provenance.search.models import SearchDocument
    from provenance.search.text import fold

    rng = random.Random(17)
    batch = 5000
    for kind, total in (("claim", claims), ("evidence", evidence)):
        done = 0
        while done < total:
            rows = []
            for n in range(done, min(total, done + batch)):
                title = sentence(rng, 8)
                body = sentence(rng, 40 if kind == "evidence" else 15)
                rows.append(
                    SearchDocument(
                        team=teams[n % len(teams)],
                        kind=kind,
                        object_id=n + 1,
                        title=title,
                        body=body,
                        title_folded=fold(title),
                        body_folded=fold(body),
                        url=f"/{kind}/{n + 1}/",
                        is_restricted=kind == "evidence" and n % 50 == 0,
                    )
                )
            with transaction.atomic():
                made = SearchDocument.objects.bulk_create(rows)
                SearchDocument.objects.filter(
                    pk__gte=made[0].pk, pk__lte=made[-1].pk
                ).update(
                    vector=document_vector(
                        F("title"), F("body"), F("title_folded"), F("body_folded")
                    )
                )
            done += len(rows)
            print(f"  {kind}: {done}/{total}", flush=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE provenance_searchdocument")


def queries(n: int) -> list[str]:
    rng = random.Random(1)
    vocabulary = WORDS + VESSELS + PLACES
    shapes = [
        lambda: zipf_choice(rng, vocabulary),
        lambda: rng.choice(vocabulary[-12:]),
        lambda: f"{zipf_choice(rng, vocabulary)} {zipf_choice(rng, vocabulary)}",
        lambda: f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"',
        lambda: f"{rng.choice(VESSELS)} -{rng.choice(WORDS)}",
        lambda: f"{rng.choice(VESSELS)} OR {rng.choice(PLACES)}",
        lambda: rng.choice(CYRILLIC),
        lambda: rng.choice(["Angarra", "Vostochnyy", "Nakhodke", "munitons"]),
    ]
    return [rng.choice(shapes)() for _ in range(n)]


RAW_ROWS = """
SELECT id, kind, title, body, url, is_restricted, is_public,
       ts_rank(vector, query.q) AS rank
FROM provenance_searchdocument,
     (SELECT websearch_to_tsquery('english', %(folded)s)
             || websearch_to_tsquery('russian', %(q)s)
             || websearch_to_tsquery('simple', %(folded)s) AS q) AS query
WHERE team_id = %(team)s AND vector @@ query.q
ORDER BY rank DESC, updated_at DESC, id
LIMIT 50
"""
RAW_COUNTS = """
SELECT kind, count(*)
FROM provenance_searchdocument,
     (SELECT websearch_to_tsquery('english', %(folded)s)
             || websearch_to_tsquery('russian', %(q)s)
             || websearch_to_tsquery('simple', %(folded)s) AS q) AS query
WHERE team_id = %(team)s AND vector @@ query.q
GROUP BY kind
"""


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(label: str, ms: list[float]) -> tuple[float, float, float]:
    ordered = sorted(ms)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    qps = 1000 * len(ms) / sum(ms)
    print(f"{label:<28} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   {qps:7.1f} q/s")
    return p50, p95, qps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--evidence", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--writes", type=int, default=100)
    args = parser.parse_args()
    url = setup("bench_search")
    if not url.startswith("postgres"):
        raise SystemExit("bench/search.py measures PostgreSQL: set BENCH_DATABASE_URL")

    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from provenance.claims.services import claim_create
    from provenance.common.indexing import object_written
    from provenance.search import indexing
    from provenance.search.models import Audience
    from provenance.search.selectors import search
    from provenance.search.text import fold
    from tests.factories import MembershipFactory, TeamFactory

    settings.ALLOWED_HOSTS = ["*"]
    teams = [TeamFactory() for _ in range(10)]
    membership = MembershipFactory(team=teams[0], role="reporter")
    user, team = membership.user, membership.team
    print(f"populating {args.claims} claims and {args.evidence} evidence documents")
    start = time.perf_counter()
    populate(args.claims, args.evidence, teams)
    print(f"  took {time.perf_counter() - start:.0f} s")

    mixed = queries(args.queries)
    audience = Audience.member(team)
    client = Client()
    client.force_login(user, backend=settings.AUTHENTICATION_BACKENDS[-1])

    def service(q: str) -> None:
        search(audience=audience, q=q)

    def endpoint(q: str) -> None:
        assert client.get("/api/v1/search/", {"q": q}).status_code == 200

    def raw(q: str) -> None:
        params = {"q": q, "folded": fold(q), "team": team.pk}
        with connection.cursor() as cursor:
            cursor.execute(RAW_ROWS, params)
            cursor.fetchall()
            cursor.execute(RAW_COUNTS, params)
            cursor.fetchall()

    for fn in (service, raw, endpoint):  # warm the caches once
        timed(fn, mixed[:20])
    print(f"\n{args.queries} mixed queries, team of {len(teams)} sharing the table:")
    _, service_p95, service_qps = summary("search service", timed(service, mixed))
    summary("GET /api/v1/search/", timed(endpoint, mixed))
    _, _, raw_qps = summary("raw SQL baseline", timed(raw, mixed))

    # Index upkeep: the same claim write with the hook connected and not,
    # interleaved so drift affects both alike.
    with_hook, without_hook = [], []
    for n in range(args.writes):
        for connected, out in ((True, with_hook), (False, without_hook)):
            if not connected:
                object_written.disconnect(dispatch_uid="search-index")
            begin = time.perf_counter()
            claim_create(
                team=team,
                actor=user,
                text=f"{sentence(random.Random(n), 12)} {n} {connected}",
                tag_names=["bench"],
            )
            out.append((time.perf_counter() - begin) * 1000)
            if not connected:
                object_written.connect(indexing._written, dispatch_uid="search-index")
    upkeep = statistics.median(with_hook) / statistics.median(without_hook) - 1
    print(
        f"\nclaim write: median {statistics.median(without_hook):.2f} ms without the "
        f"index, {statistics.median(with_hook):.2f} ms with it (+{upkeep:.0%})"
    )
    print(
        f"\ntargets: service p95 {service_p95:.1f} ms (< 50); service/raw throughput "
        f"{service_qps / raw_qps:.2f}x (>= 0.5); index upkeep +{upkeep:.0%} (< 20 %)"
    )


if __name__ == "__main__":
    main()
