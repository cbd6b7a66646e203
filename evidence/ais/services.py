"""AIS extracts: upload, process (parse, validate, store, link vessels, analyse) and
re-analyse. The pure work is in ``evidence.ais``; this module stores its results.

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
- Errors are recorded on the item (``processing_state=failed`` and the reason).

Positions are bulk-loaded with PostgreSQL ``COPY ... FROM STDIN (FORMAT binary)``
through psycopg 3 (tuples built column-wise with numpy); on SQLite, batched
inserts.

The provenance app (entities, audit) is reached by dotted path at call time only:
evidence must not import provenance.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath
from typing import IO, Any

import numpy as np
import pyais
import pyarrow
import zstandard
from django.conf import settings
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from evidence.ais import analyse as ais_analyse
from evidence.ais.analyse import AnalysisParams, AnalysisResult, Port
from evidence.ais.draw import draw_track_svg, tracks_from_positions
from evidence.ais.parse import (
    GZIP_MAGIC,
    RATIO_FLOOR_BYTES,
    ZSTD_MAGIC,
    ZSTD_MAX_WINDOW,
    ExpansionLimits,
    ExpansionRefused,
    UnknownFormat,
    VesselInfo,
    detect_format,
    parse,
)
from evidence.ais.validate import (
    COPY_COLUMNS,
    ExtractResult,
    Positions,
    datetime_to_timestamp,
    format_timestamps,
    timestamp_to_datetime,
    validate,
)
from evidence.models import (
    AISExtract,
    AISGap,
    AISPosition,
    CustodyEvent,
    EvidenceItem,
    EvidenceKind,
    PortCall,
    ProcessingState,
)
from evidence.services import (
    DuplicateEvidence,
    FileRefused,
    _audit,
    _audit_add,
    _check_fields,
    _cleanup_on_error,
    _existing_with_hash,
    _insert_item,
    _local_path,
    _mark,
    _new_item,
    _processing_failed,
    _record_arrival,
    _save_original,
    enqueue_on_commit,
    ensure_member,
    mark_for_reprocessing,
)

logger = logging.getLogger(__name__)

ENTITY_CREATE = "provenance.entities.services.entity_create"
VESSEL, PORT = "vessel", "port"
# Head of the file (compressed) read to detect the layout before accepting it.
SNIFF_BYTES = 1 << 20
SNIFF_DECOMPRESSED = 1 << 18
COPY_CHUNK_ROWS = 200_000
SQLITE_BATCH_ROWS = 5_000
PROGRESS_EVERY_SECONDS = 0.5
# A map showing every port of a team worldwide would shrink the track to a dot:
# only ports within this margin (degrees) of the track, or used by the analysis.
MAP_PORT_MARGIN_DEG = 1.0

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
    ("vessels", "evidence.ais.services", "vessels matched by IMO, then MMSI"),
    ("analyse", "evidence.ais.analyse", "dark periods, port calls, voyages"),
)


# --- upload ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sniffed:
    format: str  # one of evidence.ais.parse.FORMATS
    compression: str  # "gzip", "zstd" or ""


def sniff_ais(upload: IO[bytes]) -> Sniffed:
    """Detect compression and layout from the head of the file. Raises FileRefused.

    Only the first MiB is read (and at most 256 KiB of it decompressed), so a
    500 MB upload (or a decompression bomb) is judged without being read twice in
    the web process. A zstd frame declaring a bomb's size is refused here.
    """
    if upload.seekable():
        upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    if upload.seekable():
        upload.seek(0)
    if not head:
        raise FileRefused("The file is empty.", code="empty")
    compression = ""
    try:
        if head.startswith(GZIP_MAGIC):
            compression = "gzip"
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(
                head, SNIFF_DECOMPRESSED
            )
        elif head.startswith(ZSTD_MAGIC):
            compression = "zstd"
            _check_declared_size(zstandard.frame_content_size(head), upload)
            reader = zstandard.ZstdDecompressor(
                max_window_size=ZSTD_MAX_WINDOW
            ).stream_reader(io.BytesIO(head))
            head = reader.read(SNIFF_DECOMPRESSED)
    except (zlib.error, zstandard.ZstdError) as exc:
        raise FileRefused(
            f"Not an AIS extract: the compressed content could not be read ({exc}).",
            code="not_ais",
        ) from exc
    try:
        fmt = detect_format(head)
    except UnknownFormat as exc:
        raise FileRefused(f"Not an AIS extract. {exc}", code="not_ais") from exc
    return Sniffed(format=fmt, compression=compression)


def _check_declared_size(declared: int, upload: IO[bytes]) -> None:
    """Refuse at upload a zstd frame whose header already declares a bomb.

    Only a shortcut: a frame need not declare its size (and a gzip trailer's is
    modulo 4 GiB), so processing applies the same limits while it expands.
    """
    if declared < 0:  # not declared
        return
    limits = expansion_limits()
    if declared > limits.max_bytes:
        raise FileRefused(
            f"The file declares {declared:,} bytes of content, more than the "
            f"{limits.max_bytes:,}-byte limit for AIS extracts "
            "(AIS_MAX_EXPANDED_BYTES).",
            code="too_large",
        )
    stored = _upload_size(upload)
    if declared > max(limits.max_ratio * stored, RATIO_FLOOR_BYTES):
        raise FileRefused(
            f"The file declares {declared:,} bytes of content, more than "
            f"{limits.max_ratio:g} times its compressed size of {stored:,} bytes "
            "(AIS_MAX_EXPANSION_RATIO): refused as a decompression bomb.",
            code="too_large",
        )


def _upload_size(upload: IO[bytes]) -> int:
    size = getattr(upload, "size", None)
    if size is None:
        position = upload.tell()
        size = upload.seek(0, io.SEEK_END)
        upload.seek(position)
    return int(size)


def expansion_limits() -> ExpansionLimits:
    """The settings' caps on how far an extract may expand when decompressed."""
    return ExpansionLimits(
        max_bytes=settings.AIS_MAX_EXPANDED_BYTES,
        max_ratio=settings.AIS_MAX_EXPANSION_RATIO,
    )


