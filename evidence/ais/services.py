"""AIS extracts: upload, process (parse, validate, store, link vessels, analyse) and
re-analyse. The pure work is in ``evidence.ais`` (parse, validate, analyse, draw);
``sniff`` judges an upload from its head, ``storage`` loads the positions and
commits progress, ``results`` links vessels and writes what the analysis derives;
this module runs them in order.

Invariants:

- An upload is checked before anything is written: team membership, size limit,
  SHA-256 duplicate in the team, and the layout (a file that is not AIS is refused
  with the parser's message; nothing is stored and no audit event is written).
- Processing is idempotent. It reads the stored original, then in ONE transaction
  deletes and rewrites everything derived from it (positions, dark periods, port
  calls, vessel links, summary, track). Vessel entities it created on an earlier
  run are found again by MMSI/IMO, never duplicated.
- Progress (rows done / total) is committed separately so the page can show it
  while the work runs: in autocommit outside the big transaction, and on
  PostgreSQL through a second connection inside it. "Done" rows are rows whose
  fate is settled: rejected rows once validated, kept rows once stored.
- Errors are recorded on the item (``processing_state=failed`` and the reason);
  the state moves only through ``evidence.processing``.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pyais
import pyarrow
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from evidence import processing
from evidence.ais.analyse import AnalysisParams
from evidence.ais.layout_services import ensure_team_layout, layout_of
from evidence.ais.layouts import Layout, layout_from_record
from evidence.ais.parse import (
    ExpansionRefused,
    UnknownFormat,
    open_reports,
)
from evidence.ais.reports import RawReports, epoch_us
from evidence.ais.results import (
    analysis_summary,
    link_vessels,
    save_analysis,
    team_ports,
    vessels_by_mmsi,
)
from evidence.ais.selectors import ais_layouts_for_team
from evidence.ais.sniff import expansion_limits, sniff_ais
from evidence.ais.spill import SpilledPositions
from evidence.ais.stations import stations_summary
from evidence.ais.storage import (
    ProgressWriter,
    delete_positions_like,
    iter_stored_vessels,
    position_sink,
    progress_of,
    store_positions,
    store_tool_name,
)
from evidence.ais.tally import AnalysisTally
from evidence.ais.time_sources import apply_given_time, count_sources, main_source
from evidence.ais.validate import BatchValidator, ExtractResult, Positions
from evidence.models import (
    AISExtract,
    AISGap,
    AISLayout,
    AISPosition,
    EvidenceItem,
    EvidenceKind,
    PortCall,
)
from evidence.services import (
    FileRefused,
    StoredFileMismatch,
    check_fields,
    enqueue_on_commit,
    hash_upload,
    local_path,
    locked_item,
    mark_for_reprocessing,
    new_item,
    processing_failed,
    refuse_duplicate,
    store_new_item,
)
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

logger = logging.getLogger(__name__)

EXTENSIONS = {"gzip": ".gz", "zstd": ".zst", "nmea": ".nmea", "csv": ".csv"}
MIME_TYPES = {
    "gzip": "application/gzip",
    "zstd": "application/zstd",
    "nmea": "text/plain",
    "csv": "text/csv",
}
PROCESSING_STEPS = (
    ("parse", "pyarrow / pyais", "layout detected, rows read column-wise"),
    ("validate", "evidence.ais.validate", "rows checked, rejections counted"),
    ("store", "database", "positions bulk-loaded"),
    (
        "vessels",
        "evidence.ais.services",
        "stations classified; vessels matched by IMO, then MMSI",
    ),
    ("analyse", "evidence.ais.analyse", "dark periods, port calls, voyages"),
)


# --- upload ---------------------------------------------------------------------------


def evidence_add_ais(
    *,
    team: Team,
    actor: User,
    upload: IO[bytes],
    filename: str,
    is_restricted: bool = False,
    params: AnalysisParams | None = None,
    enqueue: bool = True,
    given_time: datetime | None = None,
    layout: AISLayout | None = None,
    **fields: Any,
) -> EvidenceItem:
    """Store an AIS extract as pending evidence and enqueue its processing.

    ``given_time`` (aware; NMEA only) is the capture start the uploader gives for
    a file whose lines carry no time: every position read without a time gets
    it (``time_sources.apply_given_time``); times in the file always win. It is
    kept on the extract, so reprocessing applies it again.

    Refusals (FileRefused: empty, too large, not AIS) and duplicates
    (DuplicateEvidence) happen before anything is written. The original is kept
    byte-for-byte (compressed if it came compressed). One transaction writes the
    item, an empty AISExtract holding the analysis parameters, custody (obtained,
    uploaded) and the audit event; ``process_ais`` is enqueued on commit (batch
    callers pass ``enqueue=False`` and call ``ais_process`` themselves).

    A CSV is read with ``layout`` (one of the team's) when given, else with the
    team layout made from the same header, else with the built-in layout its
    header names; the extract records the layout's name and column mapping.
    """
    ensure_member(user=actor, team=team)
    check_fields(fields)
    if layout is not None:
        ensure_team_layout(record=layout, team=team)
    sniffed = sniff_ais(
        upload,
        layout=layout_of(layout) if layout is not None else None,
        team_layouts=[layout_of(r) for r in ais_layouts_for_team(team)],
    )
    layout_name, column_mapping = _layout_record(sniffed.layout, sniffed.header)
    given = _given_time(given_time, sniffed.format)
    sha256, size = hash_upload(
        upload,
        limit=settings.UPLOAD_MAX_BYTES["ais"],
        too_large=" for AIS extracts",
    )
    refuse_duplicate(team, sha256)
    fields.setdefault("title", PurePath(filename).name[:300] or "AIS extract")
    container = sniffed.compression or ("nmea" if sniffed.format == "nmea" else "csv")
    item = new_item(
        team=team,
        actor=actor,
        kind=EvidenceKind.AIS,
        is_restricted=is_restricted,
        filename=filename,
        mime_type=MIME_TYPES[container],
        **fields,
    )
    processing.arrive(item)
    store_new_item(
        item,
        upload,
        actor=actor,
        extension=EXTENSIONS[container],
        sha256=sha256,
        size=size,  # hashed once: processing checks the stored bytes against it
        changed=lambda message: FileRefused(message, code="corrupt"),
        detail={"format": sniffed.format},
        extra={"format": sniffed.format, "layout": layout_name},
        attach=lambda item: AISExtract.objects.create(
            item=item,
            source_format=sniffed.format,
            analysis_params=(params or AnalysisParams()).to_dict(),
            given_time=given,
            layout_name=layout_name,
            column_mapping=column_mapping,
        ),
    )
    if enqueue:
        _enqueue_processing(item.pk)
    return item


def _given_time(when: datetime | None, fmt: str) -> dict[str, str] | None:
    """The stored form of an uploader's capture start (None when not given)."""
    if when is None:
        return None
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValidationError(
            {"given_time": "The capture start needs a time zone (e.g. UTC)."}
        )
    if fmt != "nmea":
        raise ValidationError(
            {
                "given_time": "A capture start applies to NMEA files only; a "
                "CSV's times come from its time column."
            }
        )
    return {
        "at": when.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "applies_to": "every position read without a time",
    }


def _layout_record(
    layout: Layout | None, header: list[str]
) -> tuple[str, dict[str, Any] | None]:
    """The layout name and column mapping an extract records ("", None for NMEA);
    a team layout's mapping is enough to read the file again."""
    if layout is None:
        return "", None
    mapping = layout.to_mapping(header)
    if layout.is_custom:
        return layout.layout_name, {**mapping, "header": header}
    return layout.name, mapping


def _stored_layout(extract: AISExtract) -> Layout | None:
    """The team layout an extract was uploaded with (None: detect a built-in)."""
    mapping = extract.column_mapping or {}
    if extract.source_format != AISExtract.Format.CUSTOM or not mapping:
        return None
    return layout_from_record(
        extract.layout_name,
        mapping.get("columns", {}),
        mapping.get("time_format", ""),
        mapping.get("time_zone", "UTC"),
        mapping.get("header", []),
    )


def _enqueue_processing(item_id: int) -> None:
    from evidence.tasks import process_ais  # the task module imports this one

    enqueue_on_commit(process_ais, item_id)


@transaction.atomic
def ais_reprocess(*, item_id: int, actor: User) -> EvidenceItem:
    """Queue an extract for processing again (after a failure or a lost task)."""
    item = mark_for_reprocessing(item_id=item_id, actor=actor, kind=EvidenceKind.AIS)
    _enqueue_processing(item.pk)
    return item


@transaction.atomic
def ais_set_capture_start(
    *, item_id: int, actor: User, given_time: datetime | None
) -> EvidenceItem:
    """Give (or, with None, withdraw) the capture start of a stored NMEA extract
    and queue it for processing again, which applies it (see
    ``evidence_add_ais``); audited with the old and new value. Locks the item."""
    item = locked_item(item_id)
    ensure_member(user=actor, team=item.team)
    if item.kind != EvidenceKind.AIS:
        raise ValueError("Only AIS extracts have a capture start.")
    extract = AISExtract.objects.select_for_update().get(item=item)
    given = _given_time(given_time, extract.source_format)
    old = extract.given_time
    extract.given_time = given
    extract.save(update_fields=["given_time"])
    item = processing.move(
        item,
        processing.PENDING,
        audit="evidence.ais_capture_start",
        actor=actor,
        payload={"from": old, "to": given},
    )
    _enqueue_processing(item.pk)
    return item


# --- processing -----------------------------------------------------------------------


def ais_process(*, item_id: int) -> EvidenceItem:
    """Parse, validate, store, link vessels and analyse one AIS extract.

    Streams, so memory does not grow with the row count: the file is read in
    batches; each batch's rows pass the per-row rules and go at once into the
    positions table (one COPY on PostgreSQL, loading while the next batch is
    parsed) and into a temporary spill by vessel (``spill``: 56 bytes a kept
    row on disk until the end). Then one bucket of vessels at a time gets the
    cross-row rules (the few rows they reject are deleted again) and the
    analysis. Memory is bounded by the largest bucket (about one vessel's track
    when vessels are few), not by the file.

    Safe to run twice: everything derived is deleted and rewritten in one
    transaction that locks the AISExtract row (a second worker waits, then
    redoes the same work). The item is marked running first (committed);
    failures are recorded on it, among them a stored original that no longer
    hashes to the SHA-256 recorded at upload (checked as it is read back,
    before any row is parsed). Returns the item.
    """
    item = EvidenceItem.objects.select_related("team", "ais").get(pk=item_id)
    if item.kind != EvidenceKind.AIS or not item.file:
        raise ValueError(f"Evidence #{item_id} is not a stored AIS extract.")
    processing.move(item, processing.RUNNING)
    given = (item.ais.given_time or {}).get("at")
    stream = _Stream(
        params=AnalysisParams.from_dict(item.ais.analysis_params or {}),
        given_us=epoch_us(datetime.fromisoformat(given)) if given else None,
        layout=_stored_layout(item.ais),
    )
    with (
        progress_of(item_id) as progress,
        tempfile.TemporaryDirectory(prefix="ais-spill-") as spill_dir,
    ):
        progress(0, 0, force=True)
        try:
            return _store_all(
                item_id=item_id,
                stream=stream,
                spilled=SpilledPositions(Path(spill_dir)),
                progress=progress,
            )
        except StoredFileMismatch as exc:
            return processing_failed(item, str(exc))
        except ExpansionRefused as exc:
            return processing_failed(item, f"Refused: {exc}")
        except UnknownFormat as exc:
            return processing_failed(item, f"Not an AIS extract. {exc}")
        except Exception as exc:
            logger.exception("Processing AIS evidence #%s failed", item_id)
            return processing_failed(item, f"Processing failed: {exc}")


@dataclass(frozen=True)
class _Stream:
    """What processing needs from the extract's row, read before any COPY opens
    (no query may run on the connection while one is open)."""

    params: AnalysisParams
    given_us: int | None
    layout: Layout | None


# Why rows were refused, in the words of the warning below.
_REASON_WORDS = {
    "no_timestamp": "had no time",
    "bad_timestamp": "had a time that could not be read",
    "no_position": "had no position",
    "bad_mmsi": "had no valid MMSI",
}


def no_positions_warning(rows_read: int, rejected: dict[str, int]) -> str:
    """Why an import that kept no position needs a look; '' when some were kept."""
    kept = rows_read - sum(rejected.values())
    if kept > 0:
        return ""
    if not rows_read:
        return "No position was kept: the file holds no position reports."
    reasons = ", ".join(
        f"{count:,} {_REASON_WORDS.get(reason, reason.replace('_', ' '))}"
        for reason, count in sorted(rejected.items(), key=lambda kv: -kv[1])
    )
    rows = f"{rows_read:,} row{'' if rows_read == 1 else 's'}"
    message = f"No position was kept: of {rows} read, {reasons}."
    if rejected.get("no_timestamp"):
        message += (
            " The file carries no time on its lines; without a time a position "
            "cannot be placed on the timeline. If you know when the capture "
            "started, give it as the capture start (on the extract's page, the "
            "upload form or import_ais --time)."
        )
    return message


def _stream_in(
    *,
    item: EvidenceItem,
    extract_id: int,
    stream: _Stream,
    spilled: SpilledPositions,
    progress: ProgressWriter,
    sources: Counter[str],
) -> BatchValidator:
    """Parse the stored original as a stream, batch by batch: the per-row rules,
    then the kept rows into the positions table and the spill (rows read and
    settled reported after each batch). The uploader's capture start, if any, is
    applied to each batch, and ``sources`` counts the positions read by the
    source of their time. Runs no query of its own (a COPY may be open)."""
    with (
        local_path(item.file, sha256=item.sha256) as path,
        open_reports(
            path,
            limits=expansion_limits(),
            layout=stream.layout,
        ) as (fmt, batches),
        position_sink(extract_id) as write,
    ):
        validator = BatchValidator(fmt)
        for raw in _timed(batches, stream.given_us, sources):
            kept = validator.add(raw)
            del raw
            write(kept)
            spilled.add(kept)
            del kept
            progress(sum(validator.rejected.values()), validator.rows_read)
    spilled.close()
    return validator


def _timed(
    batches: Iterable[RawReports], given_us: int | None, sources: Counter[str]
) -> Iterator[RawReports]:
    for raw in batches:
        if given_us is not None and raw.format == "nmea":
            raw = apply_given_time(raw, given_us)
        sources.update(count_sources(raw))
        yield raw


def _cross_row_rules(
    *,
    extract_id: int,
    validator: BatchValidator,
    spilled: SpilledPositions,
    tally: AnalysisTally,
) -> None:
    """Per bucket of vessels: the rules that need each track in time order, then
    the analysis of what they keep. Rows they reject were stored with the rest:
    every stored copy of their key is deleted and the key's kept row (the first
    of duplicates) stored again, so the table holds exactly the kept rows."""
    for bucket in spilled:
        keep = validator.keep_sorted(bucket)
        if not keep.all():
            _unstore_rejected(extract_id, bucket, keep)
        tally.add(bucket.take(keep) if not keep.all() else bucket)
        del bucket, keep


def _unstore_rejected(extract_id: int, bucket: Positions, keep: np.ndarray) -> None:
    # Rows equal on mmsi, time and position sit together in a sorted bucket.
    b = bucket
    new_key = np.r_[
        True,
        (b.mmsi[1:] != b.mmsi[:-1])
        | (b.timestamp_us[1:] != b.timestamp_us[:-1])
        | (b.lat[1:] != b.lat[:-1])
        | (b.lon[1:] != b.lon[:-1]),
    ]
    group = np.cumsum(new_key)
    touched = np.isin(group, group[~keep])
    delete_positions_like(extract_id, b.take(~keep))
    store_positions(extract_id, b.take(touched & keep), progress=lambda _n: None)


@transaction.atomic
def _store_all(
    *,
    item_id: int,
    stream: _Stream,
    spilled: SpilledPositions,
    progress: ProgressWriter,
) -> EvidenceItem:
    extract = AISExtract.objects.select_for_update(of=("self",)).get(item_id=item_id)
    item = EvidenceItem.objects.select_related("team").get(pk=item_id)
    _delete_derived(extract)
    AISPosition.objects.filter(extract=extract).delete()
    tally = AnalysisTally(ports=team_ports(item.team), params=stream.params)
    sources: Counter[str] = Counter()
    validator = _stream_in(
        item=item,
        extract_id=extract.pk,
        stream=stream,
        spilled=spilled,
        progress=progress,
        sources=sources,
    )
    progress(sum(validator.rejected.values()), validator.rows_read, force=True)
    _cross_row_rules(
        extract_id=extract.pk, validator=validator, spilled=spilled, tally=tally
    )
    result = validator.result(mmsis=tally.mmsis, rows_kept=tally.rows)
    progress(result.rows_read, result.rows_read, force=True)
    _set_extract_facts(extract, result, tally, sources)
    # Audit events (vessel creation, processed) lock the team's chain head: they
    # come last, so the lock is held only for the short tail of the transaction.
    vessels, created = link_vessels(item=item, extract=extract, result=result)
    analysis, ports = save_analysis(
        item=item, extract=extract, tally=tally, vessels=vessels
    )
    extract.summary = {
        **result.summary(),
        **analysis_summary(vessels, created, analysis, ports),
    }
    extract.save()
    _record_processing_steps(
        item, extract, result, stream.params, store_tool_name(), vessels, created
    )
    observed = item.observed_at or extract.first_at
    warning = no_positions_warning(result.rows_read, extract.rejected)
    return processing.move(
        item,
        processing.WARNING if warning else processing.DONE,
        warning=warning,
        fields={
            "observed_at": observed,
            "progress_done": result.rows_read,
            "progress_total": result.rows_read,
        },
        audit="evidence.processed",
        payload={
            "format": result.format,
            "rows_read": result.rows_read,
            "rows_kept": result.rows_kept,
            "rejected": extract.rejected,
            "vessels": sorted(v.pk for v in vessels.values()),
            "dark_periods": len(analysis.gaps),
            "port_calls": len(analysis.port_calls),
        },
    )


def _set_extract_facts(
    extract: AISExtract,
    result: ExtractResult,
    tally: AnalysisTally,
    time_sources: Counter[str],
) -> None:
    extract.time_sources = dict(sorted((+time_sources).items()))
    extract.time_source = main_source(time_sources)
    extract.source_format = result.format
    extract.rows_read = result.rows_read
    extract.rows_kept = result.rows_kept
    extract.rejected = dict(sorted(result.rejected.items()))
    extract.stations = stations_summary(result.stations)
    extract.first_at, extract.last_at = tally.first_at, tally.last_at


def _record_processing_steps(
    item: EvidenceItem,
    extract: AISExtract,
    result: ExtractResult,
    params: AnalysisParams,
    store_tool: str,
    vessels: dict[int, Any],
    created: set[int],
) -> None:
    versions = {
        "parse": "pyais " + pyais.__version__
        if result.format == "nmea"
        else "pyarrow " + pyarrow.__version__,
        "validate": f"numpy {np.__version__}",
        "store": store_tool,
        "vessels": "",
        "analyse": f"numpy {np.__version__}",
    }
    facts = {
        "parse": {
            "format": result.format,
            "layout": extract.layout_name,
            "rows_read": result.rows_read,
            "batches": result.batches,
        },
        "validate": {
            "rows_kept": result.rows_kept,
            "rejected": extract.rejected,
            "cleared": dict(sorted(result.cleared.items())),
            "max_jump_knots": result.max_jump_knots,
        },
        "store": {"positions": result.rows_kept},
        "vessels": {
            "linked": [v.pk for v in vessels.values()],
            "created": sorted(created),
            "stations": extract.stations.get("counts", {}),
        },
        "analyse": {"params": params.to_dict()},
    }
    processing.record_steps(item, PROCESSING_STEPS, versions=versions, facts=facts)


def _delete_derived(extract: AISExtract) -> None:
    AISGap.objects.filter(extract=extract).delete()
    PortCall.objects.filter(extract=extract).delete()


# --- re-analysis ----------------------------------------------------------------------


@transaction.atomic
def ais_reanalyse_request(
    *, item_id: int, actor: User, params: AnalysisParams
) -> EvidenceItem:
    """Queue a re-analysis (the web path): checks, marks the item pending, and
    enqueues ``reanalyse_ais`` on commit. Locks the item row."""
    item = locked_item(item_id)
    ensure_member(user=actor, team=item.team)
    _ensure_analysable(item)
    processing.move(item, processing.PENDING)
    from evidence.tasks import reanalyse_ais

    enqueue_on_commit(reanalyse_ais, item.pk, actor.pk, params.to_dict())
    return item


def ais_reanalyse_task(*, item_id: int, actor_id: int, params: dict[str, float]) -> str:
    """The task's body: resolve the actor, re-analyse, record a failure on the item."""
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.get(pk=actor_id)
    try:
        item = ais_reanalyse(
            item_id=item_id, actor=actor, params=AnalysisParams.from_dict(params)
        )
    except Exception as exc:
        logger.exception("Re-analysing AIS evidence #%s failed", item_id)
        item = EvidenceItem.objects.select_related("team").get(pk=item_id)
        item = processing_failed(item, f"Re-analysis failed: {exc}")
    return item.processing_state


def _ensure_analysable(item: EvidenceItem) -> None:
    if item.kind != EvidenceKind.AIS:
        raise ValueError("Only AIS extracts can be re-analysed.")
    if item.ais.analysed_at is None:
        raise ValueError("The extract must be processed before it is re-analysed.")


def ais_reanalyse(*, item_id: int, actor: User, params: AnalysisParams) -> EvidenceItem:
    """Re-run the analysis of a processed extract with other parameters.

    Reads the stored positions (the original is not parsed again) and, in one
    transaction that locks the AISExtract row, replaces dark periods, port calls,
    voyages, run counts, the track and the stored parameters, and marks the item
    done; audited with the actor. Ports are the team's current port entities.
    """
    item = EvidenceItem.objects.select_related("team", "ais").get(pk=item_id)
    ensure_member(user=actor, team=item.team)
    _ensure_analysable(item)
    processing.move(item, processing.RUNNING)
    # Pure work first, a few vessels at a time; the transaction only writes.
    tally = AnalysisTally(ports=team_ports(item.team), params=params)
    for positions in iter_stored_vessels(item.ais.pk):
        tally.add(positions)
    with transaction.atomic():
        extract = AISExtract.objects.select_for_update(of=("self",)).get(
            item_id=item_id
        )
        item = EvidenceItem.objects.select_related("team").get(pk=item_id)
        old = extract.analysis_params
        _delete_derived(extract)
        vessels = {int(mmsi): e for mmsi, e in vessels_by_mmsi(extract).items()}
        analysis, ports = save_analysis(
            item=item, extract=extract, tally=tally, vessels=vessels
        )
        created = {
            int(v["id"])
            for v in (extract.summary.get("entities") or {}).values()
            if v.get("created")
        }
        extract.summary = {
            **extract.summary,
            **analysis_summary(vessels, created, analysis, ports),
        }
        extract.save()
        processing.record_steps(
            item,
            PROCESSING_STEPS,
            versions={"analyse": f"numpy {np.__version__}"},
            facts={"analyse": {"params": params.to_dict()}},
        )
        processing.move(
            item,
            processing.DONE,
            audit="evidence.ais_reanalyse",
            actor=actor,
            payload={
                "from": old,
                "to": params.to_dict(),
                "dark_periods": len(analysis.gaps),
                "port_calls": len(analysis.port_calls),
            },
        )
    return item
