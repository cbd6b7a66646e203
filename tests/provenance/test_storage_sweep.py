"""Issue 19: `manage.py sweep_storage` finds the stored objects no record names
(a node killed between storing a file and committing its row) once they are
older than the grace period, and removes them with --delete; every object a row
names, and every young one (an upload in flight), is kept."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from provenance.storage_sweep import sweep
from tests.evidence.conftest import add_image, image_path  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

LATER = timedelta(hours=25)


def test_an_object_no_record_names_is_removed_once_past_the_grace_period(
    s3_storage,
    add_image,  # noqa: F811
):
    item = add_image("exif_gps.jpg")
    recorded = s3_storage.keys()
    s3_storage.client().put_object(
        Bucket=s3_storage.bucket,
        Key=f"{s3_storage.prefix}/evidence/originals/stray.jpg",
        Body=b"left by a killed node",
    )

    found = sweep(now=timezone.now() + LATER)
    assert [(o.name, o.size) for o in found] == [("evidence/originals/stray.jpg", 21)]
    assert s3_storage.keys() == sorted([*recorded, "evidence/originals/stray.jpg"])

    removed = sweep(now=timezone.now() + LATER, delete=True)

    assert [o.name for o in removed] == ["evidence/originals/stray.jpg"]
    assert s3_storage.keys() == recorded
    assert item.file.name in recorded
    assert item.image.display.name in recorded


def test_a_young_orphan_is_kept_as_an_upload_in_flight(s3_storage):
    stored = default_storage.save("evidence/originals/in-flight.jpg", ContentFile(b"x"))

    assert sweep(delete=True) == []
    assert s3_storage.keys() == [stored]


def test_the_command_lists_then_deletes_on_local_disk(add_image):  # noqa: F811
    item = add_image("plain.jpg")
    stray = default_storage.save("evidence/originals/stray.bin", ContentFile(b"abc"))

    listed = StringIO()
    call_command("sweep_storage", "--grace-hours", "0", stdout=listed)
    assert listed.getvalue().splitlines()[0].split("\t")[:2] == [stray, "3"]
    assert listed.getvalue().splitlines()[-1] == (
        "Found 1 object(s) with no record (3 bytes)."
    )
    assert default_storage.exists(stray)

    removed = StringIO()
    call_command("sweep_storage", "--grace-hours", "0", "--delete", stdout=removed)

    assert removed.getvalue().splitlines()[-1] == (
        "Removed 1 object(s) with no record (3 bytes)."
    )
    assert not default_storage.exists(stray)
    assert default_storage.exists(item.file.name)
    assert default_storage.exists(item.image.thumbnail.name)