def _hash_with_limit(upload: IO[bytes], limit: int) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in File(upload).chunks():
        digest.update(chunk)
        size += len(chunk)
        if size > limit:
            raise FileRefused(
                f"The file is larger than the {limit:,}-byte limit for AIS extracts.",
                code="too_large",
            )
    upload.seek(0)
    return digest.hexdigest(), size


def evidence_add_ais(
    *,
    team: Any,
    actor: Any,
    upload: IO[bytes],
    filename: str,
    is_restricted: bool = False,
    params: AnalysisParams | None = None,
    enqueue: bool = True,
    **fields: Any,
) -> EvidenceItem:
    """Store an AIS extract as pending evidence and enqueue its processing.

    Refusals (FileRefused: empty, too large, not AIS) and duplicates
    (DuplicateEvidence) happen before anything is written. The original is kept
    byte-for-byte (compressed if it came compressed). One transaction writes the
    item, an empty AISExtract holding the analysis parameters, custody (obtained,
    uploaded) and the audit event; ``process_ais`` is enqueued on commit (batch
    callers pass ``enqueue=False`` and call ``ais_process`` themselves).
    """
    ensure_member(user=actor, team=team)
    _check_fields(fields)
    sniffed = sniff_ais(upload)
    sha256, _size = _hash_with_limit(upload, settings.UPLOAD_MAX_BYTES["ais"])
    existing = _existing_with_hash(team, sha256)
    if existing is not None:
        raise DuplicateEvidence(existing)
    fields.setdefault("title", PurePath(filename).name[:300] or "AIS extract")
    item = _new_item(team=team, actor=actor, kind=EvidenceKind.AIS, **fields)
    item.is_restricted = is_restricted
    item.original_filename = PurePath(filename).name[:300]
    container = sniffed.compression or ("nmea" if sniffed.format == "nmea" else "csv")
    item.mime_type = MIME_TYPES[container]
    item.processing_state = ProcessingState.PENDING
    name, stored_size, stored_sha = _save_original(
        item, upload, extension=EXTENSIONS[container]
    )
    with _cleanup_on_error(name), transaction.atomic():
        if stored_sha != sha256:
            raise FileRefused(
                "The file changed while it was being stored; upload it again.",
                code="corrupt",
            )
        item.sha256, item.size_bytes = sha256, stored_size
        item.full_clean()
        _insert_item(item)
        AISExtract.objects.create(
            item=item,
            source_format=sniffed.format,
            analysis_params=(params or AnalysisParams()).to_dict(),
        )
        detail = {
            "original_filename": item.original_filename,
            "sha256": sha256,
            "size_bytes": stored_size,
            "mime_type": item.mime_type,
            "format": sniffed.format,
        }
        _record_arrival(item=item, actor=actor, detail=detail)
        _audit_add(
            item=item,
            actor=actor,
            extra={"format": sniffed.format, "size_bytes": stored_size},
        )
        if enqueue:
            _enqueue_processing(item.pk)
    return item


