"""Searching the documents: one function, the same behaviour on both databases.

PostgreSQL: `vector @@ (websearch_to_tsquery('english', fold(q)) ||
websearch_to_tsquery('russian', q) || websearch_to_tsquery('simple', fold(q)))`
over the stored, GIN-indexed vector; per kind, the CANDIDATES most recent matches
are ranked by ts_rank and the best kept (never every match ranked); a full
group's count is the planner's estimate; typos through pg_trgm similarity over
the team's title words (SearchWord, GIN trigram index), only when the query finds
nothing.
SQLite: the FTS5 table over the folded columns (trigram tokenizer, so every term is
a substring match), the same query structure as an FTS5 expression
(text.fts5_expression), ranked by bm25 with the title weighted 10:1; typos through
FTS5 trigram candidates.
Either way "did you mean" picks the closest word of the candidates in Python
(text.closest_word, pg_trgm's similarity), and when the query finds nothing the
results shown are the corrected query's, said so on the page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import DateTimeField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils.safestring import SafeString

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
    fold,
    fts5_expression,
    fts5_trigram_expression,
    highlight,
    parse_query,
)

FTS_TABLE = "provenance_search_fts"
PER_GROUP = 10
PER_KIND = 50
# PostgreSQL: how many of a kind's most recent matches are ranked (at least twice
# the page). The walk that finds them reads about CANDIDATES / (share of the
# kind's documents that match) rows: 5,000 for a word in 1 % of them at 50
# (bench/search.py: 200 cost 100-200 ms a kind at a million documents).
CANDIDATES = 50
WALK_FROM = 3000  # expected matches of a kind from which _best walks the index
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


def _tsquery(raw: str) -> Any:
    """The PostgreSQL query: English (folded) or Russian or simple (folded)."""
    from django.contrib.postgres.search import SearchQuery

    # Constants only (the query is folded here, not by unaccent(), which is
    # STABLE): PostgreSQL then folds the tsquery once per statement instead
    # of once per ranked row (bench/search.py: 5x on a 1,200-row match).
    folded = fold(raw)
    return (
        SearchQuery(folded, config="english", search_type="websearch")
        | SearchQuery(raw, config="russian", search_type="websearch")
        | SearchQuery(folded, config="simple", search_type="websearch")
    )


def _matching(
    documents: QuerySet[SearchDocument], raw: str, parsed: ParsedQuery
) -> QuerySet[SearchDocument] | None:
    """The documents matching the query (unordered); None when the query cannot
    match anything on this database."""
    if _is_postgresql():
        return documents.filter(vector=_tsquery(raw))
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


def _rank(raw: str) -> Any:
    """Higher is better. PostgreSQL: ts_rank over the weighted vector; SQLite:
    bm25 with the title weighted 10:1 (valid only where the FTS table is joined)."""
    if _is_postgresql():
        from django.contrib.postgres.search import SearchRank

        # F(), not "vector": a string is taken for a text column and re-parsed
        # (to_tsvector(vector::text)) on every row.
        return SearchRank(F("vector"), _tsquery(raw))
    return RawSQL(f"-bm25({FTS_TABLE}, 10.0, 1.0)", [])  # noqa: S611 (constant)


def _best(
    matching: QuerySet[SearchDocument],
    raw: str,
    kind: str,
    n: int,
    estimate: int | None = None,
) -> QuerySet[SearchDocument]:
    """The ids of the best `n` matches of one kind (a subquery).

    PostgreSQL ranks the CANDIDATES (or 2n) most recent matches of the kind: a walk
    down (team, kind, updated_at) when the planner expects WALK_FROM matches or
    more (it stops after a few hundred rows), else every match from the GIN index,
    never every match: ts_rank reads each row's vector, and a common word matches
    most of a team's million documents (bench/search.py). SQLite ranks its (small)
    match set by bm25."""
    of_kind = matching.filter(kind=kind)
    if _is_postgresql():
        recent: Any = F("updated_at")
        if estimate is not None and estimate < WALK_FROM:
            # Few matches (a rare word, a typo): all of them from the GIN index,
            # then the most recent. An ORDER BY the index cannot give keeps the
            # planner from walking the whole kind for matches that are not there.
            recent = ExpressionWrapper(
                F("updated_at") + timedelta(0), output_field=DateTimeField()
            )
        candidates = of_kind.order_by(recent.desc(), "-pk").values("pk")
        wanted = max(CANDIDATES, 2 * n)
        of_kind = SearchDocument.objects.filter(pk__in=candidates[:wanted])
    ranked = of_kind.annotate(rank=_rank(raw)).order_by("-rank", "-updated_at", "pk")
    return ranked.values("pk")[:n]


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


def _rows(
    matching: QuerySet[SearchDocument],
    raw: str,
    kinds: list[str],
    n: int,
    estimates: dict[str, int],
) -> list[tuple]:
    """One statement: the best `n` rows of each kind, each with its rank."""
    parts = [_best(matching, raw, kind, n, estimates.get(kind)) for kind in kinds]
    if _is_postgresql() and len(parts) > 1:
        # One IN over a UNION ALL: an OR of INs is a sequential scan of the table
        # with each subquery hashed.
        best = Q(pk__in=parts[0].union(*parts[1:], all=True))
    else:
        # SQLite allows no LIMIT inside a compound statement; its tables are small.
        best = Q()
        for part in parts:
            best |= Q(pk__in=part)
    # The rank again over the few rows chosen (the FTS table is joined on SQLite).
    rows = (SearchDocument.objects if _is_postgresql() else matching).filter(best)
    # Snippets come from the start of the body: a document's extracted text can
    # be 200,000 characters, which the rows would carry whole and highlight word
    # by word.
    rows = rows.annotate(rank=_rank(raw), excerpt=Substr("body", 1, SNIPPET_SOURCE))
    return list(rows.order_by().values_list(*ROW_COLUMNS))


def _estimates(matching: QuerySet[SearchDocument], kinds: list[str]) -> dict[str, int]:
    """PostgreSQL: how many documents of each kind the planner expects to match
    (EXPLAIN, no rows read), in one statement. It picks each kind's way to
    its candidates (_best) and is the count of a full group: an exact count reads
    every match, most of a team's documents for a common word."""
    if not _is_postgresql():
        return {}
    parts = [matching.filter(kind=k).order_by().values("pk") for k in kinds]
    if len(parts) > 1:
        # One EXPLAIN: a UNION ALL plans as an Append of one scan per kind, in
        # order.
        plan = json.loads(parts[0].union(*parts[1:], all=True).explain(format="json"))
        top = plan[0]["Plan"]
        children = top.get("Plans", []) if top["Node Type"] == "Append" else []
        if len(children) == len(kinds):
            return {
                k: int(c["Plan Rows"]) for k, c in zip(kinds, children, strict=True)
            }
    estimates = {}
    for k, part in zip(kinds, parts, strict=True):
        plan = json.loads(part.explain(format="json"))
        estimates[k] = int(plan[0]["Plan"]["Plan Rows"])
    return estimates


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
    matching: QuerySet[SearchDocument],
    raw: str,
    words: tuple[str, ...],
    kind: str,
) -> tuple[Group, ...]:
    """The best matches of each kind (PER_GROUP, or PER_KIND for one kind) and
    how many match. Queries: on PostgreSQL one EXPLAIN per kind (the planner's
    estimates), then one for the rows of every kind (one LIMITed, ranked subquery
    per kind); on SQLite the rows, then one counting the kinds whose page is full
    (a kind with fewer hits than its page has no more)."""
    kinds = [kind] if kind else KIND_ORDER
    per_group = PER_KIND if kind else PER_GROUP
    estimates = _estimates(matching, kinds)
    rows = _rows(matching, raw, kinds, per_group, estimates)
    by_kind: dict[str, list[tuple]] = {}
    for row in rows:
        by_kind.setdefault(row[0], []).append(row)
    if not by_kind:
        return ()
    full = [k for k in kinds if len(by_kind.get(k, ())) >= per_group]
    counts = {k: len(v) for k, v in by_kind.items()}
    if full:
        counts.update(
            {k: estimates[k] for k in full} if estimates else _counts(matching, full)
        )
    labels = dict(DocumentKind.choices)
    groups = []
    for k in kinds:
        if k not in by_kind:
            continue
        # Best first; ties: the most recent, then the oldest id (as _best).
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
    matching = _matching(documents, raw, parsed)
    groups = (
        _groups(matching, raw, parsed.positive_words, kind)
        if matching is not None
        else ()
    )
    if groups:
        return SearchResults(
            query=raw, groups=groups, kind=kind, words=parsed.positive_words
        )
    suggestion = _suggestion(audience, raw, parsed.positive_words)
    if not suggestion:
        return SearchResults(query=raw, kind=kind)
    corrected = parse_query(suggestion)
    matching = _matching(documents, suggestion, corrected)
    groups = (
        _groups(matching, suggestion, corrected.positive_words, kind)
        if matching is not None
        else ()
    )
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
