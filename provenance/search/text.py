"""Search text, pure: folding to ASCII, the query syntax, FTS5 expressions, trigram
similarity for "did you mean", and highlighted snippets. No ORM here.

The query syntax is PostgreSQL's ``websearch_to_tsquery``: words are ANDed,
``"quoted words"`` is a phrase, ``-word`` excludes, ``OR`` between words offers
alternatives (it binds tighter than the implicit AND's groups, as in PostgreSQL:
``a b OR c`` is ``(a AND b) OR c``). PostgreSQL parses the query itself; SQLite gets
the same structure as an FTS5 expression from ``fts5_expression``.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass

from anyascii import anyascii
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The trigram tokenizer of FTS5 matches nothing shorter than three characters.
FTS5_MIN_TERM = 3
SUGGEST_MIN_SIMILARITY = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


def fold(text: str) -> str:
    """The transliterated, lowercased copy that cross-script search matches:
    "Ангара" and "Angara" both fold to "angara", "Démocratique" to "democratique"."""
    return anyascii(text).lower()


@dataclass(frozen=True)
class Term:
    text: str  # folded; a phrase keeps its inner spaces
    is_phrase: bool = False

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(_WORD.findall(self.text))


@dataclass(frozen=True)
class Clause:
    """Terms that must all match, and terms that must not."""

    required: tuple[Term, ...]
    excluded: tuple[Term, ...] = ()


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]  # alternatives (OR)

    @property
    def is_empty(self) -> bool:
        return not self.clauses

    @property
    def positive_words(self) -> tuple[str, ...]:
        """Every word a result may be highlighted for (no exclusions)."""
        seen: dict[str, None] = {}
        for clause in self.clauses:
            for term in clause.required:
                seen.update(dict.fromkeys(term.words))
        return tuple(seen)


def parse_query(raw: str) -> ParsedQuery:
    """The query's structure, folded. A clause with nothing required is dropped:
    "everything but X" is not a search (PostgreSQL would match almost every row)."""
    clauses: list[Clause] = []
    required: list[Term] = []
    excluded: list[Term] = []

    def close() -> None:
        if required:
            clauses.append(Clause(tuple(required), tuple(excluded)))
        required.clear()
        excluded.clear()

    for match in _TOKEN.finditer(raw):
        negated, phrase, word = match.groups()
        if word is not None:
            if word.upper() == "OR":
                close()
                continue
            negated = "-" if word.startswith("-") and len(word) > 1 else ""
            words = _WORD.findall(fold(word.lstrip("-") if negated else word))
            if not words:
                continue
            # "burmistrov's" or "al-Amin": one term of its words, like a phrase.
            term = Term(" ".join(words), is_phrase=len(words) > 1)
        else:
            words = _WORD.findall(fold(phrase or ""))
            if not words:
                continue
            term = Term(" ".join(words), is_phrase=len(words) > 1)
        (excluded if negated else required).append(term)
    close()
    return ParsedQuery(tuple(clauses))


def _fts5_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts5_expression(query: ParsedQuery) -> str:
    """The FTS5 MATCH expression over the folded columns (trigram tokenizer:
    every string is a substring match, a phrase is the words with their spaces).
    Terms shorter than FTS5_MIN_TERM cannot match there and are left out; a clause
    left with nothing required is dropped. "" means: nothing can match."""
    parts = []
    for clause in query.clauses:
        required = [t for t in clause.required if len(t.text) >= FTS5_MIN_TERM]
        if not required:
            continue
        expression = " AND ".join(_fts5_string(t.text) for t in required)
        excluded = [t for t in clause.excluded if len(t.text) >= FTS5_MIN_TERM]
        if excluded:
            others = " OR ".join(_fts5_string(t.text) for t in excluded)
            expression = f"({expression}) NOT ({others})"
        parts.append(f"({expression})")
    return " OR ".join(parts)


WORD_MIN, WORD_MAX = 3, 64


def title_words(title_folded: str) -> set[str]:
    """The words of a folded title that "did you mean" may offer (SearchWord):
    three to 64 characters, not numbers (identifiers are not corrected)."""
    return {
        w
        for w in _WORD.findall(title_folded.lower())
        if WORD_MIN <= len(w) <= WORD_MAX and not w.isdigit()
    }


def trigrams(word: str) -> set[str]:
    """pg_trgm's trigrams of one word: padded with two spaces before, one after."""
    padded = f"  {word.lower()} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a: str, b: str) -> float:
    """pg_trgm's similarity(): shared trigrams over all distinct trigrams."""
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


