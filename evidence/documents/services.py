"""Documents, statements and links.

A document's type is detected from its bytes; SVG and HTML are refused wherever
the markup sits (``ActiveContentScan``). A PDF or DOCX is then processed
(``document_process``): pages, properties, text for search, JavaScript and
attached files (``extract``), and a PDF's Content Credentials; other documents
need no processing. A statement names its speaker (a person) or whom it was made
for (an organization or government) among the team's entities; a link is a URL
with an optional archived copy.
"""

from __future__ import annotations

import logging
import platform
import re
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePath
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from evidence import processing
from evidence.captures.services import capture_start, capture_wanted
from evidence.documents import extract
from evidence.images import credentials
from evidence.images import process as images
from evidence.models import DocumentDetail, EvidenceItem, EvidenceKind, Statement
from evidence.services import (
    IMAGE_EXTENSIONS,
    FileRefused,
    StoredFileMismatch,
    c2pa_trust_anchors,
    check_fields,
    enqueue_on_commit,
    hash_upload,
    local_path,
    locked_item,
    mark_for_reprocessing,
    new_item,
    processing_failed,
    record_arrival,
    refuse_duplicate,
    store_new_item,
)
from provenance.entities.models import Entity, EntityKind
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

logger = logging.getLogger(__name__)

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
STATEMENT_FIELDS = ("venue", "original_text", "original_language")
SPEAKER_KINDS = frozenset({EntityKind.PERSON})
ON_BEHALF_KINDS = frozenset({EntityKind.ORGANIZATION, EntityKind.GOVERNMENT})


# --- what a document is ---------------------------------------------------------------


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


# --- adding ---------------------------------------------------------------------------


def evidence_add_document(
    *,
    team: Team,
    actor: User,
    upload: IO[bytes],
    filename: str,
    is_restricted: bool = False,
    **fields: Any,
) -> EvidenceItem:
    """Store a document (PDF or another file) byte-for-byte.

    The type is detected from the bytes; SVG and HTML are refused, wherever the
    markup sits in a text file (``ActiveContentScan``). Same bytes in the team
    raise DuplicateEvidence before anything is written. A PDF or DOCX arrives
    pending with an empty DocumentDetail and is processed on commit; other
    types need no processing.
    """
    ensure_member(user=actor, team=team)
    check_fields(fields)
    if upload.seekable():
        upload.seek(0)
    head = upload.read(2048)
    if not head:
        raise FileRefused("The file is empty.", code="empty")
    mime = sniff_document_mime(head, filename)
    scan = ActiveContentScan(whole=mime == "text/plain")
    sha256, _size = hash_upload(
        upload, limit=settings.UPLOAD_MAX_BYTES["document"], feed=scan.feed
    )
    refuse_duplicate(team, sha256)
    fields.setdefault("title", PurePath(filename).stem[:300] or "Document")
    suffix = PurePath(filename).suffix.lower()
    extension = _DOCUMENT_EXTENSIONS.get(mime, ".bin")
    item = new_item(
        team=team,
        actor=actor,
        kind=EvidenceKind.DOCUMENT,
        is_restricted=is_restricted,
        filename=filename,
        mime_type=mime,
        # An image kept as a document knows its equivalents (.jpeg, .tiff, .dng).
        has_extension_mismatch=images.extension_mismatch(filename, mime)
        if mime in IMAGE_EXTENSIONS
        else bool(suffix) and suffix != extension,
        **fields,
    )
    processed = mime in extract.EXTRACTED_MIMES
    if processed:
        processing.arrive(item)
    store_new_item(
        item,
        upload,
        actor=actor,
        extension=extension,
        sha256=None,  # as before: the stored bytes' own hash is the record
        changed=lambda message: FileRefused(message, code="corrupt"),
        detail={},
        extra={"mime_type": mime},
        attach=(lambda item: DocumentDetail.objects.create(item=item))
        if processed
        else None,
    )
    if processed:
        _enqueue_processing(item.pk)
    return item


def _enqueue_processing(item_id: int) -> None:
    from evidence.tasks import process_document  # the task module imports this one

    enqueue_on_commit(process_document, item_id)


@transaction.atomic
def document_reprocess(*, item_id: int, actor: User) -> EvidenceItem:
    """Queue a PDF or DOCX for processing again."""
    item = mark_for_reprocessing(
        item_id=item_id, actor=actor, kind=EvidenceKind.DOCUMENT
    )
    _enqueue_processing(item.pk)
    return item


# --- processing -----------------------------------------------------------------------

# Steps of document processing recorded in the custody log, with their tool.
PROCESSING_STEPS = (
    ("hash", "hashlib", "SHA-256 of the original re-computed"),
    ("extract", "pypdf", "pages, properties, text, JavaScript and attachments read"),
    ("extract_docx", "defusedxml", "core and app properties and text read"),
    ("content_credentials", "c2pa-python", "C2PA manifest read offline"),
)


