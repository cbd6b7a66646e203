"""Issue 15, item 1: an evidence link has a lifecycle. Its relation, stance or note
change, or it is unlinked, each with a reason, through one service that keeps the
old link as a dated row and writes an audit row; the as-of view and the timeline
show the link as it was; contradictory pairs need a confirmation with a reason; on
an approved claim a change sends it back to review, on a published claim it reaches
publishers with the next (four-eyes) correction."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from provenance.audit.chain import verify_chain
from provenance.audit.models import AuditEvent
from provenance.claims import selectors, services
from provenance.claims.models import Claim, ClaimEvidence, ClaimStatus
from provenance.claims.rules import approval_blockers
from provenance.claims.timeline import render_timeline_svg
from tests.factories import EvidenceItemFactory, StatementFactory
from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def day(n: int) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def claim(team, reporter):
    return services.claim_create(
        team=team, actor=reporter, text="The ship was at Rajin", at=T0
    )


@pytest.fixture
def denial(team):
    return StatementFactory(item__team=team, item__title="Owner's denial").item


@pytest.fixture
def wrong_link(claim, denial, reporter):
    """The issue's case: a denial linked as Supports, confirmed by mistake."""
    return services.evidence_attach(
        claim_id=claim.pk,
        item_id=denial.pk,
        actor=reporter,
        relation="supports",
        stance="denies",
        confirm_contradiction=True,
        reason="Thought it was a confirmation",
        at=day(1),
    )


def page_claim(team, claim):
    return selectors.claim_for_page(team=team, claim_id=claim.pk)


# --- Contradictory combinations ------------------------------------------------------


@pytest.mark.parametrize(
    ("relation", "stance"),
    [("supports", "denies"), ("contradicts", "asserts"), ("contradicts", "confirms")],
)
def test_attach_refuses_a_contradictory_pair_without_confirmation(
    claim, team, reporter, relation, stance
):
    item = StatementFactory(item__team=team).item
    with pytest.raises(ValidationError) as refused:
        services.evidence_attach(
            claim_id=claim.pk,
            item_id=item.pk,
            actor=reporter,
            relation=relation,
            stance=stance,
        )
    assert refused.value.message_dict == {"stance": [services.CONTRADICTION_REFUSED]}
    assert ClaimEvidence.objects.count() == 0


def test_attach_confirmed_contradiction_needs_a_reason(claim, denial, reporter):
    with pytest.raises(ValidationError) as refused:
        services.evidence_attach(
            claim_id=claim.pk,
            item_id=denial.pk,
            actor=reporter,
            relation="supports",
            stance="denies",
            confirm_contradiction=True,
        )
    assert refused.value.message_dict == {
        "reason": ["Say why this contradictory combination is right."]
    }


def test_attach_keeps_the_reason_of_a_confirmed_contradiction(wrong_link):
    assert wrong_link.reason == "Thought it was a confirmation"
    assert wrong_link.is_contradictory is True
    event = AuditEvent.objects.get(action="claim.evidence_attach")
    assert event.payload["reason"] == "Thought it was a confirmation"


def test_a_denial_that_contradicts_is_not_contradictory(claim, denial, reporter):
    link = services.evidence_attach(
        claim_id=claim.pk,
        item_id=denial.pk,
        actor=reporter,
        relation="contradicts",
        stance="denies",
    )
    assert link.is_contradictory is False
    assert link.reason == ""


def test_change_to_an_assertion_that_contradicts_needs_confirmation(
    claim, team, reporter
):
    item = StatementFactory(item__team=team, quote="It was there.").item
    link = services.evidence_attach(
        claim_id=claim.pk,
        item_id=item.pk,
        actor=reporter,
        relation="supports",
        stance="asserts",
    )
    with pytest.raises(ValidationError) as refused:
        services.evidence_link_change(
            link_id=link.pk, actor=reporter, relation="contradicts", reason="Oops"
        )
    assert refused.value.message_dict == {"stance": [services.CONTRADICTION_REFUSED]}
    changed = services.evidence_link_change(
        link_id=link.pk,
        actor=reporter,
        relation="contradicts",
        confirm_contradiction=True,
        reason="The speaker asserts the opposite of our claim's figure",
    )
    assert (changed.relation, changed.stance) == ("contradicts", "asserts")


