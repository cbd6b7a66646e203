"""Every change to evidence. Each service checks that the actor is a member of the
item's team, validates, saves named fields, and writes a custody event and an audit
event in the same transaction; processing is enqueued only through on_commit.

The audit trail lives in the provenance app, which this app must not import. It is
resolved at call time by dotted path (see ``_audit``): a run-time plug-in, so no
import cycle exists between the two apps.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import platform
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from evidence.images import process as images
from evidence.models import (
    CustodyEvent,
    EvidenceItem,
    EvidenceKind,
    ImageDetail,
    NearDuplicate,
    ProcessingState,
    Statement,
)

logger = logging.getLogger(__name__)

AUDIT_RECORD = "provenance.audit.chain.audit_record"

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
}
# Steps of image processing recorded in the custody log, with the tool that did them.
PROCESSING_STEPS = (
    ("verify", "Pillow", "checked type from the bytes, pixel cap, full decode"),
    ("hash", "hashlib", "SHA-256 of the original re-computed"),
    ("metadata", "Pillow", "EXIF, GPS and capture time read"),
    ("derivatives", "Pillow", "thumbnail and display image re-encoded from pixels"),
    ("phash", "imagehash", "64-bit perceptual hash of the thumbnail"),
    ("content_credentials", "c2pa-python", "C2PA manifest read offline"),
    ("near_duplicates", "imagehash", "team's images compared by Hamming distance"),
)


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


# --- helpers --------------------------------------------------------------------------


def _audit(
    *, team: Any, actor: Any, action: str, obj: models.Model, payload: dict[str, Any]
) -> None:
    # Resolved by name at call time: evidence must not import provenance.
    audit_record = import_string(AUDIT_RECORD)
    audit_record(team=team, actor=actor, action=action, obj=obj, payload=payload)


def ensure_member(*, user: Any, team: Any) -> None:
    """The one permission rule for evidence: the actor belongs to the item's team."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise PermissionDenied("You must be signed in.")
    if not user.memberships.filter(team=team).exists():
        raise PermissionDenied("You are not a member of this team.")


EDITOR_ROLES = ("editor", "admin")


def ensure_editor(*, user: Any, team: Any) -> None:
    """Editors only: lifting source protection is an editorial decision."""
    ensure_member(user=user, team=team)
    if not user.memberships.filter(team=team, role__in=EDITOR_ROLES).exists():
        raise PermissionDenied("Only an editor may lift a restriction.")


def is_member(*, user: Any, team_id: int) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.memberships.filter(team_id=team_id).exists()


