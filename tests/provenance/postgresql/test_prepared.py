"""Server-side binding (DB_SERVER_SIDE_BINDING): a statement the connection runs
a fifth time is prepared by the server, so PostgreSQL stops re-planning the
claim page's queries; the search planner's statements are never prepared, so
their estimates and plans always see the query's values."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from provenance.claims import selectors as claim_selectors
from provenance.claims import services as claim_services
from provenance.search import selectors as search_selectors
from provenance.search.models import Audience
from tests.factories import ClaimFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_the_setting_is_on_with_our_backend():
    options = settings.DATABASES["default"]["OPTIONS"]
    assert settings.DATABASES["default"]["ENGINE"] == "provenance.postgresql"
    assert options["server_side_binding"] is True
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 5


def test_a_page_query_is_prepared_after_its_fifth_run(team):
    claim = ClaimFactory(team=team, text="Prepared once")
    seen = []
    for _ in range(7):
        claim_selectors.claim_for_page(team=team, claim_id=claim.pk)
        links = [s for s in _prepared() if 'FROM "provenance_claimevidence"' in s]
        seen.append(bool(links))
    # psycopg counts runs of the same text and prepares it on the next one.
    assert seen == [False] * 5 + [True] * 2
    assert '"provenance_claimevidence"."claim_id" IN ($1)' in links[0]


def test_search_statements_are_never_prepared(team, reporter):
    for n in range(3):
        claim_services.claim_create(
            team=team, actor=reporter, text=f"Convoy sighted near the port {n}"
        )
    audience = Audience.member(team)
    for _ in range(7):
        result = search_selectors.search(audience=audience, q="convoy")
        assert result.total == 3
    statements = _prepared()
    assert not [s for s in statements if "provenance_searchdocument" in s]
    assert not [s for s in statements if s.lstrip().upper().startswith("EXPLAIN")]