# --- Change ---------------------------------------------------------------------------


def test_change_ends_the_old_link_and_records_the_new_one(
    wrong_link, claim, editor, denial
):
    new = services.evidence_link_change(
        link_id=wrong_link.pk,
        actor=editor,
        relation="contradicts",
        note="The owner denies the port call",
        reason="A denial contradicts the claim",
        at=day(3),
    )
    wrong_link.refresh_from_db()
    assert (wrong_link.unlinked_at, wrong_link.unlinked_by) == (day(3), editor)
    assert wrong_link.unlink_reason == "A denial contradicts the claim"
    assert (new.relation, new.stance, new.note) == (
        "contradicts",
        "denies",
        "The owner denies the port call",
    )
    assert (new.replaces, new.linked_by, new.linked_at) == (wrong_link, editor, day(3))
    assert new.reason == "A denial contradicts the claim"
    assert list(ClaimEvidence.objects.current().filter(claim=claim)) == [new]
    assert ClaimEvidence.objects.filter(claim=claim, item=denial).count() == 2


def test_change_writes_one_audit_row_with_both_states(wrong_link, editor, team):
    new = services.evidence_link_change(
        link_id=wrong_link.pk, actor=editor, relation="contradicts", reason="Fix"
    )
    event = AuditEvent.objects.get(action="claim.evidence_change")
    assert event.payload == {
        "item": wrong_link.item_id,
        "link": new.pk,
        "replaces": wrong_link.pk,
        "from": {"relation": "supports", "stance": "denies", "note": ""},
        "to": {"relation": "contradicts", "stance": "denies", "note": ""},
        "reason": "Fix",
    }
    assert event.object_id == str(wrong_link.claim_id)
    assert list(verify_chain(team)) == []


def test_change_is_a_new_claim_version_edited_by_the_actor(wrong_link, claim, editor):
    before = Claim.objects.get(pk=claim.pk).version
    services.evidence_link_change(
        link_id=wrong_link.pk, actor=editor, relation="contradicts", reason="Fix"
    )
    after = Claim.objects.get(pk=claim.pk)
    assert after.version == before + 1
    assert after.last_edited_by == editor
    assert after.history.first().history_change_reason == "Fix"


def test_change_needs_a_reason(wrong_link, editor):
    with pytest.raises(ValidationError) as refused:
        services.evidence_link_change(
            link_id=wrong_link.pk, actor=editor, relation="contradicts", reason="  "
        )
    assert refused.value.message_dict == {"reason": ["Say why: a reason is required."]}


def test_change_that_changes_nothing_is_refused(wrong_link, editor):
    with pytest.raises(ValidationError) as refused:
        services.evidence_link_change(
            link_id=wrong_link.pk,
            actor=editor,
            relation="supports",
            stance="denies",
            confirm_contradiction=True,
            reason="Same",
        )
    assert refused.value.messages == ["Nothing to change: the link already says this."]


def test_a_changed_link_cannot_be_changed_again(wrong_link, editor):
    services.evidence_link_change(
        link_id=wrong_link.pk, actor=editor, relation="contradicts", reason="Fix"
    )
    with pytest.raises(ValidationError) as refused:
        services.evidence_unlink(link_id=wrong_link.pk, actor=editor, reason="Again")
    assert refused.value.messages == [
        "This link was already changed or unlinked; reload the claim."
    ]


def test_only_statements_take_a_stance_on_change(claim, team, reporter):
    photo = EvidenceItemFactory(team=team, kind="image")
    link = services.evidence_attach(
        claim_id=claim.pk, item_id=photo.pk, actor=reporter, relation="supports"
    )
    with pytest.raises(ValidationError) as refused:
        services.evidence_link_change(
            link_id=link.pk, actor=reporter, stance="denies", reason="x"
        )
    assert refused.value.message_dict == {"stance": ["Only statements take a stance."]}


