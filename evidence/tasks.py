"""Background work for evidence. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from evidence.ais import services as ais_services
from evidence.captures import services as capture_services
from evidence.documents import services as document_services
from evidence.images import services as image_services
from evidence.models import EvidenceItem, WebCapture


@shared_task(name="evidence.tasks.process_image", ignore_result=True)
def process_image(item_id: int) -> str:
    """Derive an image's facts and derivatives; records running/done/failed on it."""
    try:
        item = image_services.image_process(item_id=item_id)
    except EvidenceItem.DoesNotExist:
        return "missing"  # deleted before the task ran: nothing left to do
    return item.processing_state


@shared_task(name="evidence.tasks.process_document", ignore_result=True)
def process_document(item_id: int) -> str:
    """Read a PDF's or DOCX's properties, text and flags; records the outcome."""
    try:
        item = document_services.document_process(item_id=item_id)
    except EvidenceItem.DoesNotExist:
        return "missing"  # deleted before the task ran: nothing left to do
    return item.processing_state


@shared_task(name="evidence.tasks.process_ais", ignore_result=True)
def process_ais(item_id: int) -> str:
    """Parse, validate, store and analyse an AIS extract; progress and errors on it."""
    item = ais_services.ais_process(item_id=item_id)
    return item.processing_state


@shared_task(name="evidence.tasks.reanalyse_ais", ignore_result=True)
def reanalyse_ais(item_id: int, actor_id: int, params: dict[str, float]) -> str:
    """Re-run an AIS extract's analysis with other parameters (stored positions)."""
    return ais_services.ais_reanalyse_task(
        item_id=item_id, actor_id=actor_id, params=params
    )


@shared_task(name="evidence.tasks.capture_url", ignore_result=True)
def capture_url(capture_id: int) -> str:
    """Capture a link's page (WACZ, screenshot, DOM, text); records the outcome."""
    try:
        item = capture_services.capture_process(capture_id=capture_id)
    except WebCapture.DoesNotExist:
        return "missing"  # deleted before the task ran: nothing left to do
    return item.processing_state
