"""What every kind of evidence shares when it is written: the refusals, a new item,
its arrival in the custody log and the audit chain, the stored original, and the
changes any item takes (descriptive fields, restriction, a download of the
original). Each service checks that the actor is a member of the item's team,
validates, saves named fields, and writes a custody event and an audit event in
the same transaction; processing is enqueued only through on_commit.

The kinds add themselves in ``evidence.images.services``,
``evidence.documents.services`` and ``evidence.ais.services``; processing states
move only through ``evidence.processing``.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import File
from django.core.files.storage import Storage
from django.db import IntegrityError, connections, models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone

from evidence import processing
from evidence.models import CustodyEvent, EvidenceItem, EvidenceKind
from provenance.audit.chain import audit_record
from provenance.common.writes import audit_value
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

ITEM_FIELDS = (
    "title",
    "description",
    "source",
    "credit",
    "licence",
    "url",
    "archived_url",
    "archived_at",
    "observed_at",
    "obtained_at",
    "obtained_from",
    "source_reliability",
    "information_credibility",
    "is_synthetic",
)
# Stored originals get the extension of their real type, whatever the upload's name.
IMAGE_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/tiff": ".tif",
    "image/heif": ".heic",
    "image/avif": ".avif",
    "image/jp2": ".jp2",
}


class DuplicateEvidence(Exception):
    """The same bytes are already stored in the team: offer the existing item."""

    def __init__(self, existing: EvidenceItem) -> None:
        super().__init__(f"Already stored as evidence #{existing.pk}: {existing}")
        self.existing = existing


class FileRefused(ValueError):
    """A non-image upload we refuse (e.g. SVG or HTML as a document)."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# --- pieces the kinds' services share -------------------------------------------------


def audit(
    *,
    item: EvidenceItem,
    actor: User | None,
    action: str,
    payload: dict[str, Any],
) -> None:
    audit_record(team=item.team, actor=actor, action=action, obj=item, payload=payload)


def check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown evidence fields: {sorted(unknown)}")


def new_item(
    *,
    team: Team,
    actor: User,
    kind: str,
    is_restricted: bool = False,
    filename: str = "",
    **fields: Any,
) -> EvidenceItem:
    """An unsaved item of the team; ``filename`` is kept as data (name only).
    ``fields`` are the user's (``check_fields``) and the kind's own attributes."""
    now = timezone.now()
    return EvidenceItem(
        team=team,
        kind=kind,
        added_by=actor,
        created_at=now,
        updated_at=now,
        is_restricted=is_restricted,
        original_filename=PurePath(filename).name[:300] if filename else "",
        **fields,
    )


def record_arrival(
    *, item: EvidenceItem, actor: User, detail: dict[str, Any], extra: dict[str, Any]
) -> None:
    """Custody: who the item was obtained from (when known) and who uploaded it;
    then the audit event of the addition (``extra`` beside the common facts)."""
    if item.obtained_from or item.obtained_at:
        CustodyEvent.objects.create(
            item=item,
            action=CustodyEvent.Action.OBTAINED,
            actor=actor,
            party=item.obtained_from,
            at=item.obtained_at or item.created_at,
        )
    CustodyEvent.objects.create(
        item=item,
        action=CustodyEvent.Action.UPLOADED,
        actor=actor,
        detail=detail,
        at=item.created_at,
    )
    audit(
        item=item,
        actor=actor,
        action="evidence.add",
        payload={
            "kind": item.kind,
            "title": item.title,
            "sha256": item.sha256,
            "is_restricted": item.is_restricted,
            **extra,
        },
    )


def file_detail(item: EvidenceItem, **extra: Any) -> dict[str, Any]:
    """The uploaded-event detail of a stored file."""
    return {
        "original_filename": item.original_filename,
        "sha256": item.sha256,
        "size_bytes": item.size_bytes,
        "mime_type": item.mime_type,
        **extra,
    }


def refuse_duplicate(team: Team, sha256: str) -> None:
    existing = EvidenceItem.objects.filter(team=team, sha256=sha256).first()
    if existing is not None:
        raise DuplicateEvidence(existing)


