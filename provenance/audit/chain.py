"""The tamper-evident audit trail: a SHA-256 hash chain per team over RFC 8785 JSON."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785
from django.db import models, transaction
from django.utils import timezone

from provenance.audit.models import AuditChainHead, AuditEvent
from provenance.common.indexing import object_written
from provenance.teams.models import Team, user_label


def canonical_bytes(event: dict[str, Any]) -> bytes:
    return rfc8785.dumps(event)


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical).hexdigest()


def _event_body(
    *,
    team_id: int,
    seq: int,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    payload: dict[str, Any],
    at: datetime,
    prev_hash: str,
) -> dict[str, Any]:
    return {
        "team": team_id,
        "seq": seq,
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "payload": payload,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "prev_hash": prev_hash,
    }


def audit_record(
    *,
    team: Team,
    actor: Any,
    action: str,
    obj: models.Model,
    payload: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event to the team's chain.

    Must run inside the caller's transaction: it locks the team's chain-head row, so
    concurrent appends serialize and the event commits or rolls back with the change.
    Then it announces the write (common.indexing), in that transaction too: search
    re-reads the object into its index.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside transaction.atomic")
    head, _ = AuditChainHead.objects.get_or_create(team=team)
    head = AuditChainHead.objects.select_for_update().get(pk=head.pk)
    at = at or timezone.now()
    label = user_label(actor)
    body = _event_body(
        team_id=team.pk,
        seq=head.seq + 1,
        actor=label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        payload=payload or {},
        at=at,
        prev_hash=head.hash,
    )
    canonical = canonical_bytes(body)
    digest = chain_hash(head.hash, canonical)
    event = AuditEvent.objects.create(
        team=team,
        seq=body["seq"],
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=label,
        action=action,
        object_type=body["object_type"],
        object_id=body["object_id"],
        payload=body["payload"],
        at=at,
        prev_hash=head.hash,
        hash=digest,
        canonical=canonical,
    )
    head.seq = body["seq"]
    head.hash = digest
    head.save(update_fields=["seq", "hash"])
    object_written.send(sender=type(obj), obj=obj, actor=actor)
    return event


@dataclass(frozen=True)
class ChainProblem:
    team_id: int
    seq: int
    event_id: int
    reason: str


def _check_event(event: AuditEvent, prev_hash: str, expected_seq: int) -> str | None:
    canonical = bytes(event.canonical)
    if event.seq != expected_seq:
        return f"sequence gap: expected #{expected_seq}, found #{event.seq}"
    if event.prev_hash != prev_hash:
        return "prev_hash does not match the previous event's hash"
    if chain_hash(prev_hash, canonical) != event.hash:
        return "hash does not match the stored canonical bytes"
    rebuilt = _event_body(
        team_id=event.team_id,
        seq=event.seq,
        actor=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        payload=event.payload,
        at=event.at,
        prev_hash=event.prev_hash,
    )
    if canonical_bytes(rebuilt) != canonical:
        return "stored columns differ from the hashed canonical bytes"
    return None


def verify_chain(team: Team) -> Iterator[ChainProblem]:
    """Walk one team's chain in order; yield the first problem found, if any."""
    prev_hash = ""
    expected = 1
    events = AuditEvent.objects.filter(team=team).order_by("seq").iterator(2000)
    for event in events:
        reason = _check_event(event, prev_hash, expected)
        if reason:
            yield ChainProblem(team.pk, event.seq, event.pk, reason)
            return
        prev_hash = event.hash
        expected += 1
    head = AuditChainHead.objects.filter(team=team).first()
    if head and (head.seq != expected - 1 or head.hash != prev_hash):
        yield ChainProblem(team.pk, head.seq, 0, "chain head does not match last event")


def chain_head(team: Team) -> tuple[int, str]:
    head = AuditChainHead.objects.filter(team=team).first()
    return (head.seq, head.hash) if head else (0, "")