def _json_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _check_fields(fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown evidence fields: {sorted(unknown)}")


def _new_item(*, team: Any, actor: Any, kind: str, **fields: Any) -> EvidenceItem:
    _check_fields(fields)
    now = timezone.now()
    return EvidenceItem(
        team=team, kind=kind, added_by=actor, created_at=now, updated_at=now, **fields
    )


def _record_arrival(*, item: EvidenceItem, actor: Any, detail: dict[str, Any]) -> None:
    """Custody: who the item was obtained from (when known), and who uploaded it."""
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


def _audit_add(*, item: EvidenceItem, actor: Any, extra: dict[str, Any]) -> None:
    _audit(
        team=item.team,
        actor=actor,
        action="evidence.add",
        obj=item,
        payload={
            "kind": item.kind,
            "title": item.title,
            "sha256": item.sha256,
            "is_restricted": item.is_restricted,
            **extra,
        },
    )


def _existing_with_hash(team: Any, sha256: str) -> EvidenceItem | None:
    return EvidenceItem.objects.filter(team=team, sha256=sha256).first()


@contextmanager
def _cleanup_on_error(*names: str) -> Iterator[None]:
    """Delete files already written to storage if the transaction does not commit."""
    try:
        yield
    except BaseException:
        storage = EvidenceItem._meta.get_field("file").storage
        for name in names:
            if name:
                storage.delete(name)
        raise


def _save_original(
    item: EvidenceItem, upload: IO[bytes], *, extension: str
) -> tuple[str, int, str]:
    """Store the upload byte-for-byte under a generated name: (name, size, hash)."""
    digest = hashlib.sha256()
    size = 0
    if upload.seekable():
        upload.seek(0)
    wrapped = File(upload, name=f"original{extension}")
    for chunk in wrapped.chunks():
        digest.update(chunk)
        size += len(chunk)
    if upload.seekable():
        upload.seek(0)
    item.file.save(f"original{extension}", File(upload), save=False)
    return item.file.name, size, digest.hexdigest()


def _insert_item(item: EvidenceItem) -> None:
    """Insert; a concurrent upload of the same bytes surfaces as DuplicateEvidence."""
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        existing = _existing_with_hash(item.team, item.sha256)
        if existing is None:
            raise
        raise DuplicateEvidence(existing) from None


# --- adding evidence ------------------------------------------------------------------


def evidence_add_image(
    *,
    team: Any,
    actor: Any,
    upload: IO[bytes],
    filename: str,
    is_restricted: bool = False,
    **fields: Any,
) -> EvidenceItem:
    """Validate an image upload and store it as pending image evidence.

    Refusals (ImageRejected) and duplicates (DuplicateEvidence) happen before
    anything is written. The original is stored byte-for-byte under a generated
    name with its real type's extension. One transaction writes the item, an empty
    ImageDetail, custody (obtained, uploaded) and the audit event; processing is
    enqueued on commit.
    """
    ensure_member(user=actor, team=team)
    _check_fields(fields)
    facts = images.inspect_image(
        upload,
        filename=filename,
        max_pixels=settings.IMAGE_MAX_PIXELS,
        max_bytes=settings.UPLOAD_MAX_BYTES["image"],
    )
    existing = _existing_with_hash(team, facts.sha256)
    if existing is not None:
        raise DuplicateEvidence(existing)
    fields.setdefault("title", PurePath(filename).stem[:300] or "Image")
    item = _new_item(team=team, actor=actor, kind=EvidenceKind.IMAGE, **fields)
    item.is_restricted = is_restricted
    item.original_filename = PurePath(filename).name[:300]
    item.mime_type = facts.mime
    item.has_extension_mismatch = facts.extension_mismatch
    item.processing_state = ProcessingState.PENDING
    name, size, sha256 = _save_original(
        item, upload, extension=IMAGE_EXTENSIONS[facts.mime]
    )
    with _cleanup_on_error(name), transaction.atomic():
        if sha256 != facts.sha256:
            raise images.ImageRejected(
                "The file changed while it was being stored; upload it again.",
                code="corrupt",
            )
        item.sha256, item.size_bytes = sha256, size
        item.full_clean()
        _insert_item(item)
        ImageDetail.objects.create(item=item, width=facts.width, height=facts.height)
        _record_arrival(
            item=item,
            actor=actor,
            detail={
                "original_filename": item.original_filename,
                "sha256": sha256,
                "size_bytes": size,
                "mime_type": facts.mime,
                "extension_mismatch": facts.extension_mismatch,
            },
        )
        _audit_add(
            item=item,
            actor=actor,
            extra={"mime_type": facts.mime, "size_bytes": size},
        )
        _enqueue_processing(item.pk)
    return item


def enqueue_on_commit(task: Any, *args: Any) -> None:
    """Send a task once the transaction commits.

    Robust: a broker outage must not turn a committed change into an error page;
    the item stays pending and can be re-queued from its page. (A named function,
    not a partial: Django logs a failing robust callback by its __qualname__.)
    """

    def enqueue() -> None:
        task.delay(*args)

    transaction.on_commit(enqueue, robust=True)


def _enqueue_processing(item_id: int) -> None:
    from evidence.tasks import process_image  # the task module imports this one

    enqueue_on_commit(process_image, item_id)


_DOCUMENT_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"PK\x03\x04", "application/zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
    (b"{\\rtf", "application/rtf"),
)
_ZIP_OFFICE_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def _active_content_refused() -> FileRefused:
    return FileRefused(
        "This file is an SVG drawing or an HTML page; such active content is "
        "refused as evidence. Save the page as PDF, or record it as a link.",
        code="unsupported_type",
    )


