"""The PostgreSQL plan (search.pg): every way to a kind's candidates (the whole
walk, the GIN path, a bounded walk and the GIN path when it comes up short) finds
the same results: the best of the 50 most recent matches of the searcher's team."""

from __future__ import annotations

import pytest
from django.db import connection

from provenance.search import pg
from provenance.search.indexing import Draft, store
from provenance.search.models import Audience, SearchDocument

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plan is PostgreSQL's"
)

WALK = pg.KindPlan("claim", estimate=0, size=1, upper=0, gin_rows=0)
GIN = pg.KindPlan("claim", estimate=0, size=10**6, upper=0, gin_rows=0)
# A walk of 50 rows, then the GIN path if they held fewer than 50 matches.
WALK_THEN_GIN = pg.KindPlan("claim", estimate=0, size=51, upper=10**6, gin_rows=0)


def _claim(team, n: int, text: str) -> None:
    store(
        Draft(
            team_id=team.pk,
            kind="claim",
            object_id=n,
            title=f"{text} {n}",
            parts=(),
            url=f"/claims/{n}/",
        )
    )


@pytest.fixture
def documents(team, other_team):
    """Oldest first: 120 claims of the team, every other one about a convoy and one
    in four about a crane (30 of them); 60 convoy claims of the other team, newest."""
    for n in range(120):
        _claim(team, n, "Crane at the pier" if n % 4 == 1 else "Convoy sighted")
    for n in range(1000, 1060):
        _claim(other_team, n, "Convoy sighted")
    return SearchDocument.objects.visible_to(Audience.member(team))


def _found(documents, q: str, plan: pg.KindPlan) -> list[int]:
    rows = pg.rows(documents, q, {"claim": plan}, 10, 5000)
    ranked = sorted(rows, key=lambda row: (-row[7], -row[8].timestamp(), row[9]))
    return [row[1] for row in ranked]


def test_the_three_ways_are_three_plans():
    assert (WALK.way, GIN.way, WALK_THEN_GIN.way) == ("walk", "gin", "walk-then-gin")
    assert WALK_THEN_GIN.walk_rows == 50


@pytest.mark.parametrize("plan", [WALK, GIN, WALK_THEN_GIN], ids=lambda p: p.way)
def test_a_common_word_gives_the_newest_matches_of_the_team(documents, plan):
    # 90 convoy claims: equal ranks, so the 10 newest of the team's.
    newest = [n for n in range(119, -1, -1) if n % 4 != 1][:10]

    assert _found(documents, "convoy", plan) == newest


@pytest.mark.parametrize("plan", [WALK, GIN, WALK_THEN_GIN], ids=lambda p: p.way)
def test_a_rarer_word_is_found_when_the_walk_comes_up_short(documents, plan):
    # The walk of 50 rows holds 12 crane claims: the GIN path finds all 30.
    newest = [n for n in range(119, -1, -1) if n % 4 == 1][:10]

    assert _found(documents, "crane", plan) == newest
    assert len(pg.rows(documents, "crane", {"claim": plan}, 50, 100)) == 30


def test_the_plan_counts_each_kind_and_the_words(documents, team):
    from provenance.search.text import parse_query

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {pg.TABLE}")
    plans = pg.plans(documents, "convoy", parse_query("convoy"), ["claim", "entity"])

    assert list(plans) == ["claim", "entity"]
    assert 60 <= plans["claim"].size <= 240
    assert plans["entity"].size <= 1
    assert plans["claim"].upper >= plans["claim"].estimate > 0


def test_every_kind_has_its_own_gin_index(db):
    from provenance.search.models import DocumentKind

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexdef LIKE %s",
            [pg.TABLE, "%USING gin%"],
        )
        gin = dict(cursor.fetchall())

    assert set(gin) == {f"search_vector_{kind}" for kind in DocumentKind.values}
    for kind in DocumentKind.values:
        assert gin[f"search_vector_{kind}"].endswith(
            f"USING gin (vector) WHERE ((kind)::text = '{kind}'::text)"
        )