def _enqueue_processing(item_id: int) -> None:
    from evidence.tasks import process_ais  # the task module imports this one

    enqueue_on_commit(process_ais, item_id)


@transaction.atomic
def ais_reprocess(*, item_id: int, actor: Any) -> EvidenceItem:
    """Queue an extract for processing again (after a failure or a lost task)."""
    item = mark_for_reprocessing(item_id=item_id, actor=actor, kind=EvidenceKind.AIS)
    _enqueue_processing(item.pk)
    return item


# --- progress -------------------------------------------------------------------------


class ProgressWriter:
    """Commits rows done / total on the item, throttled, visible to other sessions.

    Outside a transaction the default connection autocommits each update. Inside
    one (the store step), PostgreSQL gets a second connection so the page still
    sees progress; SQLite (development only) cannot write from a second
    connection while the first holds the write lock, so there the numbers simply
    commit with the transaction.
    """

    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        self.done = 0
        self.total = 0
        self._last = 0.0
        self._side: Any = None

    def __call__(self, done: int, total: int, *, force: bool = False) -> None:
        self.done, self.total = max(0, done), max(0, total)
        now = time.monotonic()
        if not force and now - self._last < PROGRESS_EVERY_SECONDS:
            return
        self._last = now
        conn = connection
        if connection.in_atomic_block and connection.vendor == "postgresql":
            if self._side is None:
                self._side = connections.create_connection(DEFAULT_DB_ALIAS)
            conn = self._side
        table = conn.ops.quote_name(EvidenceItem._meta.db_table)
        with conn.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress_done = %s, progress_total = %s "  # noqa: S608 - table name from the model
                "WHERE id = %s",
                [self.done, self.total, self.item_id],
            )

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
            self._side = None


@contextmanager
def _progress(item_id: int) -> Iterator[ProgressWriter]:
    writer = ProgressWriter(item_id)
    try:
        yield writer
    finally:
        writer.close()


# --- processing -----------------------------------------------------------------------


def ais_process(*, item_id: int) -> EvidenceItem:
    """Parse, validate, store, link vessels and analyse one AIS extract.

    Safe to run twice: the derived rows are deleted and rewritten in one
    transaction that locks the AISExtract row (a second worker waits, then
    redoes the same work). The item is marked running first (committed);
    failures are recorded on it. Returns the item.
    """
    item = EvidenceItem.objects.select_related("team", "ais").get(pk=item_id)
    if item.kind != EvidenceKind.AIS or not item.file:
        raise ValueError(f"Evidence #{item_id} is not a stored AIS extract.")
    _mark(item_id, ProcessingState.RUNNING)
    extract = item.ais
    params = AnalysisParams.from_dict(extract.analysis_params or {})
    with _progress(item_id) as progress:
        progress(0, 0, force=True)
        try:
            with _local_path(item.file) as path:
                result = validate(
                    parse(
                        path,
                        progress=lambda _done, total: progress(0, total),
                        limits=expansion_limits(),
                    ),
                    progress=lambda _done, total: progress(0, total),
                )
        except ExpansionRefused as exc:
            return _processing_failed(item, f"Refused: {exc}")
        except UnknownFormat as exc:
            return _processing_failed(item, f"Not an AIS extract. {exc}")
        except Exception as exc:
            logger.exception("Reading AIS evidence #%s failed", item_id)
            return _processing_failed(item, f"Processing failed: {exc}")
        rejected = sum(result.rejected.values())
        progress(rejected, result.rows_read, force=True)
        try:
            item = _store_all(
                item_id=item_id, result=result, params=params, progress=progress
            )
        except Exception as exc:
            logger.exception("Storing AIS evidence #%s failed", item_id)
            return _processing_failed(item, f"Processing failed: {exc}")
    return item


