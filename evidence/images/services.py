"""Image evidence: the upload (checked before anything is written) and its
processing (facts, derivatives, pHash, Content Credentials, near-duplicates)."""

from __future__ import annotations

import logging
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from evidence import processing
from evidence.images import process as images
from evidence.images.capture_time import offset_text
from evidence.models import (
    CustodyEvent,
    EvidenceItem,
    EvidenceKind,
    ImageDetail,
    NearDuplicate,
)
from evidence.services import (
    IMAGE_EXTENSIONS,
    StoredFileMismatch,
    c2pa_trust_anchors,
    check_fields,
    delete_files,
    deleted_on_error,
    enqueue_on_commit,
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

# Steps of image processing recorded in the custody log, with the tool that did them.
PROCESSING_STEPS = (
    ("verify", "Pillow", "checked type from the bytes, pixel cap, full decode"),
    ("georeference", "rasterio", "GeoTIFF CRS, bounds, WGS84 footprint, overviews"),
    ("hash", "hashlib", "SHA-256 of the original re-computed"),
    ("metadata", "Pillow", "EXIF, XMP, IPTC, GPS and capture times read"),
    ("derivatives", "Pillow", "thumbnail and display image re-encoded from pixels"),
    ("phash", "imagehash", "64-bit perceptual hash of the thumbnail"),
    ("content_credentials", "c2pa-python", "C2PA manifest read offline"),
    ("near_duplicates", "imagehash", "team's images compared by Hamming distance"),
)


# --- upload ---------------------------------------------------------------------------


def evidence_add_image(
    *,
    team: Team,
    actor: User,
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
    check_fields(fields)
    facts = images.inspect_image(
        upload,
        filename=filename,
        max_pixels=settings.IMAGE_MAX_PIXELS,
        max_bytes=settings.UPLOAD_MAX_BYTES["image"],
    )
    refuse_duplicate(team, facts.sha256)
    fields.setdefault("title", PurePath(filename).stem[:300] or "Image")
    item = new_item(
        team=team,
        actor=actor,
        kind=EvidenceKind.IMAGE,
        is_restricted=is_restricted,
        filename=filename,
        mime_type=facts.mime,
        has_extension_mismatch=facts.extension_mismatch,
        **fields,
    )
    processing.arrive(item)
    store_new_item(
        item,
        upload,
        actor=actor,
        extension=IMAGE_EXTENSIONS[facts.mime],
        sha256=facts.sha256,
        size=facts.size_bytes,  # hashed once: processing re-checks the stored bytes
        changed=lambda message: images.ImageRejected(message, code="corrupt"),
        detail={"extension_mismatch": facts.extension_mismatch},
        extra={"mime_type": facts.mime},
        attach=lambda item: ImageDetail.objects.create(
            item=item, width=facts.width, height=facts.height
        ),
    )
    _enqueue_processing(item.pk)
    return item


def _enqueue_processing(item_id: int) -> None:
    from evidence.tasks import process_image  # the task module imports this one

    enqueue_on_commit(process_image, item_id)


@transaction.atomic
def image_reprocess(*, item_id: int, actor: User) -> EvidenceItem:
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
    # c2pa-rs reads no JPEG 2000: asking would report "unreadable" for every one.
    credentials = (
        None
        if processed.mime == "image/jp2"
        else images.read_content_credentials(
            path, processed.mime, trust_anchors=c2pa_trust_anchors()
        )
    )
    return ImageAnalysis(
        processed=processed,
        content_credentials=credentials,
        tools={
            **images.tool_versions(),
            "hashlib": f"Python {platform.python_version()}",
        },
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
    processing.move(item, processing.RUNNING)
    try:
        with local_path(item.file) as path:
            analysis = image_analyse(path, filename=item.original_filename)
    except images.ImageRejected as exc:
        return processing_failed(item, exc.message)
    except Exception as exc:
        logger.exception("Processing image evidence #%s failed", item_id)
        return processing_failed(item, f"Processing failed: {exc}")
    # The read-back check: the analysis hashes the bytes it read (one pass; the
    # copy from object storage is not hashed again).
    if analysis.processed.sha256 != item.sha256:
        mismatch = StoredFileMismatch(
            item.file.name, recorded=item.sha256, found=analysis.processed.sha256
        )
        return processing_failed(item, str(mismatch))
    return _processing_done(item_id, analysis)


def _processing_done(item_id: int, analysis: ImageAnalysis) -> EvidenceItem:
    """One transaction: derivatives, facts, near-duplicates, custody steps, done."""
    result = analysis.processed
    storage = ImageDetail._meta.get_field("thumbnail").storage
    new_names: list[str] = []
    with deleted_on_error(storage, new_names), transaction.atomic():
        item = locked_item(item_id)
        detail, _ = ImageDetail.objects.get_or_create(item=item)
        old_names = [n for n in (detail.thumbnail.name, detail.display.name) if n]
        _save_derivatives(detail, result, new_names)
        _save_facts(detail, analysis)
        matches = (
            [] if result.phash_low_information else _near_duplicates(item, result.phash)
        )
        _replace_near_duplicates(item, matches)
        _record_processing_steps(item, analysis, matches)
        proposal = _observed_time_proposal(item, result)
        fields = {"observed_at": proposal.observed_at} if proposal else {}
        processing.move(
            item,
            processing.DONE,
            fields=fields,
            audit="evidence.processed",
            payload={
                **({"observed_at_proposed": proposal.detail} if proposal else {}),
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
        stale = [n for n in old_names if n not in new_names]

        def delete_stale() -> None:
            delete_files(storage, stale)

        transaction.on_commit(delete_stale, robust=True)
    return item


@dataclass(frozen=True)
class ObservedTimeProposal:
    observed_at: datetime
    detail: dict[str, Any]


def _observed_time_proposal(
    item: EvidenceItem, result: images.ProcessedImage
) -> ObservedTimeProposal | None:
    """The capture time as the item's observed time, unless a person chose one.

    A person chose it when they edited ``observed_at`` (an "edited" custody event
    by a member) or gave it at upload (set, and no earlier proposal of ours).
    Only a known instant is proposed: a camera clock without an offset could be
    14 hours off, and a date alone has no time. Writes the custody event that
    says where the value came from; the caller writes it into the item.
    """
    chosen = result.capture.chosen
    instant = chosen.instant if chosen else None
    if chosen is None or instant is None:
        return None
    events = CustodyEvent.objects.filter(
        item=item, action=CustodyEvent.Action.EDITED, detail__has_key="observed_at"
    )
    if events.filter(actor__isnull=False).exists():
        return None
    last = events.filter(actor__isnull=True).order_by("-at", "-pk").first()
    if item.observed_at is not None and (
        last is None or last.detail.get("observed_at") != item.observed_at.isoformat()
    ):
        return None  # set at upload, or not by us
    if item.observed_at == instant:
        return None
    value = instant.astimezone(UTC)
    offset = offset_text(chosen.offset)
    origin = (
        f"{chosen.candidate.source} {offset}"
        if not chosen.offset_from
        else f"{chosen.candidate.source}, offset {offset} from {chosen.offset_from}"
    )
    detail = {
        "observed_at": value.isoformat(),
        "capture_time": chosen.value,
        "source": chosen.source,
        "precision": chosen.candidate.precision,
        "description": f"observed time proposed from {origin}",
    }
    CustodyEvent.objects.create(
        item=item, action=CustodyEvent.Action.EDITED, actor=None, detail=detail
    )
    return ObservedTimeProposal(observed_at=value, detail=detail)


def _save_derivatives(
    detail: ImageDetail, result: images.ProcessedImage, new_names: list[str]
) -> None:
    """Write the thumbnail and display files (their names join ``new_names`` as
    soon as each is stored, so a failure deletes them)."""
    ext = IMAGE_EXTENSIONS[result.display.mime]
    detail.thumbnail.save(f"thumb{ext}", ContentFile(result.thumbnail.data), False)
    new_names.append(detail.thumbnail.name)
    detail.display.save(f"display{ext}", ContentFile(result.display.data), False)
    new_names.append(detail.display.name)


def _save_facts(detail: ImageDetail, analysis: ImageAnalysis) -> None:
    result = analysis.processed
    gps = result.gps
    detail.width, detail.height = result.width, result.height
    detail.exif = result.exif
    detail.gps_latitude = gps.latitude if gps else None
    detail.gps_longitude = gps.longitude if gps else None
    detail.gps_altitude = gps.altitude_m if gps else None
    detail.captured_at = result.captured_at
    chosen = result.capture.chosen
    detail.captured_at_source = chosen.source[:80] if chosen else ""
    detail.captured_at_offset = offset_text(chosen.offset) if chosen else ""
    detail.captured_at_precision = chosen.candidate.precision if chosen else ""
    detail.capture_times = result.capture.to_json()
    detail.metadata = result.metadata
    detail.phash = result.phash
    detail.phash_low_information = result.phash_low_information
    detail.image_format = result.image_format
    detail.geo = result.geo
    detail.content_credentials = analysis.content_credentials
    detail.save()


def _near_duplicates(item: EvidenceItem, phash: str) -> list[tuple[int, int]]:
    """Other images of the team within the documented pHash distance.

    Compared in Python over the team's hashes: fine for tens of thousands of
    images; beyond that, index the hash (e.g. a BK-tree or PostgreSQL bit_count).
    """
    candidates = (
        ImageDetail.objects.filter(item__team_id=item.team_id)
        .exclude(item_id=item.pk)
        .exclude(phash="")
        .exclude(phash_low_information=True)  # flat images' hashes say nothing
        .values_list("item_id", "phash")
    )
    return images.near_duplicates(
        phash, candidates, threshold=settings.NEAR_DUPLICATE_MAX_DISTANCE
    )


def _replace_near_duplicates(
    item: EvidenceItem, matches: list[tuple[int, int]]
) -> None:
    """The item's pairs, both ways, replaced by this run's."""
    NearDuplicate.objects.filter(item=item).delete()
    NearDuplicate.objects.filter(other=item).delete()
    for other_id, distance in matches:
        NearDuplicate.objects.create(item=item, other_id=other_id, distance=distance)
        NearDuplicate.objects.create(item_id=other_id, other=item, distance=distance)


LOW_INFORMATION_MESSAGE = (
    "too little detail to compare: the image is nearly uniform, so its "
    "perceptual hash would match every other plain image"
)


def _georeference_facts(result: images.ProcessedImage) -> dict[str, Any]:
    geo = result.geo
    if geo is None:
        return {"georeferenced": False, "image_format": result.image_format}
    return {
        "georeferenced": True,
        "image_format": result.image_format,
        "crs": geo["crs"] if len(geo["crs"]) <= 40 else geo["crs_name"],
        "bounds_wgs84": geo["bounds_wgs84"],
        "bands": geo["bands"],
        "overviews": len(geo["overviews"]),
    }


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
    """One custody event per step, with the version of the tool that did it."""
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
        "georeference": _georeference_facts(result),
        "hash": {"sha256": result.sha256, "matches_upload": True},
        "metadata": {
            "exif_tags": len(result.exif),
            "has_gps": result.gps is not None,
            "captured_at": result.capture.chosen.value
            if result.capture.chosen
            else None,
            "captured_at_source": result.capture.chosen.source
            if result.capture.chosen
            else "",
            "capture_times": len(result.capture.candidates),
            "xmp_properties": len(result.metadata.get("xmp", {})),
            "iptc_datasets": len(result.metadata.get("iptc", {})),
        },
        "derivatives": {
            "thumbnail": [result.thumbnail.width, result.thumbnail.height],
            "display": [result.display.width, result.display.height],
            "notes": list(result.notes),
        },
        "phash": {
            "phash": result.phash,
            "low_information": result.phash_low_information,
        },
        "content_credentials": {
            "state": (analysis.content_credentials or {}).get("state", "none")
        },
        "near_duplicates": {
            "threshold": settings.NEAR_DUPLICATE_MAX_DISTANCE,
            "found": [{"item": other, "distance": d} for other, d in matches],
            "skipped": LOW_INFORMATION_MESSAGE if result.phash_low_information else "",
        },
    }
    versions = {
        step: analysis.tools.get(tool, "") for step, tool, _ in PROCESSING_STEPS
    }
    processing.record_steps(item, PROCESSING_STEPS, versions=versions, facts=facts)
