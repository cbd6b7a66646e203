import pytest
from django.urls import reverse

from provenance.claims import assignments, comments
from provenance.claims.models import Comment
from tests.factories import (
    ClaimFactory,
    EvidenceItemFactory,
    MembershipFactory,
    StatementFactory,
)


@pytest.fixture
def claim(team, reporter):
    return ClaimFactory(team=team, author=reporter, text="The port was closed")


def _thread(claim, reporter, editor, n):
    for i in range(n):
        root = comments.comment_create(
            actor=reporter, claim_id=claim.pk, body=f"**Root {i}** @{editor.username}"
        )
        comments.comment_create(
            actor=editor, claim_id=claim.pk, parent_id=root.pk, body=f"reply {i}"
        )


def test_claim_page_shows_the_thread_rendered_and_safe(client, claim, reporter, editor):
    comments.comment_create(
        actor=reporter,
        claim_id=claim.pk,
        body=f"<script>alert(1)</script> ask @{editor.username}",
    )
    client.force_login(editor)
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert f'<span class="mention">@{editor.username}</span>' in html
    assert 'data-mentions-url="/team/members.json"' in html


def test_claim_page_queries_do_not_grow_with_the_thread(
    client, claim, reporter, editor, django_assert_num_queries
):
    client.force_login(editor)
    _thread(claim, reporter, editor, 1)
    url = claim.get_absolute_url()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url, {"fresh": 1}).status_code == 200
    _thread(claim, reporter, editor, 6)
    with CaptureQueriesContext(connection) as large:
        response = client.get(url, {"fresh": 2})
    assert response.content.decode().count('class="comment"') == 14
    assert len(large) == len(small)


def test_posting_a_comment_and_a_reply(client, claim, reporter, editor):
    client.force_login(reporter)
    url = reverse("provenance:claim-comment", args=[claim.pk])
    response = client.post(url, {"body": f"Look @{editor.username}"})
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{claim.get_absolute_url()}#comment-{comment.pk}"
    assert list(comment.mentions.all()) == [editor]
    client.force_login(editor)
    client.post(url, {"body": "Seen.", "parent": comment.pk})
    assert Comment.objects.get(parent=comment).author == editor


def test_an_empty_comment_shows_the_claim_page_with_the_error(client, claim, reporter):
    client.force_login(reporter)
    response = client.post(reverse("provenance:claim-comment", args=[claim.pk]), {})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_another_teams_member_gets_404_on_comment_routes(
    client, claim, reporter, outsider
):
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="x")
    client.force_login(outsider)
    for url in (
        reverse("provenance:claim-comment", args=[claim.pk]),
        reverse("provenance:comment-detail", args=[comment.pk]),
        reverse("provenance:comment-delete", args=[comment.pk]),
    ):
        assert client.post(url, {"body": "y", "confirm": "delete"}).status_code == 404
    assert Comment.objects.get().body == "x"


def test_a_quote_from_a_linked_statement_renders_as_a_blockquote(
    client, team, claim, reporter
):
    statement = StatementFactory(item__team=team, quote="We never closed the port.")
    from tests.factories import ClaimEvidenceFactory

    ClaimEvidenceFactory(claim=claim, item=statement.item, stance="denies")
    client.force_login(reporter)
    client.post(
        reverse("provenance:claim-comment", args=[claim.pk]),
        {
            "body": "This contradicts the notice.",
            "quote_item": statement.item.pk,
            "quote_source": "statement",
            "quote_text": "never closed",
        },
    )
    html = client.get(claim.get_absolute_url()).content.decode()
    assert '<blockquote class="comment-quote">never closed<footer' in html
    assert f'<a href="{statement.item.get_absolute_url()}">' in html


def test_evidence_page_shows_its_thread_and_takes_comments(client, team, reporter):
    item = EvidenceItemFactory(team=team, title="Harbour notice")
    client.force_login(reporter)
    response = client.post(
        reverse("provenance:item-comment", args=[item.pk]), {"body": "_Blurry_ scan"}
    )
    assert response.status_code == 302
    html = client.get(item.get_absolute_url()).content.decode()
    assert "<em>Blurry</em> scan" in html