@transaction.atomic
def _store_all(
    *,
    item_id: int,
    result: ExtractResult,
    params: AnalysisParams,
    progress: ProgressWriter,
) -> EvidenceItem:
    extract = AISExtract.objects.select_for_update().get(item_id=item_id)
    item = EvidenceItem.objects.select_related("team").get(pk=item_id)
    _delete_derived(extract)
    AISPosition.objects.filter(extract=extract).delete()
    rejected = sum(result.rejected.values())
    store_tool = _store_positions(
        extract.pk,
        result.positions,
        progress=lambda stored: progress(rejected + stored, result.rows_read),
    )
    progress(result.rows_read, result.rows_read, force=True)
    positions = result.positions
    extract.source_format = result.format
    extract.rows_read = result.rows_read
    extract.rows_kept = result.rows_kept
    extract.rejected = dict(sorted(result.rejected.items()))
    if len(positions):
        extract.first_at = timestamp_to_datetime(positions.timestamp_us.min())
        extract.last_at = timestamp_to_datetime(positions.timestamp_us.max())
    else:
        extract.first_at = extract.last_at = None
    # Audit events (vessel creation, processed) lock the team's chain head: they
    # come last, so the lock is held only for the short tail of the transaction.
    vessels, created = _link_vessels(item=item, extract=extract, result=result)
    analysis, ports = _analyse_and_save(
        item=item, extract=extract, positions=positions, params=params, vessels=vessels
    )
    extract.summary = {
        **result.summary(),
        **_analysis_summary(vessels, created, analysis, ports),
    }
    extract.save()
    tools = {
        "parse": "pyais " + pyais.__version__
        if result.format == "nmea"
        else "pyarrow " + pyarrow.__version__,
        "validate": f"numpy {np.__version__}",
        "store": store_tool,
        "vessels": "",
        "analyse": f"numpy {np.__version__}",
    }
    facts = {
        "parse": {"format": result.format, "rows_read": result.rows_read},
        "validate": {
            "rows_kept": result.rows_kept,
            "rejected": extract.rejected,
            "cleared": dict(sorted(result.cleared.items())),
            "max_jump_knots": result.max_jump_knots,
        },
        "store": {"positions": len(positions)},
        "vessels": {
            "linked": [v.pk for v in vessels.values()],
            "created": sorted(created),
        },
        "analyse": {"params": params.to_dict()},
    }
    _record_steps(item, tools, facts)
    if item.observed_at is None and extract.first_at is not None:
        item.observed_at = extract.first_at
    item.processing_state = ProcessingState.DONE
    item.processing_error = ""
    item.progress_done = item.progress_total = result.rows_read
    item.updated_at = timezone.now()
    item.save(
        update_fields=[
            "observed_at",
            "processing_state",
            "processing_error",
            "progress_done",
            "progress_total",
            "updated_at",
        ]
    )
    _audit(
        team=item.team,
        actor=None,
        action="evidence.processed",
        obj=item,
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
    return item


def _delete_derived(extract: AISExtract) -> None:
    AISGap.objects.filter(extract=extract).delete()
    PortCall.objects.filter(extract=extract).delete()


# --- positions ------------------------------------------------------------------------


def _position_columns() -> list[str]:
    meta = AISPosition._meta
    names = dict(
        zip(
            COPY_COLUMNS,
            ("mmsi", "timestamp", "latitude", "longitude", "sog", "cog", "heading"),
            strict=True,
        )
    )
    return [meta.get_field("extract").column] + [
        meta.get_field(names[c]).column for c in COPY_COLUMNS
    ]


def _store_positions(
    extract_id: int, positions: Positions, *, progress: Callable[[int], None]
) -> str:
    """Bulk-load positions; returns the tool used, for the custody log."""
    if connection.vendor == "postgresql":
        copy_positions(extract_id, positions, progress=progress)
        return "PostgreSQL COPY (binary, psycopg " + _psycopg_version() + ")"
    _insert_positions(extract_id, positions, progress=progress)
    return f"{connection.display_name} batched INSERT"


def _psycopg_version() -> str:
    import psycopg

    return psycopg.__version__


def copy_positions(
    extract_id: int,
    positions: Positions,
    *,
    progress: Callable[[int], None] = lambda _n: None,
) -> None:
    """``COPY ... FROM STDIN (FORMAT binary)`` on the current connection/transaction.

    Binary COPY spares PostgreSQL parsing a million floats and timestamps from
    text (about half the cost of a text COPY). The rows are built column-wise with
    numpy in chunks, so memory stays bounded, the server works on one chunk while
    the next is built, and the page sees progress between chunks.
    """
    qn = connection.ops.quote_name
    table = qn(AISPosition._meta.db_table)
    columns = ", ".join(qn(c) for c in _position_columns())
    sql = f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT binary)"
    connection.ensure_connection()
    n = len(positions)
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(PGCOPY_HEADER)
        for start in range(0, n, COPY_CHUNK_ROWS):
            chunk = positions.take(slice(start, start + COPY_CHUNK_ROWS))
            for block in pgcopy_rows(chunk, extract_id):
                copy.write(block)
            progress(min(start + COPY_CHUNK_ROWS, n))
        copy.write(PGCOPY_TRAILER)


