"""What comments, assignments and evidence links tell people, as recorded
Notification rows (the notify service's own tests cover email delivery)."""

import pytest
from django.core.exceptions import ValidationError

from provenance.accounts.models import Notification
from provenance.claims import assignments, comments, services
from tests.factories import (
    ClaimFactory,
    EvidenceItemFactory,
    MembershipFactory,
    StatementFactory,
    UserFactory,
)


@pytest.fixture
def claim(team, reporter):
    return ClaimFactory(team=team, author=reporter, text="The port was closed")


def _notices(kind):
    return list(
        Notification.objects.filter(kind=kind)
        .order_by("recipient_id")
        .values_list("recipient__username", flat=True)
    )


def test_a_mention_notifies_the_mentioned_member_only(
    claim, reporter, editor, second_editor, other_team
):
    MembershipFactory(team=other_team, user=UserFactory(username="kim"))
    comments.comment_create(
        actor=reporter,
        claim_id=claim.pk,
        body=f"@{editor.username} please check; cc @kim and @{reporter.username}",
    )
    assert _notices("mention") == [editor.username]
    notice = Notification.objects.get(kind="mention")
    assert notice.url.startswith(f"{claim.get_absolute_url()}#comment-")
    assert (
        notice.title
        == f"{reporter.username} mentioned you on claim “The port was closed”"
    )
    assert Notification.objects.count() == 1


def test_an_edit_notifies_only_newly_mentioned_members(
    claim, reporter, editor, second_editor
):
    comment = comments.comment_create(
        actor=reporter, claim_id=claim.pk, body=f"@{editor.username} look"
    )
    comments.comment_edit(
        comment_id=comment.pk,
        actor=reporter,
        body=f"@{editor.username} and @{second_editor.username} look",
    )
    assert sorted(_notices("mention")) == sorted(
        [editor.username, second_editor.username]
    )


def test_an_assignment_notifies_the_assignee(claim, editor, reporter):
    assignments.claim_assign(claim_id=claim.pk, actor=editor, assignee=reporter)
    assert _notices("assignment") == [reporter.username]


def test_assigning_yourself_notifies_nobody(claim, reporter):
    assignments.claim_assign(claim_id=claim.pk, actor=reporter, assignee=reporter)
    assert _notices("assignment") == []


def test_new_evidence_notifies_the_assignee_and_watchers(
    claim, team, reporter, editor, second_editor
):
    assignments.claim_assign(claim_id=claim.pk, actor=reporter, assignee=editor)
    watcher = MembershipFactory(team=team).user
    assignments.claim_watch(claim_id=claim.pk, actor=watcher)
    bystander = MembershipFactory(team=team).user
    item = EvidenceItemFactory(team=team)
    services.evidence_attach(
        claim_id=claim.pk, item_id=item.pk, actor=second_editor, relation="supports"
    )
    expected = sorted([reporter, editor, watcher], key=lambda u: u.pk)
    assert _notices("new_evidence") == [u.username for u in expected]
    assert bystander.username not in _notices("new_evidence")
    assert _notices("new_denial") == []


def test_a_new_denial_is_its_own_kind(claim, team, reporter, editor):
    statement = StatementFactory(item__team=team)
    services.evidence_attach(
        claim_id=claim.pk,
        item_id=statement.item.pk,
        actor=editor,
        relation="contradicts",
        stance="denies",
    )
    assert _notices("new_denial") == [reporter.username]
    assert _notices("new_evidence") == []


def test_an_unwatched_author_is_not_told(claim, team, reporter, editor):
    assignments.claim_watch(claim_id=claim.pk, actor=reporter, watching=False)
    item = EvidenceItemFactory(team=team)
    services.evidence_attach(
        claim_id=claim.pk, item_id=item.pk, actor=editor, relation="supports"
    )
    assert _notices("new_evidence") == []


def test_restricted_evidence_is_a_sensitive_notice(claim, team, editor):
    item = EvidenceItemFactory(team=team, is_restricted=True)
    services.evidence_attach(
        claim_id=claim.pk, item_id=item.pk, actor=editor, relation="supports"
    )
    assert Notification.objects.get(kind="new_evidence").is_sensitive is True


def test_a_failed_link_notifies_nobody(claim, team, editor, other_team):
    item = EvidenceItemFactory(team=other_team)
    with pytest.raises(ValidationError) as refused:
        services.evidence_attach(
            claim_id=claim.pk, item_id=item.pk, actor=editor, relation="supports"
        )
    assert refused.value.message_dict == {
        "item": ["No evidence item with this id in the team."]
    }
    assert Notification.objects.count() == 0


def test_a_link_changed_into_a_denial_notifies_followers(claim, team, reporter, editor):
    statement = StatementFactory(item__team=team)
    link = services.evidence_attach(
        claim_id=claim.pk, item_id=statement.item.pk, actor=editor, relation="context"
    )
    services.evidence_link_change(
        link_id=link.pk,
        actor=editor,
        relation="contradicts",
        stance="denies",
        reason="It is a denial.",
    )
    assert _notices("new_denial") == [reporter.username]
