"""Writers of what other fact-checkers said about a claim (issue 20): the external
verdicts a ClaimReview import brings, and the "same claim as" links between an
imported claim and one the team already had. Each is one transaction that checks
membership, locks the claim, validates, saves, and writes history and the audit row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from provenance.audit.chain import audit_record
from provenance.claims.models import Claim, ExternalVerdict, SameClaimLink
from provenance.common.writes import audit_value
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member

VERDICT_FIELDS = (
    "reviewer_name",
    "reviewer_url",
    "rating_text",
    "rating_value",
    "best_rating",
    "worst_rating",
    "review_title",
    "review_url",
    "reviewed_at",
    "language",
    "source_format",
)


def _locked_claim(*, team: Team, claim_id: int) -> Claim:
    try:
        return Claim.objects.select_for_update().get(pk=claim_id, team=team)
    except Claim.DoesNotExist:
        raise PermissionDenied("No such claim in this team.") from None


@transaction.atomic
def external_verdict_add(
    *,
    team: Team,
    actor: Any,
    claim_id: int,
    at: datetime | None = None,
    **fields: Any,
) -> ExternalVerdict:
    """Record another organisation's verdict on a claim of the team. Locks the
    claim; writes the verdict's history and a `claim.external_verdict` audit event.
    Values are validated (URLs, lengths); a bad one raises ValidationError and
    nothing is written."""
    ensure_member(user=actor, team=team)
    unknown = set(fields) - set(VERDICT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown verdict fields: {sorted(unknown)}")
    claim = _locked_claim(team=team, claim_id=claim_id)
    verdict = ExternalVerdict(
        claim=claim, recorded_by=actor, recorded_at=at or timezone.now(), **fields
    )
    verdict.full_clean()
    verdict._history_user = actor
    verdict.save()
    audit_record(
        team=team,
        actor=actor,
        action="claim.external_verdict",
        obj=claim,
        payload={
            "verdict": verdict.pk,
            **{k: audit_value(v) for k, v in fields.items()},
        },
        at=verdict.recorded_at,
    )
    return verdict


@transaction.atomic
def claim_same_as_link(
    *, team: Team, actor: Any, claim_id: int, same_as_id: int
) -> SameClaimLink:
    """Mark two claims of the team as the same claim. Idempotent: an existing link
    is returned unchanged. Locks both claims (lower id first); writes history and
    a `claim.same_as` audit event on each."""
    ensure_member(user=actor, team=team)
    if claim_id == same_as_id:
        raise ValidationError({"same_as": "A claim is not linked to itself."})
    low, high = sorted((claim_id, same_as_id))
    first = _locked_claim(team=team, claim_id=low)
    second = _locked_claim(team=team, claim_id=high)
    link = SameClaimLink.objects.filter(claim=first, same_as=second).first()
    if link is not None:
        return link
    link = SameClaimLink(claim=first, same_as=second, linked_by=actor)
    link.full_clean()
    link._history_user = actor
    link.save()
    for claim, other in ((first, second), (second, first)):
        audit_record(
            team=team,
            actor=actor,
            action="claim.same_as",
            obj=claim,
            payload={"same_as": other.pk},
            at=link.linked_at,
        )
    return link
