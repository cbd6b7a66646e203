"""Image processing through a real Celery worker on Redis (PostgreSQL only)."""

import pytest
from django.db import transaction

from evidence.images import services
from evidence.models import CustodyEvent, EvidenceItem, ImageDetail, NearDuplicate


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


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_uploaded_image_reaches_done_through_a_real_worker(
    real_celery_worker, team, editor, image_path
):
    with image_path("plain.jpg").open("rb") as upload:
        first = services.evidence_add_image(
            team=team, actor=editor, upload=upload, filename="plain.jpg"
        )
    real_celery_worker.wait_for(
        lambda: EvidenceItem.objects.get(pk=first.pk).processing_state == "done",
        what="the first image to be processed",
    )
    with image_path("plain_resized.jpg").open("rb") as upload:
        item = services.evidence_add_image(
            team=team, actor=editor, upload=upload, filename="plain_resized.jpg"
        )
    assert EvidenceItem.objects.get(pk=item.pk).processing_state in (
        "pending",
        "running",
        "done",
    )

    real_celery_worker.wait_for(
        lambda: EvidenceItem.objects.get(pk=item.pk).processing_state == "done",
        what="the image to be processed",
    )
    assert "evidence.tasks.process_image" in real_celery_worker.log()
    done = _state(item.pk)
    assert done["near"] == sorted(
        [
            (item.pk, first.pk, done["near"][0][2]),
            (first.pk, item.pk, done["near"][0][2]),
        ]
    )

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
