"""Reads composed for one use case each; they own select_related/prefetch_related."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest

from .models import (
    Claim,
    ClaimEvidence,
    Entity,
    Membership,
    Stance,
    Team,
)

TEAM_SESSION_KEY = "team_id"


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership the user uses: the team chosen in the session, or the first."""
    user = request.user
    if not user.is_authenticated:
        return None
    cached = getattr(request, "_membership", False)
    if cached is not False:
        return cached
    memberships = Membership.objects.select_related("team").filter(user=user)
    chosen = request.session.get(TEAM_SESSION_KEY)
    membership = (chosen and memberships.filter(team_id=chosen).first()) or (
        memberships.order_by("team__name").first()
    )
    request._membership = membership
    return membership


def require_team(request: HttpRequest) -> Team:
    membership = current_membership(request)
    if membership is None:
        raise Http404("You are not a member of any team.")
    return membership.team


def user_teams(user: Any) -> QuerySet[Membership]:
    return Membership.objects.select_related("team").filter(user=user)


def claim_list(
    *,
    team: Team,
    text: str = "",
    status: str = "",
    subject: str = "",
    tag: str = "",
    confidence: str = "",
    has_denials: bool | None = None,
    sort: str = "",
) -> QuerySet[Claim]:
    claims = (
        Claim.objects.for_team(team)
        .search(text)
        .with_current_confidence()
        .with_denial_count()
        .with_evidence_count()
        .select_related("author")
        .prefetch_related("subjects", "tags")
    )
    if status:
        claims = claims.filter(status=status)
    if subject:
        claims = claims.with_subject(subject)
    if tag:
        claims = claims.with_tag(tag)
    if confidence:
        claims = claims.filter(current_confidence=confidence)
    if has_denials is True:
        claims = claims.filter(denial_count__gt=0)
    elif has_denials is False:
        claims = claims.filter(denial_count=0)
    order = CLAIM_SORTS.get(sort, CLAIM_SORTS[""])
    return claims.order_by(*order).distinct()


CLAIM_SORTS: dict[str, tuple[str, ...]] = {
    "": ("-updated_at", "-pk"),
    "oldest": ("updated_at", "pk"),
    "denials": ("-denial_count", "-updated_at", "-pk"),
    "confidence": ("-current_confidence_rank", "-updated_at", "-pk"),
}


def claim_for_page(*, team: Team, claim_id: int) -> Claim:
    """One claim of the team, with everything its page shows; 404 outside the team."""
    links = ClaimEvidence.objects.select_related(
        "item", "item__statement__speaker", "item__statement__on_behalf_of", "linked_by"
    ).order_by("linked_at", "pk")
    try:
        return (
            Claim.objects.for_team(team)
            .select_related("author", "last_edited_by", "first_appearance_entity")
            .prefetch_related(
                "subjects", "tags", Prefetch("evidence_links", queryset=links)
            )
            .get(pk=claim_id)
        )
    except Claim.DoesNotExist as exc:
        raise Http404("No such claim in your team.") from exc


def entity_list(*, team: Team, text: str = "", kind: str = "") -> QuerySet[Entity]:
    entities = Entity.objects.for_team(team).search(text)
    if kind:
        entities = entities.of_kind(kind)
    return entities.order_by("kind", "name")


def entity_for_page(*, team: Team, slug: str) -> Entity:
    try:
        return (
            Entity.objects.for_team(team)
            .prefetch_related("past_identities", "sanctions")
            .get(slug=slug)
        )
    except Entity.DoesNotExist as exc:
        raise Http404("No such entity in your team.") from exc


def denials_for(claim: Claim) -> list[ClaimEvidence]:
    """Denials of a claim, newest statement first (uses the prefetched links)."""
    denials = [
        link for link in claim.evidence_links.all() if link.stance == Stance.DENIES
    ]
    return sorted(denials, key=_stated_at, reverse=True)


def _stated_at(link: ClaimEvidence) -> Any:
    statement = getattr(link.item, "statement", None)
    return statement.stated_at if statement else link.item.observed_at or link.linked_at
