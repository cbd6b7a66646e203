"""The search service on the database the suite runs on (CI runs it on SQLite and
on PostgreSQL): the same results on both."""

from __future__ import annotations

import pytest

from evidence.services import evidence_set_restricted
from provenance.claims.comments import comment_create, comment_delete
from provenance.claims.services import claim_update
from provenance.entities.services import entity_update
from provenance.search.models import Audience, SearchDocument
from provenance.search.selectors import search


def found(results) -> set[tuple[str, int]]:
    return {(hit.kind, hit.object_id) for group in results.groups for hit in group.hits}


@pytest.fixture
def member(team):
    return Audience.member(team)


def test_a_name_finds_claims_evidence_and_the_entity_grouped_by_kind(world, member):
    results = search(audience=member, q="Angara")

    assert [(group.kind, group.total) for group in results.groups] == [
        ("claim", 1),
        ("evidence", 1),
        ("entity", 1),
    ]
    assert found(results) == {
        ("claim", world.angara_claim.pk),
        ("evidence", world.ais_item.pk),
        ("entity", world.angara.pk),
    }
    assert results.suggestion == ""


def test_a_misspelt_name_is_corrected_and_its_results_shown(world, member):
    results = search(audience=member, q="Angarra")

    assert results.suggestion == "angara"
    assert results.shows_suggestion is True
    assert ("claim", world.angara_claim.pk) in found(results)
    assert ("entity", world.angara.pk) in found(results)


def test_a_word_found_as_typed_is_not_corrected(world, member):
    assert search(audience=member, q="Maria").suggestion == ""


def test_nothing_close_gives_no_results_and_no_suggestion(world, member):
    results = search(audience=member, q="Zanzibar")

    assert results.groups == ()
    assert results.suggestion == ""


def test_a_cyrillic_query_finds_the_latin_name(world, member):
    assert found(search(audience=member, q="Ангара")) == {
        ("claim", world.angara_claim.pk),
        ("evidence", world.ais_item.pk),
        ("entity", world.angara.pk),
    }


def test_a_cyrillic_surname_finds_the_latin_entity_and_a_latin_one_the_cyrillic_text(
    world, member
):
    assert ("entity", world.burmistrov.pk) in found(
        search(audience=member, q="Бурмистров")
    )
    # The statement's original text spells him in Cyrillic only... and its speaker
    # field in Latin: both ways lead to it.
    assert ("statement", world.denial.pk) in found(
        search(audience=member, q="Burmistrov")
    )
    assert ("statement", world.denial.pk) in found(
        search(audience=member, q="перевозили")
    )


def test_all_words_must_match(world, member):
    assert found(search(audience=member, q="angara ais")) == {
        ("evidence", world.ais_item.pk)
    }


def test_a_phrase_matches_the_words_in_order_only(world, member):
    assert found(search(audience=member, q='"north korean munitions"')) == {
        ("claim", world.angara_claim.pk)
    }
    assert found(search(audience=member, q='"munitions north korean"')) == set()


def test_an_excluded_word_removes_what_contains_it(world, member):
    assert found(search(audience=member, q="angara -ais")) == {
        ("claim", world.angara_claim.pk),
        ("entity", world.angara.pk),
    }


def test_or_offers_alternatives(world, member):
    assert found(search(audience=member, q="maria OR burmistrov")) == {
        ("claim", world.maria_claim.pk),
        ("entity", world.maria.pk),
        ("entity", world.burmistrov.pk),
        ("statement", world.denial.pk),
    }


def test_only_exclusions_is_no_search(world, member):
    assert search(audience=member, q="-angara").groups == ()


def test_identifiers_tags_aliases_and_units_are_searchable(world, member):
    assert found(search(audience=member, q="9179701")) == {("entity", world.angara.pk)}
    assert found(search(audience=member, q="UBCT7")) == {("entity", world.angara.pk)}
    assert ("claim", world.maria_claim.pk) in found(
        search(audience=member, q="port calls")
    )
    assert found(search(audience=member, q="north korea")) >= {
        ("entity", world.dprk.pk)
    }


def test_matches_are_highlighted_and_the_text_escaped(world, member, reporter, team):
    claim_update(
        claim_id=world.maria_claim.pk,
        actor=reporter,
        expected_version=world.maria_claim.version,
        text="The Maria <script>alert(1)</script> called",
    )
    hit = search(audience=member, q="maria").groups[0].hits[0]

    assert str(hit.title) == (
        "The <mark>Maria</mark> &lt;script&gt;alert(1)&lt;/script&gt; called"
    )