def sniff_document_mime(head: bytes, filename: str) -> str:
    """The type a document's bytes announce; the name only refines ZIP containers.

    SVG and HTML are refused: even served as attachments they are active content.
    ``head`` is the start of the file; ``ActiveContentScan`` covers the rest.
    """
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in text or text.startswith(b"<!doctype html") or b"<html" in text:
        raise _active_content_refused()
    for magic, mime in _DOCUMENT_SIGNATURES:
        if head.startswith(magic):
            if mime == "application/zip":
                return _ZIP_OFFICE_TYPES.get(PurePath(filename).suffix.lower(), mime)
            return mime
    image_mime = images.sniff_mime(head)
    if image_mime:
        return image_mime
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain"


# Markup a browser renders (WHATWG MIME sniffing looks for these tags).
_MARKUP_RE = re.compile(rb"<(?:svg|html|script|!doctype\s+html)\b", re.IGNORECASE)
_MARKUP_OVERLAP = 64  # longer than any match, so none is split between chunks
_LEADING_SPACE = b"\xef\xbb\xbf \t\r\n\x0c"


class ActiveContentScan:
    """Looks for SVG/HTML markup past any fixed head, as the upload streams by.

    Padding cannot hide markup: leading whitespace of any length is skipped
    before the start is judged, and a text file is searched whole (a binary
    format is not: random bytes would match, and it is served as what it is).
    """

    def __init__(self, *, whole: bool) -> None:
        self.whole = whole
        self._tail = b""
        self._lead = b""
        self._seen_content = False

    def feed(self, chunk: bytes) -> None:
        if not self._seen_content:
            stripped = chunk.lstrip(_LEADING_SPACE)
            if stripped:
                self._seen_content = True
                self._lead = stripped[:_MARKUP_OVERLAP]
        elif len(self._lead) < _MARKUP_OVERLAP:
            self._lead += chunk[: _MARKUP_OVERLAP - len(self._lead)]
        if self._seen_content and _MARKUP_RE.match(self._lead):
            raise _active_content_refused()
        if self.whole:
            window = self._tail + chunk
            if _MARKUP_RE.search(window):
                raise _active_content_refused()
            self._tail = window[-_MARKUP_OVERLAP:]


_DOCUMENT_EXTENSIONS = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "application/rtf": ".rtf",
    "application/zip": ".zip",
    "application/x-ole-storage": ".bin",
    "application/octet-stream": ".bin",
    **IMAGE_EXTENSIONS,
    **{mime: ext for ext, mime in _ZIP_OFFICE_TYPES.items()},
}


def evidence_add_document(
    *,
    team: Any,
    actor: Any,
    upload: IO[bytes],
    filename: str,
    is_restricted: bool = False,
    **fields: Any,
) -> EvidenceItem:
    """Store a document (PDF or another file) byte-for-byte; no processing needed.

    The type is detected from the bytes; SVG and HTML are refused, wherever the
    markup sits in a text file (``ActiveContentScan``). Same bytes in the team
    raise DuplicateEvidence before anything is written.
    """
    ensure_member(user=actor, team=team)
    _check_fields(fields)
    if upload.seekable():
        upload.seek(0)
    head = upload.read(2048)
    if not head:
        raise FileRefused("The file is empty.", code="empty")
    mime = sniff_document_mime(head, filename)
    scan = ActiveContentScan(whole=mime == "text/plain")
    limit = settings.UPLOAD_MAX_BYTES["document"]
    digest, size = hashlib.sha256(), 0
    upload.seek(0)
    for chunk in File(upload).chunks():
        digest.update(chunk)
        scan.feed(chunk)
        size += len(chunk)
        if size > limit:
            raise FileRefused(
                f"The file is larger than the {limit:,}-byte limit.", code="too_large"
            )
    existing = _existing_with_hash(team, digest.hexdigest())
    if existing is not None:
        raise DuplicateEvidence(existing)
    fields.setdefault("title", PurePath(filename).stem[:300] or "Document")
    item = _new_item(team=team, actor=actor, kind=EvidenceKind.DOCUMENT, **fields)
    item.is_restricted = is_restricted
    item.original_filename = PurePath(filename).name[:300]
    item.mime_type = mime
    suffix = PurePath(filename).suffix.lower()
    extension = _DOCUMENT_EXTENSIONS.get(mime, ".bin")
    item.has_extension_mismatch = bool(suffix) and suffix != extension
    name, size, sha256 = _save_original(item, upload, extension=extension)
    with _cleanup_on_error(name), transaction.atomic():
        item.sha256, item.size_bytes = sha256, size
        item.full_clean()
        _insert_item(item)
        _record_arrival(
            item=item,
            actor=actor,
            detail={
                "original_filename": item.original_filename,
                "sha256": sha256,
                "size_bytes": size,
                "mime_type": mime,
            },
        )
        _audit_add(
            item=item, actor=actor, extra={"mime_type": mime, "size_bytes": size}
        )
    return item


