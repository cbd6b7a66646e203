"""A service that locks a row it reads along with its team locks that row only.

SELECT … FOR UPDATE with select_related locks every joined row: an assessment
locked its claim *and the team's row*, and a concurrent write of the same team
that held the audit chain head and then inserted a row referencing the team (its
audit event) waited for the team row, while the assessment waited for the head:
PostgreSQL's "deadlock detected", a 500, seen under bench/load.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from provenance.claims import services
from tests.factories import ClaimFactory

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are PostgreSQL's"
)


def _locks(sqls: list[str]) -> list[str]:
    return [sql for sql in sqls if " FOR UPDATE" in sql]


def test_an_assessment_locks_its_claim_and_the_chain_head_not_the_team(team, reporter):
    claim = ClaimFactory(team=team, author=reporter)
    with CaptureQueriesContext(connection) as captured:
        services.confidence_assess(
            claim_id=claim.pk, actor=reporter, level="likely", rationale="Because."
        )
    locks = _locks([q["sql"] for q in captured.captured_queries])
    assert len(locks) == 2
    claim_lock, head_lock = locks
    assert claim_lock.endswith('FOR UPDATE OF "provenance_claim"')
    assert 'FROM "provenance_auditchainhead"' in head_lock
    assert not [sql for sql in locks if 'OF "provenance_team"' in sql]
    assert 'INNER JOIN "provenance_team"' in claim_lock  # still read in one query


def test_no_lock_in_the_code_takes_joined_rows():
    """A select_for_update() next to a select_related() names the rows it locks."""
    root = Path(__file__).resolve().parents[3]
    joined = re.compile(
        r"select_for_update\(\)\s*\.select_related\("
        r"|select_related\([^)]*\)\s*\.select_for_update\(\)"
    )
    offenders = [
        str(path.relative_to(root))
        for path in [*root.glob("provenance/**/*.py"), *root.glob("evidence/**/*.py")]
        if joined.search(path.read_text())
    ]
    assert offenders == []
