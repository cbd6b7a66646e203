"""The processing state of evidence: one table of moves and the one function that
makes them. ``processing_state`` is assigned nowhere else.

An item that needs processing (image, AIS extract, PDF or DOCX document) arrives
pending; the others stay "not needed" and never move. A worker takes the item
(running), then finishes it (done, or done with a warning) or fails it with the
reason. A member may queue it again.

Processing is idempotent and the tasks are delivered at least once (``acks_late``),
so taking is allowed again from running (a redelivered task after its worker
died), done and failed (a task run twice redoes the same work under the row
locks its transaction takes). What the table refuses: any move of an item that
needs no processing, finishing an item nobody took, failing a finished one, and
queueing one that a worker is running now (its task is in flight).

Each move is one conditional UPDATE (``WHERE processing_state IN sources``), so a
move is refused, not applied, when another writer got there first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from evidence.models import CustodyEvent, EvidenceItem, ProcessingState
from provenance.accounts.models import NotificationKind
from provenance.accounts.notifications import notify
from provenance.audit.chain import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

PENDING = ProcessingState.PENDING
RUNNING = ProcessingState.RUNNING
DONE = ProcessingState.DONE
WARNING = ProcessingState.WARNING
FAILED = ProcessingState.FAILED

# target state -> the states it may be reached from
SOURCES: dict[str, frozenset[str]] = {
    RUNNING: frozenset({PENDING, RUNNING, DONE, WARNING, FAILED}),  # take
    DONE: frozenset({RUNNING}),  # finish
    # finish, but what came out needs a look (the reason in processing_warning)
    WARNING: frozenset({RUNNING}),
    # fail: a taken item, or one whose run was refused before it took the item
    # (a re-analysis whose checks fail, also when its task runs twice)
    FAILED: frozenset({PENDING, RUNNING, FAILED}),
    # queue again: after a failure, to redo a finished item, or a pending item
    # whose task was lost with the broker
    PENDING: frozenset({PENDING, DONE, WARNING, FAILED}),
}


class IllegalMove(ValueError):
    """The item's processing state does not allow this move (a ValueError, which
    the pages show as a message)."""

    def __init__(self, source: str, target: str) -> None:
        self.source, self.target = source, target
        if source == RUNNING and target == PENDING:
            message = "It is being processed now; wait for the result."
        elif source == ProcessingState.NOT_NEEDED:
            message = "This item needs no processing."
        else:
            message = (
                f"Processing cannot go from {ProcessingState(source).label.lower()} "
                f"to {ProcessingState(target).label.lower()}."
            )
        super().__init__(message)


# A link or statement added without a capture needs no processing until a
# member asks for its page to be captured (evidence/captures): only that start
# may leave "not needed".
START_SOURCES = SOURCES[PENDING] | {ProcessingState.NOT_NEEDED}


def can_move(source: str, target: str) -> bool:
    return source in SOURCES.get(target, frozenset())


def arrive(item: EvidenceItem) -> None:
    """An unsaved item that will be processed starts pending."""
    item.processing_state = PENDING
    item.processing_error = ""
    item.processing_warning = ""


def move(
    item: EvidenceItem,
    target: str,
    *,
    error: str = "",
    warning: str = "",
    fields: dict[str, Any] | None = None,
    audit: str = "",
    payload: dict[str, Any] | None = None,
    actor: User | None = None,
    starting: bool = False,
) -> EvidenceItem:
    """Move a saved item to ``target`` if the table allows it from its current
    state, in one conditional UPDATE; else IllegalMove (nothing written).

    ``starting`` (to pending only) also takes an item that needed no
    processing: a page capture asked for after the item was added.

    ``error`` is the reason of a failure and ``warning`` that of a warning (each
    cleared by any other move); ``fields``
    are other columns written in the same UPDATE; ``audit`` names the audit
    event written with ``payload`` (in the caller's transaction). The instance
    is updated to match.
    """
    values = {
        "processing_state": target,
        "processing_error": error,
        "processing_warning": warning,
        "updated_at": timezone.now(),
        **(fields or {}),
    }
    sources = SOURCES.get(target, frozenset())
    if starting and target == PENDING:
        sources = START_SOURCES
    updated = EvidenceItem.objects.filter(
        pk=item.pk, processing_state__in=sources
    ).update(**values)
    if not updated:
        current = (
            EvidenceItem.objects.filter(pk=item.pk)
            .values_list("processing_state", flat=True)
            .first()
        )
        if current is None:
            raise EvidenceItem.DoesNotExist(f"Evidence #{item.pk} is gone.")
        raise IllegalMove(current, target)
    for name, value in values.items():
        setattr(item, name, value)
    if audit:
        audit_record(
            team=item.team, actor=actor, action=audit, obj=item, payload=payload or {}
        )
    if target in OUTCOMES:
        _tell_uploader(item, target)
    return item


OUTCOMES = {
    DONE: ("Processing finished", NotificationKind.UPLOAD_FINISHED),
    WARNING: ("Processing finished with a warning", NotificationKind.UPLOAD_FINISHED),
    FAILED: ("Processing failed", NotificationKind.UPLOAD_FAILED),
}


def _tell_uploader(item: EvidenceItem, target: str) -> None:
    """The person who added the item hears how its processing ended (in the
    move's transaction)."""
    if item.added_by_id is None:
        return
    heading, kind = OUTCOMES[target]
    notify(
        recipients=[item.added_by],
        kind=kind,
        team=item.team,
        actor=None,
        title=f"{heading}: {item.title}",
        url=item.get_absolute_url(),
        body=item.processing_error or item.processing_warning,
        is_sensitive=item.is_restricted,
    )


def record_steps(
    item: EvidenceItem,
    steps: Sequence[tuple[str, str, str]],
    *,
    versions: dict[str, str],
    facts: dict[str, dict[str, Any]],
) -> None:
    """One custody event per processing step with facts (``steps``: step, tool,
    description); a re-run updates the step's event in place."""
    now = timezone.now()
    for step, tool, description in steps:
        if step not in facts:
            continue
        detail = {"step": step, "description": description, **facts[step]}
        version = versions.get(step, "")
        updated = CustodyEvent.objects.filter(
            item=item, action=CustodyEvent.Action.PROCESSED, detail__step=step
        ).update(tool=tool, tool_version=version, detail=detail, at=now)
        if not updated:
            CustodyEvent.objects.create(
                item=item,
                action=CustodyEvent.Action.PROCESSED,
                tool=tool,
                tool_version=version,
                detail=detail,
                at=now,
            )