# PostgreSQL binary COPY: signature, flags, header extension length; -1 ends it.
PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" * 2
PGCOPY_TRAILER = b"\xff\xff"
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z in Unix microseconds
_NULLABLE = ("sog", "cog", "heading")
_DIGIT_POWERS = 10 ** np.arange(8, -1, -1, dtype=np.int64)


def pgcopy_rows(positions: Positions, extract_id: int) -> Iterator[bytes]:
    """Binary COPY tuples (no header/trailer) for ``_position_columns()``.

    Rows are variable-length only through NULLs, so they are grouped by which of
    sog/cog/heading are missing (at most eight groups, each keeping its order)
    and each group is one fixed-layout numpy record array. Row order in a table
    carries no meaning; readers ORDER BY.
    """
    n = len(positions)
    if not n:
        return
    missing = {name: np.isnan(getattr(positions, name)) for name in _NULLABLE}
    pattern = (
        missing["sog"].astype(np.int8)
        | (missing["cog"].astype(np.int8) << 1)
        | (missing["heading"].astype(np.int8) << 2)
    )
    # MMSI as nine ASCII digits, zero-padded, without per-row Python.
    digits = (positions.mmsi[:, None] // _DIGIT_POWERS % 10 + 48).astype(np.uint8)
    mmsi = digits.view("S9").ravel()
    codes = np.unique(pattern).tolist()
    for code in codes:
        # One group (the usual case): take the columns as they are, no gather.
        rows = None if len(codes) == 1 else np.flatnonzero(pattern == code)
        nulls = {name: bool(code >> bit & 1) for bit, name in enumerate(_NULLABLE)}
        fields = [
            ("count", ">i2"),
            ("len_extract", ">i4"),
            ("extract", ">i8"),
            ("len_mmsi", ">i4"),
            ("mmsi", "S9"),
            ("len_timestamp", ">i4"),
            ("timestamp", ">i8"),
            ("len_lat", ">i4"),
            ("lat", ">f8"),
            ("len_lon", ">i4"),
            ("lon", ">f8"),
        ]
        for name in _NULLABLE:
            fields.append((f"len_{name}", ">i4"))
            if not nulls[name]:
                fields.append((name, ">f8"))
        size = n if rows is None else len(rows)

        def pick(values: np.ndarray, rows: np.ndarray | None = rows) -> np.ndarray:
            return values if rows is None else values[rows]

        out = np.empty(size, dtype=np.dtype(fields))
        out["count"] = 8
        out["len_extract"], out["extract"] = 8, extract_id
        out["len_mmsi"], out["mmsi"] = 9, pick(mmsi)
        out["len_timestamp"] = 8
        out["timestamp"] = pick(positions.timestamp_us) - _PG_EPOCH_US
        out["len_lat"], out["lat"] = 8, pick(positions.lat)
        out["len_lon"], out["lon"] = 8, pick(positions.lon)
        for name in _NULLABLE:
            if nulls[name]:
                out[f"len_{name}"] = -1
            else:
                out[f"len_{name}"], out[name] = 8, pick(getattr(positions, name))
        yield out.tobytes()


def _insert_positions(
    extract_id: int, positions: Positions, *, progress: Callable[[int], None]
) -> None:
    """Batched INSERT (SQLite and other databases): executemany per batch."""
    qn = connection.ops.quote_name
    table = qn(AISPosition._meta.db_table)
    columns = _position_columns()
    marks = ", ".join(["%s"] * len(columns))
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608 - names from the model
        f"VALUES ({marks})"
    )
    n = len(positions)
    with connection.cursor() as cursor:
        for start in range(0, n, SQLITE_BATCH_ROWS):
            chunk = positions.take(slice(start, start + SQLITE_BATCH_ROWS))
            cursor.executemany(sql, list(_db_rows(extract_id, chunk)))
            progress(min(start + SQLITE_BATCH_ROWS, n))


