"""Import one version of a FollowTheMoney dataset (JSON lines in the OpenSanctions
form) into a team: entities, relationships and sanctions designations, each marked
with the dataset and its id there, through the entity services (each audited).

Streaming in two passes, memory bounded whatever the file: pass 1 reads the lines
one at a time into DatasetRecord rows (raw properties and the dataset's dates);
pass 2 walks those rows in chunks, things before the edges and sanctions that name
them (a file may list an Ownership before its owner). Re-importing a newer version
of the same dataset updates the records its ids already made instead of adding
new ones. The whole import is one transaction: a failure leaves nothing written;
refused lines are reported by number and the rest is imported. Then the team's
own entities are screened against the dataset (screening.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from provenance.audit.chain import audit_record
from provenance.entities import ftm
from provenance.entities import services as entity_services
from provenance.entities.models import (
    DatasetImport,
    DatasetRecord,
    Entity,
    SanctionsDesignation,
)
from provenance.teams.models import Team
from provenance.teams.rules import ensure_editor

MAX_REPORTED_ERRORS = 200
CHUNK = 500


class _Report:
    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.errors_total = 0
        self.counts: dict[str, int] = dict.fromkeys(
            (
                "records_new",
                "records_changed",
                "records_unchanged",
                "entities_created",
                "entities_updated",
                "relationships_created",
                "relationships_updated",
                "designations_created",
                "designations_updated",
                "skipped",
            ),
            0,
        )

    def error(self, message: str, *, line: int | None = None, ref: str = "") -> None:
        self.errors_total += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            entry: dict[str, Any] = {"error": message}
            if line is not None:
                entry["line"] = line
            if ref:
                entry["id"] = ref
            self.errors.append(entry)


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(exc.messages)


@transaction.atomic
def ftm_import(
    *,
    team: Team,
    actor: Any,
    dataset: str,
    lines: Iterable[bytes],
    file_name: str = "",
) -> DatasetImport:
    """Import FtM JSON lines as version N+1 of `dataset` in `team` (editors only).
    Returns the DatasetImport with counts and the refused lines; audit
    `dataset.import`, and every record written through its service's audit."""
    ensure_editor(user=actor, team=team)
    dataset = dataset.strip()
    if not dataset:
        raise ValidationError({"dataset": "Name the dataset."})
    if len(dataset) > 200:
        raise ValidationError({"dataset": "At most 200 characters."})
    report = _Report()
    imp = DatasetImport.objects.create(
        team=team,
        dataset=dataset,
        file_name=file_name[:300],
        sha256="",
        status=DatasetImport.Status.DONE,
        imported_by=actor,
        imported_at=timezone.now(),
    )
    digest = hashlib.sha256()
    lines_read = 0
    for number, raw in enumerate(lines, start=1):
        digest.update(raw)
        lines_read = number
        if not raw.strip():
            continue
        try:
            parsed = ftm.parse_line(raw)
        except ftm.FtMLineError as exc:
            report.error(str(exc), line=number)
            continue
        _store_record(team, dataset, imp, parsed, report, number)
    imp.sha256 = digest.hexdigest()
    imp.lines_read = lines_read

    records = DatasetRecord.objects.filter(last_import=imp).select_related(
        "entity", "relationship", "designation"
    )
    for record in records.order_by("pk").iterator(chunk_size=CHUNK):
        if ftm.entity_kind(record.schema):
            _apply_thing(team, actor, dataset, record, report)
    for record in records.order_by("pk").iterator(chunk_size=CHUNK):
        if record.schema in ftm.EDGE_SCHEMAS:
            _apply_edge(team, actor, dataset, record, report)
        elif record.schema == ftm.SANCTION_SCHEMA:
            _apply_sanction(team, actor, dataset, record, report)
        elif not ftm.entity_kind(record.schema):
            report.counts["skipped"] += 1
    report.counts["records_not_in_this_version"] = (
        DatasetRecord.objects.filter(team=team, dataset=dataset)
        .exclude(last_import=imp)
        .count()
    )
    imp.counts = report.counts
    imp.errors = report.errors
    imp.errors_total = report.errors_total
    imp.save(update_fields=["sha256", "lines_read", "counts", "errors", "errors_total"])
    audit_record(
        team=team,
        actor=actor,
        action="dataset.import",
        obj=imp,
        payload={
            "dataset": dataset,
            "version": imp.version,
            "sha256": imp.sha256,
            "lines_read": lines_read,
            "errors": report.errors_total,
            **report.counts,
        },
    )
    # Re-screen the team's own entities against this version (kernel, same room).
    from provenance.entities.screening import screening_run

    screening_run(team=team, actor=actor, dataset_import=imp)
    return imp


