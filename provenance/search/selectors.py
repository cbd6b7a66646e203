"""Searching the documents: one function, the same behaviour on both databases.

PostgreSQL: `vector @@ (websearch_to_tsquery('english', fold(q)) ||
websearch_to_tsquery('russian', q) || websearch_to_tsquery('simple', fold(q)))`
over the stored, GIN-indexed vector; per kind, the pg.CANDIDATES most recent
matches are ranked by ts_rank and the best kept (never every match ranked; how
they are found, search.pg); a full group's count is the planner's estimate;
typos through pg_trgm similarity over the team's title words (SearchWord, GIN
trigram index), only when the query finds nothing.
SQLite: the FTS5 table over the folded columns (trigram tokenizer, so every term is
a substring match), the same query structure as an FTS5 expression
(text.fts5_expression), ranked by bm25 with the title weighted 10:1; typos through
FTS5 trigram candidates.
Either way "did you mean" picks the closest word of the candidates in Python
(text.closest_word, pg_trgm's similarity), and when the query finds nothing the
results shown are the corrected query's, said so on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime
from django.utils.safestring import SafeString
from django.utils.timezone import is_aware

from provenance.search import pg
from provenance.search.models import (
    KIND_ORDER,
    Audience,
    DocumentKind,
    SearchDocument,
    SearchWord,
)
from provenance.search.text import (
    FTS5_MIN_TERM,
    ParsedQuery,
    closest_word,
    corrected_query,
    fts5_expression,
    fts5_trigram_expression,
    highlight,
    parse_query,
)

FTS_TABLE = "provenance_search_fts"
PER_GROUP = 10
PER_KIND = 50
COUNT_CAP = 1000  # SQLite: a full group counts its matches up to here
SUGGESTION_WORDS = 20
MAX_QUERY = 500
SNIPPET_SOURCE = 5_000  # characters of the body a snippet is cut from


@dataclass(frozen=True)
class Hit:
    kind: str
    object_id: int
    title: SafeString  # escaped, matches in <mark>
    snippet: SafeString  # escaped, matches in <mark>
    plain_title: str
    url: str
    is_restricted: bool
    is_public: bool


@dataclass(frozen=True)
class Group:
    kind: str
    label: str
    hits: tuple[Hit, ...]
    total: int
    # `total` is the planner's estimate (PostgreSQL) or a count that stops at
    # COUNT_CAP (SQLite): shown as "about".
    total_is_estimate: bool = False

    @property
    def has_more(self) -> bool:
        return self.total > len(self.hits)


@dataclass(frozen=True)
class SearchResults:
    query: str
    groups: tuple[Group, ...] = ()
    suggestion: str = ""  # "did you mean"
    # True when nothing matched `query` and the groups are the suggestion's results.
    shows_suggestion: bool = False
    kind: str = ""
    words: tuple[str, ...] = field(default=(), repr=False)

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)

    @property
    def is_estimate(self) -> bool:
        return any(group.total_is_estimate for group in self.groups)

    @property
    def shown_query(self) -> str:
        """The query whose results are shown."""
        return self.suggestion if self.shows_suggestion else self.query


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _matching(
    documents: QuerySet[SearchDocument], raw: str, parsed: ParsedQuery
) -> QuerySet[SearchDocument] | None:
    """The documents matching the query (unordered); None when the query cannot
    match anything on this database."""
    if _is_postgresql():
        # The tsquery search.pg ranks with, so a watch matches what a search finds.
        sql, params = pg.tsquery_sql(raw)
        return documents.filter(
            RawSQL(f'"{pg.TABLE}"."vector" @@ {sql}', params, BooleanField())  # noqa: S611 (constant SQL, the query is a param)
        )
    expression = fts5_expression(parsed)
    if not expression:
        return None
    # extra(): the FTS5 table is no model; joining it keeps the team and
    # visibility filters and the MATCH in one statement.
    return documents.extra(  # noqa: S610 (constant SQL, the expression is a param)
        tables=[FTS_TABLE],
        where=[
            f"{FTS_TABLE}.rowid = provenance_searchdocument.id",
            f"{FTS_TABLE} MATCH %s",
        ],
        params=[expression],
    )


def _rank() -> Any:
    """SQLite: higher is better, bm25 with the title weighted 10:1 (valid only where
    the FTS table is joined). PostgreSQL ranks with ts_rank in search.pg."""
    return RawSQL(f"-bm25({FTS_TABLE}, 10.0, 1.0)", [])  # noqa: S611 (constant)


ROW_COLUMNS = (
    "kind",
    "object_id",
    "title",
    "excerpt",
    "url",
    "is_restricted",
    "is_public",
    "rank",
    "updated_at",
    "pk",
)


def _sqlite_rows(
    matching: QuerySet[SearchDocument], kinds: list[str], n: int
) -> list[tuple]:
    """SQLite: one statement, the best `n` rows of each kind (bm25) with its rank
    (PostgreSQL: search.pg). The matches are ranked in one FTS query and numbered
    per kind by a window function: a per-kind subquery cannot join the FTS table
    (extra() names the documents' table, which a subquery aliases, so its join
    would follow the outer row)."""
    ranked = (
        matching.filter(kind__in=kinds)
        .annotate(rank=_rank())
        .order_by()
        .values("pk", "kind", "updated_at", "rank")
    )
    sql, params = ranked.query.sql_with_params()
    statement = (
        "SELECT d.kind, d.object_id, d.title, substr(d.body, 1, %s), d.url, "  # noqa: S608
        "d.is_restricted, d.is_public, r.rank, d.updated_at, d.id "
        "FROM (SELECT pk, rank, row_number() OVER (PARTITION BY kind "
        "ORDER BY rank DESC, updated_at DESC, pk) AS place "
        f"FROM ({sql}) AS m) AS r "
        "JOIN provenance_searchdocument d ON d.id = r.pk WHERE r.place <= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [SNIPPET_SOURCE, *params, n])
        rows = cursor.fetchall()
    # A raw cursor skips the ORM's converters: SQLite gives the time as text (UTC)
    # and booleans as integers.
    return [
        (*row[:5], bool(row[5]), bool(row[6]), row[7], _utc(row[8]), row[9])
        for row in rows
    ]


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = parse_datetime(value)
    return parsed if is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _counts(matching: QuerySet[SearchDocument], kinds: list[str]) -> dict[str, int]:
    """SQLite: how many documents of each full kind match, counted up to
    COUNT_CAP + 1, in one statement."""
    counted = [
        matching.filter(kind=k).order_by().values("pk")[: COUNT_CAP + 1] for k in kinds
    ]
    parts, params = [], []
    for queryset in counted:
        sql, inner = queryset.query.sql_with_params()
        parts.append(f"(SELECT count(*) FROM ({sql}) AS counted)")  # noqa: S608
        params.extend(inner)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {k: min(n, COUNT_CAP) for k, n in zip(kinds, row, strict=True)}


def _candidate_words(audience: Audience, word: str) -> list[str]:
    """The words of the audience's teams' titles most likely to be what `word`
    misspells: on PostgreSQL from the words table (SearchWord, a GIN trigram
    index over a few thousand words a team, not over every title); on SQLite from
    the folded titles through FTS5 trigram candidates."""
    if _is_postgresql():
        from django.contrib.postgres.search import TrigramSimilarity

        candidates = (
            SearchWord.objects.filter(
                team_id__in=audience.team_ids, word__trigram_similar=word
            )
            .annotate(closeness=TrigramSimilarity("word", word))
            .order_by("-closeness", "word")
            .values_list("word", flat=True)
        )
        return list(candidates[:SUGGESTION_WORDS])
    documents = SearchDocument.objects.visible_to(audience)
    candidates = documents.extra(  # noqa: S610 (as in _matching)
        tables=[FTS_TABLE],
        where=[
            f"{FTS_TABLE}.rowid = provenance_searchdocument.id",
            f"{FTS_TABLE} MATCH %s",
        ],
        params=[f"title_folded : ({fts5_trigram_expression(word)})"],
        select={"rank": f"bm25({FTS_TABLE}, 10.0, 1.0)"},
        order_by=["rank", "id"],
    )
    return list(candidates.values_list("title_folded", flat=True)[:SUGGESTION_WORDS])


def _suggestion(audience: Audience, raw: str, words: tuple[str, ...]) -> str:
    corrections = {}
    for word in words:
        if len(word) < FTS5_MIN_TERM or word.isdigit():
            continue
        best = closest_word(word, _candidate_words(audience, word))
        if best:
            corrections[word] = best
    return corrected_query(raw, corrections) if corrections else ""


def _groups(
    documents: QuerySet[SearchDocument],
    raw: str,
    parsed: ParsedQuery,
    kind: str,
) -> tuple[Group, ...]:
    """The best matches of each kind (PER_GROUP, or PER_KIND for one kind) and
    how many match. Queries: on PostgreSQL one EXPLAIN (the planner's estimates,
    search.pg.plans), then one for the rows of every kind (search.pg.rows); on
    SQLite the rows, then one counting the kinds whose page is full (a kind with
    fewer hits than its page has no more)."""
    kinds = [kind] if kind else KIND_ORDER
    per_group = PER_KIND if kind else PER_GROUP
    words = parsed.positive_words
    count_full: Callable[[list[str]], dict[str, int]]
    if _is_postgresql():
        kind_plans = pg.plans(documents, raw, parsed, kinds)
        rows = pg.rows(documents, raw, kind_plans, per_group, SNIPPET_SOURCE)

        def count_full(full: list[str]) -> dict[str, int]:
            return {k: kind_plans[k].estimate for k in full}

    else:
        matching = _matching(documents, raw, parsed)
        if matching is None:
            return ()
        rows = _sqlite_rows(matching, kinds, per_group)

        def count_full(full: list[str]) -> dict[str, int]:
            return _counts(matching, full)

    by_kind: dict[str, list[tuple]] = {}
    for row in rows:
        by_kind.setdefault(row[0], []).append(row)
    if not by_kind:
        return ()
    full = [k for k in kinds if len(by_kind.get(k, ())) >= per_group]
    counts = {k: len(v) for k, v in by_kind.items()}
    if full:
        counts.update(count_full(full))
    labels = dict(DocumentKind.choices)
    groups = []
    for k in kinds:
        if k not in by_kind:
            continue
        # Best first; ties: the most recent, then the oldest id (as the query).
        ranked = sorted(
            by_kind[k], key=lambda row: (-row[7], -row[8].timestamp(), row[9])
        )
        hits = tuple(
            Hit(
                kind=row_kind,
                object_id=object_id,
                title=highlight(title, words, window=False),
                plain_title=title,
                snippet=highlight(body, words),
                url=url,
                is_restricted=restricted,
                is_public=public,
            )
            for row_kind, object_id, title, body, url, restricted, public, *_ in ranked
        )
        full = len(hits) >= per_group
        groups.append(
            Group(
                kind=k,
                label=labels[k],
                hits=hits,
                # A full page's count is estimated (PostgreSQL) or capped (SQLite)
                # and never below what is shown plus one.
                total=max(counts[k], len(hits) + 1) if full else len(hits),
                total_is_estimate=full,
            )
        )
    return tuple(groups)


def search(*, audience: Audience, q: str, kind: str = "") -> SearchResults:
    """What the audience may find for `q` (websearch syntax), grouped by kind and
    ranked; with a correction when it finds nothing and a close word exists whose
    corrected query finds something the audience may see (never a word from
    another team, nor one only a restricted or unpublished document holds).
    Queries: the rows, and the counts of full groups; when nothing matches, one
    more per misspelt word and those of the corrected query."""
    raw = q.strip()[:MAX_QUERY]
    parsed = parse_query(raw)
    if parsed.is_empty:
        return SearchResults(query=raw, kind=kind)
    documents = SearchDocument.objects.visible_to(audience)
    if kind:
        documents = documents.filter(kind=kind)
    groups = _groups(documents, raw, parsed, kind)
    if groups:
        return SearchResults(
            query=raw, groups=groups, kind=kind, words=parsed.positive_words
        )
    suggestion = _suggestion(audience, raw, parsed.positive_words)
    if not suggestion:
        return SearchResults(query=raw, kind=kind)
    corrected = parse_query(suggestion)
    groups = _groups(documents, suggestion, corrected, kind)
    if not groups:
        return SearchResults(query=raw, kind=kind)
    return SearchResults(
        query=raw,
        groups=groups,
        suggestion=suggestion,
        shows_suggestion=True,
        kind=kind,
        words=corrected.positive_words,
    )