STATEMENT_FIELDS = ("venue", "original_text", "original_language")
SPEAKER_KINDS = frozenset({"person"})
ON_BEHALF_KINDS = frozenset({"organization", "government"})


@transaction.atomic
def evidence_add_statement(
    *,
    team: Any,
    actor: Any,
    quote: str,
    stated_at: datetime,
    speaker: Any = None,
    on_behalf_of: Any = None,
    is_restricted: bool = False,
    **fields: Any,
) -> EvidenceItem:
    """Record an official statement: an item of kind statement with its Statement.

    The speaker must be a person and ``on_behalf_of`` an organization or
    government, both of the team. ``observed_at`` defaults to ``stated_at``.
    """
    ensure_member(user=actor, team=team)
    statement_fields = {k: fields.pop(k) for k in STATEMENT_FIELDS if k in fields}
    errors: dict[str, str] = {}
    if speaker is None and on_behalf_of is None:
        errors["speaker"] = "Give the speaker, or whom the statement was made for."
    if speaker is not None and (
        speaker.team_id != team.pk or speaker.kind not in SPEAKER_KINDS
    ):
        errors["speaker"] = "The speaker must be a person entity of your team."
    if on_behalf_of is not None and (
        on_behalf_of.team_id != team.pk or on_behalf_of.kind not in ON_BEHALF_KINDS
    ):
        errors["on_behalf_of"] = (
            "Must be an organization or government entity of your team."
        )
    if errors:
        raise ValidationError(errors)
    who = speaker or on_behalf_of
    fields.setdefault("title", f"{who}: “{quote.strip()[:120]}”"[:300])
    fields.setdefault("observed_at", stated_at)
    item = _new_item(team=team, actor=actor, kind=EvidenceKind.STATEMENT, **fields)
    item.is_restricted = is_restricted
    item.full_clean()
    item.save()
    statement = Statement(
        item=item,
        speaker=speaker,
        on_behalf_of=on_behalf_of,
        stated_at=stated_at,
        quote=quote.strip(),
        **statement_fields,
    )
    statement.full_clean()
    statement.save()
    _record_arrival(item=item, actor=actor, detail={"url": item.url})
    _audit_add(
        item=item,
        actor=actor,
        extra={
            "speaker": getattr(speaker, "pk", None),
            "on_behalf_of": getattr(on_behalf_of, "pk", None),
            "stated_at": stated_at.isoformat(),
            "quote": statement.quote,
        },
    )
    return item


@transaction.atomic
def evidence_add_link(
    *,
    team: Any,
    actor: Any,
    url: str,
    is_restricted: bool = False,
    **fields: Any,
) -> EvidenceItem:
    """Record a web page as evidence: URL, title and optional archived copy."""
    ensure_member(user=actor, team=team)
    fields.setdefault("title", url[:300])
    item = _new_item(team=team, actor=actor, kind=EvidenceKind.LINK, url=url, **fields)
    item.is_restricted = is_restricted
    item.full_clean()
    item.save()
    _record_arrival(item=item, actor=actor, detail={"url": url})
    _audit_add(
        item=item,
        actor=actor,
        extra={"url": url, "archived_url": item.archived_url},
    )
    return item


# --- changing evidence ----------------------------------------------------------------


@transaction.atomic
def evidence_update(*, item_id: int, actor: Any, **fields: Any) -> EvidenceItem:
    """Edit descriptive fields (never the file or its hash). Locks the row."""
    _check_fields(fields)
    item = (
        EvidenceItem.objects.select_for_update().select_related("team").get(pk=item_id)
    )
    ensure_member(user=actor, team=item.team)
    changed = [name for name, value in fields.items() if getattr(item, name) != value]
    if not changed:
        return item
    for name in changed:
        setattr(item, name, fields[name])
    item.updated_at = timezone.now()
    item.full_clean()
    item.save(update_fields=[*changed, "updated_at"])
    payload = {name: _json_value(fields[name]) for name in changed}
    CustodyEvent.objects.create(
        item=item, action=CustodyEvent.Action.EDITED, actor=actor, detail=payload
    )
    _audit(
        team=item.team, actor=actor, action="evidence.update", obj=item, payload=payload
    )
    return item


