"""Every write of entities, their past identities and sanctions designations: one
transaction each that checks permission and writes history and the audit row."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from provenance.audit.chain import audit_record
from provenance.common.dates import validate_as_of_day
from provenance.common.writes import audit_value, insert_with_unique_slug, unique_slug
from provenance.entities.models import (
    OWNERSHIP_KINDS,
    Entity,
    EntityKind,
    PastIdentity,
    Relationship,
    RelationshipKind,
    SanctionsDesignation,
)
from provenance.entities.periods import period_end, period_start
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
    dataset: str = "",
    source_entity_id: str | None = None,
    **fields: Any,
) -> Entity:
    """Create an entity in the actor's team; validated, audited. `dataset` and
    `source_entity_id` mark an entity imported from a dataset (ftm_import)."""
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
        dataset=dataset,
        source_entity_id=source_entity_id or None,
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
        payload={
            "kind": kind,
            "name": entity.name,
            **(
                {"dataset": dataset, "source_entity_id": source_entity_id}
                if dataset
                else {}
            ),
        },
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


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else audit_value(value)


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
            **{k: _json_value(v) for k, v in fields.items()},
        },
    )
    return designation


DESIGNATION_FIELDS = ("authority", "programme", "listed_on", "reason", "source_url")


@transaction.atomic
def sanctions_designation_update(
    *, designation_id: int, actor: Any, **fields: Any
) -> SanctionsDesignation:
    """Change named fields of a designation (a newer version of the dataset it came
    from says otherwise). Locks the row; audits the fields before and after; a call
    that changes nothing writes nothing."""
    unknown = set(fields) - set(DESIGNATION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown designation fields: {sorted(unknown)}")
    designation = (
        SanctionsDesignation.objects.select_for_update(of=("self",))
        .select_related("entity__team")
        .get(pk=designation_id)
    )
    ensure_member(user=actor, team=designation.entity.team)
    changed = [n for n, v in fields.items() if getattr(designation, n) != v]
    if not changed:
        return designation
    before = {n: _json_value(getattr(designation, n)) for n in changed}
    for name in changed:
        setattr(designation, name, fields[name])
    designation.full_clean()
    designation.save(update_fields=changed)
    audit_record(
        team=designation.entity.team,
        actor=actor,
        action="entity.sanction_update",
        obj=designation.entity,
        payload={
            "designation": designation.pk,
            "from": before,
            "to": {n: _json_value(getattr(designation, n)) for n in changed},
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


# --- Relationships -------------------------------------------------------------------

# What relationship_update may change (the ends and the parties are fixed: a wrong
# party is a new edge, and the wrong one is ended with a reason).
RELATIONSHIP_FIELDS = (
    "description",
    "share_percent",
    "start_date",
    "start_precision",
    "start_is_approximate",
    "end_date",
    "end_precision",
    "end_is_approximate",
    "confidence",
    "confidence_rationale",
)


def _team_entity(team: Team, entity_id: Any, field: str) -> Entity:
    # Another team's entity is answered as a missing one: its existence is not said.
    entity = Entity.objects.filter(pk=entity_id, team=team).first()
    if entity is None:
        raise ValidationError({field: "No entity with this id in the team."})
    return entity


def _normalised(relationship: Relationship) -> None:
    """Start on the first day of its period, end on the last; field errors for
    absurd dates, a share on a non-owner edge, a bare "linked to" or a confidence
    without its rationale."""
    errors: dict[str, str] = {}
    for name in ("start_date", "end_date"):
        try:
            validate_as_of_day(getattr(relationship, name))
        except ValidationError as exc:
            errors[name] = exc.messages[0]
    if relationship.start_date is not None and "start_date" not in errors:
        relationship.start_date = period_start(
            relationship.start_date, relationship.start_precision
        )
    if relationship.end_date is not None and "end_date" not in errors:
        relationship.end_date = period_end(
            relationship.end_date, relationship.end_precision
        )
    if (
        relationship.start_date
        and relationship.end_date
        and relationship.end_date < relationship.start_date
    ):
        errors["end_date"] = "The end cannot be before the start."
    if (
        relationship.share_percent is not None
        and relationship.kind not in OWNERSHIP_KINDS
    ):
        errors["share_percent"] = "Only an owner holds a share."
    if (
        relationship.kind == RelationshipKind.LINKED_TO
        and not relationship.description.strip()
    ):
        errors["description"] = "Say what the link is."
    if relationship.confidence and not relationship.confidence_rationale.strip():
        errors["confidence_rationale"] = "Say why you rate it so."
    if errors:
        raise ValidationError(errors)


def _relationship_state(relationship: Relationship) -> dict[str, Any]:
    """The changeable fields, JSON-safe, for audit payloads and change detection."""
    state = {}
    for name in RELATIONSHIP_FIELDS:
        value = getattr(relationship, name)
        is_date = isinstance(value, date)
        state[name] = value.isoformat() if is_date else audit_value(value)
    return state


@transaction.atomic
def relationship_create(
    *,
    team: Team,
    actor: Any,
    kind: str,
    source_id: int,
    target_id: int,
    description: str = "",
    share_percent: Decimal | None = None,
    start_date: date | None = None,
    start_precision: str = "day",
    start_is_approximate: bool = False,
    end_date: date | None = None,
    end_precision: str = "day",
    end_is_approximate: bool = False,
    confidence: str = "",
    confidence_rationale: str = "",
    dataset: str = "",
    source_entity_id: str | None = None,
    at: datetime | None = None,
) -> Relationship:
    """Record that `source` is `kind` of `target` in the team. Both entities must be
    the team's. Dates are normalised to their precision (periods.py); `dataset` and
    `source_entity_id` mark an imported edge. `at` back-dates the record (demo,
    imports of what was known then). History row and audit `relationship.create`
    in the caller's transaction."""
    ensure_member(user=actor, team=team)
    at = at or timezone.now()
    relationship = Relationship(
        team=team,
        kind=kind,
        source=_team_entity(team, source_id, "source"),
        target=_team_entity(team, target_id, "target"),
        description=description.strip(),
        share_percent=share_percent,
        start_date=start_date,
        start_precision=start_precision,
        start_is_approximate=start_is_approximate,
        end_date=end_date,
        end_precision=end_precision,
        end_is_approximate=end_is_approximate,
        confidence=confidence,
        confidence_rationale=confidence_rationale.strip(),
        dataset=dataset.strip(),
        source_entity_id=source_entity_id or None,
        recorded_by=actor,
        recorded_at=at,
        updated_at=at,
    )
    if relationship.source_id == relationship.target_id:
        raise ValidationError({"target": "An entity has no relationship with itself."})
    _normalised(relationship)
    relationship.full_clean()
    relationship._history_user = actor
    relationship._history_date = at
    relationship.save()
    audit_record(
        team=team,
        actor=actor,
        action="relationship.create",
        obj=relationship,
        payload={
            "kind": kind,
            "source": relationship.source_id,
            "target": relationship.target_id,
            **_relationship_state(relationship),
            **({"dataset": relationship.dataset} if relationship.dataset else {}),
        },
        at=at,
    )
    return relationship