def hash_upload(
    upload: IO[bytes],
    *,
    limit: int | None = None,
    too_large: str = "",
    feed: Callable[[bytes], None] | None = None,
) -> tuple[str, int]:
    """SHA-256 and size of the whole upload, read in chunks from its start.

    Past ``limit`` bytes it is refused (FileRefused, ``too_large`` after the
    limit's figure); ``feed`` sees every chunk (e.g. a content scan).
    """
    digest, size = hashlib.sha256(), 0
    if upload.seekable():
        upload.seek(0)
    for chunk in File(upload).chunks():
        digest.update(chunk)
        if feed is not None:
            feed(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            raise FileRefused(
                f"The file is larger than the {limit:,}-byte limit{too_large}.",
                code="too_large",
            )
    if upload.seekable():
        upload.seek(0)
    return digest.hexdigest(), size


def save_original(
    item: EvidenceItem,
    upload: IO[bytes],
    *,
    extension: str,
    hashed: tuple[str, int] | None = None,
) -> tuple[str, int, str]:
    """Store the upload byte-for-byte under a generated name: (name, size, hash).

    ``hashed`` is the (SHA-256, size) the caller already read the whole upload
    for; it is not hashed again (processing checks the stored bytes against it
    when it reads them back, ``local_path(sha256=...)``)."""
    sha256, size = hashed if hashed is not None else hash_upload(upload)
    if upload.seekable():
        upload.seek(0)
    item.file.save(f"original{extension}", File(upload), save=False)
    return item.file.name, size, sha256


@contextmanager
def deleted_on_error(storage: Storage, names: list[str]) -> Iterator[None]:
    """Delete files already written to storage if the transaction does not commit
    (``names`` may grow inside the block)."""
    try:
        yield
    except BaseException:
        delete_files(storage, names)
        raise


def delete_files(storage: Storage, names: list[str]) -> None:
    for name in names:
        if name:
            storage.delete(name)


def original_storage() -> Storage:
    return EvidenceItem._meta.get_field("file").storage


def insert_item(item: EvidenceItem) -> None:
    """Validate and insert; a concurrent upload of the same bytes surfaces as
    DuplicateEvidence."""
    item.full_clean()
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        existing = EvidenceItem.objects.filter(
            team=item.team, sha256=item.sha256
        ).first()
        if existing is None:
            raise
        raise DuplicateEvidence(existing) from None


def store_new_item(
    item: EvidenceItem,
    upload: IO[bytes],
    *,
    actor: User,
    extension: str,
    sha256: str | None,
    changed: Callable[[str], Exception],
    detail: dict[str, Any],
    extra: dict[str, Any],
    attach: Callable[[EvidenceItem], None] | None = None,
    size: int | None = None,
) -> None:
    """Store the original, then in one transaction insert the item, ``attach`` its
    kind's rows, and write custody and the audit event; the stored file is deleted
    if the transaction does not commit.

    ``sha256`` is the hash the upload had when it was checked: if the stored bytes
    differ, ``changed(message)`` is raised and nothing is kept. With ``size`` too,
    the upload is not hashed a second time: the stored bytes are checked against
    ``sha256`` when processing reads them back (a mismatch fails the item).
    """
    hashed = (sha256, size) if sha256 is not None and size is not None else None
    name, size, stored = save_original(item, upload, extension=extension, hashed=hashed)
    with deleted_on_error(original_storage(), [name]), transaction.atomic():
        if sha256 is not None and stored != sha256:
            raise changed(
                "The file changed while it was being stored; upload it again."
            )
        item.sha256, item.size_bytes = stored, size
        insert_item(item)
        if attach is not None:
            attach(item)
        record_arrival(
            item=item,
            actor=actor,
            detail=file_detail(item, **detail),
            extra={**extra, "size_bytes": size},
        )


def c2pa_trust_anchors() -> str | None:
    """The PEM bundle of C2PA trust anchors (settings.C2PA_TRUST_ANCHORS), if any."""
    path = settings.C2PA_TRUST_ANCHORS
    return Path(path).read_text(encoding="ascii") if path else None


def file_sha256(path: Path) -> str:
    """SHA-256 of a stored file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Send a task once the transaction commits.

    Robust: a broker outage must not turn a committed change into an error page;
    the item stays pending and can be re-queued from its page. (A named function,
    not a partial: Django logs a failing robust callback by its __qualname__.)
    """

    def enqueue() -> None:
        if settings.EVIDENCE_TASKS_IN_THREAD and not _RUN_HERE.get():
            run_in_background(task, *args)
        else:
            task.delay(*args)

    transaction.on_commit(enqueue, robust=True)


# Set by tasks_run_here(): commands and the demo loader wait for their processing.
_RUN_HERE: ContextVar[bool] = ContextVar("evidence_tasks_run_here", default=False)


@contextmanager
def tasks_run_here() -> Iterator[None]:
    """Within this block, processing queued without a broker runs before the
    commit returns (a command must report the outcome, not "pending")."""
    token = _RUN_HERE.set(True)
    try:
        yield
    finally:
        _RUN_HERE.reset(token)


# Two threads: one long AIS import does not hold up the photos behind it, and the
# embedded SQLite sees at most two background writers.
_BACKGROUND = ThreadPoolExecutor(max_workers=2, thread_name_prefix="evidence-task")


def run_in_background(task: Any, *args: Any) -> Future[None]:
    """Run a task in this process, off the request (no broker configured): the
    page answers at once and polls the item's state, as with a worker."""

    def run() -> None:
        try:
            task.apply(args=args)
        except Exception:  # the task records its own failure; this is the rest
            logger.exception("Background task %s failed", task.name)
        finally:
            connections.close_all()  # this thread's connections, not the request's

    return _BACKGROUND.submit(run)


class StoredFileMismatch(Exception):
    """A stored file read back does not hash to the SHA-256 recorded for it: it was
    altered or damaged in storage. Its message is the reason recorded on the item."""

    def __init__(self, name: str, *, recorded: str, found: str) -> None:
        super().__init__(
            f"The stored file {name} no longer matches the SHA-256 recorded at "
            f"upload (recorded {recorded}, read back {found}): it was altered or "
            "damaged in storage. Nothing was read from it."
        )
        self.name, self.recorded, self.found = name, recorded, found


@contextmanager
def local_path(field: FieldFile, *, sha256: str | None = None) -> Iterator[Path]:
    """A filesystem path to a stored file; object storage is copied to a temp file
    (deleted on exit), nothing else assumes a local path.

    With ``sha256`` (the hash recorded at upload) the bytes are hashed as they are
    read back (while copying, for object storage) and StoredFileMismatch is raised
    before the caller sees a path, so no analysis runs on altered bytes.
    """
    try:
        path = Path(field.path)
    except NotImplementedError:
        path = None
    if path is not None:
        if sha256 is not None:
            check_read_back(field.name, recorded=sha256, found=file_sha256(path))
        yield path
        return
    suffix = PurePath(field.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        digest = hashlib.sha256()
        with field.open("rb") as src:
            for chunk in src.chunks():
                digest.update(chunk)
                tmp.write(chunk)
        tmp.flush()
        if sha256 is not None:
            check_read_back(field.name, recorded=sha256, found=digest.hexdigest())
        yield Path(tmp.name)


def check_read_back(name: str, *, recorded: str, found: str) -> None:
    if found != recorded:
        raise StoredFileMismatch(name, recorded=recorded, found=found)


def presigned_url(
    field: FieldFile, *, content_type: str, disposition: str
) -> str | None:
    """A GET URL of the stored object, signed to expire after
    settings.S3_PRESIGNED_EXPIRY_SECONDS, that makes the bucket answer with this
    type and disposition; None when the storage is not S3 (nothing to sign).
    Only for a caller that has already authorized the reader."""
    from storages.backends.s3 import S3Storage  # only deployments on S3 need it

    if not isinstance(field.storage, S3Storage):
        return None
    return field.storage.url(
        field.name,
        parameters={
            "ResponseContentType": content_type,
            "ResponseContentDisposition": disposition,
        },
        expire=settings.S3_PRESIGNED_EXPIRY_SECONDS,
    )


def locked_item(item_id: int) -> EvidenceItem:
    return (
        EvidenceItem.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=item_id)
    )


def changed_fields(obj: models.Model, fields: dict[str, Any]) -> list[str]:
    """Set the fields whose value differs; their names, in the order given."""
    changed = [name for name, value in fields.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, fields[name])
    return changed


# --- changing any item ----------------------------------------------------------------


@transaction.atomic
def evidence_update(*, item_id: int, actor: User, **fields: Any) -> EvidenceItem:
    """Edit descriptive fields (never the file or its hash). Locks the row."""
    check_fields(fields)
    item = locked_item(item_id)
    ensure_member(user=actor, team=item.team)
    changed = changed_fields(item, fields)
    if not changed:
        return item
    item.updated_at = timezone.now()
    item.full_clean()
    item.save(update_fields=[*changed, "updated_at"])
    payload = {name: audit_value(fields[name]) for name in changed}
    CustodyEvent.objects.create(
        item=item, action=CustodyEvent.Action.EDITED, actor=actor, detail=payload
    )
    audit(item=item, actor=actor, action="evidence.update", payload=payload)
    return item


@transaction.atomic
def evidence_set_restricted(
    *, item_id: int, actor: User, is_restricted: bool, reason: str = ""
) -> EvidenceItem:
    """Mark an item restricted (source protection: never exported) or lift that.

    Any member may protect a source; only an editor may lift the protection."""
    item = locked_item(item_id)
    membership = ensure_member(user=actor, team=item.team)
    if not is_restricted and not membership.is_editor:
        raise PermissionDenied("Only an editor may lift a restriction.")
    if item.is_restricted == is_restricted:
        return item
    item.is_restricted = is_restricted
    item.updated_at = timezone.now()
    item.save(update_fields=["is_restricted", "updated_at"])
    payload = {"is_restricted": is_restricted, "reason": reason}
    CustodyEvent.objects.create(
        item=item, action=CustodyEvent.Action.RESTRICTED, actor=actor, detail=payload
    )
    audit(
        item=item,
        actor=actor,
        action="evidence.restrict" if is_restricted else "evidence.unrestrict",
        payload=payload,
    )
    return item


@transaction.atomic
def evidence_original_download(*, item_id: int, actor: User) -> EvidenceItem:
    """Record that the actor takes a copy of the original (custody + audit)."""
    item = EvidenceItem.objects.select_related("team").get(pk=item_id)
    ensure_member(user=actor, team=item.team)
    payload = {"sha256": item.sha256}
    CustodyEvent.objects.create(
        item=item, action=CustodyEvent.Action.DOWNLOADED, actor=actor, detail=payload
    )
    audit(item=item, actor=actor, action="evidence.download_original", payload=payload)
    return item


@transaction.atomic
def evidence_integrity_failed(*, item_id: int, where: str, found: str) -> None:
    """Record on the item (audit event ``evidence.integrity_failed``, no actor: the
    system found it) that its stored original read back with another SHA-256
    during ``where`` (e.g. "backup"). Processing records its own failures."""
    item = EvidenceItem.objects.select_related("team").get(pk=item_id)
    audit(
        item=item,
        actor=None,
        action="evidence.integrity_failed",
        payload={
            "where": where,
            "name": item.file.name,
            "recorded_sha256": item.sha256,
            "read_back_sha256": found,
        },
    )


def mark_for_reprocessing(*, item_id: int, actor: User, kind: str) -> EvidenceItem:
    """Lock an item of `kind`, queue it again (pending) and audit it; the caller, in
    the same transaction, enqueues the task (after a failure or a lost task)."""
    item = locked_item(item_id)
    ensure_member(user=actor, team=item.team)
    if item.kind != kind:
        raise ValueError(
            f"Only {EvidenceKind(kind).label.lower()} items are processed here."
        )
    return processing.move(
        item, processing.PENDING, audit="evidence.reprocess", actor=actor
    )


@transaction.atomic
def processing_failed(item: EvidenceItem, reason: str) -> EvidenceItem:
    """Record a failed run (the reason on the item) and audit it."""
    item = locked_item(item.pk)
    return processing.move(
        item,
        processing.FAILED,
        error=reason,
        audit="evidence.process_failed",
        payload={"error": reason},
    )
