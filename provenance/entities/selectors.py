"""Reads of entities for the entity pages, scoped to the team."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from provenance.entities.models import Entity
from provenance.teams.models import Team


def entity_list(
    *, team: Team, text: str = "", kind: str = "", keep: Q | None = None
) -> QuerySet[Entity]:
    """`keep`: what the shared subject and tag filters leave (common.filters)."""
    entities = Entity.objects.for_team(team).search(text)
    if kind:
        entities = entities.of_kind(kind)
    if keep is not None:
        entities = entities.filter(keep)
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