@transaction.atomic
def evidence_set_restricted(
    *, item_id: int, actor: Any, is_restricted: bool, reason: str = ""
) -> EvidenceItem:
    """Mark an item restricted (source protection: never exported) or lift that.

    Any member may protect a source; only an editor may lift the protection."""
    item = (
        EvidenceItem.objects.select_for_update().select_related("team").get(pk=item_id)
    )
    if is_restricted:
        ensure_member(user=actor, team=item.team)
    else:
        ensure_editor(user=actor, team=item.team)
    if item.is_restricted == is_restricted:
        return item
    item.is_restricted = is_restricted
    item.updated_at = timezone.now()
    item.save(update_fields=["is_restricted", "updated_at"])
    payload = {"is_restricted": is_restricted, "reason": reason}
    CustodyEvent.objects.create(
        item=item, action=CustodyEvent.Action.RESTRICTED, actor=actor, detail=payload
    )
    _audit(
        team=item.team,
        actor=actor,
        action="evidence.restrict" if is_restricted else "evidence.unrestrict",
        obj=item,
        payload=payload,
    )
    return item


@transaction.atomic
def evidence_original_download(*, item_id: int, actor: Any) -> EvidenceItem:
    """Record that the actor takes a copy of the original (custody + audit)."""
    item = EvidenceItem.objects.select_related("team").get(pk=item_id)
    ensure_member(user=actor, team=item.team)
    payload = {"sha256": item.sha256}
    CustodyEvent.objects.create(
        item=item, action=CustodyEvent.Action.DOWNLOADED, actor=actor, detail=payload
    )
    _audit(
        team=item.team,
        actor=actor,
        action="evidence.download_original",
        obj=item,
        payload=payload,
    )
    return item


def mark_for_reprocessing(*, item_id: int, actor: Any, kind: str) -> EvidenceItem:
    """Lock an item of `kind`, set it pending again and audit it; the caller, in the
    same transaction, enqueues the task (after a failure or a lost task)."""
    item = (
        EvidenceItem.objects.select_for_update().select_related("team").get(pk=item_id)
    )
    ensure_member(user=actor, team=item.team)
    if item.kind != kind:
        raise ValueError(
            f"Only {EvidenceKind(kind).label.lower()} items are processed here."
        )
    item.processing_state = ProcessingState.PENDING
    item.processing_error = ""
    item.updated_at = timezone.now()
    item.save(update_fields=["processing_state", "processing_error", "updated_at"])
    _audit(
        team=item.team, actor=actor, action="evidence.reprocess", obj=item, payload={}
    )
    return item


@transaction.atomic
def image_reprocess(*, item_id: int, actor: Any) -> EvidenceItem:
    """Queue an image for processing again."""
    item = mark_for_reprocessing(item_id=item_id, actor=actor, kind=EvidenceKind.IMAGE)
    _enqueue_processing(item.pk)
    return item


# --- processing -----------------------------------------------------------------------


@dataclass(frozen=True)
class ImageAnalysis:
    """Everything derived from an original, before anything is saved."""

    processed: images.ProcessedImage
    content_credentials: dict[str, Any] | None
    tools: dict[str, str]


def image_analyse(path: str | os.PathLike[str], *, filename: str) -> ImageAnalysis:
    """The pure part of processing (no database): what the task and bench run."""
    processed = images.process_image(
        path,
        filename=filename,
        max_pixels=settings.IMAGE_MAX_PIXELS,
        max_bytes=settings.UPLOAD_MAX_BYTES["image"],
    )
    credentials = images.read_content_credentials(path, processed.mime)
    return ImageAnalysis(
        processed=processed,
        content_credentials=credentials,
        tools={
            **images.tool_versions(),
            "hashlib": f"Python {platform.python_version()}",
        },
    )


@functools.cache
def _tool_versions() -> dict[str, str]:
    # Installed versions do not change while a process runs: look them up once.
    return {**images.tool_versions(), "hashlib": f"Python {platform.python_version()}"}


