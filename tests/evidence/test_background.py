"""Issue 15, problem 5: with no broker, evidence processing runs in a background
thread of the web process: the upload answers with the item pending and the item
becomes done on its own, as with a worker. Commands and the demo loader still wait
for their processing (tasks_run_here)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import transaction

from evidence.images.services import evidence_add_image
from evidence.models import EvidenceItem, ProcessingState
from evidence.services import tasks_run_here

IMAGE = Path(__file__).resolve().parent.parent / "data" / "images" / "exif_gps.jpg"
# A ceiling for "not ready yet", not an expected duration.
READY_WITHIN_SECONDS = 60


def wait_until_processed(item_id: int) -> str:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        state = EvidenceItem.objects.get(pk=item_id).processing_state
        if state not in (ProcessingState.PENDING, ProcessingState.RUNNING):
            return state
        time.sleep(0.1)
    pytest.fail(f"evidence {item_id} was not processed yet")


@pytest.mark.django_db(transaction=True)
def test_upload_returns_pending_and_the_background_thread_processes_it(
    settings, team, reporter
):
    settings.EVIDENCE_TASKS_IN_THREAD = True
    with transaction.atomic(), IMAGE.open("rb") as upload:
        item = evidence_add_image(
            team=team, actor=reporter, upload=upload, filename="exif_gps.jpg"
        )
    # Committed and handed to the thread; the caller did not wait for it.
    assert wait_until_processed(item.pk) == ProcessingState.DONE
    item.refresh_from_db()
    assert item.image.width > 0
    assert list(item.custody_events.values_list("action", flat=True))[:2] == [
        "uploaded",
        "processed",
    ]


@pytest.mark.django_db(transaction=True)
def test_tasks_run_here_processes_before_the_block_returns(settings, team, reporter):
    settings.EVIDENCE_TASKS_IN_THREAD = True
    with tasks_run_here(), transaction.atomic(), IMAGE.open("rb") as upload:
        item = evidence_add_image(
            team=team, actor=reporter, upload=upload, filename="exif_gps.jpg"
        )
    item.refresh_from_db()
    assert item.processing_state == ProcessingState.DONE