@dataclass(frozen=True)
class DocumentAnalysis:
    """What was read from a stored document, before anything is saved."""

    facts: extract.DocumentFacts | None
    unreadable: extract.DocumentUnreadable | None
    content_credentials: dict[str, Any] | None
    tools: dict[str, str]


def _limits() -> extract.Limits:
    return extract.Limits(
        max_pages=settings.DOCUMENT_MAX_PAGES,
        max_text_chars=settings.DOCUMENT_MAX_TEXT_CHARS,
        max_part_bytes=settings.DOCUMENT_MAX_PART_BYTES,
        max_expansion_ratio=settings.DOCUMENT_MAX_EXPANSION_RATIO,
    )


def _tool_versions() -> dict[str, str]:
    versions = {"hashlib": f"Python {platform.python_version()}"}
    for label, dist in (
        ("pypdf", "pypdf"),
        ("defusedxml", "defusedxml"),
        ("c2pa-python", "c2pa-python"),
    ):
        try:
            versions[label] = version(dist)
        except PackageNotFoundError:
            versions[label] = "not installed"
    return versions


def document_analyse(path: Path, *, mime: str) -> DocumentAnalysis:
    """The pure part of processing (no database): facts, or why there are none,
    and a PDF's Content Credentials."""
    facts, unreadable = None, None
    try:
        facts = extract.extract_document(path, mime, _limits())
    except extract.DocumentUnreadable as exc:
        unreadable = exc
    content_credentials = None
    if mime == extract.PDF_MIME:
        content_credentials = credentials.read_content_credentials(
            path, mime, trust_anchors=c2pa_trust_anchors()
        )
    return DocumentAnalysis(
        facts=facts,
        unreadable=unreadable,
        content_credentials=content_credentials,
        tools=_tool_versions(),
    )


def document_process(*, item_id: int) -> EvidenceItem:
    """Read a PDF's or DOCX's facts into its DocumentDetail. Safe to run twice.

    Marks the item running (committed, so its page shows it), reads the stored
    original outside any transaction, checking its SHA-256 as it is read back
    (a mismatch fails the item with StoredFileMismatch's reason), then in one
    transaction: locks the item, replaces the DocumentDetail fields,
    upserts one custody event per step and moves it to done, or to "done with a
    warning" when what came out needs a look (JavaScript, attached files, no
    text, a password) with the reason, and writes the audit event. A damaged
    or hostile file (a zip bomb) marks it failed with the reason.
    """
    item = EvidenceItem.objects.select_related("team").get(pk=item_id)
    if item.kind != EvidenceKind.DOCUMENT or item.mime_type not in (
        extract.EXTRACTED_MIMES
    ):
        raise ValueError(f"Evidence #{item_id} is not a stored PDF or DOCX.")
    processing.move(item, processing.RUNNING)
    try:
        # The read-back check: the copy is hashed as it is read from storage.
        with local_path(item.file, sha256=item.sha256) as path:
            analysis = document_analyse(path, mime=item.mime_type)
    except StoredFileMismatch as exc:
        return processing_failed(item, str(exc))
    except Exception as exc:
        logger.exception("Processing document evidence #%s failed", item_id)
        return processing_failed(item, f"Processing failed: {exc}")
    if analysis.unreadable is not None and analysis.unreadable.is_damage:
        return processing_failed(item, analysis.unreadable.message)
    return _processing_done(item_id, analysis)


def _detail_fields(analysis: DocumentAnalysis) -> dict[str, Any]:
    facts = analysis.facts
    if facts is None:
        return {
            "page_count": None,
            "title": "",
            "author": "",
            "created_in_file_at": None,
            "modified_in_file_at": None,
            "properties": {},
            "text": "",
            "text_truncated": False,
            "has_javascript": False,
            "has_attachments": False,
            "attachments": [],
        }
    return {
        "document_format": facts.document_format,
        "page_count": facts.page_count,
        "title": facts.title,
        "author": facts.author,
        "created_in_file_at": facts.created_at,
        "modified_in_file_at": facts.modified_at,
        "properties": facts.properties,
        # PostgreSQL text cannot hold NUL; a PDF's text layer sometimes does.
        "text": facts.text.replace("\x00", ""),
        "text_truncated": facts.text_truncated,
        "has_javascript": facts.has_javascript,
        "has_attachments": facts.has_attachments,
        "attachments": facts.attachments,
    }


@transaction.atomic
def _processing_done(item_id: int, analysis: DocumentAnalysis) -> EvidenceItem:
    item = locked_item(item_id)
    fields = _detail_fields(analysis)
    fields.setdefault(
        "document_format", "pdf" if item.mime_type == extract.PDF_MIME else "docx"
    )
    fields["content_credentials"] = analysis.content_credentials
    DocumentDetail.objects.update_or_create(item=item, defaults=fields)
    facts = analysis.facts
    reasons = (
        [analysis.unreadable.message]
        if analysis.unreadable is not None
        else list(facts.warnings if facts else ())
    )
    cc_state = (analysis.content_credentials or {}).get("state")
    _record_steps(item, analysis)
    return processing.move(
        item,
        processing.WARNING if reasons else processing.DONE,
        warning=" ".join(reasons),
        audit="evidence.processed",
        payload={
            "document_format": fields["document_format"],
            "page_count": fields["page_count"],
            "text_chars": len(fields["text"]),
            "text_truncated": fields["text_truncated"],
            "has_javascript": fields["has_javascript"],
            "attachments": len(fields["attachments"]),
            "content_credentials": cc_state,
        },
    )


