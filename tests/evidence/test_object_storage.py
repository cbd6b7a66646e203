"""Issue 19: every stored file on a real S3 server (SeaweedFS on loopback, started
by the tests). An image and an AIS extract are stored, processed from the bucket
and downloaded through the authorizing views byte for byte; nothing reaches the
local disk; the bucket refuses anonymous reads."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from evidence.ais.services import ais_process, evidence_add_ais
from evidence.models import ProcessingState

pytestmark = pytest.mark.django_db

AIS = Path(__file__).resolve().parent.parent / "data" / "ais" / "marinecadastre.csv"


def local_files() -> set[str]:
    root = Path(django_settings.MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_an_image_lives_in_the_bucket_and_reaches_members_only_through_the_view(
    s3_storage,
    add_image,
    image_path,
    editor_client,
    outsider_client,
):
    before = local_files()
    item = add_image("exif_gps.jpg")
    original = image_path("exif_gps.jpg").read_bytes()

    assert item.processing_state == ProcessingState.DONE
    keys = s3_storage.keys()
    assert item.file.name in keys
    assert item.image.thumbnail.name in keys
    assert item.image.display.name in keys
    assert s3_storage.read(item.file.name) == original
    assert hashlib.sha256(s3_storage.read(item.file.name)).hexdigest() == item.sha256
    assert item.image.has_gps  # analysed from the object, not from a local path
    assert local_files() == before

    response = editor_client.get(reverse("evidence:item-original", args=[item.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == original
    display = editor_client.get(reverse("evidence:item-display", args=[item.pk]))
    assert b"".join(display.streaming_content) == s3_storage.read(
        item.image.display.name
    )
    assert (
        outsider_client.get(
            reverse("evidence:item-original", args=[item.pk])
        ).status_code
        == 404
    )

    # The bucket is private: no anonymous read of the object.
    url = s3_storage.url(item.file.name)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url, timeout=10)  # noqa: S310 - loopback test server
    assert refused.value.code == 403


def test_an_ais_extract_is_parsed_from_the_bucket(s3_storage, team, editor):
    before = local_files()
    with AIS.open("rb") as upload:
        item = evidence_add_ais(
            team=team,
            actor=editor,
            upload=upload,
            filename=AIS.name,
            enqueue=False,
            is_synthetic=True,
        )
    ais_process(item_id=item.pk)
    item.refresh_from_db()

    assert item.processing_state == ProcessingState.DONE
    assert s3_storage.keys() == [item.file.name]
    assert s3_storage.read(item.file.name) == AIS.read_bytes()
    assert item.ais.rows_kept > 0
    assert local_files() == before
