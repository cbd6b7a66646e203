"""Searching the documents: one function, the same behaviour on both databases.

PostgreSQL: `vector @@ (websearch_to_tsquery('english', fold(q)) ||
websearch_to_tsquery('russian', q) || websearch_to_tsquery('simple', fold(q)))`,
ranked by ts_rank over the weighted vector (GIN index); typos through pg_trgm's
word similarity on the folded titles (GIN trigram index).
SQLite: the FTS5 table over the folded columns (trigram tokenizer, so every term is
a substring match), the same query structure as an FTS5 expression
(text.fts5_expression), ranked by bm25 with the title weighted 10:1; typos through
FTS5 trigram candidates.
Either way "did you mean" picks the closest word of the candidates in Python
(text.closest_word, pg_trgm's similarity), and when the query finds nothing the
results shown are the corrected query's, said so on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, QuerySet
from django.db.models.functions import Substr
from django.utils.safestring import SafeString

from provenance.search.models import (
    KIND_ORDER,
    Audience,
    DocumentKind,
    SearchDocument,
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
CANDIDATES = 20
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
    def shown_query(self) -> str:
        """The query whose results are shown."""
        return self.suggestion if self.shows_suggestion else self.query


def _is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _matching(
    documents: QuerySet[SearchDocument], raw: str, parsed: ParsedQuery
) -> QuerySet[SearchDocument] | None:
    """The documents matching the query, annotated with `rank` and ordered best
    first; None when the query cannot match anything on this database."""
    if _is_postgresql():
        from django.contrib.postgres.search import SearchQuery, SearchRank

        # Constants only (the query is folded here, not by unaccent(), which is
        # STABLE): PostgreSQL then folds the tsquery once per statement instead
        # of once per ranked row (bench/search.py: 5x on a 1,200-row match).
        folded = fold(raw)
        query = (
            SearchQuery(folded, config="english", search_type="websearch")
            | SearchQuery(raw, config="russian", search_type="websearch")
            | SearchQuery(folded, config="simple", search_type="websearch")
        )
        return (
            documents.filter(vector=query)
            # F(), not "vector": a string is taken for a text column and re-parsed
            # (to_tsvector(vector::text)) on every row.
            .annotate(rank=SearchRank(F("vector"), query))
            .order_by("-rank", "-updated_at", "pk")
        )
    expression = fts5_expression(parsed)
    if not expression:
        return None
    # extra(): the FTS5 table is no model; joining it keeps the team and
    # visibility filters, the MATCH and bm25 in one statement.
    return documents.extra(  # noqa: S610 (constant SQL, the expression is a param)
        tables=[FTS_TABLE],
        where=[
            f"{FTS_TABLE}.rowid = provenance_searchdocument.id",
            f"{FTS_TABLE} MATCH %s",
        ],
        params=[expression],
        select={"rank": f"bm25({FTS_TABLE}, 10.0, 1.0)"},
        order_by=["rank", "-updated_at", "id"],
    )


def _candidate_texts(documents: QuerySet[SearchDocument], word: str) -> list[str]:
    """Folded titles (names, claim texts, item titles) most likely to hold what
    `word` misspells. Titles only: word similarity over long bodies cost 100-300 ms
    a word at 12,000 documents (bench/search.py); corrections come from names."""
    if _is_postgresql():
        from django.contrib.postgres.search import TrigramWordSimilarity

        candidates = (
            documents.filter(title_folded__trigram_word_similar=word)
            .annotate(closeness=TrigramWordSimilarity(word, "title_folded"))
            .order_by("-closeness", "pk")
        )
    else:
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
    return list(candidates.values_list("title_folded", flat=True)[:CANDIDATES])


def _suggestion(
    documents: QuerySet[SearchDocument], raw: str, words: tuple[str, ...]
) -> str:
    corrections = {}
    for word in words:
        if len(word) < FTS5_MIN_TERM or word.isdigit():
            continue
        best = closest_word(word, _candidate_texts(documents, word))
        if best:
            corrections[word] = best
    return corrected_query(raw, corrections) if corrections else ""


def _groups(
    matching: QuerySet[SearchDocument], words: tuple[str, ...], kind: str
) -> tuple[Group, ...]:
    counts = dict(
        matching.order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    if not counts:
        return ()
    # Snippets come from the start of the body: a document's extracted text can
    # be 200,000 characters, which 50 rows would carry whole and highlight word by
    # word.
    matching = matching.annotate(excerpt=Substr("body", 1, SNIPPET_SOURCE))
    columns = (
        "kind",
        "object_id",
        "title",
        "excerpt",
        "url",
        "is_restricted",
        "is_public",
    )
    if kind:
        rows = list(matching.values_list(*columns)[:PER_KIND])
        per_group = PER_KIND
    else:
        # The best rows overall fill each group up to PER_GROUP; a group's "more"
        # link lists that kind alone.
        rows = list(matching.values_list(*columns)[: PER_GROUP * len(KIND_ORDER)])
        per_group = PER_GROUP
    by_kind: dict[str, list[Hit]] = {}
    for row_kind, object_id, title, body, url, restricted, public in rows:
        hits = by_kind.setdefault(row_kind, [])
        if len(hits) < per_group:
            hits.append(
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
            )
    labels = dict(DocumentKind.choices)
    return tuple(
        Group(kind=k, label=labels[k], hits=tuple(by_kind.get(k, ())), total=counts[k])
        for k in KIND_ORDER
        if k in counts
    )


def search(*, audience: Audience, q: str, kind: str = "") -> SearchResults:
    """What the audience may find for `q` (websearch syntax), grouped by kind and
    ranked; with a correction when it finds nothing and a close word exists.
    Queries: a count and a page of rows; when nothing matches, one more per
    misspelt word and two for the corrected query."""
    raw = q.strip()[:MAX_QUERY]
    parsed = parse_query(raw)
    if parsed.is_empty:
        return SearchResults(query=raw, kind=kind)
    documents = SearchDocument.objects.visible_to(audience)
    if kind:
        documents = documents.filter(kind=kind)
    matching = _matching(documents, raw, parsed)
    groups = (
        _groups(matching, parsed.positive_words, kind) if matching is not None else ()
    )
    if groups:
        return SearchResults(
            query=raw, groups=groups, kind=kind, words=parsed.positive_words
        )
    suggestion = _suggestion(documents, raw, parsed.positive_words)
    if not suggestion:
        return SearchResults(query=raw, kind=kind)
    corrected = parse_query(suggestion)
    matching = _matching(documents, suggestion, corrected)
    groups = (
        _groups(matching, corrected.positive_words, kind)
        if matching is not None
        else ()
    )
    return SearchResults(
        query=raw,
        groups=groups,
        suggestion=suggestion,
        shows_suggestion=bool(groups),
        kind=kind,
        words=corrected.positive_words,
    )