def _record_steps(item: EvidenceItem, analysis: DocumentAnalysis) -> None:
    facts = analysis.facts
    summary = (
        {
            "page_count": facts.page_count,
            "text_chars": len(facts.text),
            "text_truncated": facts.text_truncated,
            "has_javascript": facts.has_javascript,
            "attachments": len(facts.attachments),
            "warnings": list(facts.warnings),
        }
        if facts is not None
        else {"unreadable": analysis.unreadable.message if analysis.unreadable else ""}
    )
    step = "extract" if item.mime_type == extract.PDF_MIME else "extract_docx"
    steps: dict[str, dict[str, Any]] = {
        "hash": {"sha256": item.sha256, "matches_upload": True},
        step: summary,
    }
    if item.mime_type == extract.PDF_MIME:
        steps["content_credentials"] = {
            "state": (analysis.content_credentials or {}).get("state", "none")
        }
    versions = {
        name: analysis.tools.get(tool, "") for name, tool, _ in PROCESSING_STEPS
    }
    processing.record_steps(item, PROCESSING_STEPS, versions=versions, facts=steps)


def _check_statement_parties(
    team: Team, speaker: Entity | None, on_behalf_of: Entity | None
) -> None:
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


@transaction.atomic
def evidence_add_statement(
    *,
    team: Team,
    actor: User,
    quote: str,
    stated_at: datetime,
    speaker: Entity | None = None,
    on_behalf_of: Entity | None = None,
    is_restricted: bool = False,
    capture: bool = False,
    **fields: Any,
) -> EvidenceItem:
    """Record an official statement: an item of kind statement with its Statement.

    The speaker must be a person and ``on_behalf_of`` an organization or
    government, both of the team. ``observed_at`` defaults to ``stated_at``.
    Its source page (``url``) is captured as a link's is (``evidence_add_link``).
    """
    ensure_member(user=actor, team=team)
    statement_fields = {k: fields.pop(k) for k in STATEMENT_FIELDS if k in fields}
    check_fields(fields)
    _check_statement_parties(team, speaker, on_behalf_of)
    captured = capture_wanted(team=team, url=fields.get("url", ""), asked=capture)
    who = speaker or on_behalf_of
    fields.setdefault("title", f"{who}: “{quote.strip()[:120]}”"[:300])
    fields.setdefault("observed_at", stated_at)
    item = new_item(
        team=team,
        actor=actor,
        kind=EvidenceKind.STATEMENT,
        is_restricted=is_restricted,
        **fields,
    )
    if captured:
        processing.arrive(item)
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
    detail: dict[str, Any] = {"url": item.url}
    if captured:
        detail["capture"] = capture_start(item=item, actor=actor).pk
    record_arrival(
        item=item,
        actor=actor,
        detail=detail,
        extra={
            "speaker": getattr(speaker, "pk", None),
            "on_behalf_of": getattr(on_behalf_of, "pk", None),
            "stated_at": stated_at.isoformat(),
            "quote": statement.quote,
            **({"capture": detail["capture"]} if captured else {}),
        },
    )
    return item


@transaction.atomic
def evidence_add_link(
    *,
    team: Team,
    actor: User,
    url: str,
    is_restricted: bool = False,
    capture: bool = False,
    **fields: Any,
) -> EvidenceItem:
    """Record a web page as evidence: URL, title and optional archived copy.

    Its page is captured (``evidence.captures``: pending, then queued on
    commit) when ``capture`` asks for it or the team captures every new source;
    a URL the address policy refuses is refused before anything is written
    when ``capture`` asked for it (ValidationError on ``url``).
    """
    ensure_member(user=actor, team=team)
    check_fields(fields)
    captured = capture_wanted(team=team, url=url, asked=capture)
    # Untitled, the link is named by its URL (until a capture gives the title).
    fields["title"] = fields.get("title") or url[:300]
    item = new_item(
        team=team,
        actor=actor,
        kind=EvidenceKind.LINK,
        is_restricted=is_restricted,
        url=url,
        **fields,
    )
    if captured:
        processing.arrive(item)
    item.full_clean()
    item.save()
    extra: dict[str, Any] = {"url": url, "archived_url": item.archived_url}
    if captured:
        extra["capture"] = capture_start(item=item, actor=actor).pk
    record_arrival(
        item=item,
        actor=actor,
        detail={"url": url, **({"capture": extra["capture"]} if captured else {})},
        extra=extra,
    )
    return item
