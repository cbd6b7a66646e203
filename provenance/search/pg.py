"""The search plan on PostgreSQL, in SQL: per kind the most recent matches, ranked.

Each kind's group is the best (ts_rank) of its CANDIDATES most recent matches, never
of every match: a common word matches most of a team's million documents and
ts_rank reads each row's vector. There are two ways to the most recent matches, and
which is cheap depends on how many match, which the planner often misjudges: it
takes words as independent, so a name ("Lady R") or a phrase ("cargo manifest") is
estimated at a twentieth of its matches (bench/search.py: 321 for 5,432).
- The walk reads the kind's documents newest first down the (team, kind,
  updated_at) index and stops at CANDIDATES matches: cheap when many match, a read
  of the whole kind when few do.
- The GIN path takes every match from the kind's GIN index (one per kind,
  migration 0023), then the newest: cheap when few match, but it reads every
  match's row, every team's (18,000 heap blocks for a common phrase).
So each kind walks at most `walk_rows` rows and, only when that walk found too few,
takes the GIN path in the same statement (a one-time filter on the walk's count):
`walk_rows` is what the GIN path is expected to cost (KindPlan), and at least
`threshold`, about where the two cost the same for a match rate the planner
gets right (sqrt(CANDIDATES * kind size)). Neither way then costs much more than
twice the cheaper. When even an upper bound of the kind's matches (the rarest
word of each alternative, counted as if alone) is below the threshold, the walk
would come up short, so the kind takes the GIN path at once; a kind no larger
than its walk is walked whole. Whichever way, the candidates are the same: the
kind's CANDIDATES most recent matches (tests/provenance/search/test_pg_plan.py).

Written in SQL rather than the ORM: the walk filters after a LIMIT (a derived
table), and building the per-kind union through the ORM cost 10-25 ms a search in
Python (bench/search.py, cProfile), more than the database took for most queries.
The audience's visibility stays in one place: its WHERE is compiled from
SearchDocumentQuerySet.visible_to.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from provenance.search.models import SearchDocument
from provenance.search.text import ParsedQuery, fold

TABLE = "provenance_searchdocument"  # SearchDocument's (migration 0014 names it too)
CANDIDATES = 50
# What a GIN scan costs, in rows a walk reads in the same time (bench/search.py,
# EXPLAIN ANALYZE at 1.1 million documents: a walk 1.6-2.3 us a row; the index
# 0.04 us an entry of its posting lists, 0.2-0.3 us a match it puts in the bitmap,
# and about a walk's row for each match's row). Both are over every team's
# documents of the kind.
ENTRIES_PER_ROW = 50
BITMAP_MATCHES_PER_ROW = 8


@dataclass(frozen=True)
class KindPlan:
    kind: str
    estimate: int  # the planner's estimate of the kind's matches
    size: int  # the planner's estimate of the kind's visible documents
    upper: int  # an upper bound of the kind's matches (estimated)
    gin_rows: int  # what the GIN path is expected to cost, in rows of a walk

    @property
    def threshold(self) -> int:
        return max(CANDIDATES, math.isqrt(CANDIDATES * max(self.size, 1)))

    @property
    def walk_rows(self) -> int:
        """How far a walk goes before the GIN path: as far as the GIN path would
        cost, so that neither way costs much more than twice the cheaper one."""
        return max(self.threshold, self.gin_rows)

    @property
    def way(self) -> str:
        """'gin' (every match from the GIN index), 'walk' (the whole kind, newest
        first) or 'walk-then-gin' (at most walk_rows rows, then the GIN path)."""
        if self.size <= self.walk_rows:
            return "walk"
        if self.upper < self.threshold:
            return "gin"
        return "walk-then-gin"


def _cursor() -> Any:
    """Never prepared (provenance.postgresql's client cursor): the planner's
    estimates and the plans of the ranked rows must see this query's values."""
    return getattr(connection, "client_cursor", connection.cursor)()


def tsquery_sql(raw: str) -> tuple[str, list[str]]:
    """The query's tsquery, SQL and parameters: English (folded) or Russian or
    simple (folded). Constants only (folded here, not by unaccent(), which is
    STABLE): PostgreSQL then folds the tsquery once per statement instead of once
    per ranked row (bench/search.py: 5x on a 1,200-row match)."""
    folded = fold(raw)
    return (
        "(websearch_to_tsquery('english'::regconfig, %s)"
        " || websearch_to_tsquery('russian'::regconfig, %s)"
        " || websearch_to_tsquery('simple'::regconfig, %s))",
        [folded, raw, folded],
    )


def _visible(documents: QuerySet[SearchDocument]) -> tuple[str, list[Any]]:
    """The WHERE of `documents` (visible_to and any kind filter), compiled."""
    query = documents.query
    sql, params = query.get_compiler(using=documents.db).compile(query.where)
    return sql or "TRUE", list(params)


def _plan_rows(plan: dict[str, Any]) -> list[int]:
    top = plan["Plan"]
    children = top.get("Plans", []) if top["Node Type"] == "Append" else [top]
    return [int(child["Plan Rows"]) for child in children]


def plans(
    documents: QuerySet[SearchDocument],
    raw: str,
    parsed: ParsedQuery,
    kinds: list[str],
) -> dict[str, KindPlan]:
    """Per kind the planner's estimates (one EXPLAIN, no rows read): its matches
    (a full group's "about"), its visible documents; for the upper bound each
    required word's share of the table, and for the GIN path's cost the matches
    over the whole table."""
    where, where_params = _visible(documents)
    tsquery, tsquery_params = tsquery_sql(raw)
    words = list(dict.fromkeys(parsed.positive_words))
    parts, params = [], []
    for kind in kinds:
        parts.append(
            f"SELECT id FROM {TABLE} WHERE {where} AND kind = %s "  # noqa: S608
            f"AND vector @@ {tsquery}"
        )
        params += [*where_params, kind, *tsquery_params]
    for kind in kinds:
        parts.append(f"SELECT id FROM {TABLE} WHERE {where} AND kind = %s")  # noqa: S608
        params += [*where_params, kind]
    for kind in kinds:
        parts.append(f"SELECT id FROM {TABLE} WHERE kind = %s")  # noqa: S608
        params.append(kind)
    for word in words:
        word_query, word_params = tsquery_sql(word)
        parts.append(f"SELECT id FROM {TABLE} WHERE vector @@ {word_query}")  # noqa: S608
        params += word_params
    parts.append(f"SELECT id FROM {TABLE} WHERE vector @@ {tsquery}")  # noqa: S608
    params += tsquery_params
    parts.append(f"SELECT id FROM {TABLE}")  # noqa: S608
    with _cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + " UNION ALL ".join(parts), params)
        explained = cursor.fetchone()[0]
    if isinstance(explained, str):
        explained = json.loads(explained)
    rows = _plan_rows(explained[0])
    if len(rows) != len(parts):
        # A plan of another shape (PostgreSQL proved a part empty): no estimates,
        # every kind walks, then takes the GIN path if it must.
        return {k: KindPlan(k, 0, 1 << 30, 1 << 30, 0) for k in kinds}
    n = len(kinds)
    estimates, sizes, kind_rows = rows[:n], rows[n : 2 * n], rows[2 * n : 3 * n]
    table = max(rows[-1], 1)
    postings = dict(zip(words, rows[3 * n : -2], strict=True))
    share = {w: r / table for w, r in postings.items()}
    # GIN's scan of an AND skips through the longer posting lists by the shortest
    # one's entries (PostgreSQL's "fast scan"), so an alternative reads about as
    # many entries as its rarest word has.
    entries = sum(
        min(
            (postings[w] for term in clause.required for w in term.words),
            default=table,
        )
        for clause in parsed.clauses
    )
    # An alternative matches no more than its rarest required word does: the
    # query's share of any kind's documents.
    upper = sum(
        min((share[w] for term in clause.required for w in term.words), default=1.0)
        for clause in parsed.clauses
    )
    out = {}
    for kind, estimate, size, of_kind in zip(
        kinds, estimates, sizes, kind_rows, strict=True
    ):
        # The kind's own GIN index (migration 0023) holds its share of the
        # entries and matches, every team's; each match's row is then read.
        kind_share = of_kind / table
        gin_rows = round(
            kind_share * entries / ENTRIES_PER_ROW
            + kind_share * rows[-2] * (1 + 1 / BITMAP_MATCHES_PER_ROW)
        )
        out[kind] = KindPlan(
            kind,
            estimate,
            size,
            upper=max(estimate, round(upper * size)),
            gin_rows=gin_rows,
        )
    return out