def test_retracted_claims_links_do_not_change(wrong_link, claim, editor):
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.RETRACTED)
    with pytest.raises(ValueError, match="retracted"):
        services.evidence_unlink(link_id=wrong_link.pk, actor=editor, reason="x")


# --- Permissions: another team's staff (as an attacker) -----------------------------


def test_another_teams_member_cannot_change_or_unlink_a_link(wrong_link, outsider):
    with pytest.raises(PermissionDenied):
        services.evidence_link_change(
            link_id=wrong_link.pk, actor=outsider, relation="contradicts", reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.evidence_unlink(link_id=wrong_link.pk, actor=outsider, reason="x")
    wrong_link.refresh_from_db()
    assert (wrong_link.relation, wrong_link.unlinked_at) == ("supports", None)
    assert not AuditEvent.objects.filter(action__startswith="claim.evidence_").exclude(
        action="claim.evidence_attach"
    )


def test_another_teams_editor_gets_404_on_the_pages(wrong_link, other_team, login_as):
    from tests.factories import MembershipFactory

    attacker = login_as(MembershipFactory(team=other_team, role="editor").user)
    change = reverse(
        "provenance:claim-link-change", args=[wrong_link.claim_id, wrong_link.pk]
    )
    unlink = reverse(
        "provenance:claim-link-unlink", args=[wrong_link.claim_id, wrong_link.pk]
    )
    assert attacker.get(change).status_code == 404
    post = {"change-relation": "contradicts", "change-reason": "x"}
    assert attacker.post(change, post).status_code == 404
    assert attacker.post(unlink, {"unlink-reason": "x"}).status_code == 404
    wrong_link.refresh_from_db()
    assert wrong_link.unlinked_at is None


def test_a_link_id_of_another_claim_is_404_on_this_claims_page(
    wrong_link, team, reporter, reporter_client
):
    other = services.claim_create(team=team, actor=reporter, text="Another claim")
    url = reverse("provenance:claim-link-change", args=[other.pk, wrong_link.pk])
    assert reporter_client.get(url).status_code == 404


# --- Unlink ---------------------------------------------------------------------------


def test_unlink_keeps_the_row_with_who_when_and_why(wrong_link, claim, editor):
    services.evidence_unlink(
        link_id=wrong_link.pk, actor=editor, reason="Linked by mistake", at=day(4)
    )
    wrong_link.refresh_from_db()
    assert (wrong_link.unlinked_at, wrong_link.unlinked_by) == (day(4), editor)
    assert wrong_link.unlink_reason == "Linked by mistake"
    assert not ClaimEvidence.objects.current().filter(claim=claim).exists()
    event = AuditEvent.objects.get(action="claim.evidence_unlink")
    assert event.payload == {
        "item": wrong_link.item_id,
        "link": wrong_link.pk,
        "was": {"relation": "supports", "stance": "denies", "note": ""},
        "reason": "Linked by mistake",
    }


def test_unlinked_evidence_can_be_linked_again(wrong_link, claim, denial, editor):
    services.evidence_unlink(link_id=wrong_link.pk, actor=editor, reason="Wrong")
    again = services.evidence_attach(
        claim_id=claim.pk,
        item_id=denial.pk,
        actor=editor,
        relation="contradicts",
        stance="denies",
    )
    assert list(ClaimEvidence.objects.current().filter(claim=claim)) == [again]


def test_unlinking_the_only_support_blocks_approval(claim, team, reporter):
    photo = EvidenceItemFactory(team=team)
    link = services.evidence_attach(
        claim_id=claim.pk, item_id=photo.pk, actor=reporter, relation="supports"
    )
    services.evidence_unlink(link_id=link.pk, actor=reporter, reason="Wrong photo")
    assert approval_blockers(Claim.objects.get(pk=claim.pk)) == [
        "it needs at least one supporting evidence link",
        "it needs a confidence assessment",
    ]


def test_counts_leave_out_ended_links(wrong_link, claim, team, editor):
    services.evidence_link_change(
        link_id=wrong_link.pk, actor=editor, relation="contradicts", reason="Fix"
    )
    counted = Claim.objects.with_denial_count().with_evidence_count().get(pk=claim.pk)
    assert (counted.denial_count, counted.evidence_count) == (1, 1)
    services.evidence_unlink(
        link_id=ClaimEvidence.objects.current().get(claim=claim).pk,
        actor=editor,
        reason="Not about this ship",
    )
    counted = Claim.objects.with_denial_count().with_evidence_count().get(pk=claim.pk)
    assert (counted.denial_count, counted.evidence_count) == (0, 0)


# --- As of and timeline: the link as it was ------------------------------------------


def test_as_of_before_a_change_shows_the_link_as_it_was(
    wrong_link, claim, team, editor
):
    services.evidence_link_change(
        link_id=wrong_link.pk,
        actor=editor,
        relation="contradicts",
        reason="Fix",
        at=day(3),
    )
    loaded = page_claim(team, claim)
    then = selectors.claim_as_of(claim=loaded, when=day(2))
    now = selectors.claim_as_of(claim=loaded, when=day(5))
    assert [(link.pk, link.relation) for link in then.links] == [
        (wrong_link.pk, "supports")
    ]
    assert [link.relation for link in now.links] == ["contradicts"]
    assert [link.stance for link in now.denials] == ["denies"]


def test_as_of_before_an_unlink_still_shows_the_link(wrong_link, claim, team, editor):
    services.evidence_unlink(
        link_id=wrong_link.pk, actor=editor, reason="Wrong", at=day(4)
    )
    loaded = page_claim(team, claim)
    assert [
        link.pk for link in selectors.claim_as_of(claim=loaded, when=day(2)).links
    ] == [wrong_link.pk]
    assert selectors.claim_as_of(claim=loaded, when=day(4)).links == []
    assert selectors.claim_as_of(claim=loaded, when=day(9), axis="happened").links == []


def test_timeline_as_of_shows_the_old_link(wrong_link, claim, team, editor):
    services.evidence_link_change(
        link_id=wrong_link.pk,
        actor=editor,
        stance="declines_to_comment",
        reason="They declined, not denied",
        at=day(3),
    )
    loaded = page_claim(team, claim)
    then = selectors.claim_as_of(claim=loaded, when=day(2))
    now = selectors.claim_as_of(claim=loaded, when=day(5))
    statement_markers = [
        [e.marker for e in selectors.claim_timeline(claim=loaded, state=state)]
        for state in (then, now)
    ]
    # Now: the link as it stands, and the change itself at the time it was made.
    assert statement_markers == [["denies"], ["changed", "declines_to_comment"]]
    change = selectors.claim_timeline(claim=loaded, state=now)[0]
    assert (change.at, change.detail, change.recorded_only) == (
        day(3),
        "They declined, not denied",
        True,
    )
    assert change.label == (
        f"Link changed: {wrong_link.item.title} "
        "(Supports, Denies → Supports, Declines to comment)"
    )


def test_timeline_shows_an_unlink_when_it_was_made(wrong_link, claim, team, editor):
    services.evidence_unlink(
        link_id=wrong_link.pk, actor=editor, reason="Not about this ship", at=day(4)
    )
    loaded = page_claim(team, claim)
    before = selectors.claim_as_of(claim=loaded, when=day(3))
    after = selectors.claim_as_of(claim=loaded, when=day(5))
    assert [e.marker for e in selectors.claim_timeline(claim=loaded, state=before)] == [
        "denies"
    ]
    (event,) = selectors.claim_timeline(claim=loaded, state=after)
    assert (event.lane, event.marker, event.at, event.label, event.detail) == (
        "statement",
        "unlinked",
        day(4),
        f"Unlinked: {wrong_link.item.title}",
        "Not about this ship",
    )
    svg = render_timeline_svg([event])
    assert 'data-kind="link-unlinked"' in svg
    assert "Unlinked: " in svg


def test_ended_links_lists_changes_and_unlinks_newest_first(
    wrong_link, claim, team, editor
):
    photo = EvidenceItemFactory(team=team)
    other = services.evidence_attach(
        claim_id=claim.pk,
        item_id=photo.pk,
        actor=editor,
        relation="context",
        at=day(1),
    )
    new = services.evidence_link_change(
        link_id=wrong_link.pk,
        actor=editor,
        relation="contradicts",
        reason="Fix",
        at=day(2),
    )
    services.evidence_unlink(link_id=other.pk, actor=editor, reason="Off", at=day(3))
    ended = selectors.ended_links(page_claim(team, claim))
    assert [(e.link.pk, e.replaced_by) for e in ended] == [
        (other.pk, None),
        (wrong_link.pk, new),
    ]


# --- Approved and published claims: the reviewed path --------------------------------


@pytest.fixture
def published(team, reporter, editor):
    claim = services.claim_create(team=team, actor=reporter, text="1,000 containers")
    photo = EvidenceItemFactory(team=team, title="Port photo")
    denial = StatementFactory(item__team=team, item__title="Denial").item
    services.evidence_attach(
        claim_id=claim.pk, item_id=photo.pk, actor=reporter, relation="supports"
    )
    services.evidence_attach(
        claim_id=claim.pk,
        item_id=denial.pk,
        actor=reporter,
        relation="supports",
        stance="denies",
        confirm_contradiction=True,
        reason="Misread",
    )
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="A photo."
    )
    services.claim_submit(claim_id=claim.pk, actor=reporter)
    services.claim_approve(claim_id=claim.pk, actor=editor, expected_version=5)
    services.claim_publish(claim_id=claim.pk, actor=editor, expected_version=6)
    return Claim.objects.get(pk=claim.pk)


