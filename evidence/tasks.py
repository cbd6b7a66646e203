"""Background work for evidence. Tasks take ids and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="evidence.tasks.process_image", ignore_result=True)
def process_image(item_id: int) -> str:
    """Derive an image's facts and derivatives; records running/done/failed on it."""
    item = services.image_process(item_id=item_id)
    return item.processing_state