def _store_record(
    team: Team,
    dataset: str,
    imp: DatasetImport,
    parsed: ftm.FtMLine,
    report: _Report,
    number: int,
) -> None:
    proxy = parsed.proxy
    values = {
        "schema": proxy.schema.name,
        "properties": parsed.properties,
        "caption": (proxy.caption or "")[:300],
        "first_seen": parsed.first_seen,
        "last_seen": parsed.last_seen,
        "last_change": parsed.last_change,
    }
    record = (
        DatasetRecord.objects.select_for_update()
        .filter(team=team, dataset=dataset, source_entity_id=proxy.id)
        .first()
    )
    if record is None:
        DatasetRecord.objects.create(
            team=team,
            dataset=dataset,
            source_entity_id=proxy.id,
            first_import=imp,
            last_import=imp,
            **values,
        )
        report.counts["records_new"] += 1
        return
    if record.last_import_id == imp.pk:
        report.error(
            "the same id appears twice in this file; the later line wins",
            line=number,
            ref=proxy.id,
        )
    changed = [name for name, value in values.items() if getattr(record, name) != value]
    key = "records_changed" if changed else "records_unchanged"
    report.counts[key] += 1
    for name in changed:
        setattr(record, name, values[name])
    record.last_import = imp
    record.save(update_fields=[*changed, "last_import"])


def _apply_thing(
    team: Team, actor: Any, dataset: str, record: DatasetRecord, report: _Report
) -> None:
    kind = ftm.entity_kind(record.schema)
    fields = ftm.entity_fields(kind, record.properties)
    if record.entity is not None and record.entity.kind != kind:
        report.error(
            f"this version makes it a {record.schema}; the recorded "
            f"{record.entity.get_kind_display().lower()} is left as it was",
            ref=record.source_entity_id,
        )
        return
    try:
        if record.entity is None:
            name = fields.pop("name")
            entity = entity_services.entity_create(
                team=team,
                actor=actor,
                kind=kind,
                name=name,
                is_auto_created=True,
                dataset=dataset,
                source_entity_id=record.source_entity_id,
                **fields,
            )
            record.entity = entity
            record.save(update_fields=["entity"])
            report.counts["entities_created"] += 1
        else:
            before = record.entity.updated_at
            entity = entity_services.entity_update(
                entity_id=record.entity.pk, actor=actor, **fields
            )
            if entity.updated_at != before:
                report.counts["entities_updated"] += 1
    except ValidationError as exc:
        report.error(_messages(exc), ref=record.source_entity_id)


def _party(team: Team, dataset: str, ref: str) -> Entity | None:
    if not ref:
        return None
    record = (
        DatasetRecord.objects.filter(team=team, dataset=dataset, source_entity_id=ref)
        .select_related("entity")
        .first()
    )
    return record.entity if record is not None else None


def _apply_edge(
    team: Team, actor: Any, dataset: str, record: DatasetRecord, report: _Report
) -> None:
    fields = ftm.edge_fields(record.schema, record.properties)
    source = _party(team, dataset, fields.pop("source_ref"))
    target = _party(team, dataset, fields.pop("target_ref"))
    if source is None or target is None:
        report.error(
            "a party of this edge is not an entity of the dataset",
            ref=record.source_entity_id,
        )
        return
    kind = fields.pop("kind")
    try:
        existing = record.relationship
        if existing is not None and (
            existing.source_id,
            existing.target_id,
            existing.kind,
        ) != (source.pk, target.pk, kind):
            report.error(
                "this version names other parties or another kind for the edge; "
                "the recorded edge is left as it was",
                ref=record.source_entity_id,
            )
            return
        if existing is None:
            relationship = entity_services.relationship_create(
                team=team,
                actor=actor,
                kind=kind,
                source_id=source.pk,
                target_id=target.pk,
                dataset=dataset,
                source_entity_id=record.source_entity_id,
                **fields,
            )
            record.relationship = relationship
            record.save(update_fields=["relationship"])
            report.counts["relationships_created"] += 1
        else:
            try:
                entity_services.relationship_update(
                    relationship_id=existing.pk,
                    actor=actor,
                    reason=f"{dataset} version {record.last_import_id}",
                    **fields,
                )
            except ValidationError as exc:
                if exc.messages == [
                    "Nothing to change: the relationship already says this."
                ]:
                    return
                raise
            report.counts["relationships_updated"] += 1
    except ValidationError as exc:
        report.error(_messages(exc), ref=record.source_entity_id)


def _apply_sanction(
    team: Team, actor: Any, dataset: str, record: DatasetRecord, report: _Report
) -> None:
    fields = ftm.sanction_fields(record.properties)
    entity = _party(team, dataset, fields.pop("entity_ref"))
    if entity is None:
        report.error(
            "the sanctioned entity is not an entity of the dataset",
            ref=record.source_entity_id,
        )
        return
    try:
        existing: SanctionsDesignation | None = record.designation
        if existing is None or existing.entity_id != entity.pk:
            designation = entity_services.sanctions_designation_add(
                entity=entity,
                actor=actor,
                dataset=dataset,
                source_entity_id=record.source_entity_id,
                **fields,
            )
            record.designation = designation
            record.save(update_fields=["designation"])
            report.counts["designations_created"] += 1
        else:
            changed = [n for n, v in fields.items() if getattr(existing, n) != v]
            if changed:
                entity_services.sanctions_designation_update(
                    designation_id=existing.pk, actor=actor, **fields
                )
                report.counts["designations_updated"] += 1
    except ValidationError as exc:
        report.error(_messages(exc), ref=record.source_entity_id)