def publisher_evidence(team, claim):
    client = publisher_client(make_publisher(team, name=f"P{timezone.now()}").key)
    body = client.get(reverse("api:claim-detail", args=[claim.pk])).json()
    return sorted(
        (e["evidence"]["title"], e["relation"], e["stance"]) for e in body["evidence"]
    )


def test_link_change_on_an_approved_claim_sends_it_back_to_review(
    team, reporter, editor
):
    claim = services.claim_create(team=team, actor=reporter, text="Approved one")
    photo = EvidenceItemFactory(team=team)
    link = services.evidence_attach(
        claim_id=claim.pk, item_id=photo.pk, actor=reporter, relation="supports"
    )
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="A photo."
    )
    services.claim_submit(claim_id=claim.pk, actor=reporter)
    services.claim_approve(claim_id=claim.pk, actor=editor, expected_version=4)
    services.evidence_link_change(
        link_id=link.pk, actor=reporter, relation="context", reason="Only context"
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.IN_REVIEW
    edit = claim.reviews.order_by("-at", "-pk").first()
    assert (edit.decision, edit.comment, edit.by) == ("edit", "Only context", reporter)
    event = AuditEvent.objects.get(action="claim.evidence_change")
    assert event.payload["status"] == ["approved", "in_review"]


def test_published_link_change_reaches_publishers_with_the_next_correction(
    published, team, editor, second_editor
):
    wrong = ClaimEvidence.objects.current().get(claim=published, stance="denies")
    services.evidence_link_change(
        link_id=wrong.pk, actor=editor, relation="contradicts", reason="A denial"
    )
    assert Claim.objects.get(pk=published.pk).status == ClaimStatus.PUBLISHED
    assert publisher_evidence(team, published) == [
        ("Denial", "supports", "denies"),
        ("Port photo", "supports", ""),
    ]
    claim = Claim.objects.get(pk=published.pk)
    services.claim_correct(
        claim_id=claim.pk,
        actor=second_editor,
        expected_version=claim.version,
        correction_note="The owner's statement is a denial, not support.",
    )
    assert publisher_evidence(team, published) == [
        ("Denial", "contradicts", "denies"),
        ("Port photo", "supports", ""),
    ]


def test_published_unlink_stays_public_until_the_correction(
    published, team, editor, second_editor
):
    wrong = ClaimEvidence.objects.current().get(claim=published, stance="denies")
    services.evidence_unlink(link_id=wrong.pk, actor=editor, reason="Not this ship")
    assert [t for t, _, _ in publisher_evidence(team, published)] == [
        "Denial",
        "Port photo",
    ]
    claim = Claim.objects.get(pk=published.pk)
    services.claim_correct(
        claim_id=claim.pk,
        actor=second_editor,
        expected_version=claim.version,
        correction_note="A statement about another ship was removed.",
    )
    assert [t for t, _, _ in publisher_evidence(team, published)] == ["Port photo"]


def test_whoever_changed_a_published_link_cannot_publish_its_correction(
    published, editor
):
    wrong = ClaimEvidence.objects.current().get(claim=published, stance="denies")
    services.evidence_unlink(link_id=wrong.pk, actor=editor, reason="Not this ship")
    claim = Claim.objects.get(pk=published.pk)
    with pytest.raises(PermissionDenied, match="Four eyes"):
        services.claim_correct(
            claim_id=claim.pk,
            actor=editor,
            expected_version=claim.version,
            correction_note="Removed.",
        )


# --- The API's as-of view: the link as it was ---------------------------------------


@pytest.fixture
def published_then(team, reporter, editor, second_editor):
    """Published ten days ago with a denial linked as Supports; the team changed
    the link to Contradicts three days ago and published the correction yesterday."""
    now = timezone.now()
    at = now - timedelta(days=10)
    claim = services.claim_create(team=team, actor=reporter, text="Cargo", at=at)
    photo = EvidenceItemFactory(team=team, title="Photo")
    denial = StatementFactory(item__team=team, item__title="Denial").item
    services.evidence_attach(
        claim_id=claim.pk, item_id=photo.pk, actor=reporter, relation="supports", at=at
    )
    link = services.evidence_attach(
        claim_id=claim.pk,
        item_id=denial.pk,
        actor=reporter,
        relation="supports",
        stance="denies",
        confirm_contradiction=True,
        reason="Misread",
        at=at,
    )
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="x", at=at
    )
    services.claim_submit(claim_id=claim.pk, actor=reporter, at=at)
    services.claim_approve(claim_id=claim.pk, actor=editor, at=at)
    services.claim_publish(claim_id=claim.pk, actor=editor, at=at)
    services.evidence_link_change(
        link_id=link.pk,
        actor=reporter,
        relation="contradicts",
        reason="A denial",
        at=now - timedelta(days=3),
    )
    services.claim_correct(
        claim_id=claim.pk,
        actor=second_editor,
        correction_note="The denial contradicts the claim.",
        at=now - timedelta(days=1),
    )
    return Claim.objects.get(pk=claim.pk), now