def fts5_trigram_expression(word: str) -> str:
    """Any of the word's inner trigrams: the candidates a typo may have meant."""
    grams = sorted({word[i : i + 3] for i in range(len(word) - 2)})
    return " OR ".join(_fts5_string(g) for g in grams)


def closest_word(word: str, texts: list[str]) -> str | None:
    """The word of `texts` most similar to `word` (and not it), if similar enough."""
    best, best_score = None, SUGGEST_MIN_SIMILARITY
    candidates = {w for text in texts for w in _WORD.findall(text.lower())}
    for candidate in sorted(candidates):
        if candidate == word:
            return None  # the word is there: nothing to correct
        score = similarity(word, candidate)
        if score > best_score:
            best, best_score = candidate, score
    return best


def corrected_query(raw: str, corrections: dict[str, str]) -> str:
    """The raw query with misspelt words replaced (by their folded form's match)."""

    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        return corrections.get(fold(word), word)

    return _WORD.sub(swap, raw)


# --- snippets ---------------------------------------------------------------------

SNIPPET_WORDS = 30


def _hit(word: str, words: tuple[str, ...]) -> bool:
    """Whether a word of the text, folded, contains a query word."""
    folded = word.lower() if word.isascii() else fold(word)
    return any(w in folded for w in words if w)


@functools.lru_cache(maxsize=64)  # the same query's words for each of its snippets
def _ascii_hits(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """A pattern for the words of ASCII text that contain a query word (as _hit
    decides: case folded, substring): one regex pass instead of a Python test per
    word (a 5,000-character excerpt is ~800 words; bench/search.py)."""
    wanted = [re.escape(w) for w in words if w]
    if not wanted:
        return None
    return re.compile(r"\w*(?:" + "|".join(wanted) + r")\w*", re.IGNORECASE | re.ASCII)


def highlight(text: str, words: tuple[str, ...], *, window: bool = True) -> SafeString:
    """`text` escaped, its matching words in <mark>; with `window`, about
    SNIPPET_WORDS words around the first match (with … where cut). Only the
    words up to the first match and those of the window are folded and tested
    (a body excerpt is thousands of words; bench/search.py)."""
    found = list(_WORD.finditer(text))
    start, end = 0, len(text)
    hits = _ascii_hits(words) if text.isascii() else None
    candidates = found
    if window and len(found) > SNIPPET_WORDS:
        if hits is not None:
            match = hits.search(text)
            first = (
                bisect.bisect_right([m.start() for m in found], match.start()) - 1
                if match
                else None
            )
        else:
            first = next(
                (i for i, m in enumerate(found) if _hit(m.group(0), words)), None
            )
        index = max(0, first - 5) if first is not None else 0
        start = found[index].start()
        last = index + SNIPPET_WORDS
        end = found[last].start() if last < len(found) else len(text)
        candidates = found[index:last]
    if hits is not None:
        spans = [m.span() for m in hits.finditer(text, start, end)]
    else:
        spans = [m.span() for m in candidates if _hit(m.group(0), words)]
    out, cursor = [], start
    for span_start, span_end in spans:
        if span_start < start or span_end > end:
            continue
        out.append(escape(text[cursor:span_start]))
        out.append(f"<mark>{escape(text[span_start:span_end])}</mark>")
        cursor = span_end
    out.append(escape(text[cursor:end]))
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + "".join(out).strip() + suffix)  # noqa: S308 (escaped)
