"""Races on PostgreSQL: two threads, each with its own connection and transaction."""

import threading

import pytest
from django.db import connection, connections

from provenance.audit.chain import verify_chain
from provenance.audit.models import AuditEvent
from provenance.claims import services
from provenance.claims.models import Claim, ClaimStatus, Review
from provenance.claims.rules import EditConflict, InvalidTransition
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    MembershipFactory,
    TeamFactory,
)

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and real concurrency need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _audit_table_can_be_flushed(transactional_db):
    """The test database is emptied with TRUNCATE after each transactional test; the
    append-only trigger allows that only in a session that asks for it."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET provenance.allow_audit_truncate = 'on'")


def race(*calls):
    """Run the calls at the same moment in threads; return each one's result or
    exception, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # the outcome is what is tested
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def claim_in_review():
    team = TeamFactory(slug="race-team")
    author = MembershipFactory(team=team, role="reporter").user
    claim = ClaimFactory(team=team, author=author, status=ClaimStatus.IN_REVIEW)
    ClaimEvidenceFactory(claim=claim, relation="supports")
    AssessmentFactory(claim=claim)
    # Some history on the chain before the race.
    services.claim_update(
        claim_id=claim.pk, actor=author, expected_version=1, summary="Context"
    )
    return claim


def editors(team, n):
    return [MembershipFactory(team=team, role="editor").user for _ in range(n)]


def assert_chain_intact(team):
    assert list(verify_chain(team)) == []
    seqs = list(
        AuditEvent.objects.filter(team=team)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert seqs == list(range(1, len(seqs) + 1))


def test_two_editors_approving_at_once_apply_exactly_one(claim_in_review):
    first, second = editors(claim_in_review.team, 2)
    outcomes = race(
        lambda: services.claim_approve(claim_id=claim_in_review.pk, actor=first),
        lambda: services.claim_approve(claim_id=claim_in_review.pk, actor=second),
    )
    applied = [o for o in outcomes if isinstance(o, Claim)]
    refused = [o for o in outcomes if isinstance(o, InvalidTransition)]
    assert (len(applied), len(refused)) == (1, 1), outcomes
    claim = Claim.objects.get(pk=claim_in_review.pk)
    assert (claim.status, claim.version) == (ClaimStatus.APPROVED, 3)
    assert Review.objects.filter(claim=claim).count() == 1
    assert AuditEvent.objects.filter(action="claim.approve").count() == 1
    assert_chain_intact(claim.team)


def test_approve_racing_request_changes_leaves_one_decision(claim_in_review):
    first, second = editors(claim_in_review.team, 2)
    outcomes = race(
        lambda: services.claim_approve(claim_id=claim_in_review.pk, actor=first),
        lambda: services.claim_request_changes(
            claim_id=claim_in_review.pk, actor=second, comment="Not yet"
        ),
    )
    claim = Claim.objects.get(pk=claim_in_review.pk)
    reviews = list(
        Review.objects.filter(claim=claim).values_list(
            "decision", "from_status", "to_status"
        )
    )
    # The two ran one after the other, whatever the order: request changes first
    # leaves nothing to approve; approve first can still be sent back.
    if isinstance(outcomes[0], InvalidTransition):
        assert reviews == [("request_changes", "in_review", "draft")]
    else:
        assert reviews == [
            ("approve", "in_review", "approved"),
            ("request_changes", "approved", "draft"),
        ]
    assert claim.status == ClaimStatus.DRAFT
    assert_chain_intact(claim.team)


def test_two_editors_saving_the_same_version_never_overwrite_silently(
    claim_in_review,
):
    first, second = editors(claim_in_review.team, 2)
    version = Claim.objects.get(pk=claim_in_review.pk).version
    outcomes = race(
        lambda: services.claim_update(
            claim_id=claim_in_review.pk,
            actor=first,
            expected_version=version,
            text="First editor's text",
        ),
        lambda: services.claim_update(
            claim_id=claim_in_review.pk,
            actor=second,
            expected_version=version,
            text="Second editor's text",
        ),
    )
    saved = [o for o in outcomes if isinstance(o, Claim)]
    conflicts = [o for o in outcomes if isinstance(o, EditConflict)]
    assert (len(saved), len(conflicts)) == (1, 1), outcomes
    assert "changed by someone else since you opened it" in str(conflicts[0])
    claim = Claim.objects.get(pk=claim_in_review.pk)
    assert claim.text == saved[0].text
    assert claim.version == version + 1
    assert_chain_intact(claim.team)


def test_many_transitions_on_many_claims_keep_one_contiguous_chain():
    team = TeamFactory(slug="busy-team")
    author = MembershipFactory(team=team, role="reporter").user
    claims = [
        ClaimFactory(team=team, author=author, status=ClaimStatus.DRAFT)
        for _ in range(6)
    ]
    outcomes = race(
        *[
            (lambda c=c: services.claim_submit(claim_id=c.pk, actor=author))
            for c in claims
        ]
    )
    assert all(isinstance(o, Claim) for o in outcomes), outcomes
    assert AuditEvent.objects.filter(team=team).count() == 6
    assert_chain_intact(team)