def _locked_relationship(relationship_id: int, actor: Any) -> Relationship:
    relationship = (
        Relationship.objects.select_for_update(of=("self",))
        .select_related("team", "source", "target")
        .filter(pk=relationship_id)
        .first()
    )
    if relationship is None:
        raise Relationship.DoesNotExist("No such relationship.")
    ensure_member(user=actor, team=relationship.team)
    return relationship


@transaction.atomic
def relationship_update(
    *,
    relationship_id: int,
    actor: Any,
    reason: str = "",
    at: datetime | None = None,
    **fields: Any,
) -> Relationship:
    """Change named fields of an edge (RELATIONSHIP_FIELDS), with an optional
    reason kept as the history row's change reason. Locks the row; a history row
    and audit `relationship.update` with the fields before and after."""
    unknown = set(fields) - set(RELATIONSHIP_FIELDS)
    if unknown:
        raise TypeError(f"Unknown relationship fields: {sorted(unknown)}")
    relationship = _locked_relationship(relationship_id, actor)
    before = _relationship_state(relationship)
    for name, value in fields.items():
        setattr(relationship, name, value.strip() if isinstance(value, str) else value)
    _normalised(relationship)
    after = _relationship_state(relationship)
    changed = sorted(
        name for name in RELATIONSHIP_FIELDS if before.get(name) != after.get(name)
    )
    if not changed:
        raise ValidationError("Nothing to change: the relationship already says this.")
    at = at or timezone.now()
    relationship.updated_at = max(at, relationship.updated_at)
    relationship.full_clean()
    relationship._history_user = actor
    relationship._history_date = at
    relationship._change_reason = reason.strip()
    relationship.save(update_fields=[*RELATIONSHIP_FIELDS, "updated_at"])
    audit_record(
        team=relationship.team,
        actor=actor,
        action="relationship.update",
        obj=relationship,
        payload={
            "from": {name: before.get(name) for name in changed},
            "to": {name: after.get(name) for name in changed},
            **({"reason": reason.strip()} if reason.strip() else {}),
        },
        at=at,
    )
    return relationship


@transaction.atomic
def relationship_end(
    *,
    relationship_id: int,
    actor: Any,
    end_date: date,
    end_precision: str = "day",
    end_is_approximate: bool = False,
    reason: str = "",
    at: datetime | None = None,
) -> Relationship:
    """End an open edge on `end_date` (validity time: the ship was sold then). An
    edge that already has an end is changed with relationship_update instead.
    Locks the row; a history row and audit `relationship.end`."""
    relationship = _locked_relationship(relationship_id, actor)
    if relationship.end_date is not None:
        raise ValidationError(
            {"end_date": "This relationship has ended already; change its end date."}
        )
    relationship.end_date = end_date
    relationship.end_precision = end_precision
    relationship.end_is_approximate = end_is_approximate
    _normalised(relationship)
    at = at or timezone.now()
    relationship.updated_at = max(at, relationship.updated_at)
    relationship.full_clean()
    relationship._history_user = actor
    relationship._history_date = at
    relationship._change_reason = reason.strip()
    relationship.save(
        update_fields=["end_date", "end_precision", "end_is_approximate", "updated_at"]
    )
    audit_record(
        team=relationship.team,
        actor=actor,
        action="relationship.end",
        obj=relationship,
        payload={
            "end_date": relationship.end_date.isoformat(),
            "end_precision": end_precision,
            "end_is_approximate": end_is_approximate,
            **({"reason": reason.strip()} if reason.strip() else {}),
        },
        at=at,
    )
    return relationship