@contextmanager
def _local_path(field: Any) -> Iterator[Path]:
    """A filesystem path to a stored file; object storage is copied to a temp file."""
    try:
        yield Path(field.path)
        return
    except NotImplementedError:
        pass
    suffix = PurePath(field.name).suffix
    with tempfile.NamedTemporaryFile(suffix=suffix) as tmp:
        with field.open("rb") as src:
            for chunk in src.chunks():
                tmp.write(chunk)
        tmp.flush()
        yield Path(tmp.name)


def _mark(item_id: int, state: str, error: str = "") -> None:
    EvidenceItem.objects.filter(pk=item_id).update(
        processing_state=state, processing_error=error, updated_at=timezone.now()
    )


def image_process(*, item_id: int) -> EvidenceItem:
    """Derive an image's facts, derivatives and near-duplicates. Safe to run twice.

    Marks the item running (committed, so its page shows it), analyses the stored
    original outside any transaction, then in one transaction: locks the item,
    re-checks the original's SHA-256, replaces the ImageDetail fields, upserts one
    custody event per processing step and the near-duplicate pairs (both ways),
    marks it done and writes the audit event. A failure marks it failed with the
    reason. Old derivative files are deleted after commit.
    """
    item = EvidenceItem.objects.select_related("team").get(pk=item_id)
    if item.kind != EvidenceKind.IMAGE or not item.file:
        raise ValueError(f"Evidence #{item_id} is not a stored image.")
    _mark(item_id, ProcessingState.RUNNING)
    try:
        with _local_path(item.file) as path:
            analysis = image_analyse(path, filename=item.original_filename)
    except images.ImageRejected as exc:
        return _processing_failed(item, exc.message)
    except Exception as exc:
        logger.exception("Processing image evidence #%s failed", item_id)
        return _processing_failed(item, f"Processing failed: {exc}")
    if analysis.processed.sha256 != item.sha256:
        return _processing_failed(
            item,
            "The stored original no longer matches the SHA-256 recorded at upload.",
        )
    return _processing_done(item_id, analysis)


@transaction.atomic
def _processing_failed(item: EvidenceItem, reason: str) -> EvidenceItem:
    item = (
        EvidenceItem.objects.select_for_update().select_related("team").get(pk=item.pk)
    )
    item.processing_state = ProcessingState.FAILED
    item.processing_error = reason
    item.updated_at = timezone.now()
    item.save(update_fields=["processing_state", "processing_error", "updated_at"])
    _audit(
        team=item.team,
        actor=None,
        action="evidence.process_failed",
        obj=item,
        payload={"error": reason},
    )
    return item


def _processing_done(item_id: int, analysis: ImageAnalysis) -> EvidenceItem:
    result = analysis.processed
    old_names: list[str] = []
    new_names: list[str] = []
    with _cleanup_on_error_list(new_names), transaction.atomic():
        item = (
            EvidenceItem.objects.select_for_update()
            .select_related("team")
            .get(pk=item_id)
        )
        detail, _ = ImageDetail.objects.get_or_create(item=item)
        old_names = [n for n in (detail.thumbnail.name, detail.display.name) if n]
        ext = IMAGE_EXTENSIONS[result.display.mime]
        detail.thumbnail.save(f"thumb{ext}", ContentFile(result.thumbnail.data), False)
        detail.display.save(f"display{ext}", ContentFile(result.display.data), False)
        new_names += [detail.thumbnail.name, detail.display.name]
        gps = result.gps
        detail.width, detail.height = result.width, result.height
        detail.exif = result.exif
        detail.gps_latitude = gps.latitude if gps else None
        detail.gps_longitude = gps.longitude if gps else None
        detail.gps_altitude = gps.altitude_m if gps else None
        detail.captured_at = result.captured_at
        detail.phash = result.phash
        detail.content_credentials = analysis.content_credentials
        detail.save()

        matches = _near_duplicates(item, result.phash)
        NearDuplicate.objects.filter(item=item).delete()
        NearDuplicate.objects.filter(other=item).delete()
        for other_id, distance in matches:
            NearDuplicate.objects.create(
                item=item, other_id=other_id, distance=distance
            )
            NearDuplicate.objects.create(
                item_id=other_id, other=item, distance=distance
            )

        _record_processing_steps(item, analysis, matches)
        update_fields = ["processing_state", "processing_error", "updated_at"]
        if item.observed_at is None and result.captured_at is not None:
            item.observed_at = result.captured_at
            update_fields.append("observed_at")
        item.processing_state = ProcessingState.DONE
        item.processing_error = ""
        item.updated_at = timezone.now()
        item.save(update_fields=update_fields)
        _audit(
            team=item.team,
            actor=None,
            action="evidence.processed",
            obj=item,
            payload={
                "phash": result.phash,
                "width": result.width,
                "height": result.height,
                "near_duplicates": [
                    {"item": other, "distance": d} for other, d in matches
                ],
                "content_credentials": (analysis.content_credentials or {}).get(
                    "state"
                ),
            },
        )
        storage = ImageDetail._meta.get_field("thumbnail").storage
        stale = [n for n in old_names if n not in new_names]

        def delete_stale() -> None:
            _delete_files(storage, stale)

        transaction.on_commit(delete_stale, robust=True)
    return item


