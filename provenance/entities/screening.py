"""Sanctions screening: the team's own entities against a dataset it imported (a
file; nothing is fetched). IMO and MMSI match exactly; names and aliases are
compared by followthemoney's own name comparison (compare_names: normalised names
and fingerprints, org types and person prefixes handled by rigour). Each match is a
ScreeningCandidate with its score and reasons for a person to confirm or dismiss;
nothing is linked until then. Confirming copies the dataset entity's designations
onto the team's entity through the entity service, with the dataset as provenance.

Memory: the team's own entities are indexed in memory (the team's size); the
dataset is streamed in chunks. Names are compared only within a block (entities
sharing the first three letters of a name word), so a misspelling in the first
three letters of every word is not proposed by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from followthemoney import model
from followthemoney.compare import compare_names
from followthemoney.exc import InvalidData
from followthemoney.proxy import EntityProxy
from normality import ascii_text

from provenance.accounts.models import NotificationKind
from provenance.accounts.notifications import notify
from provenance.audit.chain import audit_record
from provenance.entities import ftm
from provenance.entities import services as entity_services
from provenance.entities.models import (
    DatasetImport,
    DatasetRecord,
    Entity,
    ScreeningCandidate,
    ScreeningStatus,
)
from provenance.teams.models import Membership, Team
from provenance.teams.rules import ensure_editor

NAME_THRESHOLD = 0.8
IMO_SCORE = 1.0
MMSI_SCORE = 0.95
SCREENED_KINDS = ("vessel", "person", "organization", "government")
CHUNK = 500


def _block_keys(names: list[str]) -> set[str]:
    keys = set()
    for name in names:
        for token in (ascii_text(name) or name).lower().split():
            token = "".join(ch for ch in token if ch.isalnum())
            if len(token) >= 3:
                keys.add(token[:3])
    return keys


def _proxy(entity: Entity) -> EntityProxy:
    data = ftm.entity_proxy_data(
        entity_id=f"e{entity.pk}",
        kind=entity.kind,
        name=entity.name,
        aliases=list(entity.aliases or []),
        description="",
        country=entity.country,
        website="",
        imo=entity.imo,
        mmsi=entity.mmsi,
        call_sign="",
        flag="",
        vessel_type="",
        dataset="",
        source_entity_id=None,
    )
    return model.get_proxy(data, cleaned=False)


@dataclass
class _Index:
    by_imo: dict[str, list[Entity]] = field(default_factory=dict)
    by_mmsi: dict[str, list[Entity]] = field(default_factory=dict)
    by_block: dict[str, list[Entity]] = field(default_factory=dict)
    proxies: dict[int, EntityProxy] = field(default_factory=dict)


def _index(team: Team) -> _Index:
    index = _Index()
    own = Entity.objects.for_team(team).filter(dataset="", kind__in=SCREENED_KINDS)
    for entity in own.iterator(chunk_size=CHUNK):
        index.proxies[entity.pk] = _proxy(entity)
        if entity.imo:
            index.by_imo.setdefault(entity.imo, []).append(entity)
        if entity.mmsi:
            index.by_mmsi.setdefault(entity.mmsi, []).append(entity)
        for key in _block_keys([entity.name, *(entity.aliases or [])]):
            index.by_block.setdefault(key, []).append(entity)
    return index


def score_pair(
    own: Entity, own_proxy: EntityProxy, other: Entity, other_proxy: EntityProxy
) -> tuple[float, list[str]]:
    """The match score (0..1) of one of the team's entities and a dataset entity,
    with the reasons, each a sentence."""
    score, reasons = 0.0, []
    if own.imo and own.imo == other.imo:
        score = max(score, IMO_SCORE)
        reasons.append(f"Same IMO number {own.imo}.")
    if own.mmsi and own.mmsi == other.mmsi:
        score = max(score, MMSI_SCORE)
        reasons.append(f"Same MMSI {own.mmsi}.")
    try:
        common = model.common_schema(own_proxy.schema, other_proxy.schema)
    except InvalidData:
        common = None
    if common is not None:
        try:
            name_score = compare_names(common, own_proxy, other_proxy) or 0.0
        except ValueError:
            name_score = 0.0
        if name_score >= NAME_THRESHOLD:
            score = max(score, name_score)
            reasons.append(f"Names alike ({name_score:.2f}).")
    return round(score, 4), reasons


def _editors(team: Team) -> list[Any]:
    return [m.user for m in Membership.objects.filter(team=team).editors()]


@transaction.atomic
def screening_run(
    *, team: Team, actor: Any, dataset_import: DatasetImport
) -> dict[str, int]:
    """Screen the team's own entities against the dataset version `dataset_import`
    (editors only). New candidates are proposed (and the team's editors notified);
    a candidate already decided stays decided; an open one gets the new score.
    Audit `screening.run` with the counts."""
    ensure_editor(user=actor, team=team)
    if dataset_import.team_id != team.pk:
        raise PermissionDenied("That import is not this team's.")
    index = _index(team)
    counts = {"compared": 0, "proposed": 0, "rescored": 0}
    records = (
        DatasetRecord.objects.filter(
            team=team,
            dataset=dataset_import.dataset,
            last_import=dataset_import,
            entity__isnull=False,
        )
        .select_related("entity")
        .order_by("pk")
    )
    for record in records.iterator(chunk_size=CHUNK):
        other = record.entity
        if other.kind not in SCREENED_KINDS:
            continue
        near: dict[int, Entity] = {}
        for entity in index.by_imo.get(other.imo, []) if other.imo else []:
            near[entity.pk] = entity
        for entity in index.by_mmsi.get(other.mmsi, []) if other.mmsi else []:
            near[entity.pk] = entity
        for key in _block_keys([other.name, *(other.aliases or [])]):
            for entity in index.by_block.get(key, []):
                near[entity.pk] = entity
        if not near:
            continue
        other_proxy = _proxy(other)
        for entity in near.values():
            counts["compared"] += 1
            score, reasons = score_pair(
                entity, index.proxies[entity.pk], other, other_proxy
            )
            if not reasons:
                continue
            existing = ScreeningCandidate.objects.filter(
                entity=entity, record=record
            ).first()
            if existing is None:
                ScreeningCandidate.objects.create(
                    team=team,
                    entity=entity,
                    record=record,
                    dataset=dataset_import.dataset,
                    proposed_in=dataset_import,
                    score=score,
                    reasons=reasons,
                )
                counts["proposed"] += 1
            elif existing.status == ScreeningStatus.PROPOSED and (
                existing.score,
                existing.reasons,
            ) != (score, reasons):
                existing.score, existing.reasons = score, reasons
                existing.save(update_fields=["score", "reasons"])
                counts["rescored"] += 1
    audit_record(
        team=team,
        actor=actor,
        action="screening.run",
        obj=dataset_import,
        payload={
            "dataset": dataset_import.dataset,
            "version": dataset_import.version,
            **counts,
        },
    )
    if counts["proposed"]:
        notify(
            recipients=_editors(team),
            kind=NotificationKind.WATCH_MATCH,
            team=team,
            actor=actor,
            title=(
                f"Screening against {dataset_import.dataset}: "
                f"{counts['proposed']} new candidate(s) to review"
            ),
            url=reverse("provenance:screening"),
        )
    return counts


def _latest_import(team: Team, dataset: str) -> DatasetImport:
    return DatasetImport.objects.filter(team=team, dataset=dataset).order_by("-pk")[0]


@transaction.atomic
def screening_decide(
    *, candidate_id: int, actor: Any, confirm: bool, note: str = ""
) -> ScreeningCandidate:
    """Confirm or dismiss one candidate (editors of its team), once. Records who,
    when and the dataset version decided on; audit `screening.confirm` or
    `screening.dismiss`. Confirming copies the dataset entity's designations onto
    the team's entity (entity service, each audited) with the dataset as their
    provenance."""
    candidate = (
        ScreeningCandidate.objects.select_for_update(of=("self",))
        .select_related("team", "entity", "record__entity")
        .filter(pk=candidate_id)
        .first()
    )
    if candidate is None:
        raise ScreeningCandidate.DoesNotExist("No such candidate.")
    ensure_editor(user=actor, team=candidate.team)
    if candidate.status != ScreeningStatus.PROPOSED:
        raise ValidationError(
            f"This candidate was {candidate.get_status_display().lower()} already."
        )
    version = _latest_import(candidate.team, candidate.dataset)
    candidate.status = (
        ScreeningStatus.CONFIRMED if confirm else ScreeningStatus.DISMISSED
    )
    candidate.decided_by = actor
    candidate.decided_at = timezone.now()
    candidate.decided_in = version
    candidate.note = note.strip()
    candidate.save(
        update_fields=["status", "decided_by", "decided_at", "decided_in", "note"]
    )
    linked: list[int] = []
    if confirm and candidate.record.entity is not None:
        held = set(
            candidate.entity.sanctions.filter(dataset=candidate.dataset).values_list(
                "source_entity_id", flat=True
            )
        )
        for designation in candidate.record.entity.sanctions.filter(
            dataset=candidate.dataset
        ):
            if designation.source_entity_id in held:
                continue
            copy = entity_services.sanctions_designation_add(
                entity=candidate.entity,
                actor=actor,
                authority=designation.authority,
                programme=designation.programme,
                listed_on=designation.listed_on,
                reason=designation.reason,
                source_url=designation.source_url,
                dataset=candidate.dataset,
                source_entity_id=designation.source_entity_id,
            )
            linked.append(copy.pk)
    audit_record(
        team=candidate.team,
        actor=actor,
        action="screening.confirm" if confirm else "screening.dismiss",
        obj=candidate,
        payload={
            "entity": candidate.entity_id,
            "dataset": candidate.dataset,
            "dataset_entity": candidate.record.source_entity_id,
            "version": version.version,
            "score": candidate.score,
            "designations": linked,
            **({"note": candidate.note} if candidate.note else {}),
        },
    )
    return candidate
