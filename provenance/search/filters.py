"""What the shared `subject` and `tag` filters (common.filters) narrow each list to,
and the names the filter boxes suggest as one types.

The names are resolved as the claim list resolves them (claims.selectors
named_entities / named_tags: by name, any case, or slug; unknown values reported
with the closest name). Then:
- evidence: with `subject`, the items linked (in force) to a claim about the
  entity, the statements it made or was made on behalf of, the AIS extracts that
  list it as a vessel; with `tag`, the items linked to a claim with the tag;
- entities: with `subject`, the entity and those named beside it on a claim; with
  `tag`, the subjects of claims with the tag.
Both filters together narrow by both. The root URLconf (provenance.urls) passes
each rule to its list view as the view's `narrow` argument.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from evidence.models import AISExtract, EvidenceItem, Statement
from provenance.claims.models import Claim, ClaimEvidence, Tag
from provenance.claims.selectors import (
    claim_filter_notes,
    named_entities,
    named_tags,
)
from provenance.common import filters as shared
from provenance.common.filters import Narrowing, SharedFilters
from provenance.entities.models import Entity
from provenance.teams.models import Team

SUGGESTIONS = 10
SUGGEST_FIELDS = ("subject", "tag")


def _linked_items(claims: QuerySet[Claim]) -> QuerySet[ClaimEvidence]:
    return ClaimEvidence.objects.current().filter(claim__in=claims).values("item_id")


def evidence_narrowing(*, team: Team, filters: SharedFilters) -> Narrowing:
    keep = Q()
    if filters.subject:
        entities = named_entities(team=team, name=filters.subject).values("pk")
        about = Claim.objects.for_team(team).filter(subjects__in=entities)
        said = Statement.objects.filter(
            Q(speaker__in=entities) | Q(on_behalf_of__in=entities)
        )
        tracked = AISExtract.objects.filter(vessels__in=entities)
        keep &= (
            Q(pk__in=_linked_items(about))
            | Q(pk__in=said.values("item_id"))
            | Q(pk__in=tracked.values("item_id"))
        )
    if filters.tag:
        tags = named_tags(team=team, name=filters.tag).values("pk")
        tagged = Claim.objects.for_team(team).filter(tags__in=tags)
        keep &= Q(pk__in=_linked_items(tagged))
    return Narrowing(keep=keep, notes=_notes(team, filters))


def entity_narrowing(*, team: Team, filters: SharedFilters) -> Narrowing:
    keep = Q()
    if filters.subject:
        entities = named_entities(team=team, name=filters.subject).values("pk")
        about = Claim.objects.for_team(team).filter(subjects__in=entities)
        beside = Entity.objects.filter(claims__in=about).values("pk")
        keep &= Q(pk__in=entities) | Q(pk__in=beside)
    if filters.tag:
        tags = named_tags(team=team, name=filters.tag).values("pk")
        tagged = Claim.objects.for_team(team).filter(tags__in=tags)
        keep &= Q(pk__in=Entity.objects.filter(claims__in=tagged).values("pk"))
    return Narrowing(keep=keep, notes=_notes(team, filters))


def _notes(team: Team, filters: SharedFilters) -> list[str]:
    return claim_filter_notes(team=team, subject=filters.subject, tag=filters.tag)


# --- suggestions ----------------------------------------------------------------------


def only_known_from_restricted(entities: QuerySet[Entity]) -> QuerySet[Entity]:
    """Entities the team knows only from restricted evidence (source protection):
    the speaker of a restricted statement, say, who is named nowhere else (no
    claim, no unrestricted statement or AIS extract). A filter box's suggestions,
    glanced at over a shoulder or pasted into a link, do not name them."""
    restricted = EvidenceItem.objects.filter(is_restricted=True)
    open_items = EvidenceItem.objects.filter(is_restricted=False)

    def in_statements(items: QuerySet[EvidenceItem]) -> Exists:
        return Exists(
            Statement.objects.filter(item__in=items).filter(
                Q(speaker=OuterRef("pk")) | Q(on_behalf_of=OuterRef("pk"))
            )
        )

    def in_extracts(items: QuerySet[EvidenceItem]) -> Exists:
        return Exists(AISExtract.objects.filter(item__in=items, vessels=OuterRef("pk")))

    named_openly = (
        Exists(Claim.objects.filter(subjects=OuterRef("pk")))
        | in_statements(open_items)
        | in_extracts(open_items)
    )
    return entities.filter(in_statements(restricted) | in_extracts(restricted)).exclude(
        named_openly
    )


def suggest(*, team: Team, field: str, q: str) -> list[dict[str, str]]:
    """Up to SUGGESTIONS names of the team's entities (`subject`) or tags (`tag`)
    containing `q` (any case; names starting with it first), as
    {"value": the name to filter by, "label": what the list shows}. One query."""
    q = q.strip()[: shared.MAX_LENGTHS.get(field, 60)]
    if field not in SUGGEST_FIELDS or not q:
        return []
    if field == "tag":
        tags = Tag.objects.filter(team=team, name__icontains=q)
        names = tags.values_list("name", flat=True)
        ranked = sorted(
            names[:200], key=lambda n: (not n.lower().startswith(q.lower()), n.lower())
        )
        return [{"value": n, "label": n} for n in ranked[:SUGGESTIONS]]
    entities = Entity.objects.for_team(team).filter(
        Q(name__icontains=q) | Q(aliases_text__icontains=q) | Q(imo=q) | Q(mmsi=q)
    )
    entities = entities.exclude(
        pk__in=only_known_from_restricted(entities).values("pk")
    )
    rows = list(entities.values_list("name", "kind")[:200])
    rows.sort(key=lambda r: (not r[0].lower().startswith(q.lower()), r[0].lower()))
    kinds = dict(Entity._meta.get_field("kind").choices)
    return [
        {"value": name, "label": f"{name} ({kinds.get(kind, kind)})"}
        for name, kind in rows[:SUGGESTIONS]
    ]