def _delete_files(storage: Any, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


@contextmanager
def _cleanup_on_error_list(names: list[str]) -> Iterator[None]:
    try:
        yield
    except BaseException:
        storage = ImageDetail._meta.get_field("thumbnail").storage
        for name in names:
            storage.delete(name)
        raise


def _near_duplicates(item: EvidenceItem, phash: str) -> list[tuple[int, int]]:
    """Other images of the team within the documented pHash distance.

    Compared in Python over the team's hashes: fine for tens of thousands of
    images; beyond that, index the hash (e.g. a BK-tree or PostgreSQL bit_count).
    """
    candidates = (
        ImageDetail.objects.filter(item__team_id=item.team_id)
        .exclude(item_id=item.pk)
        .exclude(phash="")
        .values_list("item_id", "phash")
    )
    return images.near_duplicates(
        phash, candidates, threshold=settings.NEAR_DUPLICATE_MAX_DISTANCE
    )


_TRAILING_NAMES = {
    "zip": "a ZIP archive",
    "pdf": "a PDF",
    "rar": "a RAR archive",
    "7z": "a 7-Zip archive",
    "gzip": "a gzip file",
    "jpeg": "another JPEG",
    "png": "another PNG",
}


def _trailing_warning(result: images.ProcessedImage) -> str:
    """What the custody log shows about bytes hidden after the image's end."""
    if not result.trailing_bytes:
        return ""
    kind = result.trailing_kind or "data"
    starting = (
        f", starting like {_TRAILING_NAMES[kind]}" if kind in _TRAILING_NAMES else ""
    )
    return (
        f"{result.trailing_bytes:,} bytes after the end of the image{starting}: "
        "the original carries something else besides the picture (derivatives "
        "do not)."
    )


def _record_processing_steps(
    item: EvidenceItem, analysis: ImageAnalysis, matches: list[tuple[int, int]]
) -> None:
    """One custody event per step; a re-run updates the step's event in place."""
    result = analysis.processed
    facts: dict[str, dict[str, Any]] = {
        "verify": {
            "mime_type": result.mime,
            "width": result.width,
            "height": result.height,
            "trailing_bytes": result.trailing_bytes,
            "trailing_kind": result.trailing_kind,
            "warning": _trailing_warning(result),
        },
        "hash": {"sha256": result.sha256, "matches_upload": True},
        "metadata": {
            "exif_tags": len(result.exif),
            "has_gps": result.gps is not None,
            "captured_at": result.captured_at.isoformat()
            if result.captured_at
            else result.captured_at_local,
        },
        "derivatives": {
            "thumbnail": [result.thumbnail.width, result.thumbnail.height],
            "display": [result.display.width, result.display.height],
            "notes": list(result.notes),
        },
        "phash": {"phash": result.phash},
        "content_credentials": {
            "state": (analysis.content_credentials or {}).get("state", "none")
        },
        "near_duplicates": {
            "threshold": settings.NEAR_DUPLICATE_MAX_DISTANCE,
            "found": [{"item": other, "distance": d} for other, d in matches],
        },
    }
    now = timezone.now()
    for step, tool, description in PROCESSING_STEPS:
        detail = {"step": step, "description": description, **facts[step]}
        version = analysis.tools.get(tool, "")
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
