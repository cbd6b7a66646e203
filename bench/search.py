"""Search at scale (issue 17): p50/p95 of mixed queries through the search service
and through GET /api/v1/search/, against hand-written raw SQL over the same columns
in the same run; and what index upkeep adds to a claim write.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_search \\
        .venv/bin/python bench/search.py [--claims 100000] [--evidence 1000000]
        [--queries 200] [--writes 100] [--reuse]

Documents (100,000 claims, 1,000,000 evidence items of which 15 % statements,
5,000 synthetic vessels) are COPYed in, in time order over two years with kinds
interleaved, spread over 6 teams of skewed size (35 % to 5 %; the searcher is in
the largest); then every vector is computed with the indexer's own expression, the
table compacted, the GIN indexes built, the words table filled as the indexer
fills it. Text is Zipf over 5,000 synthetic filler words with the domain words and
names from rank 5 (in most documents) to rank ~400 (1 %), known phrases, Cyrillic
names. Queries are drawn the same way: single words common and rare, two words,
phrases, exclusions, OR, Cyrillic, typos, names and IMO numbers.

Two baselines, same run, same team: "raw SQL baseline" is the straightforward
hand-written query (every match ranked, exact counts per kind; a UNION ALL of
one query per kind, so each can use its kind's GIN index); "raw SQL, earlier
plan" is the plan the service had before search.pg, by hand (per kind the 50 most
recent matches ranked, best 10 kept, found by a walk when the planner expected
3,000 matches, else by the GIN index), so the ratio shows what the bounded walk
gains net of the service's own work (parsing, highlighting, "did you mean"). With
--reuse the documents of an earlier run are kept (loading takes many minutes).
Targets: service p95 < 50 ms, service throughput >= 0.5x the baseline's, index
upkeep < 20 % of a claim write.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta

from _setup import setup

os.environ["CACHE_URL"] = "dummy://"

VESSELS = ["Angara", "Maria", "Lady R", "Sparta IV", "Ursa Major", "Baltic Leader"]
PLACES = ["Rajin", "Dunai", "Vostochny", "Tartus", "Novorossiysk", "Kerch", "Nakhodka"]
CYRILLIC = ["Ангара", "Бурмистров", "Находка", "Восточный", "Керчь"]
DOMAIN = [
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
PHRASES = [
    "dark period",
    "satellite imagery",
    "port call",
    "cargo manifest",
    "shell company",
]
FILLER_WORDS = 5000
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]
# Team sizes (share of the documents): the searcher is in the largest team.
TEAM_SHARES = (0.35, 0.25, 0.15, 0.10, 0.10, 0.05)
ENTITIES = 5000
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
# The synthetic documents' object ids start here, so that the claims the bench
# writes get documents of their own (an INSERT, as a new claim's is) rather than
# updating a synthetic one with the same id.
SYNTHETIC_IDS = 10**12


def vocabulary() -> list[str]:
    """Synthetic filler words (Zipf-distributed, as real text is) with the domain
    words and names spread from rank 5 (in most documents) to rank ~400 (in 1 %)."""
    rng = random.Random(3)
    filler: dict[str, None] = {}
    while len(filler) < FILLER_WORDS:
        n = rng.choice((2, 3, 3, 4))
        filler["".join(rng.choice(SYLLABLES) for _ in range(n))] = None
    words = list(filler)
    for i, word in enumerate(DOMAIN + VESSELS + PLACES):
        words.insert(5 + 7 * i, word)
    return words


class Writer:
    """Deterministic synthetic text: Zipf word choice over the vocabulary, a
    known phrase now and then, a Cyrillic name in 5 % of documents."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.words = vocabulary()
        total = 0.0
        self.cumulative = []
        for rank in range(len(self.words)):
            total += 1 / (rank + 1)
            self.cumulative.append(total)

    def sentence(self, n: int) -> str:
        rng = self.rng
        words = rng.choices(self.words, cum_weights=self.cumulative, k=n)
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), rng.choice(PHRASES))
        if rng.random() < 0.05:
            words.append(rng.choice(CYRILLIC))
        return " ".join(words)


def _fold(text: str) -> str:
    from provenance.search.text import fold

    return text.lower() if text.isascii() else fold(text)