def _db_rows(extract_id: int, p: Positions) -> Iterator[tuple[Any, ...]]:
    # Timestamps as the text Django's SQLite backend stores (naive UTC).
    times = format_timestamps(p.timestamp_us, sep=" ", zone="").to_pylist()

    def nan_none(values: np.ndarray) -> list[float | None]:
        return [None if v != v else v for v in values.tolist()]  # NaN != NaN

    yield from zip(
        [extract_id] * len(p),
        [f"{m:09d}" for m in p.mmsi.tolist()],
        times,
        p.lat.tolist(),
        p.lon.tolist(),
        nan_none(p.sog),
        nan_none(p.cog),
        nan_none(p.heading),
        strict=True,
    )


def load_positions(extract_id: int) -> Positions:
    """The stored positions of an extract, sorted as ``validate`` sorts them."""
    rows = (
        AISPosition.objects.filter(extract_id=extract_id)
        .order_by("mmsi", "timestamp", "latitude", "longitude")
        .values_list(
            "mmsi", "timestamp", "latitude", "longitude", "sog", "cog", "heading"
        )
    )
    columns: list[list[Any]] = [[], [], [], [], [], [], []]
    for row in rows.iterator(chunk_size=20_000):
        for column, value in zip(columns, row, strict=True):
            column.append(value)
    if not columns[0]:
        return Positions.empty()

    def floats(values: list[Any]) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    return Positions(
        mmsi=np.array([int(m) for m in columns[0]], dtype=np.int64),
        timestamp_us=np.array(
            [datetime_to_timestamp(t) for t in columns[1]], dtype=np.int64
        ),
        lat=floats(columns[2]),
        lon=floats(columns[3]),
        sog=floats(columns[4]),
        cog=floats(columns[5]),
        heading=floats(columns[6]),
    )


# --- vessels --------------------------------------------------------------------------


def _entity_model() -> Any:
    return AISExtract._meta.get_field("vessels").related_model


def _link_vessels(
    *, item: EvidenceItem, extract: AISExtract, result: ExtractResult
) -> tuple[dict[int, Any], set[int]]:
    """mmsi -> vessel entity for every MMSI with kept positions (or static data).

    Matched in the item's team by IMO first (it stays with the hull), then by
    MMSI (it changes with the flag); created when missing, marked auto-created
    (and synthetic when the extract is). Returns the map and the created ids.
    """
    mmsis = sorted(set(np.unique(result.positions.mmsi).tolist()) | set(result.vessels))
    infos = {m: result.vessels.get(m) or VesselInfo(mmsi=m) for m in mmsis}
    entity_model = _entity_model()
    imos = [f"{i.imo:07d}" for i in infos.values() if i.imo]
    # IMO numbers are unique in a team whatever the entity's kind.
    candidates = list(
        entity_model.objects.filter(team=item.team)
        .filter(Q(imo__in=imos) | Q(kind=VESSEL, mmsi__in=[f"{m:09d}" for m in mmsis]))
        .order_by("pk")
    )
    by_imo = {e.imo: e for e in candidates if e.imo}
    by_mmsi: dict[str, Any] = {}
    for e in candidates:
        if e.kind == VESSEL:
            by_mmsi.setdefault(e.mmsi, e)  # the oldest entity wins
    entity_create = import_string(ENTITY_CREATE)
    vessels: dict[int, Any] = {}
    created: set[int] = set()
    for mmsi in mmsis:
        info = infos[mmsi]
        imo = f"{info.imo:07d}" if info.imo else ""
        entity = (by_imo.get(imo) if imo else None) or by_mmsi.get(f"{mmsi:09d}")
        if entity is None:
            entity = entity_create(
                team=item.team,
                actor=None,
                kind=VESSEL,
                name=info.name or f"MMSI {mmsi:09d}",
                imo=imo,
                mmsi=f"{mmsi:09d}",
                call_sign=info.call_sign or "",
                description=f"Created from AIS extract “{item.title}” (evidence "
                f"#{item.pk}).",
                is_synthetic=item.is_synthetic,
                is_auto_created=True,
            )
            created.add(entity.pk)
            if imo:
                by_imo[imo] = entity
            by_mmsi[f"{mmsi:09d}"] = entity
        vessels[mmsi] = entity
    extract.vessels.set(list({e.pk for e in vessels.values()}))
    return vessels, created


# --- analysis -------------------------------------------------------------------------


def team_ports(team: Any) -> list[Port]:
    """The team's port entities with coordinates, as analysis ports (key = pk)."""
    return [
        Port(
            key=str(e.pk),
            name=e.name,
            lat=e.latitude,
            lon=e.longitude,
            radius_km=e.radius_km,
        )
        for e in _entity_model()
        .objects.filter(
            team=team, kind=PORT, latitude__isnull=False, longitude__isnull=False
        )
        .order_by("pk")
    ]


