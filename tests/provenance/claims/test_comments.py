import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from provenance.audit.chain import verify_chain
from provenance.audit.models import AuditEvent
from provenance.claims import comments
from provenance.claims.models import Comment, QuoteSource
from tests.factories import (
    ClaimFactory,
    EvidenceItemFactory,
    MembershipFactory,
    StatementFactory,
    UserFactory,
)


@pytest.fixture
def claim(team, reporter):
    return ClaimFactory(team=team, author=reporter)


def test_a_member_comments_on_a_claim_with_an_audit_row(claim, reporter):
    comment = comments.comment_create(
        actor=reporter, claim_id=claim.pk, body="  Check the date.  "
    )
    assert comment.body == "Check the date."
    assert comment.team_id == claim.team_id
    event = AuditEvent.objects.get(action="comment.create")
    assert event.object_id == str(comment.pk)
    assert event.payload == {
        "claim": claim.pk,
        "parent": None,
        "body": "Check the date.",
        "mentions": [],
    }
    assert list(verify_chain(claim.team)) == []


def test_another_teams_member_cannot_comment(claim, outsider):
    with pytest.raises(PermissionDenied):
        comments.comment_create(actor=outsider, claim_id=claim.pk, body="Hi")
    assert Comment.objects.count() == 0


def test_an_empty_comment_is_refused(claim, reporter):
    with pytest.raises(ValidationError):
        comments.comment_create(actor=reporter, claim_id=claim.pk, body="   ")


def test_a_reply_hangs_on_a_comment_of_the_same_thread(claim, reporter, editor):
    first = comments.comment_create(actor=reporter, claim_id=claim.pk, body="Q?")
    reply = comments.comment_create(
        actor=editor, claim_id=claim.pk, parent_id=first.pk, body="A."
    )
    assert reply.parent_id == first.pk
    other = ClaimFactory(team=claim.team, author=reporter)
    with pytest.raises(ValidationError):
        comments.comment_create(
            actor=editor, claim_id=other.pk, parent_id=first.pk, body="Elsewhere"
        )


def test_a_member_comments_on_an_evidence_item(team, reporter):
    item = EvidenceItemFactory(team=team)
    comment = comments.comment_create(actor=reporter, item_id=item.pk, body="Blurry")
    assert (comment.item_id, comment.claim_id) == (item.pk, None)
    assert AuditEvent.objects.get(action="comment.create").payload["item"] == item.pk


def test_another_teams_member_cannot_comment_on_an_item(team, outsider):
    item = EvidenceItemFactory(team=team)
    with pytest.raises(PermissionDenied):
        comments.comment_create(actor=outsider, item_id=item.pk, body="Hi")


def test_edit_keeps_the_old_text_in_history(claim, reporter):
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="v1")
    comments.comment_edit(comment_id=comment.pk, actor=reporter, body="v2")
    comment.refresh_from_db()
    assert comment.body == "v2"
    assert comment.edited_at is not None
    texts = list(
        comment.history.order_by("history_date").values_list("body", flat=True)
    )
    assert texts == ["v1", "v2"]
    assert comment.history.latest().history_user == reporter
    event = AuditEvent.objects.get(action="comment.edit")
    assert (event.payload["from"], event.payload["to"]) == ("v1", "v2")


def test_a_reporter_can_edit_only_their_own_comment(claim, reporter, team):
    colleague = MembershipFactory(team=team, role="reporter").user
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="mine")
    with pytest.raises(PermissionDenied):
        comments.comment_edit(comment_id=comment.pk, actor=colleague, body="theirs")
    comment.refresh_from_db()
    assert comment.body == "mine"


def test_an_editor_cannot_edit_someone_elses_comment(claim, reporter, editor):
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="mine")
    with pytest.raises(PermissionDenied):
        comments.comment_edit(comment_id=comment.pk, actor=editor, body="edited")


def test_another_teams_member_cannot_edit_or_delete(claim, reporter, outsider):
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="x")
    with pytest.raises(PermissionDenied):
        comments.comment_edit(comment_id=comment.pk, actor=outsider, body="y")
    with pytest.raises(PermissionDenied):
        comments.comment_delete(comment_id=comment.pk, actor=outsider)


def test_delete_blanks_the_text_and_history_keeps_it(claim, reporter):
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="oops")
    comments.comment_delete(comment_id=comment.pk, actor=reporter)
    comment.refresh_from_db()
    assert (comment.body, comment.is_deleted, comment.deleted_by) == (
        "",
        True,
        reporter,
    )
    texts = list(
        comment.history.order_by("history_date").values_list("body", flat=True)
    )
    assert texts == ["oops", ""]
    assert AuditEvent.objects.filter(action="comment.delete").count() == 1
    with pytest.raises(ValidationError):
        comments.comment_edit(comment_id=comment.pk, actor=reporter, body="back")


def test_an_editor_may_delete_a_reporters_comment_but_a_reporter_not_theirs(
    claim, reporter, editor, team
):
    colleague = MembershipFactory(team=team, role="reporter").user
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="x")
    with pytest.raises(PermissionDenied):
        comments.comment_delete(comment_id=comment.pk, actor=colleague)
    comments.comment_delete(comment_id=comment.pk, actor=editor)
    assert Comment.objects.get(pk=comment.pk).deleted_by == editor


def test_mentions_are_the_teams_members_only(claim, reporter, editor, other_team):
    stranger = MembershipFactory(team=other_team, user=UserFactory(username="kim")).user
    text = f"@{editor.username} and @kim and @nobody, see this"
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body=text)
    assert list(comment.mentions.all()) == [editor]
    assert stranger not in comment.mentions.all()


def test_a_quote_is_checked_against_the_statement(team, reporter):
    statement = StatementFactory(
        item__team=team, quote="We never shipped anything to that port."
    )
    claim = ClaimFactory(team=team, author=reporter)
    comment = comments.comment_create(
        actor=reporter,
        claim_id=claim.pk,
        body="Compare with the manifest.",
        quote_item_id=statement.item.pk,
        quote_source=QuoteSource.STATEMENT,
        quote_text="shipped anything",
    )
    assert (comment.quote_start, comment.quote_end) == (9, 25)
    assert comment.quote_text == "shipped anything"
    with pytest.raises(ValidationError):
        comments.comment_create(
            actor=reporter,
            claim_id=claim.pk,
            body="x",
            quote_item_id=statement.item.pk,
            quote_source=QuoteSource.STATEMENT,
            quote_text="not in it",
        )


def test_a_quote_of_another_teams_item_is_refused(team, reporter, other_team):
    statement = StatementFactory(item__team=other_team, quote="Secret words")
    claim = ClaimFactory(team=team, author=reporter)
    with pytest.raises(PermissionDenied):
        comments.comment_create(
            actor=reporter,
            claim_id=claim.pk,
            body="x",
            quote_item_id=statement.item.pk,
            quote_source=QuoteSource.STATEMENT,
            quote_text="Secret",
        )