def documents(claims: int, evidence: int, team_ids: list[int]):
    """(team_id, kind, object_id, title, body, title_folded, body_folded, url,
    is_restricted, is_public, updated_at) for every synthetic document."""
    writer = Writer(17)
    rng = random.Random(5)
    weights = TEAM_SHARES[: len(team_ids)]
    # Written over two years, kinds interleaved, in time order (as a table fills:
    # the physical order follows updated_at, which the ranking's index walks).
    order = ["claim"] * claims + ["evidence"] * evidence + ["entity"] * ENTITIES
    rng.shuffle(order)
    step = 2 * 365 * 24 * 3600 / len(order)
    numbers = dict.fromkeys(("claim", "evidence", "entity"), 0)
    for index, kind in enumerate(order):
        numbers[kind] += 1
        n = numbers[kind]
        team_id = rng.choices(team_ids, weights=weights)[0]
        row_kind, restricted, public = kind, False, False
        if kind == "claim":
            title, body = writer.sentence(12), writer.sentence(15)
            public = rng.random() < 0.2
        elif kind == "evidence":
            title, body = writer.sentence(8), writer.sentence(40)
            row_kind = "statement" if rng.random() < 0.15 else "evidence"
            restricted = rng.random() < 0.02
        else:
            # Synthetic vessels (never real identifiers: IMO numbers here start
            # with 0, which no real one does).
            name = f"{rng.choice(VESSELS)} {writer.sentence(1).split()[0]} {n}"
            title = f"Synthetic vessel {name}"
            body = f"IMO {n:07d} MMSI 0{n:08d} synthetic bench entity"
        when = EPOCH + timedelta(seconds=index * step + rng.random() * step)
        yield (
            team_id,
            row_kind,
            SYNTHETIC_IDS + n,
            title,
            body,
            _fold(title),
            _fold(body),
            f"/{kind}/{n}/",
            restricted,
            public,
            when,
        )


KINDS = ("claim", "statement", "evidence", "entity", "comment")
COLUMNS = (
    "team_id, kind, object_id, title, body, title_folded, body_folded, url, "
    "is_restricted, is_public, updated_at"
)


def populate(claims: int, evidence: int, team_ids: list[int]) -> None:
    """COPY the documents in with the search indexes dropped, compute every
    vector with the indexer's own expression (two connections, one per core),
    compact the table, rebuild the indexes, fill the words table as the indexer
    does, ANALYZE."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection, connections
    from django.db.models import F

    from provenance.search.indexing import document_vector
    from provenance.search.models import SearchDocument, SearchWord
    from provenance.search.text import title_words

    table = SearchDocument._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef, indexname FROM pg_indexes WHERE tablename = %s "
            "AND indexdef LIKE %s",
            [table, "%USING gin%"],
        )
        gin = cursor.fetchall()
        for _, name in gin:
            cursor.execute(f'DROP INDEX "{name}"')
        words: set[tuple[int, str]] = set()
        start = time.perf_counter()
        with cursor.copy(f"COPY {table} ({COLUMNS}) FROM STDIN") as copy:
            for done, row in enumerate(documents(claims, evidence, team_ids), 1):
                copy.write_row(row)
                words |= {(row[0], w) for w in title_words(row[5])}
                if done % 200_000 == 0:
                    print(f"  copied {done}", flush=True)
        print(f"  COPY took {time.perf_counter() - start:.0f} s", flush=True)
        cursor.execute(f"SELECT min(id), max(id) FROM {table}")
        low, high = cursor.fetchone()
    SearchWord.objects.bulk_create(
        [SearchWord(team_id=t, word=w) for t, w in sorted(words)],
        batch_size=5000,
        ignore_conflicts=True,
    )

    def vectors(part: int) -> None:
        step = 20_000
        try:
            for first in range(low + part * step, high + 1, 2 * step):
                SearchDocument.objects.filter(
                    pk__gte=first, pk__lt=first + step
                ).update(
                    vector=document_vector(
                        F("title"), F("body"), F("title_folded"), F("body_folded")
                    )
                )
        finally:
            connections.close_all()

    start = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(vectors, (0, 1)))
    print(f"  vectors took {time.perf_counter() - start:.0f} s", flush=True)
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(f"VACUUM FULL {table}")
        for definition, _ in gin:
            cursor.execute(definition)
        cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(f"ANALYZE {SearchWord._meta.db_table}")
    print(f"  compact, index, analyze took {time.perf_counter() - start:.0f} s")


def queries(n: int) -> list[str]:
    """Mixed queries drawn as investigators type them (Zipf over the domain
    words, so common words dominate): words, two words, phrases, exclusions, OR,
    typos, Cyrillic, names and IMO numbers."""
    rng = random.Random(1)
    common = DOMAIN + VESSELS + PLACES

    def zipf() -> str:
        return rng.choices(common, weights=[1 / (r + 1) for r in range(len(common))])[0]

    shapes = [
        zipf,
        lambda: rng.choice(common[-15:]),
        lambda: f"{zipf()} {zipf()}",
        lambda: f'"{rng.choice(PHRASES)}"',
        lambda: f"{rng.choice(VESSELS)} -{rng.choice(DOMAIN)}",
        lambda: f"{rng.choice(VESSELS)} OR {rng.choice(PLACES)}",
        lambda: rng.choice(CYRILLIC),
        lambda: rng.choice(
            ["Angarra", "Vostochnyy", "Nakhodke", "munitons", "sanktions"]
        ),
        lambda: f"IMO {rng.randrange(1, ENTITIES):07d}",
        lambda: f"synthetic vessel {rng.choice(VESSELS)}",
    ]
    return [rng.choice(shapes)() for _ in range(n)]


# Per kind (a UNION ALL), so that each arm can use its kind's GIN index (migration
# 0023: the indexes are partial, one per kind); written over the whole table, the
# baseline could use none and would read every row.
RAW_KIND = """
SELECT id, kind, title, body, url, is_restricted, is_public, updated_at, vector
FROM provenance_searchdocument
WHERE team_id = %(team)s AND kind = '{kind}'
  AND vector @@ (websearch_to_tsquery('english', %(folded)s)
                 || websearch_to_tsquery('russian', %(q)s)
                 || websearch_to_tsquery('simple', %(folded)s))
