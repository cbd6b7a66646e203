"""Issue 19: every stored file on a real S3 server (SeaweedFS on loopback, started
by the tests). An image and an AIS extract are stored, processed from the bucket
and downloaded through the authorizing views byte for byte; nothing reaches the
local disk; the bucket refuses anonymous reads."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from evidence.ais.services import ais_process, evidence_add_ais
from evidence.models import AISPosition, ProcessingState

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


REAL = Path(__file__).resolve().parent.parent / "data" / "real"


def _processed(item):
    item.refresh_from_db()
    return item


def _add_document(team, editor, path: Path, on_commit):
    from evidence.documents.services import evidence_add_document

    with on_commit(execute=True), path.open("rb") as upload:
        item = evidence_add_document(
            team=team, actor=editor, upload=upload, filename=path.name
        )
    return _processed(item)


def _tamper(s3_storage, name: str) -> str:
    """Rewrite the object behind the app's back; the SHA-256 it now has."""
    altered = s3_storage.read(name) + b"tampered in the bucket"
    s3_storage.client().put_object(
        Bucket=s3_storage.bucket, Key=f"{s3_storage.prefix}/{name}", Body=altered
    )
    return hashlib.sha256(altered).hexdigest()


def test_a_geotiff_and_a_pdf_are_processed_from_the_bucket(
    s3_storage, team, editor, add_image, django_capture_on_commit_callbacks
):
    before = local_files()
    geotiff = _processed(add_image(str(REAL / "images_meta" / "GeoTiff.tif")))
    pdf = _add_document(
        team,
        editor,
        REAL / "documents" / "metadata.pdf",
        django_capture_on_commit_callbacks,
    )

    assert geotiff.processing_state == ProcessingState.DONE
    assert geotiff.image.geo["crs"]  # rasterio read the copy of the object
    assert {geotiff.image.thumbnail.name, geotiff.image.display.name} <= set(
        s3_storage.keys()
    )
    assert pdf.processing_state == ProcessingState.DONE
    assert pdf.document.page_count == 1
    stored = s3_storage.keys()
    assert pdf.file.name in stored
    assert local_files() == before  # the temp copies are gone


def test_an_image_altered_in_the_bucket_fails_processing_naming_both_hashes(
    s3_storage, add_image
):
    from evidence.images.services import image_process

    item = add_image("exif_gps.jpg")
    found = _tamper(s3_storage, item.file.name)

    image_process(item_id=item.pk)

    item.refresh_from_db()
    assert item.processing_state == ProcessingState.FAILED
    assert item.processing_error == (
        f"The stored file {item.file.name} no longer matches the SHA-256 recorded "
        f"at upload (recorded {item.sha256}, read back {found}): it was altered or "
        "damaged in storage. Nothing was read from it."
    )


def test_a_document_altered_in_the_bucket_fails_processing(
    s3_storage, team, editor, django_capture_on_commit_callbacks
):
    from evidence.documents.services import document_process

    item = _add_document(
        team,
        editor,
        REAL / "documents" / "metadata.pdf",
        django_capture_on_commit_callbacks,
    )
    found = _tamper(s3_storage, item.file.name)

    document_process(item_id=item.pk)

    item.refresh_from_db()
    assert item.processing_state == ProcessingState.FAILED
    assert f"recorded {item.sha256}, read back {found}" in item.processing_error


def test_an_ais_extract_altered_in_the_bucket_fails_before_any_row_is_kept(
    s3_storage, team, editor
):
    with AIS.open("rb") as upload:
        item = evidence_add_ais(
            team=team,
            actor=editor,
            upload=upload,
            filename=AIS.name,
            enqueue=False,
            is_synthetic=True,
        )
    found = _tamper(s3_storage, item.file.name)

    ais_process(item_id=item.pk)

    item.refresh_from_db()
    assert item.processing_state == ProcessingState.FAILED
    assert f"recorded {item.sha256}, read back {found}" in item.processing_error
    assert AISPosition.objects.filter(extract=item.ais).count() == 0


def test_a_backup_of_an_altered_original_fails_and_audits_the_item(
    s3_storage, add_image, tmp_path
):
    from provenance.audit.models import AuditEvent
    from provenance.backup import BackupError, backup

    item = add_image("exif_gps.jpg")
    found = _tamper(s3_storage, item.file.name)

    with pytest.raises(BackupError) as failed:
        backup(tmp_path / "backup")

    assert f"evidence #{item.pk}: The stored file {item.file.name}" in str(failed.value)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert len(manifest["problems"]) == 1
    event = AuditEvent.objects.get(
        action="evidence.integrity_failed", object_id=str(item.pk)
    )
    assert event.actor is None
    assert event.payload == {
        "where": "backup",
        "name": item.file.name,
        "recorded_sha256": item.sha256,
        "read_back_sha256": found,
    }


def test_a_presigned_download_is_issued_after_the_check_and_expires(
    s3_storage, settings, add_image, image_path, editor_client, outsider_client
):
    settings.S3_PRESIGNED_DOWNLOADS = True
    settings.S3_PRESIGNED_EXPIRY_SECONDS = 2
    item = add_image("exif_gps.jpg")
    url = reverse("evidence:item-original", args=[item.pk])

    refused = outsider_client.get(url)
    assert refused.status_code == 404
    assert "Location" not in refused
    assert not item.custody_events.filter(action="downloaded").exists()

    response = editor_client.get(url)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    presigned = response["Location"]
    assert presigned.startswith(f"{s3_storage.endpoint_url}/{s3_storage.bucket}/")
    assert "X-Amz-Expires=2" in presigned
    assert item.custody_events.filter(action="downloaded").count() == 1
    with urllib.request.urlopen(presigned, timeout=10) as got:  # noqa: S310 - loopback
        assert got.read() == image_path("exif_gps.jpg").read_bytes()
        assert got.headers["Content-Type"] == "image/jpeg"
        assert got.headers["Content-Disposition"].startswith("attachment;")

    # Past its expiry the bucket refuses the same URL (polled: the server's clock
    # decides; a refusal not seen yet is "not expired yet").
    deadline = time.monotonic() + 15
    code = 200
    while code == 200 and time.monotonic() < deadline:
        time.sleep(0.5)
        try:
            urllib.request.urlopen(presigned, timeout=10).close()  # noqa: S310
        except urllib.error.HTTPError as exc:
            code = exc.code
    assert code == 403


def test_shown_images_stay_streamed_with_presigned_downloads_on(
    s3_storage, settings, add_image, editor_client
):
    settings.S3_PRESIGNED_DOWNLOADS = True
    item = add_image("exif_gps.jpg")

    display = editor_client.get(reverse("evidence:item-display", args=[item.pk]))

    assert display.status_code == 200
    assert b"".join(display.streaming_content) == s3_storage.read(
        item.image.display.name
    )