def test_evidence_page_queries_do_not_grow_with_the_thread(client, team, reporter):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    item = EvidenceItemFactory(team=team)
    client.force_login(reporter)
    comments.comment_create(actor=reporter, item_id=item.pk, body="one")
    with CaptureQueriesContext(connection) as small:
        client.get(item.get_absolute_url())
    for i in range(5):
        comments.comment_create(actor=reporter, item_id=item.pk, body=f"more {i}")
    with CaptureQueriesContext(connection) as large:
        client.get(item.get_absolute_url())
    assert len(large) == len(small)


def test_the_author_edits_on_the_comment_page_and_sees_the_history(
    client, claim, reporter
):
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="v1")
    client.force_login(reporter)
    url = reverse("provenance:comment-detail", args=[comment.pk])
    assert client.post(url, {"body": "v2"}).status_code == 302
    html = client.get(url).content.decode()
    assert "<blockquote>v2</blockquote>" in html
    assert "<blockquote>v1</blockquote>" in html


def test_another_member_sees_the_history_without_the_form(
    client, claim, reporter, editor
):
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="v1")
    client.force_login(editor)
    url = reverse("provenance:comment-detail", args=[comment.pk])
    html = client.get(url).content.decode()
    assert "<textarea" not in html
    assert client.post(url, {"body": "edited"}).status_code == 403


def test_delete_needs_the_buttons_confirmation(client, claim, reporter):
    comment = comments.comment_create(actor=reporter, claim_id=claim.pk, body="x")
    client.force_login(reporter)
    url = reverse("provenance:comment-delete", args=[comment.pk])
    client.post(url, {})
    assert Comment.objects.get().deleted_at is None
    client.post(url, {"confirm": "delete"})
    assert Comment.objects.get().deleted_at is not None


def test_members_json_lists_the_current_teams_members_only(
    client, team, reporter, editor, outsider
):
    client.force_login(reporter)
    response = client.get(reverse("provenance:team-members"), {"q": "@"})
    names = [m["username"] for m in response.json()["members"]]
    assert names == sorted([reporter.username, editor.username])
    assert outsider.username not in names


def test_members_json_filters_by_prefix(
    client, team, reporter, django_assert_max_num_queries
):
    for n in range(12):
        MembershipFactory(team=team, user__username=f"zora{n:02d}")
    client.force_login(reporter)
    client.get(reverse("provenance:team-members"))  # warm the session
    with django_assert_max_num_queries(4):
        response = client.get(reverse("provenance:team-members"), {"q": "zo"})
    assert len(response.json()["members"]) == 8
    response = client.get(reverse("provenance:team-members"), {"q": "zora11"})
    assert response.json() == {"members": [{"username": "zora11", "name": ""}]}


def test_claim_page_shows_assignee_due_date_and_watch_button(
    client, claim, reporter, editor
):
    import datetime as dt

    assignments.claim_assign(
        claim_id=claim.pk, actor=editor, assignee=reporter, due_on=dt.date(2030, 5, 1)
    )
    client.force_login(reporter)
    html = client.get(claim.get_absolute_url()).content.decode()
    assert f"<strong>{reporter.username}</strong>, due" in html
    assert "1 May 2030" in html
    assert 'name="watching" value="0"' in html  # the assignee watches already


def test_reply_works_without_javascript(client, claim, reporter, editor):
    root = comments.comment_create(actor=reporter, claim_id=claim.pk, body="Q?")
    client.force_login(editor)
    html = client.get(claim.get_absolute_url(), {"reply": root.pk}).content.decode()
    assert f'<input type="hidden" name="parent" value="{root.pk}"' in html
    assert f'href="?reply={root.pk}#comment-form"' in html


def test_a_quoted_statement_with_markup_is_escaped(client, team, claim, reporter):
    statement = StatementFactory(item__team=team, quote='Say <img src=x onerror="a()">')
    client.force_login(reporter)
    comments.comment_create(
        actor=reporter,
        claim_id=claim.pk,
        body="[x](javascript:alert(1)) odd",
        quote_item_id=statement.item.pk,
        quote_source="statement",
        quote_text='<img src=x onerror="a()">',
    )
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "&lt;img src=x onerror=&quot;a()&quot;&gt;" in html
    assert "<img src=x" not in html
    assert 'href="javascript:' not in html