"""
RAW_MATCHES = " UNION ALL ".join(f"({RAW_KIND.format(kind=k)})" for k in KINDS)
RAW_ROWS = f"""
SELECT id, kind, title, body, url, is_restricted, is_public,
       ts_rank(vector, websearch_to_tsquery('english', %(folded)s)
                       || websearch_to_tsquery('russian', %(q)s)
                       || websearch_to_tsquery('simple', %(folded)s)) AS rank
FROM ({RAW_MATCHES}) AS matches
ORDER BY rank DESC, updated_at DESC, id
LIMIT 50
"""
RAW_COUNTS = f"SELECT kind, count(*) FROM ({RAW_MATCHES}) AS matches GROUP BY kind"


# The service's earlier plan written by hand: per kind an estimate (EXPLAIN), then
# in one statement the 50 most recent matches of each kind (walking the recent index
# from 3,000 expected matches, else from the GIN index) ranked, the best 10 kept.
RAW_PLAN_KIND = """
(SELECT d.kind, d.object_id, d.title, substr(d.body, 1, 5000), d.url,
        d.is_restricted, ts_rank(d.vector, query.q) AS rank
 FROM (SELECT websearch_to_tsquery('english', %(folded)s)
              || websearch_to_tsquery('russian', %(q)s)
              || websearch_to_tsquery('simple', %(folded)s) AS q) AS query,
      LATERAL (SELECT id FROM provenance_searchdocument
               WHERE team_id = %(team)s AND kind = '{kind}' AND vector @@ query.q
               ORDER BY {recent} DESC, id DESC LIMIT 50) AS candidates
 JOIN provenance_searchdocument d ON d.id = candidates.id
 ORDER BY rank DESC, d.updated_at DESC, d.id
 LIMIT 10)