def test_another_teams_objects_are_never_found(world, member, other_team):
    assert ("claim", world.other_claim.pk) not in found(
        search(audience=member, q="Angara")
    )
    theirs = search(audience=Audience.member(other_team), q="Angara")
    assert found(theirs) == {("claim", world.other_claim.pk)}
    # Nor suggested from: team B's words are not team A's corrections.
    assert search(audience=member, q="Siberiaa").suggestion == ""


def test_members_see_restricted_items_marked(world, member):
    hit = search(audience=member, q="Burmistrov", kind="statement").groups[0].hits[0]

    assert (hit.object_id, hit.is_restricted) == (world.denial.pk, True)


def test_publishers_find_published_claims_only(world, team):
    from provenance.claims.models import Claim
    from provenance.search.indexing import index_object

    Claim.objects.filter(pk=world.maria_claim.pk).update(status="published")
    index_object(world.maria_claim)
    public = Audience.publisher((team.pk,))

    assert found(search(audience=public, q="maria OR angara OR burmistrov")) == {
        ("claim", world.maria_claim.pk)
    }
    assert search(audience=public, q="перевозили").groups == ()


def test_a_comment_is_found_until_it_is_deleted(world, member, reporter):
    comment = comment_create(
        actor=reporter,
        body="Check the Vostochny transfer",
        claim_id=world.maria_claim.pk,
    )
    assert found(search(audience=member, q="vostochny")) == {("comment", comment.pk)}

    comment_delete(comment_id=comment.pk, actor=reporter)
    assert search(audience=member, q="vostochny").groups == ()


def test_a_comment_on_restricted_evidence_is_restricted(world, member, reporter):
    comment = comment_create(
        actor=reporter, body="Source is nervous", item_id=world.denial.pk
    )
    doc = SearchDocument.objects.get(kind="comment", object_id=comment.pk)
    assert doc.is_restricted is True


def test_edits_reach_the_index_in_the_same_transaction(world, member, reporter, editor):
    claim_update(
        claim_id=world.maria_claim.pk,
        actor=reporter,
        expected_version=world.maria_claim.version,
        text="The Maria called at Nakhodka",
    )
    entity_update(entity_id=world.maria.pk, actor=reporter, aliases=["Mariya II"])
    evidence_set_restricted(item_id=world.ais_item.pk, actor=editor, is_restricted=True)

    assert found(search(audience=member, q="rajin october")) == set()
    assert found(search(audience=member, q="nakhodka")) == {
        ("claim", world.maria_claim.pk)
    }
    assert found(search(audience=member, q='"mariya ii"')) == {
        ("entity", world.maria.pk)
    }
    doc = SearchDocument.objects.get(kind="evidence", object_id=world.ais_item.pk)
    assert doc.is_restricted is True


def test_renaming_a_speaker_reindexes_their_statements(world, member, reporter):
    entity_update(
        entity_id=world.burmistrov.pk, actor=reporter, name="Oleg Burmistrov-Sidorov"
    )

    assert ("statement", world.denial.pk) in found(search(audience=member, q="sidorov"))


def test_a_kind_filter_lists_that_kind_alone(world, member):
    results = search(audience=member, q="angara", kind="entity")

    assert [(g.kind, g.total) for g in results.groups] == [("entity", 1)]


def test_the_words_table_holds_each_teams_title_words(world, team, other_team):
    from provenance.search.models import SearchWord

    ours = set(SearchWord.objects.filter(team=team).values_list("word", flat=True))
    theirs = set(
        SearchWord.objects.filter(team=other_team).values_list("word", flat=True)
    )

    assert {"angara", "maria", "rajin", "burmistrov", "korea"} <= ours
    assert "siberia" not in ours
    assert "siberia" in theirs
    # Numbers and words under three letters are never corrections.
    assert not {w for w in ours if w.isdigit() or len(w) < 3}