def _analyse_and_save(
    *,
    item: EvidenceItem,
    extract: AISExtract,
    positions: Positions,
    params: AnalysisParams,
    vessels: dict[int, Any],
) -> tuple[AnalysisResult, list[Port]]:
    """Run the pure analysis with the team's ports; write gaps, calls, the track."""
    ports = team_ports(item.team)
    analysis = ais_analyse.analyse(positions, ports=ports, params=params)
    AISGap.objects.bulk_create(
        [
            AISGap(
                extract=extract,
                vessel=vessels.get(g.mmsi),
                mmsi=f"{g.mmsi:09d}",
                start_at=g.start,
                end_at=g.end,
                start_latitude=g.start_lat,
                start_longitude=g.start_lon,
                end_latitude=g.end_lat,
                end_longitude=g.end_lon,
                distance_km=g.distance_km,
                implied_speed_knots=g.implied_speed_knots,
                near_port_id=int(g.port) if g.port else None,
            )
            for g in analysis.gaps
        ],
        batch_size=500,
    )
    PortCall.objects.bulk_create(
        [
            PortCall(
                extract=extract,
                vessel=vessels.get(c.mmsi),
                mmsi=f"{c.mmsi:09d}",
                port_id=int(c.port),
                arrival_at=c.arrival,
                departure_at=c.departure,
            )
            for c in analysis.port_calls
        ],
        batch_size=500,
    )
    labels = {m: _vessel_label(e, m) for m, e in vessels.items()}
    extract.analysis_params = params.to_dict()
    extract.track_svg = draw_track_svg(
        tracks_from_positions(positions, labels=labels),
        ports=_ports_for_map(ports, positions, analysis),
        gaps=analysis.gaps,
        gap_labels=labels,
        title=f"AIS tracks in “{item.title}”",
    )
    extract.analysed_at = timezone.now()
    return analysis, ports


def _vessel_label(entity: Any, mmsi: int) -> str:
    return entity.name if entity is not None else f"{mmsi:09d}"


def _ports_for_map(
    ports: list[Port], positions: Positions, analysis: AnalysisResult
) -> list[Port]:
    used = {c.port for c in analysis.port_calls} | {
        g.port for g in analysis.gaps if g.port
    }
    if not len(positions):
        return [p for p in ports if p.key in used]
    lat0, lat1 = positions.lat.min(), positions.lat.max()
    lon0, lon1 = positions.lon.min(), positions.lon.max()
    m = MAP_PORT_MARGIN_DEG
    return [
        p
        for p in ports
        if p.key in used
        or (lat0 - m <= p.lat <= lat1 + m and lon0 - m <= p.lon <= lon1 + m)
    ]


def _analysis_summary(
    vessels: dict[int, Any],
    created: set[int],
    analysis: AnalysisResult,
    ports: list[Port],
) -> dict[str, Any]:
    """What the extract page and the JSON output show beyond the stored rows."""
    names = {p.key: p.name for p in ports}

    def port_name(key: str | None) -> str | None:
        return names.get(key, key) if key else None

    by_mmsi = {f"{m:09d}": e for m, e in vessels.items()}
    return {
        "entities": {
            mmsi: {"id": e.pk, "name": e.name, "created": e.pk in created}
            for mmsi, e in sorted(by_mmsi.items())
        },
        "params": analysis.params.to_dict(),
        "ports": [p.to_dict() for p in ports],
        "port_calls": [
            {**c.to_dict(), "port_name": port_name(c.port)} for c in analysis.port_calls
        ],
        "voyages": [
            {
                **v.to_dict(),
                "from_port_name": port_name(v.from_port),
                "to_port_name": port_name(v.to_port),
            }
            for v in analysis.voyages
        ],
        "runs": {
            "directional": [
                {
                    **r.to_dict(),
                    "port_a_name": port_name(r.port_a),
                    "port_b_name": port_name(r.port_b),
                }
                for r in analysis.runs.directional
            ],
            "between": [
                {
                    **r.to_dict(),
                    "port_a_name": port_name(r.port_a),
                    "port_b_name": port_name(r.port_b),
                }
                for r in analysis.runs.between
            ],
        },
        "dark_periods": len(analysis.gaps),
    }


