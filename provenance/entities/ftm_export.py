"""A team's entities, relationships and sanctions designations as FollowTheMoney
JSON lines (one entity a line, its values as followthemoney cleans them), streamed
in chunks so memory stays bounded whatever the team's size. Ids are the team's
(`provenance-<team>-entity-<pk>`); what came from a dataset carries the dataset in
`datasets` and its id there in `referents`."""

from __future__ import annotations

from collections.abc import Iterator

from provenance.entities import ftm
from provenance.entities.models import Entity, Relationship, SanctionsDesignation
from provenance.teams.models import Team

CHUNK = 500


def ftm_lines(*, team: Team) -> Iterator[bytes]:
    """Every line of the team's export (the caller has checked membership)."""
    slug = team.slug
    for entity in Entity.objects.for_team(team).order_by("pk").iterator(CHUNK):
        yield ftm.dumps(
            ftm.entity_proxy_data(
                entity_id=ftm.export_id(slug, "entity", entity.pk),
                kind=entity.kind,
                name=entity.name,
                aliases=list(entity.aliases or []),
                description=entity.description,
                country=entity.country,
                website=entity.website,
                imo=entity.imo,
                mmsi=entity.mmsi,
                call_sign=entity.call_sign,
                flag=entity.flag,
                vessel_type=entity.vessel_type,
                dataset=entity.dataset,
                source_entity_id=entity.source_entity_id,
            )
        )
    edges = Relationship.objects.for_team(team).order_by("pk")
    for edge in edges.iterator(CHUNK):
        yield ftm.dumps(
            ftm.edge_proxy_data(
                edge_id=ftm.export_id(slug, "relationship", edge.pk),
                kind=edge.kind,
                source_id=ftm.export_id(slug, "entity", edge.source_id),
                target_id=ftm.export_id(slug, "entity", edge.target_id),
                description=edge.description,
                share_percent=edge.share_percent,
                start_date=edge.start_date,
                end_date=edge.end_date,
                dataset=edge.dataset,
                source_entity_id=edge.source_entity_id,
            )
        )
    designations = SanctionsDesignation.objects.filter(entity__team=team).order_by("pk")
    for designation in designations.iterator(CHUNK):
        yield ftm.dumps(
            ftm.sanction_proxy_data(
                sanction_id=ftm.export_id(slug, "sanction", designation.pk),
                entity_id=ftm.export_id(slug, "entity", designation.entity_id),
                authority=designation.authority,
                programme=designation.programme,
                listed_on=designation.listed_on,
                reason=designation.reason,
                source_url=designation.source_url,
                dataset=designation.dataset,
                source_entity_id=designation.source_entity_id,
            )
        )
