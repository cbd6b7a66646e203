"""Keeping the search documents current.

`index_object` is the one entry point: the audit hook (common.indexing, sent by
audit_record inside every write service's transaction) calls it with the object the
event names, and `reindex` calls it for existing rows. It re-reads the object and
its related rows, so whatever the service changed (tags, aliases, a statement's
speaker, a document's extracted text) is in the copy when the transaction commits.

What is searchable, per kind:
- claim: text, summary, quantity unit, tags, first-appearance source;
- statement (an evidence item of that kind): title, quote, original text, speaker,
  on behalf of, venue, description, source, credit;
- evidence: title, description, source, credit, obtained from, image caption and
  keywords (XMP/IPTC), document title/author/extracted text, AIS vessel names, call
  signs and MMSIs;
- entity: name, aliases, past names and other past identities, IMO, MMSI, call
  sign, UN/LOCODE, description;
- comment: body and quoted text (a deleted comment has no document).
A restricted item's documents (its own, its comments') are marked restricted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Func, Model
from django.dispatch import receiver
from django.utils import timezone

from evidence.models import EvidenceItem, EvidenceKind, Statement
from provenance.claims.models import PUBLIC_STATUSES, Claim, Comment
from provenance.common.indexing import object_written
from provenance.entities.models import Entity
from provenance.search.models import (
    DocumentKind,
    SavedSearch,
    SearchDocument,
    SearchWord,
)
from provenance.search.text import fold, title_words

# A tsvector holds at most 1 MB; a document's extracted text is cut well before.
MAX_BODY = 200_000
IMAGE_TEXT_KEYS = {
    "dc:title",
    "dc:description",
    "dc:subject",
    "photoshop:Headline",
    "Iptc4xmpCore:Location",
    "photoshop:City",
    "Caption-Abstract",
    "Keywords",
    "Headline",
    "ObjectName",
    "Sub-location",
    "City",
}


@dataclass(frozen=True)
class Draft:
    """A document as built from its object, before it is stored."""

    team_id: int
    kind: str
    object_id: int
    title: str
    parts: tuple[str, ...]
    url: str
    is_restricted: bool = False
    is_public: bool = False

    @property
    def body(self) -> str:
        return "\n".join(p.strip() for p in self.parts if p and p.strip())[:MAX_BODY]


def _texts(value: Any) -> Iterator[str]:
    """Strings anywhere inside a metadata value (XMP alternatives are dicts)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _texts(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _texts(inner)


def _image_texts(metadata: dict[str, Any]) -> list[str]:
    out = []
    for section in ("xmp", "iptc"):
        for key, value in (metadata.get(section) or {}).items():
            if key in IMAGE_TEXT_KEYS:
                out.extend(_texts(value))
    return out


# --- builders, one per kind -------------------------------------------------------


def claim_draft(claim_id: int) -> Draft | None:
    # One query, the claim's row once per tag (the tags joined): a claim write
    # pays for its document (bench/search.py measures the upkeep).
    rows = list(
        Claim.objects.filter(pk=claim_id)
        .order_by("tags__name")
        .values_list(
            "team_id",
            "text",
            "summary",
            "quantity_unit",
            "first_appearance_source",
            "status",
            "tags__name",
        )
    )
    if not rows:
        return None
    team_id, text, summary, unit, source, status, _ = rows[0]
    return Draft(
        team_id=team_id,
        kind=DocumentKind.CLAIM,
        object_id=claim_id,
        title=text,
        parts=(
            summary,
            unit,
            " ".join(row[-1] for row in rows if row[-1] is not None),
            source,
        ),
        url=Claim(pk=claim_id).get_absolute_url(),
        is_public=status in PUBLIC_STATUSES,
    )


def item_draft(item_id: int) -> Draft | None:
    item = (
        EvidenceItem.objects.select_related(
            "image", "document", "ais", "statement__speaker", "statement__on_behalf_of"
        )
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        return None
    parts = [item.description, item.source, item.credit, item.obtained_from]
    kind = DocumentKind.EVIDENCE
    if item.kind == EvidenceKind.STATEMENT and hasattr(item, "statement"):
        kind = DocumentKind.STATEMENT
        statement = item.statement
        parts[:0] = [
            statement.quote,
            statement.original_text,
            str(statement.speaker or ""),
            str(statement.on_behalf_of or ""),
            statement.venue,
        ]
    if hasattr(item, "image"):
        parts += _image_texts(item.image.metadata or {})
    if hasattr(item, "document"):
        document = item.document
        parts += [document.title, document.author, document.text]
    if item.kind == EvidenceKind.AIS and hasattr(item, "ais"):
        parts += [
            f"{vessel.name} {vessel.call_sign} {vessel.mmsi} {vessel.imo}"
            for vessel in item.ais.vessels.all()
        ]
    return Draft(
        team_id=item.team_id,
        kind=kind,
        object_id=item.pk,
        title=item.title,
        parts=tuple(parts),
        url=item.get_absolute_url(),
        is_restricted=item.is_restricted,
    )


def entity_draft(entity_id: int) -> Draft | None:
    entity = Entity.objects.prefetch_related("past_identities").filter(pk=entity_id)
    entity = entity.first()
    if entity is None:
        return None
    return Draft(
        team_id=entity.team_id,
        kind=DocumentKind.ENTITY,
        object_id=entity.pk,
        title=entity.name,
        parts=(
            " ".join(entity.aliases or []),
            " ".join(p.value for p in entity.past_identities.all()),
            entity.imo,
            entity.mmsi,
            entity.call_sign,
            entity.locode,
            entity.get_kind_display(),
            entity.description,
        ),
        url=entity.get_absolute_url(),
    )


def comment_draft(comment_id: int) -> Draft | None:
    comment = (
        Comment.objects.select_related("author", "claim", "item")
        .filter(pk=comment_id, deleted_at__isnull=True)
        .first()
    )
    if comment is None:
        return None
    on = comment.claim or comment.item
    return Draft(
        team_id=comment.team_id,
        kind=DocumentKind.COMMENT,
        object_id=comment.pk,
        title=f"{comment.author} on {str(on)[:120]}",
        parts=(comment.body, comment.quote_text),
        url=comment.get_absolute_url(),
        is_restricted=bool(comment.item and comment.item.is_restricted),
    )


# --- storing ----------------------------------------------------------------------


class Unaccent(Func):
    function = "unaccent"


def document_vector(title: Any, body: Any, title_folded: Any, body_folded: Any) -> Any:
    """Weighted tsvector: the title (A) over the body (C), each through English and
    Russian stemming (unaccented for English) plus the folded copies through the
    language-neutral `simple` configuration (A and D) for cross-script matches.
    The arguments are expressions (values, or columns for a bulk rebuild)."""
    from django.contrib.postgres.search import SearchVector

    return (
        SearchVector(Unaccent(title), config="english", weight="A")
        + SearchVector(title, config="russian", weight="A")
        + SearchVector(title_folded, config="simple", weight="A")
        + SearchVector(Unaccent(body), config="english", weight="C")
        + SearchVector(body, config="russian", weight="C")
        + SearchVector(body_folded, config="simple", weight="D")
    )


# document_vector over values, as SQL: PostgreSQL stores each document with one
# statement (_upsert), and compiling the six SearchVector expressions for an UPDATE
# and then an INSERT cost more than the database's work for them (bench/search.py:
# index upkeep of a claim write). tests/provenance/search/test_search.py checks
# that both give the same vector.
VECTOR_SQL = (
    "setweight(to_tsvector('english'::regconfig, unaccent(%s)), 'A')"
    " || setweight(to_tsvector('russian'::regconfig, %s), 'A')"
    " || setweight(to_tsvector('simple'::regconfig, %s), 'A')"
    " || setweight(to_tsvector('english'::regconfig, unaccent(%s)), 'C')"
    " || setweight(to_tsvector('russian'::regconfig, %s), 'C')"
    " || setweight(to_tsvector('simple'::regconfig, %s), 'D')"
)
COLUMNS = (
    "team_id",
    "title",
    "body",
    "title_folded",
    "body_folded",
    "url",
    "is_restricted",
    "is_public",
    "updated_at",
)
UPSERT_SQL = (
    "INSERT INTO provenance_searchdocument (kind, object_id, "  # noqa: S608
    + ", ".join(COLUMNS)
    + ", vector) VALUES (%s, %s, "
    + ", ".join(["%s"] * len(COLUMNS))
    + f", {VECTOR_SQL}) ON CONFLICT (kind, object_id) DO UPDATE SET "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in (*COLUMNS, "vector"))
    # xmax is 0 on a row this statement inserted, not on one it updated.
    + " RETURNING id, (xmax = 0)"
)


def _upsert(
    draft: Draft, values: dict[str, Any], *, announce: bool
) -> tuple[int, bool, bool]:
    """PostgreSQL: insert or update the document in one statement; its id, whether
    it is new, and (when `announce`) whether its team has watched searches, in the
    same statement (a new claim's document then costs one round trip, not two)."""
    vector = [
        values["title"],
        values["title"],
        values["title_folded"],
        values["body"],
        values["body"],
        values["body_folded"],
    ]
    sql = UPSERT_SQL
    params = [draft.kind, draft.object_id, *(values[c] for c in COLUMNS), *vector]
    if announce:
        watched = SavedSearch.objects.watched().filter(team_id=draft.team_id)
        watched_sql, watched_params = watched.values("pk").query.sql_with_params()
        sql += f", EXISTS ({watched_sql})"
        params += watched_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk, inserted, *watched_exists = cursor.fetchone()
    return pk, inserted, bool(watched_exists and watched_exists[0])


def store(draft: Draft, *, announce: bool = False, actor: Any = None) -> None:
    """Insert or update the draft's document. `announce`: a new document is told
    to the watched searches of its team (search.watches)."""
    body = draft.body
    title_folded = fold(draft.title)
    values = {
        "team_id": draft.team_id,
        "title": draft.title,
        "body": body,
        "title_folded": title_folded,
        "body_folded": fold(body),
        "url": draft.url,
        "is_restricted": draft.is_restricted,
        "is_public": draft.is_public,
        "updated_at": timezone.now(),
    }
    _add_words(draft.team_id, title_words(title_folded))
    if connection.vendor == "postgresql":
        pk, inserted, watched = _upsert(draft, values, announce=announce)
        document = SearchDocument(
            pk=pk, kind=draft.kind, object_id=draft.object_id, **values
        )
        announce = announce and watched
    else:
        # SQLite (the FTS5 table follows through triggers).
        inserted = not SearchDocument.objects.filter(
            kind=draft.kind, object_id=draft.object_id
        ).update(**values)
        if inserted:
            document = SearchDocument.objects.create(
                kind=draft.kind, object_id=draft.object_id, **values
            )
    if inserted and announce:
        from provenance.search.watches import tell_watchers

        tell_watchers(document, actor=actor)


# PostgreSQL: (team, word) pairs known to be in the words table, committed: most
# titles hold only known words, so their INSERT (one statement in three of a
# claim's document) is skipped. A word is taken as known when the INSERT finds it
# there and this process did not add it: ON CONFLICT waits for another
# transaction's row to commit or roll back, so a row it skips is committed
# unless it is this process's own (maybe in a transaction still open, which may
# roll back). Correct forever after, as words are never removed. Bounded: both
# sets are cleared when full.
_KNOWN_WORDS: set[tuple[int, str]] = set()
_ADDED_HERE: set[tuple[int, str]] = set()
KNOWN_WORDS_MAX = 200_000
ADD_WORDS_SQL = (
    "INSERT INTO provenance_searchword (team_id, word) "
    "SELECT %s, unnest(%s::text[]) ON CONFLICT (team_id, word) DO NOTHING "
    "RETURNING word"
)


def _add_words(team_id: int, words: set[str]) -> None:
    """The title's words join the team's "did you mean" vocabulary: one INSERT
    that skips the words already there; on PostgreSQL none when they are all
    known (_KNOWN_WORDS)."""
    new = {w for w in words if (team_id, w) not in _KNOWN_WORDS}
    if not new:
        return
    if connection.vendor != "postgresql":
        SearchWord.objects.bulk_create(
            [SearchWord(team_id=team_id, word=w) for w in sorted(new)],
            ignore_conflicts=True,
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(ADD_WORDS_SQL, [team_id, sorted(new)])
        added = {(team_id, row[0]) for row in cursor.fetchall()}
    if len(_KNOWN_WORDS) + len(_ADDED_HERE) + len(new) > KNOWN_WORDS_MAX:
        _KNOWN_WORDS.clear()
        _ADDED_HERE.clear()
    _ADDED_HERE.update(added)
    _KNOWN_WORDS.update({(team_id, w) for w in new} - _ADDED_HERE)


def _remove(kinds: Iterable[str], object_id: int) -> None:
    SearchDocument.objects.filter(kind__in=list(kinds), object_id=object_id).delete()


def index_claim(claim_id: int, **announce: Any) -> None:
    draft = claim_draft(claim_id)
    if draft is None:
        _remove([DocumentKind.CLAIM], claim_id)
    else:
        store(draft, **announce)


def index_item(item_id: int, **announce: Any) -> None:
    draft = item_draft(item_id)
    # An item is a statement or other evidence: never both documents.
    kinds = {DocumentKind.STATEMENT, DocumentKind.EVIDENCE}
    _remove(kinds - {draft.kind} if draft else kinds, item_id)
    if draft is not None:
        store(draft, **announce)
        for comment_id in Comment.objects.filter(item_id=item_id).values_list(
            "pk", flat=True
        ):
            index_comment(comment_id)


def index_entity(entity_id: int, **announce: Any) -> None:
    draft = entity_draft(entity_id)
    if draft is None:
        _remove([DocumentKind.ENTITY], entity_id)
        return
    store(draft, **announce)
    # Statements carry their speaker's name, AIS extracts their vessels'.
    said = Statement.objects.filter(speaker_id=entity_id) | Statement.objects.filter(
        on_behalf_of_id=entity_id
    )
    item_ids = set(said.values_list("item_id", flat=True))
    item_ids |= set(
        EvidenceItem.objects.filter(ais__vessels=entity_id).values_list("pk", flat=True)
    )
    for item_id in sorted(item_ids):
        index_item(item_id)


def index_comment(comment_id: int, **announce: Any) -> None:
    draft = comment_draft(comment_id)
    if draft is None:
        _remove([DocumentKind.COMMENT], comment_id)
    else:
        store(draft, **announce)


INDEXERS: dict[type[Model], Callable[..., None]] = {
    Claim: index_claim,
    EvidenceItem: index_item,
    Entity: index_entity,
    Comment: index_comment,
}


def index_object(obj: Model, *, actor: Any = None, announce: bool = False) -> None:
    """Rebuild the document of `obj` if it is searchable; other objects are ignored.
    With `announce`, a new document is told to the team's watched searches."""
    indexer = INDEXERS.get(type(obj))
    if indexer is not None and obj.pk is not None:
        indexer(obj.pk, announce=announce, actor=actor)


@receiver(object_written, dispatch_uid="search-index")
def _written(sender: type[Model], obj: Model, actor: Any = None, **kwargs: Any) -> None:
    index_object(obj, actor=actor, announce=True)


# --- reindexing -------------------------------------------------------------------

REINDEX_ORDER: tuple[tuple[str, type[Model]], ...] = (
    ("entities", Entity),
    ("claims", Claim),
    ("evidence", EvidenceItem),
    ("comments", Comment),
)


def reindex(
    *, batch: int = 500, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, int]:
    """Rebuild every document (after an upgrade, or to repair); returns counts.
    Documents of objects that are gone are removed first."""
    counts = {}
    for label, model in REINDEX_ORDER:
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        indexer = INDEXERS[model]
        for done, pk in enumerate(ids, start=1):
            # One transaction per object, as a service would: a long rebuild holds
            # no lock for long and can be interrupted and run again.
            with transaction.atomic():
                if model is Entity:
                    # index_entity would redo its statements: evidence comes next.
                    draft = entity_draft(pk)
                    if draft is not None:
                        store(draft)
                else:
                    indexer(pk)
            if progress and (done % batch == 0 or done == len(ids)):
                progress(label, done, len(ids))
        counts[label] = len(ids)
    _drop_orphans()
    return counts


def _drop_orphans() -> None:
    live = {
        DocumentKind.CLAIM: Claim.objects.values("pk"),
        DocumentKind.ENTITY: Entity.objects.values("pk"),
        DocumentKind.EVIDENCE: EvidenceItem.objects.values("pk"),
        DocumentKind.STATEMENT: EvidenceItem.objects.values("pk"),
        DocumentKind.COMMENT: Comment.objects.filter(deleted_at__isnull=True).values(
            "pk"
        ),
    }
    for kind, pks in live.items():
        SearchDocument.objects.filter(kind=kind).exclude(object_id__in=pks).delete()
