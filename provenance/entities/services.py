"""Every write of entities, their past identities and sanctions designations: one
transaction each that checks permission and writes history and the audit row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from provenance.audit.chain import audit_record
from provenance.common.writes import audit_value, insert_with_unique_slug, unique_slug
from provenance.entities.models import (
    Entity,
    EntityKind,
    PastIdentity,
    SanctionsDesignation,
)
from provenance.entities.validators import normalise_imo
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member

ENTITY_FIELDS = (
    "name",
    "description",
    "aliases",
    "country",
    "website",
    "imo",
    "mmsi",
    "call_sign",
    "flag",
    "vessel_type",
    "locode",
    "latitude",
    "longitude",
    "radius_km",
    "is_synthetic",
)


# --- Entities -------------------------------------------------------------------------


@transaction.atomic
def entity_create(
    *,
    team: Team,
    actor: Any,
    kind: str,
    name: str,
    at: datetime | None = None,
    is_auto_created: bool = False,
    **fields: Any,
) -> Entity:
    """Create an entity in the actor's team; validated, audited."""
    if actor is not None:
        ensure_member(user=actor, team=team)
    unknown = set(fields) - set(ENTITY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown entity fields: {sorted(unknown)}")
    at = at or timezone.now()
    if fields.get("imo"):
        fields["imo"] = normalise_imo(fields["imo"])
    entity = Entity(
        team=team,
        kind=kind,
        name=name.strip(),
        slug=unique_slug(Entity, team=team, text=name, max_length=120),
        created_by=actor,
        created_at=at,
        updated_at=at,
        is_auto_created=is_auto_created,
        **fields,
    )
    entity.aliases_text = "\n".join(entity.aliases or [])
    # The slug's uniqueness is settled by the insert itself (it may be taken by now).
    entity.full_clean(exclude=["slug"])
    entity._history_date = at
    insert_with_unique_slug(entity, text=name, max_length=120)
    audit_record(
        team=team,
        actor=actor,
        action="entity.create",
        obj=entity,
        payload={"kind": kind, "name": entity.name},
        at=at,
    )
    return entity


@transaction.atomic
def entity_update(*, entity_id: int, actor: Any, **fields: Any) -> Entity:
    """Edit named fields of an entity. Locks the row; audits the changed fields."""
    entity = Entity.objects.select_for_update().get(pk=entity_id)
    ensure_member(user=actor, team=entity.team)
    unknown = set(fields) - set(ENTITY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown entity fields: {sorted(unknown)}")
    if fields.get("imo"):
        fields["imo"] = normalise_imo(fields["imo"])
    changed = [name for name, value in fields.items() if getattr(entity, name) != value]
    for name in changed:
        setattr(entity, name, fields[name])
    if not changed:
        return entity
    entity.aliases_text = "\n".join(entity.aliases or [])
    entity.updated_at = timezone.now()
    entity.full_clean()
    entity._history_user = actor
    entity.save(update_fields=[*changed, "aliases_text", "updated_at"])
    audit_record(
        team=entity.team,
        actor=actor,
        action="entity.update",
        obj=entity,
        payload={name: audit_value(fields[name]) for name in changed},
    )
    return entity


@transaction.atomic
def sanctions_designation_add(
    *, entity: Entity, actor: Any, authority: str, **fields: Any
) -> SanctionsDesignation:
    ensure_member(user=actor, team=entity.team)
    designation = SanctionsDesignation(entity=entity, authority=authority, **fields)
    designation.full_clean()
    designation.save()
    audit_record(
        team=entity.team,
        actor=actor,
        action="entity.sanction_add",
        obj=entity,
        payload={
            "authority": authority,
            **{k: audit_value(v) for k, v in fields.items()},
        },
    )
    return designation


@transaction.atomic
def past_identity_add(
    *, entity: Entity, actor: Any, field: str, value: str, **dates: Any
) -> PastIdentity:
    ensure_member(user=actor, team=entity.team)
    if entity.kind != EntityKind.VESSEL:
        raise ValueError("Past names and flags are recorded for vessels only.")
    record = PastIdentity(entity=entity, field=field, value=value, **dates)
    record.full_clean()
    record.save()
    audit_record(
        team=entity.team,
        actor=actor,
        action="entity.past_identity_add",
        obj=entity,
        payload={"field": field, "value": value},
    )
    return record