ROW_SQL = """
SELECT d.kind, d.object_id, d.title, substr(d.body, 1, %s), d.url,
       d.is_restricted, d.is_public, ranked.rank, d.updated_at, d.id
FROM (SELECT id, rank,
             row_number() OVER (PARTITION BY kind
                                ORDER BY rank DESC, updated_at DESC, id) AS place
      FROM (SELECT id, kind, updated_at, ts_rank(vector, {tsquery}) AS rank
            FROM {table} WHERE id IN ({candidates})) AS scored) AS ranked
JOIN {table} d ON d.id = ranked.id
WHERE ranked.place <= %s
"""


def rows(
    documents: QuerySet[SearchDocument],
    raw: str,
    kind_plans: dict[str, KindPlan],
    n: int,
    excerpt: int,
) -> list[tuple]:
    """One statement: the best `n` rows of each planned kind, each with its rank
    (selectors.ROW_COLUMNS)."""
    where, where_params = _visible(documents)
    tsquery, tsquery_params = tsquery_sql(raw)
    wanted = max(CANDIDATES, 2 * n)
    ctes: list[tuple[str, list[Any]]] = []
    branches: list[tuple[str, list[Any]]] = []
    for i, plan in enumerate(kind_plans.values()):
        scope = f"{where} AND kind = %s"
        scope_params = [*where_params, plan.kind]
        walk = (
            "SELECT id FROM (SELECT id, updated_at, vector "  # noqa: S608
            f"FROM {TABLE} WHERE {scope} ORDER BY updated_at DESC, id DESC "
            f"LIMIT %s) AS recent WHERE vector @@ {tsquery} LIMIT %s"
        )
        # The matches in the walk's order, no ORDER BY: with one, PostgreSQL
        # plans the inner query for every row (a sort of the whole kind); without,
        # for the few the LIMIT asks, which is the index walk. LIMIT NULL (no
        # limit) still keeps the match filter outside the walk.
        limit = None if plan.way == "walk" else plan.walk_rows
        walk_params = [*scope_params, limit, *tsquery_params, wanted]
        if plan.way == "walk":
            branches.append((walk, walk_params))
            continue
        gate, gate_params = "", []
        if plan.way == "walk-then-gin":
            name = f"walked_{i}"
            ctes.append((f"{name} AS MATERIALIZED ({walk})", walk_params))
            count = f"(SELECT count(*) FROM {name})"  # noqa: S608
            branches.append(
                (f"SELECT id FROM {name} WHERE {count} >= %s", [wanted])  # noqa: S608
            )
            # Evaluated once (a one-time filter): the GIN path runs only when
            # the walk came up short.
            gate, gate_params = f" AND {count} < %s", [wanted]
        branches.append(
            (
                # The kind's matches from its GIN index, the audience's kept
                # outside (OFFSET 0 keeps the planner from pushing the team's
                # condition in: it would AND the bitmap with the team's hundreds
                # of thousands of rows, 40 ms, for a few hundred matches).
                "SELECT id FROM (SELECT id, updated_at, team_id, kind, "  # noqa: S608
                f"is_restricted, is_public FROM {TABLE} WHERE kind = %s "
                f"AND vector @@ {tsquery}{gate} OFFSET 0) AS {TABLE} "
                f"WHERE {where} ORDER BY updated_at DESC, id DESC LIMIT %s",
                [plan.kind, *tsquery_params, *gate_params, *where_params, wanted],
            )
        )
    sql = ROW_SQL.format(
        tsquery=tsquery,
        table=TABLE,
        candidates=" UNION ALL ".join(f"({text})" for text, _ in branches),
    )
    params: list[Any] = []
    if ctes:
        sql = "WITH " + ", ".join(text for text, _ in ctes) + sql
        for _, cte_params in ctes:
            params += cte_params
    params += [excerpt, *tsquery_params]
    for _, branch_params in branches:
        params += branch_params
    params.append(n)
    with _cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
