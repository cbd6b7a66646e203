"""Every write of a claim's citations of the ownership graph: a claim cites an edge
(a relationship) as evidence with a relation and a note, changes the citation or
withdraws it. Versioned rows like evidence links (ClaimRelationship); a citation is
an edit of what reviewers saw, treated as evidence links are (claims.services)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from provenance.audit.chain import audit_record
from provenance.claims.models import Claim, ClaimRelationship, ClaimStatus
from provenance.claims.services import _back_to_review, _bump_version, _link_edited
from provenance.common.writes import (
    end_link,
    link_version,
    replace_link,
    required_reason,
)
from provenance.entities.models import Relationship
from provenance.teams.rules import ensure_member


def _state(citation: ClaimRelationship) -> dict[str, str]:
    return {"relation": citation.relation, "note": citation.note}


@transaction.atomic
def relationship_cite(
    *,
    claim_id: int,
    relationship_id: int,
    actor: Any,
    relation: str,
    note: str = "",
    at: datetime | None = None,
) -> ClaimRelationship:
    """Cite one of the team's edges as evidence for (or against) the claim. Locks
    the claim; a new claim version; audited as `claim.relationship_cite`."""
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=claim_id)
    )
    ensure_member(user=actor, team=claim.team)
    relationship = Relationship.objects.filter(
        pk=relationship_id, team_id=claim.team_id
    ).first()
    if relationship is None:
        raise ValidationError(
            {"relationship": "No relationship with this id in the team."}
        )
    if claim.status == ClaimStatus.RETRACTED:
        raise ValueError("A retracted claim takes no new evidence.")
    if (
        ClaimRelationship.objects.current()
        .filter(claim=claim, relationship=relationship)
        .exists()
    ):
        raise ValidationError(
            {"relationship": "The claim already cites this relationship."}
        )
    at = at or timezone.now()
    citation = ClaimRelationship(
        claim=claim,
        relationship=relationship,
        relation=relation,
        note=note.strip(),
        linked_by=actor,
        linked_at=at,
    )
    citation.full_clean()
    citation.save()
    _bump_version(claim, at)
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.relationship_cite",
        obj=claim,
        payload={"relationship": relationship.pk, **_state(citation)},
        at=at,
    )
    return citation


def _locked_citation(citation_id: int, actor: Any) -> tuple[ClaimRelationship, Claim]:
    claim_ids = ClaimRelationship.objects.filter(pk=citation_id).values("claim_id")
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("team")
        .filter(pk__in=claim_ids)
        .first()
    )
    if claim is None:
        raise ClaimRelationship.DoesNotExist("No such citation.")
    ensure_member(user=actor, team=claim.team)
    citation = ClaimRelationship.objects.select_for_update().get(
        pk=citation_id, claim=claim
    )
    if citation.unlinked_at is not None:
        raise ValidationError("This citation was already changed or withdrawn.")
    if claim.status == ClaimStatus.RETRACTED:
        raise ValueError("A retracted claim's evidence can no longer be changed.")
    return citation, claim


@transaction.atomic
def relationship_citation_change(
    *,
    citation_id: int,
    actor: Any,
    reason: str,
    relation: str | None = None,
    note: str | None = None,
    at: datetime | None = None,
) -> ClaimRelationship:
    """Change a citation's relation or note with a reason: the row ends and a new
    one `replaces` it. Locks claim and citation; an edit of the claim (an approved
    claim goes back to review); audited as `claim.relationship_change`."""
    citation, claim = _locked_citation(citation_id, actor)
    reason = required_reason(reason)
    new = link_version(
        citation,
        ends={"claim": claim, "relationship_id": citation.relationship_id},
        says={"relation": relation, "note": None if note is None else note.strip()},
        actor=actor,
        reason=reason,
        noun="citation",
    )
    at = at or timezone.now()
    replace_link(citation, new, actor=actor, at=at, reason=reason, noun="citation")
    back = _link_edited(claim, actor=actor, at=at, reason=reason)
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.relationship_change",
        obj=claim,
        payload={
            "relationship": citation.relationship_id,
            "citation": new.pk,
            "replaces": citation.pk,
            "from": _state(citation),
            "to": _state(new),
            "reason": reason,
            **_back_to_review(claim, back),
        },
        at=at,
    )
    return new


@transaction.atomic
def relationship_uncite(
    *, citation_id: int, actor: Any, reason: str, at: datetime | None = None
) -> ClaimRelationship:
    """Withdraw a citation with a reason; the row stays for the as-of view. Locks
    claim and citation; an edit of the claim; audited as `claim.relationship_uncite`."""
    citation, claim = _locked_citation(citation_id, actor)
    reason = required_reason(reason)
    at = at or timezone.now()
    end_link(citation, actor=actor, at=at, reason=reason, noun="citation")
    back = _link_edited(claim, actor=actor, at=at, reason=reason)
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.relationship_uncite",
        obj=claim,
        payload={
            "relationship": citation.relationship_id,
            "citation": citation.pk,
            "was": _state(citation),
            "reason": reason,
            **_back_to_review(claim, back),
        },
        at=at,
    )
    return citation
