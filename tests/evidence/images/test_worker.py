"""Image processing through a real Celery worker on Redis (PostgreSQL only)."""

import pytest
from django.db import transaction

from evidence.images import process as images
from evidence.images import services
from evidence.models import CustodyEvent, EvidenceItem, ImageDetail, NearDuplicate

# Each processing step once in the custody log, with the tool that did it.
IMAGE_STEPS = {
    "verify": "Pillow",
    "georeference": "rasterio",
    "hash": "hashlib",
    "metadata": "Pillow",
    "derivatives": "Pillow",
    "phash": "imagehash",
    "content_credentials": "c2pa-python",
    "near_duplicates": "imagehash",
}


def _state(item_id):
    item = EvidenceItem.objects.get(pk=item_id)
    detail = ImageDetail.objects.get(item_id=item_id)
    return {
        "state": item.processing_state,
        "error": item.processing_error,
        "facts": (detail.width, detail.height, detail.phash, detail.exif),
        "near": sorted(
            NearDuplicate.objects.values_list("item_id", "other_id", "distance")
        ),
        "custody": sorted(
            CustodyEvent.objects.filter(item_id=item_id).values_list(
                "action", "tool", "detail__step"
            )
        ),
    }


def _finished(item_id) -> bool:
    # Done or failed both end the wait; the assertions after it say which it must be.
    state = EvidenceItem.objects.get(pk=item_id).processing_state
    return state in ("done", "failed")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_uploaded_image_reaches_done_through_a_real_worker(
    real_celery_worker, team, editor, image_path
):
    # What the pure pipeline makes of each file, in this process.
    expected = {
        name: images.process_image(image_path(name))
        for name in ("plain.jpg", "plain_resized.jpg")
    }
    with image_path("plain.jpg").open("rb") as upload:
        first = services.evidence_add_image(
            team=team, actor=editor, upload=upload, filename="plain.jpg"
        )
    real_celery_worker.wait_for(
        lambda: _finished(first.pk), what="the first image to be processed"
    )
    assert _state(first.pk)["state"] == "done"
    with image_path("plain_resized.jpg").open("rb") as upload:
        item = services.evidence_add_image(
            team=team, actor=editor, upload=upload, filename="plain_resized.jpg"
        )

    real_celery_worker.wait_for(
        lambda: _finished(item.pk), what="the image to be processed"
    )
    assert "evidence.tasks.process_image" in real_celery_worker.log()
    done = _state(item.pk)
    resized = expected["plain_resized.jpg"]
    distance = (
        int(resized.phash, 16) ^ int(expected["plain.jpg"].phash, 16)
    ).bit_count()
    assert distance <= 10  # within the near-duplicate threshold
    assert done == {
        "state": "done",
        "error": "",
        "facts": (resized.width, resized.height, resized.phash, resized.exif),
        "near": sorted([(item.pk, first.pk, distance), (first.pk, item.pk, distance)]),
        "custody": sorted(
            [("uploaded", "", None)]
            + [("processed", tool, step) for step, tool in IMAGE_STEPS.items()]
        ),
    }

    # The same task again, through the worker: the same result, no duplicate rows.
    def enqueue_again():
        from evidence.tasks import process_image

        process_image.delay(item.pk)

    with transaction.atomic():
        transaction.on_commit(enqueue_again)
    real_celery_worker.wait_for(
        lambda: real_celery_worker.log().count("succeeded") >= 3,
        what="the second run to finish",
    )

    assert _state(item.pk) == done
