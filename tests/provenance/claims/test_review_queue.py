"""The editors' review queue, the review controls on the claim page, and what
reporters see of the review of their claims."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from provenance.claims import services
from provenance.claims.models import ClaimStatus, Review
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    MembershipFactory,
    StatementFactory,
)

QUEUE = reverse("provenance:review-queue")


def in_review(team, author, text="A claim", ready=True, **fields):
    claim = ClaimFactory(
        team=team, author=author, status=ClaimStatus.IN_REVIEW, text=text, **fields
    )
    if ready:
        ClaimEvidenceFactory(claim=claim, relation="supports")
        AssessmentFactory(claim=claim, level="likely")
    return claim


def submitted(claim, by, at):
    Review.objects.create(
        claim=claim,
        decision="submit",
        from_status="draft",
        to_status="in_review",
        by=by,
        at=at,
    )


def test_queue_lists_claims_in_review_oldest_first(team, reporter, editor_client):
    now = timezone.now()
    newer = in_review(team, reporter, text="Submitted yesterday")
    older = in_review(team, reporter, text="Submitted last week")
    submitted(newer, reporter, now - timedelta(days=1))
    submitted(older, reporter, now - timedelta(days=7))
    ClaimFactory(team=team, author=reporter, text="Still a draft")
    response = editor_client.get(QUEUE)
    assert response.status_code == 200
    assert [c.pk for c in response.context["queue"]] == [older.pk, newer.pk]
    assert b"Still a draft" not in response.content


def test_queue_shows_author_evidence_confidence_and_denials(
    team, reporter, editor_client
):
    claim = in_review(team, reporter, text="Containers at Rajin")
    statement = StatementFactory(item__team=team)
    ClaimEvidenceFactory(
        claim=claim, item=statement.item, relation="contradicts", stance="denies"
    )
    row = editor_client.get(QUEUE).context["queue"][0]
    assert (row.author, row.evidence_count, row.denial_count) == (reporter, 2, 1)
    assert row.current_confidence == "likely"
    assert row.blockers == []


def test_queue_says_why_a_claim_cannot_be_approved_yet(team, reporter, editor_client):
    in_review(team, reporter, text="Thin claim", ready=False)
    response = editor_client.get(QUEUE)
    assert response.status_code == 200
    assert b"Thin claim" in response.content
    assert b"Cannot approve yet" in response.content
    assert b'value="approve"' not in response.content


def test_queue_does_not_offer_approval_of_your_own_claim(team, editor, editor_client):
    in_review(team, editor, text="My own claim")
    response = editor_client.get(QUEUE)
    assert response.status_code == 200
    assert b"My own claim" in response.content
    assert b"Yours: another editor approves it." in response.content
    assert b'value="approve"' not in response.content


@pytest.mark.parametrize("n", [3, 30])
def test_queue_query_count_does_not_grow_with_claims(
    team, reporter, editor, editor_client, django_assert_max_num_queries, n
):
    for i in range(n):
        claim = in_review(team, reporter, text=f"Queued claim {i}")
        submitted(claim, reporter, timezone.now())
    for i in range(n):
        approved = ClaimFactory(
            team=team,
            author=reporter,
            status=ClaimStatus.APPROVED,
            publish_at=timezone.now() + timedelta(days=1) if i % 2 else None,
        )
        AssessmentFactory(claim=approved)
    editor_client.get(QUEUE)  # warm the session and membership caches
    with django_assert_max_num_queries(6):
        response = editor_client.get(QUEUE)
    assert len(response.context["queue"]) == n
    assert len(response.context["awaiting"]) == n


@pytest.mark.parametrize("n", [3, 30])
def test_reporter_view_query_count_does_not_grow_with_claims(
    team, reporter, editor, reporter_client, django_assert_max_num_queries, n
):
    for i in range(n):
        claim = in_review(team, reporter, text=f"Mine {i}")
        Review.objects.create(
            claim=claim,
            decision="request_changes",
            from_status="in_review",
            to_status="draft",
            comment=f"Comment {i}",
            by=editor,
        )
    reporter_client.get(QUEUE)
    with django_assert_max_num_queries(6):
        response = reporter_client.get(QUEUE)
    assert len(response.context["own_claims"]) == n


def test_editor_approves_from_the_queue(team, reporter, editor_client, editor):
    claim = in_review(team, reporter)
    response = editor_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "approve", "version": 1, "comment": "Solid.", "next": QUEUE},
    )
    assert response.status_code == 302
    assert response["Location"] == QUEUE
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert claim.reviews.get().by == editor


def test_editor_approves_with_an_embargo_from_the_queue(team, reporter, editor_client):
    claim = in_review(team, reporter)
    editor_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "approve", "version": 1, "publish_at": "2999-01-01T09:00"},
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert claim.publish_at.isoformat() == "2999-01-01T09:00:00+00:00"
    page = editor_client.get(QUEUE)
    assert b"Embargoed until 1 Jan 2999 09:00 UTC" in page.content


def test_request_changes_needs_a_comment_and_says_so(team, reporter, editor_client):
    claim = in_review(team, reporter)
    response = editor_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "request_changes", "version": 1, "comment": ""},
        follow=True,
    )
    assert b"Say what needs to change." in response.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW


def test_author_editor_is_refused_with_a_message(team, editor, editor_client):
    claim = in_review(team, editor)
    response = editor_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "approve", "version": 1},
        follow=True,
    )
    assert b"Four eyes" in response.content
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW


def test_reporter_submits_own_draft_from_the_claim_page(
    team, reporter, reporter_client
):
    claim = ClaimFactory(team=team, author=reporter)
    page = reporter_client.get(claim.get_absolute_url())
    assert page.status_code == 200
    assert b'value="submit"' in page.content
    assert b'value="approve"' not in page.content
    reporter_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "submit", "version": 1},
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW


def test_reporter_cannot_approve_by_posting(team, reporter, reporter_client):
    claim = in_review(team, MembershipFactory(team=team, role="reporter").user)
    reporter_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "approve", "version": 1},
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW


def test_other_teams_claim_cannot_be_reviewed(team, reporter, outsider_client):
    claim = in_review(team, reporter)
    response = outsider_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "approve", "version": 1},
    )
    assert response.status_code == 404


def test_offsite_next_is_ignored(team, reporter, editor_client):
    claim = in_review(team, reporter)
    response = editor_client.post(
        reverse("provenance:claim-review", args=[claim.pk]),
        {"decision": "approve", "version": 1, "next": "https://evil.example/"},
    )
    assert response["Location"] == claim.get_absolute_url()


def test_reporter_sees_status_and_comments_on_their_claims(
    team, reporter, editor, reporter_client
):
    claim = in_review(team, reporter, text="My claim about Rajin")
    services.claim_request_changes(
        claim_id=claim.pk, actor=editor, comment="Which berth? Add the port call."
    )
    ClaimFactory(team=team, text="Someone else's claim")
    response = reporter_client.get(QUEUE)
    assert response.status_code == 200
    assert b"My claim about Rajin" in response.content
    assert b"Which berth? Add the port call." in response.content
    assert b"Someone else" not in response.content
    page = reporter_client.get(claim.get_absolute_url())
    assert b"Which berth? Add the port call." in page.content


def test_claim_page_shows_the_embargo(team, reporter, editor, editor_client):
    claim = in_review(team, reporter)
    services.claim_approve(
        claim_id=claim.pk,
        actor=editor,
        publish_at=timezone.now().replace(year=2999, microsecond=0),
    )
    page = editor_client.get(claim.get_absolute_url())
    assert b"Embargoed until" in page.content


def test_nav_links_to_the_queue(editor_client, reporter_client):
    assert b"Review queue" in editor_client.get(QUEUE).content
    assert b"My reviews" in reporter_client.get(QUEUE).content
