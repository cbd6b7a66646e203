"""Web captures: a link whose page is captured as evidence.

A link or statement is captured when its form asks, or when its team captures
every new source (``capture_wanted``, called by the adding services in
``evidence.documents.services``), and again on request (``capture_again``):
each time a new WebCapture, queued on commit (``capture_start``), every earlier
one kept as a version. ``capture_process`` (the task)
runs the browser (``evidence.captures.browser``) outside any transaction, then
in one transaction stores the WACZ, screenshot, DOM, text and provenance
summary, each as a CaptureFile with its SHA-256 and a custody event, and moves
the item to done (or "done with a warning" when requests were refused or went
wrong), with the audit event. A capture that fails keeps its summary and the
reason on the item. Fetching obeys the webhooks' address policy; the setting
CAPTURE_ALLOWED_PRIVATE_HOSTS names the private hosts allowed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from evidence import processing
from evidence.captures import attestation, wacz_import
from evidence.captures.browser import (
    TOOL,
    TOOL_VERSION,
    CaptureFailed,
    CaptureOptions,
    CaptureResult,
    capture_page,
)
from evidence.captures.policy import AddressPolicy
from evidence.models import (
    CaptureFile,
    CustodyEvent,
    EvidenceItem,
    EvidenceKind,
    WebCapture,
)
from evidence.services import (
    FileRefused,
    audit,
    check_fields,
    delete_files,
    enqueue_on_commit,
    hash_upload,
    locked_item,
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

# role -> (stored name, MIME type)
FILES = {
    CaptureFile.Role.WACZ: ("capture.wacz", "application/wacz"),
    CaptureFile.Role.SCREENSHOT: ("screenshot.png", "image/png"),
    CaptureFile.Role.DOM: ("dom.html", "text/html"),
    CaptureFile.Role.TEXT: ("text.txt", "text/plain"),
    CaptureFile.Role.SUMMARY: ("summary.json", "application/json"),
    CaptureFile.Role.TIMESTAMP: ("timestamp.tsr", "application/timestamp-reply"),
}


def capture_policy() -> AddressPolicy:
    return AddressPolicy.allowing(settings.CAPTURE_ALLOWED_PRIVATE_HOSTS)


def capture_options() -> CaptureOptions:
    return CaptureOptions(
        timeout_seconds=settings.CAPTURE_TIMEOUT_SECONDS,
        max_bytes=settings.CAPTURE_MAX_BYTES,
        max_resources=settings.CAPTURE_MAX_RESOURCES,
    )


# The kinds whose URL can be captured: a link's page, a statement's source.
CAPTURED_KINDS = frozenset({EvidenceKind.LINK, EvidenceKind.STATEMENT})


def captures_new_sources(team: Team) -> bool:
    """Whether the team captures every new link and statement source URL (read
    from the row: the request's team may not have loaded the column)."""
    return bool(
        Team.objects.filter(pk=team.pk)
        .values_list("captures_new_sources", flat=True)
        .first()
    )


def capture_wanted(*, team: Team, url: str, asked: bool) -> bool:
    """Whether a new link or statement with ``url`` is captured.

    Asked for: the URL is required and judged by the address policy now, so a
    refused one is refused before anything is written (ValidationError on
    ``url``). Not asked for: captured when the team captures every new source;
    then a refusal is the capture's own outcome, recorded in its summary, and
    the item is kept.
    """
    if asked:
        if not url:
            raise ValidationError({"url": "Give the URL of the page to capture."})
        refusal = capture_policy().refusal(url)
        if refusal:
            raise ValidationError({"url": f"This page cannot be captured: {refusal}."})
        return True
    return bool(url) and captures_new_sources(team)


def capture_start(*, item: EvidenceItem, actor: User | None) -> WebCapture:
    """A new WebCapture of the item's URL, queued on commit (in the caller's
    transaction; the item is pending already)."""
    capture = WebCapture.objects.create(
        item=item,
        requested_url=item.url,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    _enqueue(capture.pk)
    return capture


def _enqueue(capture_id: int) -> None:
    from evidence.tasks import capture_url  # the task module imports this one

    enqueue_on_commit(capture_url, capture_id)


def capture_process(*, capture_id: int) -> EvidenceItem:
    """Capture the page of a WebCapture and store what came out. Safe to run
    twice: a capture already stored is left as it is.

    Marks the item running (committed, so its page shows it), runs the browser
    outside any transaction, then stores the files and moves the item on in
    one transaction (``_capture_done``); a refused or failed page marks it
    failed with the reason, its summary kept on the capture.
    """
    capture = WebCapture.objects.select_related("item__team", "requested_by").get(
        pk=capture_id
    )
    item = capture.item
    if capture.captured_at is not None:
        return item
    processing.move(item, processing.RUNNING)
    requested_by = capture.requested_by.get_username() if capture.requested_by else ""
    policy = capture_policy()
    try:
        result = capture_page(
            capture.requested_url,
            policy=policy,
            options=capture_options(),
            chromium=settings.CAPTURE_CHROMIUM,
            requested_by=requested_by,
        )
    except CaptureFailed as exc:
        WebCapture.objects.filter(pk=capture.pk).update(
            summary=exc.summary, blocked_count=len(exc.summary.get("blocked", []))
        )
        return processing_failed(item, f"Capture failed: {exc}")
    except Exception as exc:
        logger.exception("Capturing evidence #%s failed", item.pk)
        return processing_failed(item, f"Capture failed: {exc}")
    # Signed, time-stamped and its TLS chain read outside any transaction too.
    try:
        sealed = attestation.seal(result, policy=policy)
    except Exception as exc:  # the signing key unreadable, a broken package
        logger.exception("Sealing the capture of evidence #%s failed", item.pk)
        return processing_failed(item, f"Capture failed: it could not be sealed: {exc}")
    return _capture_done(capture.pk, result, timestamp_reply=sealed.timestamp_reply)


def _capture_done(
    capture_id: int, result: CaptureResult, *, timestamp_reply: bytes | None = None
) -> EvidenceItem:
    contents = {
        CaptureFile.Role.WACZ: result.wacz,
        CaptureFile.Role.SCREENSHOT: result.screenshot_png,
        CaptureFile.Role.DOM: result.dom_html,
        CaptureFile.Role.TEXT: result.text.encode(),
        CaptureFile.Role.SUMMARY: result.summary_json(),
    }
    if timestamp_reply is not None:
        contents[CaptureFile.Role.TIMESTAMP] = timestamp_reply
    stored: list[CaptureFile] = []
    try:
        for role, data in contents.items():
            name, mime = FILES[role]
            record = CaptureFile(
                role=role,
                sha256=hashlib.sha256(data).hexdigest(),
                size_bytes=len(data),
                mime_type=mime,
            )
            record.file.save(name, ContentFile(data), save=False)
            stored.append(record)
        return _store(capture_id, result, stored)
    except BaseException:
        delete_files(
            CaptureFile._meta.get_field("file").storage,
            [record.file.name for record in stored],
        )
        raise


@transaction.atomic
def _store(
    capture_id: int, result: CaptureResult, stored: list[CaptureFile]
) -> EvidenceItem:
    capture = WebCapture.objects.select_for_update().get(pk=capture_id)
    item = locked_item(capture.item_id)
    now = timezone.now()
    summary = result.summary
    capture.captured_at = now
    capture.final_url = result.final_url[:2000]
    capture.http_status = result.status
    capture.title = result.title[:500]
    capture.server_ip = result.server_ip or None
    capture.redirects = result.redirects
    # PostgreSQL text cannot hold NUL.
    capture.text = result.text.replace("\x00", "")
    capture.summary = summary
    capture.blocked_count = len(summary.get("blocked", []))
    capture.full_clean()
    capture.save()
    browser = summary.get("browser", {})
    for record in stored:
        record.capture = capture
        record.save()
        tool = (TOOL, f"{TOOL_VERSION}; Chromium {browser.get('version', '?')}")
        extra: dict[str, Any] = {}
        if record.role == CaptureFile.Role.TIMESTAMP:
            # The token is the TSA's work, over the signed WACZ's digest.
            stamp = summary.get("timestamp", {})
            tool = ("RFC 3161 time-stamping authority", stamp.get("tsa", ""))
            extra = {k: stamp.get(k) for k in ("tsa_url", "stamped_at", "digest")}
        CustodyEvent.objects.create(
            item=item,
            action=CustodyEvent.Action.PROCESSED,
            tool=tool[0],
            tool_version=tool[1][:100],
            detail={
                "step": f"capture_{record.role}",
                "description": f"{record.get_role_display()} of the captured page",
                "capture": capture.pk,
                "sha256": record.sha256,
                "size_bytes": record.size_bytes,
                "final_url": capture.final_url,
                **extra,
            },
            at=now,
        )
    item_fields: dict[str, Any] = {"archived_at": now}
    if item.title == item.url[:300] and result.title:
        item_fields["title"] = result.title[:300]
    reasons = []
    if capture.blocked_count:
        reasons.append(f"{capture.blocked_count} request(s) refused")
    if summary.get("errors"):
        reasons.append(f"{len(summary['errors'])} request(s) failed")
    if summary.get("timestamp", {}).get("status") == "failed":
        reasons.append("time-stamping failed")
    if summary.get("truncated"):
        cut = ", ".join(part["what"] for part in summary["truncated"])
        reasons.append(f"the {cut} cut at the capture's caps")
    warning = (
        f"Captured, but {' and '.join(reasons)}: see the capture summary."
        if reasons
        else ""
    )
    return processing.move(
        item,
        processing.WARNING if warning else processing.DONE,
        warning=warning,
        fields=item_fields,
        audit="evidence.captured",
        payload={
            "capture": capture.pk,
            "final_url": capture.final_url,
            "http_status": capture.http_status,
            "server_ip": capture.server_ip,
            "blocked": capture.blocked_count,
            "files": {record.role: record.sha256 for record in stored},
            "signed_with": summary.get("signature", {}).get("key_id", ""),
            "timestamp": summary.get("timestamp", {}).get("status", "none"),
        },
    )


@transaction.atomic
def capture_file_download(*, file_id: int, actor: User) -> CaptureFile:
    """Record that the actor takes a copy of a capture's file (custody + audit)."""
    record = CaptureFile.objects.select_related("capture__item__team").get(pk=file_id)
    item = record.capture.item
    ensure_member(user=actor, team=item.team)
    payload = {
        "capture": record.capture_id,
        "role": record.role,
        "sha256": record.sha256,
    }
    CustodyEvent.objects.create(
        item=item, action=CustodyEvent.Action.DOWNLOADED, actor=actor, detail=payload
    )
    audit(item=item, actor=actor, action="evidence.download_capture", payload=payload)
    return record


@transaction.atomic
def capture_again(*, item_id: int, actor: User) -> WebCapture:
    """Capture the page of a link or a statement's source again (after a
    failure, to see it now, or for the first time when it was added without):
    a new WebCapture, numbered after the others, every earlier one kept.
    Locks the item; moves it to pending (IllegalMove while a capture runs);
    audited; the capture is queued on commit."""
    item = locked_item(item_id)
    ensure_member(user=actor, team=item.team)
    if item.kind not in CAPTURED_KINDS:
        raise ValueError("Only links and statements have a page to capture.")
    if not item.url:
        raise ValueError("This item has no URL to capture.")
    processing.move(item, processing.PENDING, starting=True)
    capture = capture_start(item=item, actor=actor)
    audit(
        item=item,
        actor=actor,
        action="evidence.capture_again",
        payload={"capture": capture.pk, "url": item.url},
    )
    return capture


@transaction.atomic
def capture_replay_open(*, file_id: int, actor_id: int) -> CaptureFile:
    """Record that a member opened a capture's WACZ in the replay (custody +
    audit): the replay hands the reader's browser the archive's bytes, range by
    range, so the opening is logged once, not each range it reads."""
    record = CaptureFile.objects.select_related("capture__item__team").get(pk=file_id)
    item = record.capture.item
    actor = item.team.memberships.select_related("user").get(user_id=actor_id).user
    payload = {
        "capture": record.capture_id,
        "role": record.role,
        "sha256": record.sha256,
        "purpose": "replay",
    }
    CustodyEvent.objects.create(
        item=item, action=CustodyEvent.Action.DOWNLOADED, actor=actor, detail=payload
    )
    audit(item=item, actor=actor, action="evidence.replay_capture", payload=payload)
    return record


def _py_wacz_problem(path: str) -> str:
    """What py-wacz's ``wacz validate`` says is wrong with the file ("" when it
    passes, or when py-wacz is not installed: our own checks stand alone)."""
    if importlib.util.find_spec("wacz") is None:
        return ""
    try:
        done = subprocess.run(  # noqa: S603 - our interpreter, a fixed module, a path
            [sys.executable, "-m", "wacz", "validate", "-f", path],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "py-wacz's validation did not finish in 120 seconds."
    if done.returncode == 0:
        return ""
    said = (done.stdout + done.stderr).strip().splitlines()
    return "py-wacz: " + (said[-1] if said else f"exit status {done.returncode}")


def evidence_import_wacz(
    *,
    team: Team,
    actor: User,
    upload: IO[bytes],
    filename: str,
    is_restricted: bool = False,
    **fields: Any,
) -> EvidenceItem:
    """Keep a WACZ made elsewhere (ArchiveWeb.page, Browsertrix, auto-archiver)
    as a link's capture: the item's original is the WACZ byte-for-byte, with its
    SHA-256; its WebCapture holds the pages pages/pages.jsonl lists, and the
    summary what was checked (evidence.captures.wacz_import, then py-wacz's
    ``wacz validate``). A refused file (FileRefused with the reason) leaves
    nothing stored. Same bytes in the team raise DuplicateEvidence.

    Memory stays bounded: the upload is hashed in chunks under the upload cap
    and each member is read in chunks, up to its declared size.
    """
    ensure_member(user=actor, team=team)
    check_fields(fields)
    sha256, _size = hash_upload(upload, limit=settings.UPLOAD_MAX_BYTES["wacz"])
    try:
        inspection = wacz_import.inspect_wacz(
            upload, max_unpacked=settings.WACZ_MAX_UNPACKED_BYTES
        )
    except wacz_import.WaczRefused as exc:
        raise FileRefused(f"Not imported: {exc}", code="invalid_wacz") from exc
    with _as_path(upload) as path:
        problem = _py_wacz_problem(path)
    if problem:
        raise FileRefused(f"Not imported: {problem}", code="invalid_wacz")
    refuse_duplicate(team, sha256)
    summary = inspection.summary()
    summary["validated_by"] = ["evidence.captures.wacz_import"] + (
        ["py-wacz wacz validate"] if importlib.util.find_spec("wacz") else []
    )
    main_url = inspection.main_page_url
    fields.setdefault(
        "title", (inspection.title or inspection.pages[0].title or main_url)[:300]
    )
    item = new_item(
        team=team,
        actor=actor,
        kind=EvidenceKind.LINK,
        is_restricted=is_restricted,
        filename=filename,
        mime_type="application/wacz",
        url=main_url if len(main_url) <= 2000 else "",
        # Checked above, nothing left to do: its page shows the capture at once.
        processing_state=processing.DONE,
        **fields,
    )

    def attach(item: EvidenceItem) -> None:
        capture = WebCapture.objects.create(
            item=item,
            requested_url=item.url or main_url[:2000],
            requested_by=actor,
            requested_at=item.created_at,
            captured_at=item.created_at,
            final_url=main_url[:2000],
            title=(inspection.pages[0].title or inspection.title)[:500],
            text="\n\n".join(page.text for page in inspection.pages)[
                :1_000_000
            ].replace("\x00", ""),
            summary=summary,
        )
        # The capture's WACZ is the item's original itself (one stored copy).
        record = CaptureFile(
            capture=capture,
            role=CaptureFile.Role.WACZ,
            sha256=item.sha256,
            size_bytes=item.size_bytes,
            mime_type="application/wacz",
        )
        record.file.name = item.file.name
        record.save()

    store_new_item(
        item,
        upload,
        actor=actor,
        extension=".wacz",
        sha256=sha256,
        changed=lambda message: FileRefused(message, code="changed"),
        detail={"imported_wacz": True, "software": inspection.software},
        extra={
            "imported_wacz": True,
            "pages": len(inspection.pages),
            "signature": inspection.signature,
        },
        attach=attach,
    )
    return item


@contextmanager
def _as_path(upload: IO[bytes]) -> Iterator[str]:
    """A path on disk holding the upload (its own, when it has one)."""
    path = getattr(upload, "temporary_file_path", None)
    if callable(path):
        yield path()
        return
    with tempfile.NamedTemporaryFile(suffix=".wacz") as copy:
        upload.seek(0)
        shutil.copyfileobj(upload, copy, 1024 * 1024)
        copy.flush()
        upload.seek(0)
        yield copy.name