def api_evidence(client, claim, day):
    body = client.get(
        reverse("api:claim-detail", args=[claim.pk]), {"as_of": day.isoformat()}
    ).json()
    return (
        sorted((e["evidence"]["title"], e["relation"]) for e in body["evidence"]),
        len(body["denials"]),
    )


def test_api_as_of_shows_publishers_the_link_as_it_was_public(team, published_then):
    claim, now = published_then
    client = publisher_client(make_publisher(team).key)
    # Changed by the team 3 days ago, public only since the correction yesterday.
    for days_ago in (5, 2):
        assert api_evidence(client, claim, (now - timedelta(days=days_ago)).date()) == (
            [("Denial", "supports"), ("Photo", "supports")],
            1,
        )
    assert api_evidence(client, claim, now.date()) == (
        [("Denial", "contradicts"), ("Photo", "supports")],
        1,
    )


def test_api_as_of_shows_members_the_link_as_recorded_then(published_then, reporter):
    from rest_framework.test import APIClient

    claim, now = published_then
    client = APIClient()
    client.force_authenticate(reporter)
    assert api_evidence(client, claim, (now - timedelta(days=5)).date())[0] == [
        ("Denial", "supports"),
        ("Photo", "supports"),
    ]
    assert api_evidence(client, claim, (now - timedelta(days=2)).date())[0] == [
        ("Denial", "contradicts"),
        ("Photo", "supports"),
    ]