"""
RAW_PLAN_ESTIMATE = """
EXPLAIN (FORMAT JSON) SELECT id FROM provenance_searchdocument
WHERE team_id = %(team)s AND kind = %(kind)s
  AND vector @@ (websearch_to_tsquery('english', %(folded)s)
                 || websearch_to_tsquery('russian', %(q)s)
                 || websearch_to_tsquery('simple', %(folded)s))
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
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the documents of an earlier run of the same size (loading takes "
        "minutes); without it the database is made afresh",
    )
    args = parser.parse_args()
    url = setup("bench_search", fresh=not args.reuse)
    if not url.startswith("postgres"):
        raise SystemExit("bench/search.py measures PostgreSQL: set BENCH_DATABASE_URL")

    from django.conf import settings
    from django.db import connection
    from django.db.models import Count
    from django.test import Client

    from provenance.claims.services import claim_create
    from provenance.common.indexing import object_written
    from provenance.search import indexing
    from provenance.search.models import Audience, SearchDocument
    from provenance.search.selectors import search
    from provenance.search.text import fold
    from provenance.teams.models import Membership, Team
    from tests.factories import MembershipFactory, TeamFactory

    settings.ALLOWED_HOSTS = ["*"]
    expected = args.claims + args.evidence + ENTITIES
    teams = list(Team.objects.order_by("pk")[: len(TEAM_SHARES)])
    synthetic = SearchDocument.objects.filter(object_id__gte=SYNTHETIC_IDS).count()
    if len(teams) < len(TEAM_SHARES) or synthetic < expected:
        if SearchDocument.objects.exists():
            raise SystemExit(
                "the bench database holds other data (or an older bench's): run "
                "without --reuse"
            )
        teams = [TeamFactory() for _ in TEAM_SHARES]
        print(f"populating {args.claims} claims, {args.evidence} evidence documents")
        start = time.perf_counter()
        populate(args.claims, args.evidence, [t.pk for t in teams])
        print(f"  took {time.perf_counter() - start:.0f} s")
    membership = Membership.objects.filter(
        team=teams[0], role="reporter"
    ).first() or MembershipFactory(team=teams[0], role="reporter")
    user, team = membership.user, membership.team
    sizes = dict(
        SearchDocument.objects.order_by().values_list("team_id").annotate(n=Count("id"))
    )
    print(
        f"documents: {sum(sizes.values())} in {len(sizes)} teams "
        f"({', '.join(str(sizes.get(t.pk, 0)) for t in teams)}); "
        f"searching as a member of the largest"
    )

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

    def raw_plan(q: str) -> None:
        params = {"q": q, "folded": fold(q), "team": team.pk}
        parts = []
        with connection.cursor() as cursor:
            for kind in KINDS:
                cursor.execute(RAW_PLAN_ESTIMATE, {**params, "kind": kind})
                estimate = cursor.fetchone()[0][0]["Plan"]["Plan Rows"]
                recent = "updated_at" if estimate >= 3000 else "(updated_at + '0s')"
                parts.append(RAW_PLAN_KIND.format(kind=kind, recent=recent))
            cursor.execute(" UNION ALL ".join(parts), params)
            cursor.fetchall()

    for fn in (service, raw, raw_plan, endpoint):  # warm the caches once
        timed(fn, mixed[:20])
    print(f"\n{args.queries} mixed queries:")
    _, service_p95, service_qps = summary("search service", timed(service, mixed))
    summary("GET /api/v1/search/", timed(endpoint, mixed))
    _, _, raw_qps = summary("raw SQL baseline", timed(raw, mixed))
    _, _, plan_qps = summary("raw SQL, earlier plan", timed(raw_plan, mixed))

    # Index upkeep: the same claim write with the hook connected and not,
    # interleaved so drift affects both alike.
    writer = Writer(99)
    with_hook, without_hook = [], []
    for n in range(args.writes):
        for connected, out in ((True, with_hook), (False, without_hook)):
            if not connected:
                object_written.disconnect(dispatch_uid="search-index")
            begin = time.perf_counter()
            claim_create(
                team=team,
                actor=user,
                text=f"{writer.sentence(12)} {n} {connected}",
                tag_names=["bench"],
            )
            out.append((time.perf_counter() - begin) * 1000)
            if not connected:
                object_written.connect(indexing._written, dispatch_uid="search-index")
    upkeep = statistics.median(with_hook) / statistics.median(without_hook) - 1
    print(
        f"\nclaim write: median {statistics.median(without_hook):.2f} ms without the "
        f"index, {statistics.median(with_hook):.2f} ms with it (+{upkeep:.1%})"
    )
    print(
        f"against the earlier plan by hand: {service_qps / plan_qps:.2f}x its "
        "throughput"
    )
    targets = [
        ("service p95 < 50 ms", f"{service_p95:.1f} ms", service_p95 < 50),
        (
            "service >= 0.5x the raw baseline's throughput",
            f"{service_qps / raw_qps:.2f}x",
            service_qps / raw_qps >= 0.5,
        ),
        ("index upkeep < 20 % of a claim write", f"+{upkeep:.1%}", upkeep < 0.2),
    ]
    for name, figure, met in targets:
        print(f"target {name:<46} {figure:>10}  {'meets' if met else 'MISSES'}")


if __name__ == "__main__":
    main()
