"""The pure search text functions: folding, the query syntax, FTS5 expressions,
trigram similarity and escaped highlights."""

from __future__ import annotations

from provenance.search.text import (
    Clause,
    Term,
    closest_word,
    fold,
    fts5_expression,
    highlight,
    parse_query,
    similarity,
)


def test_fold_transliterates_and_lowercases():
    assert [fold(s) for s in ("Ангара", "Бурмистров", "Démocratique")] == [
        "angara",
        "burmistrov",
        "democratique",
    ]


def test_websearch_syntax_is_parsed_like_postgresql():
    parsed = parse_query('"North Korean" shells -ais OR Ангара')

    assert parsed.clauses == (
        Clause(
            required=(Term("north korean", is_phrase=True), Term("shells")),
            excluded=(Term("ais"),),
        ),
        Clause(required=(Term("angara"),)),
    )


def test_a_clause_of_exclusions_only_is_dropped():
    assert parse_query("-angara").is_empty


def test_fts5_expression_quotes_terms_and_leaves_out_short_ones():
    parsed = parse_query('angara "say hi" -ais OR of')

    assert fts5_expression(parsed) == '(("angara" AND "say hi") NOT ("ais"))'


def test_similarity_is_pg_trgm_s():
    assert round(similarity("angarra", "angara"), 3) == 0.667
    assert similarity("angara", "angara") == 1.0


def test_closest_word_skips_a_word_that_is_there():
    assert closest_word("angarra", ["the angara and the maria"]) == "angara"
    assert closest_word("angara", ["the angara and the angarra"]) is None
    assert closest_word("zanzibar", ["the angara"]) is None


def test_highlight_escapes_everything_but_its_marks():
    out = highlight("<b>Ангара</b> & the Angara", ("angara",), window=False)

    assert str(out) == (
        "&lt;b&gt;<mark>Ангара</mark>&lt;/b&gt; &amp; the <mark>Angara</mark>"
    )


def test_highlight_windows_long_text_around_the_first_match():
    text = " ".join(f"w{i}" for i in range(100)) + " angara " + "tail " * 50

    out = str(highlight(text, ("angara",)))

    assert out.startswith("… w95 w96 w97 w98 w99 <mark>angara</mark> tail")
    assert out.endswith(" …")