def test_words_found_in_the_table_are_not_inserted_again(team, reporter):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from provenance.claims.services import claim_create
    from provenance.search.models import SearchWord

    def word_inserts(text: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            claim_create(team=team, actor=reporter, text=text)
        return sum(
            # The indexer's own SQL on PostgreSQL, INSERT OR IGNORE on SQLite.
            q["sql"].startswith("INSERT INTO provenance_searchword")
            or (q["sql"].startswith("INSERT") and '"provenance_searchword"' in q["sql"])
            for q in queries.captured_queries
        )

    # Another process's words (committed before this one looked).
    SearchWord.objects.bulk_create(
        [SearchWord(team=team, word=w) for w in ("convoy", "near", "rajin")]
    )
    postgresql = connection.vendor == "postgresql"
    assert word_inserts("Convoy near Rajin") == 1
    # PostgreSQL: found there, so known; SQLite inserts every time.
    assert word_inserts("Rajin convoy") == (0 if postgresql else 1)
    # A word this process added may still be in an open transaction: not known.
    assert word_inserts("Convoy near Kerch") == 1
    assert word_inserts("Kerch convoy") == 1
    assert set(SearchWord.objects.filter(team=team).values_list("word", flat=True)) == {
        "convoy",
        "near",
        "rajin",
        "kerch",
    }


def test_a_correction_is_offered_only_when_it_finds_something_visible(world, team):
    # "angara" is a word of team A's titles, but no published claim holds it: a
    # publisher is neither shown results nor told the word.
    results = search(audience=Audience.publisher((team.pk,)), q="Angarra")

    assert (results.groups, results.suggestion) == ((), "")


def test_a_full_group_says_its_count_is_an_estimate(world, team, reporter, member):
    from django.db import connection

    from provenance.claims.services import claim_create

    for n in range(11):
        claim_create(team=team, actor=reporter, text=f"Convoy sighted off Tartus {n}")

    claims = search(audience=member, q="convoy").groups[0]
    assert (len(claims.hits), claims.total_is_estimate) == (10, True)
    if connection.vendor == "sqlite":
        assert claims.total == 11
    else:
        assert claims.total >= 11
    assert all(h.plain_title.startswith("Convoy sighted") for h in claims.hits)
    single = search(audience=member, q="Maria", kind="claim").groups[0]
    assert (single.total, single.total_is_estimate) == (1, False)


def test_a_stored_vector_is_the_one_the_bulk_builder_makes(team, reporter):
    from django.db import connection
    from django.db.models import F

    from provenance.claims.services import claim_create
    from provenance.search.indexing import document_vector

    if connection.vendor != "postgresql":
        pytest.skip("the vector is PostgreSQL's")
    claim = claim_create(
        team=team,
        actor=reporter,
        text="Судно «Ангара» shipped containers from Rajin",
        summary="Déjà vu: the Angara's crates, again",
        tag_names=["munitions"],
    )
    document = SearchDocument.objects.filter(kind="claim", object_id=claim.pk)
    rebuilt = document.annotate(
        rebuilt=document_vector(
            F("title"), F("body"), F("title_folded"), F("body_folded")
        )
    ).values_list("vector", "rebuilt")

    stored, expected = rebuilt.get()
    assert stored == expected
    assert {"angara", "rajin", "munit"} <= {
        lexeme.split(":")[0].strip("'") for lexeme in stored.split()
    }


def test_the_fts_table_follows_the_documents_after_every_migration(db):
    # A migration that rebuilds the documents' table on SQLite (an AlterField
    # there does) drops these triggers with it, and every search finds nothing.
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("the FTS5 table is SQLite's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' "
            "AND tbl_name = 'provenance_searchdocument'"
        )
        triggers = {row[0] for row in cursor.fetchall()}

    assert triggers == {
        "provenance_search_fts_ai",
        "provenance_search_fts_ad",
        "provenance_search_fts_au",
    }


def test_an_older_match_is_found_behind_newer_documents_of_its_kind(team, member):
    # The oldest of 12 evidence documents matches; the 11 newer ones do not. (On
    # SQLite a per-kind subquery once kept the kind's 10 newest documents,
    # matching or not, and lost this one.)
    from provenance.search.indexing import Draft, store

    for n in range(12):
        store(
            Draft(
                team_id=team.pk,
                kind="evidence",
                object_id=900 + n,
                title="Convoy report" if n == 0 else f"Port call {n}",
                parts=("The Angara at Rajin",) if n == 0 else ("Nothing here",),
                url=f"/evidence/{900 + n}/",
            )
        )

    results = search(audience=member, q="Angara")

    assert found(results) == {("evidence", 900)}
    (hit,) = results.groups[0].hits
    assert (hit.plain_title, str(hit.snippet)) == (
        "Convoy report",
        "The <mark>Angara</mark> at Rajin",
    )
    assert (hit.is_restricted, hit.is_public) == (False, False)
