"""The audit trail: every change appends a hash-chained event; verify_audit finds the
first event whose stored bytes or columns were changed; PostgreSQL refuses to
change the table at all."""

from contextlib import contextmanager
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from provenance.audit.chain import verify_chain
from provenance.audit.models import AuditEvent
from provenance.claims import services
from tests.factories import AssessmentFactory, ClaimEvidenceFactory

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)
TABLE = AuditEvent._meta.db_table


@contextmanager
def trigger_disabled():
    """As the table owner, switch the append-only trigger off for this transaction
    (the test's own, rolled back afterwards) -- what a tamperer would have to do."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred foreign-key checks: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_append_only")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_append_only")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.fixture
def history(team, reporter, editor, second_editor):
    """A claim taken through the workflow: six chained events."""
    claim = services.claim_create(team=team, actor=reporter, text="Ships at Rajin")
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    services.claim_submit(claim_id=claim.pk, actor=reporter)
    services.claim_approve(claim_id=claim.pk, actor=editor)
    services.claim_publish(claim_id=claim.pk, actor=second_editor)
    # Issue 12: a published claim's text changes through a correction.
    services.claim_correct(
        claim_id=claim.pk,
        actor=editor,
        expected_version=4,
        correction_note="Port name spelled wrong",
        changes={"text": "Ships at Rajin port"},
    )
    services.claim_retract(claim_id=claim.pk, actor=editor, reason="Source recanted")
    return claim


def run_verify(*args):
    out, err = StringIO(), StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_every_transition_and_edit_is_chained(history, team):
    actions = list(
        AuditEvent.objects.filter(team=team)
        .order_by("seq")
        .values_list("seq", "action")
    )
    assert actions == [
        (1, "claim.create"),
        (2, "claim.submit"),
        (3, "claim.approve"),
        (4, "claim.publish"),
        (5, "claim.correct"),
        (6, "claim.retract"),
    ]
    events = list(AuditEvent.objects.filter(team=team).order_by("seq"))
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))
    assert events[4].payload["comment"] == "Port name spelled wrong"


def test_untouched_chain_verifies(history):
    out, err = run_verify()
    assert "OK team-a: 6 events" in out
    assert err == ""


def test_changing_one_stored_row_by_sql_fails_verification_naming_it(history, team):
    target = AuditEvent.objects.get(team=team, seq=3)
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET actor_label = %s WHERE id = %s",  # noqa: S608
            ["someone-else", target.pk],
        )
    with pytest.raises(CommandError) as info:
        run_verify()
    assert f"team-a: event #3 (id {target.pk})" in str(info.value)
    assert "differ from the hashed canonical bytes" in str(info.value)


def test_rewriting_a_stored_hash_breaks_the_chain_at_that_event(history, team):
    target = AuditEvent.objects.get(team=team, seq=4)
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET hash = %s WHERE id = %s",  # noqa: S608
            ["0" * 64, target.pk],
        )
    problem = next(verify_chain(team))
    assert (problem.seq, problem.event_id) == (4, target.pk)
    assert problem.reason == "hash does not match the stored canonical bytes"


def test_deleting_a_row_is_found_as_a_gap(history, team):
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE seq = 2")  # noqa: S608
    after = AuditEvent.objects.get(team=team, seq=3)
    with pytest.raises(CommandError, match=rf"event #3 \(id {after.pk}\)"):
        run_verify("--team", "team-a")


def test_verify_one_team_ignores_another_teams_chain(history, other_team, outsider):
    services.claim_create(team=other_team, actor=outsider, text="Theirs")
    with trigger_disabled(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET action = 'x' WHERE team_id = %s",  # noqa: S608
            [other_team.pk],
        )
    out, _ = run_verify("--team", "team-a")
    assert "OK team-a" in out
    with pytest.raises(CommandError, match="team-b: event #1"):
        run_verify()


def test_unknown_team_slug_is_an_error(db):
    with pytest.raises(CommandError, match="No team"):
        run_verify("--team", "nope")


def test_edit_of_a_published_claim_shows_its_reason_in_the_trail(
    history, team, editor_client
):
    response = editor_client.get(history.get_absolute_url())
    assert response.status_code == 200
    assert b"Audit trail" in response.content
    assert b"Port name spelled wrong" in response.content


def test_reporter_sees_review_comments_but_not_the_audit_trail(
    history, reporter_client
):
    response = reporter_client.get(history.get_absolute_url())
    assert response.status_code == 200
    assert b"Source recanted" in response.content
    assert b"Audit trail" not in response.content


@on_postgres
@pytest.mark.parametrize(
    "statement",
    [
        f"UPDATE {TABLE} SET actor_label = 'forged'",  # noqa: S608
        f"DELETE FROM {TABLE}",  # noqa: S608
    ],
)
def test_postgres_refuses_to_change_audit_rows(history, statement):
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.filter(actor_label="forged").count() == 0


@on_postgres
def test_postgres_refuses_to_truncate_the_audit_table(history):
    with transaction.atomic(), connection.cursor() as cursor:
        # Whatever this session said before (the test flush allows it), by default
        # a TRUNCATE is refused.
        cursor.execute("SET LOCAL provenance.allow_audit_truncate = 'off'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        with (
            pytest.raises(IntegrityError, match="TRUNCATE refused"),
            transaction.atomic(),
        ):
            cursor.execute(f"TRUNCATE {TABLE}")
    assert AuditEvent.objects.count() == 6