def _record_steps(
    item: EvidenceItem, tools: dict[str, str], facts: dict[str, dict[str, Any]]
) -> None:
    """One custody event per step; a re-run updates the step's event in place."""
    now = timezone.now()
    for step, tool, description in PROCESSING_STEPS:
        if step not in facts:
            continue
        detail = {"step": step, "description": description, **facts[step]}
        version = tools.get(step, "")
        updated = CustodyEvent.objects.filter(
            item=item, action=CustodyEvent.Action.PROCESSED, detail__step=step
        ).update(tool=tool, tool_version=version, detail=detail, at=now)
        if not updated:
            CustodyEvent.objects.create(
                item=item,
                action=CustodyEvent.Action.PROCESSED,
                tool=tool,
                tool_version=version,
                detail=detail,
                at=now,
            )


# --- re-analysis ----------------------------------------------------------------------


@transaction.atomic
def ais_reanalyse_request(
    *, item_id: int, actor: Any, params: AnalysisParams
) -> EvidenceItem:
    """Queue a re-analysis (the web path): checks, marks the item pending, and
    enqueues ``reanalyse_ais`` on commit. Locks the item row."""
    item = (
        EvidenceItem.objects.select_for_update().select_related("team").get(pk=item_id)
    )
    ensure_member(user=actor, team=item.team)
    _ensure_analysable(item)
    item.processing_state = ProcessingState.PENDING
    item.processing_error = ""
    item.updated_at = timezone.now()
    item.save(update_fields=["processing_state", "processing_error", "updated_at"])
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
        item = _processing_failed(item, f"Re-analysis failed: {exc}")
    return item.processing_state


def _ensure_analysable(item: EvidenceItem) -> None:
    if item.kind != EvidenceKind.AIS:
        raise ValueError("Only AIS extracts can be re-analysed.")
    if item.ais.analysed_at is None:
        raise ValueError("The extract must be processed before it is re-analysed.")


def ais_reanalyse(*, item_id: int, actor: Any, params: AnalysisParams) -> EvidenceItem:
    """Re-run the analysis of a processed extract with other parameters.

    Reads the stored positions (the original is not parsed again) and, in one
    transaction that locks the AISExtract row, replaces dark periods, port calls,
    voyages, run counts, the track and the stored parameters, and marks the item
    done; audited with the actor. Ports are the team's current port entities.
    """
    item = EvidenceItem.objects.select_related("team", "ais").get(pk=item_id)
    ensure_member(user=actor, team=item.team)
    _ensure_analysable(item)
    _mark(item_id, ProcessingState.RUNNING)
    positions = load_positions(item.ais.pk)
    with transaction.atomic():
        extract = AISExtract.objects.select_for_update().get(item_id=item_id)
        item = EvidenceItem.objects.select_related("team").get(pk=item_id)
        old = extract.analysis_params
        _delete_derived(extract)
        vessels = {
            int(mmsi): entity for mmsi, entity in _vessels_by_mmsi(extract).items()
        }
        analysis, ports = _analyse_and_save(
            item=item,
            extract=extract,
            positions=positions,
            params=params,
            vessels=vessels,
        )
        created = {
            int(v["id"])
            for v in (extract.summary.get("entities") or {}).values()
            if v.get("created")
        }
        extract.summary = {
            **extract.summary,
            **_analysis_summary(vessels, created, analysis, ports),
        }
        extract.save()
        _record_steps(
            item,
            {"analyse": f"numpy {np.__version__}"},
            {"analyse": {"params": params.to_dict()}},
        )
        item.processing_state = ProcessingState.DONE
        item.processing_error = ""
        item.updated_at = timezone.now()
        item.save(update_fields=["processing_state", "processing_error", "updated_at"])
        _audit(
            team=item.team,
            actor=actor,
            action="evidence.ais_reanalyse",
            obj=item,
            payload={
                "from": old,
                "to": params.to_dict(),
                "dark_periods": len(analysis.gaps),
                "port_calls": len(analysis.port_calls),
            },
        )
    return item


def _vessels_by_mmsi(extract: AISExtract) -> dict[str, Any]:
    """The linked vessel for each MMSI, as the processing step recorded it."""
    recorded = extract.summary.get("entities") or {}
    ids = {mmsi: v["id"] for mmsi, v in recorded.items()}
    entities = _entity_model().objects.in_bulk(list(ids.values()))
    return {mmsi: entities[pk] for mmsi, pk in ids.items() if pk in entities}
