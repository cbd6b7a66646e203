"""Every write of the evidence behind an edge of the ownership graph: link an item
to a relationship with a relation and a note, change the link, unlink it; and
`relationship_record`, an edge with its evidence in one transaction (the web form,
the API and the demo record edges this way). Links are versions like a claim's
(see RelationshipEvidence): nothing is deleted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from evidence.models import EvidenceItem, RelationshipEvidence
from provenance.audit.chain import audit_record
from provenance.common.writes import (
    end_link,
    link_version,
    replace_link,
    required_reason,
)
from provenance.entities import services as entity_services
from provenance.entities.models import Relationship
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member


@dataclass(frozen=True)
class EvidenceCitation:
    """One item to link while recording an edge."""

    item_id: int
    relation: str = RelationshipEvidence.Relation.SUPPORTS
    note: str = ""


def _locked_relationship(relationship_id: int, actor: Any) -> Relationship:
    relationship = (
        Relationship.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(pk=relationship_id)
        .first()
    )
    if relationship is None:
        raise Relationship.DoesNotExist("No such relationship.")
    ensure_member(user=actor, team=relationship.team)
    return relationship


def _touch(relationship: Relationship, at: datetime) -> None:
    Relationship.objects.filter(pk=relationship.pk).update(
        updated_at=max(at, relationship.updated_at)
    )


def _link_state(link: RelationshipEvidence) -> dict[str, str]:
    return {"relation": link.relation, "note": link.note}


@transaction.atomic
def relationship_evidence_link(
    *,
    relationship_id: int,
    item_id: int,
    actor: Any,
    relation: str,
    note: str = "",
    at: datetime | None = None,
) -> RelationshipEvidence:
    """Link one of the team's items to the edge. Locks the edge; bumps its
    updated_at; audited as `relationship.evidence_link`."""
    relationship = _locked_relationship(relationship_id, actor)
    # Another team's item is answered as a missing one: its existence is not said.
    item = EvidenceItem.objects.filter(pk=item_id, team_id=relationship.team_id).first()
    if item is None:
        raise ValidationError({"item": "No evidence item with this id in the team."})
    if (
        RelationshipEvidence.objects.current()
        .filter(relationship=relationship, item=item)
        .exists()
    ):
        raise ValidationError(
            {"item": "This evidence is already linked to the relationship."}
        )
    at = at or timezone.now()
    link = RelationshipEvidence(
        relationship=relationship,
        item=item,
        relation=relation,
        note=note.strip(),
        linked_by=actor,
        linked_at=at,
    )
    link.full_clean()
    link.save()
    _touch(relationship, at)
    audit_record(
        team=relationship.team,
        actor=actor,
        action="relationship.evidence_link",
        obj=relationship,
        payload={"item": item.pk, "link": link.pk, **_link_state(link)},
        at=at,
    )
    return link


def _locked_link(link_id: int, actor: Any) -> tuple[RelationshipEvidence, Relationship]:
    relationship_ids = RelationshipEvidence.objects.filter(pk=link_id).values(
        "relationship_id"
    )
    relationship = (
        Relationship.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(pk__in=relationship_ids)
        .first()
    )
    if relationship is None:
        raise RelationshipEvidence.DoesNotExist("No such link.")
    ensure_member(user=actor, team=relationship.team)
    link = RelationshipEvidence.objects.select_for_update().get(
        pk=link_id, relationship=relationship
    )
    if link.unlinked_at is not None:
        raise ValidationError("This link was already changed or unlinked; reload.")
    return link, relationship


@transaction.atomic
def relationship_evidence_change(
    *,
    link_id: int,
    actor: Any,
    reason: str,
    relation: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> RelationshipEvidence:
    """Change a link's relation or note (None: keep it), with a reason: the row is
    ended and a new one that `replaces` it recorded. Locks the edge and the link;
    audited as `relationship.evidence_change` with both states."""
    link, relationship = _locked_link(link_id, actor)
    reason = required_reason(reason)
    new = link_version(
        link,
        ends={"relationship": relationship, "item_id": link.item_id},
        says={"relation": relation, "note": None if note is None else note.strip()},
        actor=actor,
        reason=reason,
    )
    at = at or timezone.now()
    replace_link(link, new, actor=actor, at=at, reason=reason)
    _touch(relationship, at)
    audit_record(
        team=relationship.team,
        actor=actor,
        action="relationship.evidence_change",
        obj=relationship,
        payload={
            "item": link.item_id,
            "link": new.pk,
            "replaces": link.pk,
            "from": _link_state(link),
            "to": _link_state(new),
            "reason": reason,
        },
        at=at,
    )
    return new


@transaction.atomic
def relationship_evidence_unlink(
    *, link_id: int, actor: Any, reason: str, at: datetime | None = None
) -> RelationshipEvidence:
    """End a wrong link, with a reason; the row stays for the as-of view. Locks the
    edge and the link; audited as `relationship.evidence_unlink`."""
    link, relationship = _locked_link(link_id, actor)
    reason = required_reason(reason)
    at = at or timezone.now()
    end_link(link, actor=actor, at=at, reason=reason)
    _touch(relationship, at)
    audit_record(
        team=relationship.team,
        actor=actor,
        action="relationship.evidence_unlink",
        obj=relationship,
        payload={
            "item": link.item_id,
            "link": link.pk,
            "was": _link_state(link),
            "reason": reason,
        },
        at=at,
    )
    return link


@transaction.atomic
def relationship_record(
    *,
    team: Team,
    actor: Any,
    evidence: Sequence[EvidenceCitation] = (),
    at: datetime | None = None,
    **fields: Any,
) -> Relationship:
    """An edge (entities.services.relationship_create with `fields`) and the
    evidence behind it, all or nothing: a bad item leaves no edge behind."""
    at = at or timezone.now()
    relationship = entity_services.relationship_create(
        team=team, actor=actor, at=at, **fields
    )
    seen: set[int] = set()
    for citation in evidence:
        if citation.item_id in seen:
            raise ValidationError({"evidence": "An item is listed twice."})
        seen.add(citation.item_id)
        relationship_evidence_link(
            relationship_id=relationship.pk,
            item_id=citation.item_id,
            actor=actor,
            relation=citation.relation,
            note=citation.note,
            at=at,
        )
    return relationship
