"""Comments on claims and evidence items: the only writers of `Comment`.

Each service is one transaction: it locks what it changes, checks the actor is a
member of the comment's team (and its author, to edit), saves named fields with a
history record (an edit or delete keeps the old text there) and appends an audit
event. Mentioned members are notified in the same transaction (`notices`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from evidence.models import EvidenceItem
from provenance.audit.chain import audit_record
from provenance.claims import notices
from provenance.claims.mentions import mentioned_usernames
from provenance.claims.models import Claim, Comment, QuoteSource
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member

MAX_BODY = 10_000
MAX_QUOTE = 2_000


def _target(
    claim_id: int | None, item_id: int | None
) -> tuple[Team, Claim | None, EvidenceItem | None]:
    if (claim_id is None) == (item_id is None):
        raise ValueError("A comment is on a claim or on an evidence item: name one.")
    if claim_id is not None:
        claim = Claim.objects.select_related("team").get(pk=claim_id)
        return claim.team, claim, None
    item = EvidenceItem.objects.select_related("team").get(pk=item_id)
    return item.team, None, item


def _clean_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something: the comment is empty."})
    if len(body) > MAX_BODY:
        raise ValidationError({"body": f"A comment is at most {MAX_BODY} characters."})
    return body


def _mentioned_members(team: Team, body: str) -> list[Any]:
    """The team's members named with @username: a name that is not a member of this
    team (another team's user included) mentions nobody."""
    names = mentioned_usernames(body)
    if not names:
        return []
    users = (
        get_user_model()
        .objects.filter(memberships__team=team, username__in=names)
        .order_by("username")
    )
    return list(users)


def quote_source_text(item: EvidenceItem, source: str) -> str:
    """The text a quote is taken from: the statement's words (or their original),
    or the document's extracted text; '' when the item has none of that kind."""
    if source in (QuoteSource.STATEMENT, QuoteSource.STATEMENT_ORIGINAL):
        statement = getattr(item, "statement", None)
        if statement is None:
            return ""
        if source == QuoteSource.STATEMENT:
            return statement.quote
        return statement.original_text
    if source == QuoteSource.DOCUMENT:
        document = getattr(item, "document", None)
        return document.text if document is not None else ""
    return ""


def _resolve_quote(
    *,
    team: Team,
    quote_item_id: int | None,
    source: str,
    text: str,
    start: int | None,
) -> tuple[EvidenceItem | None, str, int | None, int | None, str]:
    """(item, source, start, end, text) of a quote checked against its source: the
    text must be found there (at `start`, when given, else its first occurrence)."""
    text = text.strip()
    if not text:
        return None, "", None, None, ""
    if quote_item_id is None or not source:
        raise ValidationError({"quote_text": "Say which evidence the quote is from."})
    if len(text) > MAX_QUOTE:
        raise ValidationError({"quote_text": f"Quote at most {MAX_QUOTE} characters."})
    item = EvidenceItem.objects.filter(pk=quote_item_id, team=team).first()
    if item is None:
        raise PermissionDenied("The quoted evidence is not in this team.")
    source_text = quote_source_text(item, source)
    if start is None:
        start = source_text.find(text)
    if start < 0 or source_text[start : start + len(text)] != text:
        raise ValidationError(
            {"quote_text": "This text is not in the source: copy it exactly."}
        )
    return item, source, start, start + len(text), text


def _save(
    comment: Comment, *, actor: Any, at: datetime, reason: str, fields: list[str] | None
) -> None:
    comment.full_clean()
    comment._history_user = actor
    comment._history_date = at
    comment._change_reason = reason
    comment.save(update_fields=fields)


def _audit_target(comment: Comment) -> dict[str, Any]:
    if comment.claim_id:
        return {"claim": comment.claim_id}
    return {"item": comment.item_id}


@transaction.atomic
def comment_create(
    *,
    actor: Any,
    body: str,
    claim_id: int | None = None,
    item_id: int | None = None,
    parent_id: int | None = None,
    quote_item_id: int | None = None,
    quote_source: str = "",
    quote_text: str = "",
    quote_start: int | None = None,
    at: datetime | None = None,
) -> Comment:
    """Comment on a claim or an item (a reply when `parent_id` names a comment on
    the same one). The actor must be a member of its team. A quote is checked
    against its source's text. Mentioned members (not the actor) are notified.
    Audited as `comment.create`."""
    team, claim, item = _target(claim_id, item_id)
    ensure_member(user=actor, team=team)
    body = _clean_body(body)
    parent = None
    if parent_id is not None:
        parent = Comment.objects.filter(
            pk=parent_id, claim_id=claim_id, item_id=item_id
        ).first()
        if parent is None:
            raise ValidationError({"parent": "Reply to a comment of this thread."})
    if item is not None and quote_text.strip() and quote_item_id is None:
        quote_item_id = item.pk
    q_item, q_source, q_start, q_end, q_text = _resolve_quote(
        team=team,
        quote_item_id=quote_item_id,
        source=quote_source,
        text=quote_text,
        start=quote_start,
    )
    at = at or timezone.now()
    comment = Comment(
        team=team,
        claim=claim,
        item=item,
        parent=parent,
        author=actor,
        body=body,
        quote_item=q_item,
        quote_source=q_source,
        quote_start=q_start,
        quote_end=q_end,
        quote_text=q_text,
        created_at=at,
    )
    _save(comment, actor=actor, at=at, reason="created", fields=None)
    mentioned = _mentioned_members(team, body)
    comment.mentions.set(mentioned)
    audit_record(
        team=team,
        actor=actor,
        action="comment.create",
        obj=comment,
        payload={
            **_audit_target(comment),
            "parent": parent_id,
            "body": body,
            "mentions": [u.get_username() for u in mentioned],
            **(
                {
                    "quote": {
                        "item": q_item.pk,
                        "source": q_source,
                        "start": q_start,
                        "end": q_end,
                    }
                }
                if q_item
                else {}
            ),
        },
        at=at,
    )
    notices.mentioned(comment=comment, recipients=mentioned, actor=actor)
    return comment


def _locked(comment_id: int, actor: Any) -> Comment:
    comment = (
        # Only the comment's row: its claim or item is the nullable side of a join.
        Comment.objects.select_for_update(of=("self",))
        .select_related("team", "claim", "item")
        .get(pk=comment_id)
    )
    ensure_member(user=actor, team=comment.team)
    if comment.is_deleted:
        raise ValidationError("This comment was deleted.")
    return comment


@transaction.atomic
def comment_edit(
    *, comment_id: int, actor: Any, body: str, at: datetime | None = None
) -> Comment:
    """Change a comment's text: its author only. The old text stays in the
    comment's history. Members newly mentioned are notified. Locks the comment;
    audited as `comment.edit` with both texts."""
    comment = _locked(comment_id, actor)
    if comment.author_id != actor.pk:
        raise PermissionDenied("Only its author may edit a comment.")
    body = _clean_body(body)
    if body == comment.body:
        raise ValidationError({"body": "Nothing to change: the comment says this."})
    before = comment.body
    already = set(comment.mentions.values_list("pk", flat=True))
    at = at or timezone.now()
    comment.body = body
    comment.edited_at = at
    _save(comment, actor=actor, at=at, reason="edited", fields=["body", "edited_at"])
    mentioned = _mentioned_members(comment.team, body)
    comment.mentions.set(mentioned)
    audit_record(
        team=comment.team,
        actor=actor,
        action="comment.edit",
        obj=comment,
        payload={**_audit_target(comment), "from": before, "to": body},
        at=at,
    )
    notices.mentioned(
        comment=comment,
        recipients=[u for u in mentioned if u.pk not in already],
        actor=actor,
    )
    return comment


@transaction.atomic
def comment_delete(
    *, comment_id: int, actor: Any, at: datetime | None = None
) -> Comment:
    """Delete a comment: its author, or an editor of the team. The row stays (its
    replies hang on it) with the text blanked; the history keeps what it said.
    Locks the comment; audited as `comment.delete`."""
    comment = _locked(comment_id, actor)
    membership = ensure_member(user=actor, team=comment.team)
    if comment.author_id != actor.pk and not membership.is_editor:
        raise PermissionDenied("Only its author or an editor may delete a comment.")
    at = at or timezone.now()
    comment.body = ""
    comment.deleted_at = at
    comment.deleted_by = actor
    _save(
        comment,
        actor=actor,
        at=at,
        reason="deleted",
        fields=["body", "deleted_at", "deleted_by"],
    )
    audit_record(
        team=comment.team,
        actor=actor,
        action="comment.delete",
        obj=comment,
        payload=_audit_target(comment),
        at=at,
    )
    return comment
