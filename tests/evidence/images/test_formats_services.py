"""Image formats through the services, the page and add_image: GeoTIFF facts
stored and shown, flat images kept out of near-duplicate search, equivalent
extensions for documents, and add_image failing loudly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import ManagementUtility

from evidence.documents import services as document_services
from evidence.images import services as image_services
from evidence.models import EvidenceItem, ImageDetail, NearDuplicate, ProcessingState
from tests.celery_worker import allow_audit_flush

pytestmark = pytest.mark.django_db

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "images_formats"


@pytest.fixture
def add_real(team, editor, django_capture_on_commit_callbacks):
    """Add a real sample through the service, running its on-commit processing."""

    def add(name: str, *, filename: str | None = None) -> EvidenceItem:
        with (
            django_capture_on_commit_callbacks(execute=True),
            (REAL / name).open("rb") as upload,
        ):
            item = image_services.evidence_add_image(
                team=team, actor=editor, upload=upload, filename=filename or name
            )
        item.refresh_from_db()
        return item

    return add


def test_geotiff_facts_are_stored(add_real):
    item = add_real("byte.tif")

    detail = ImageDetail.objects.get(item=item)
    assert item.processing_state == ProcessingState.DONE
    assert detail.image_format == "GeoTIFF"
    assert detail.geo["crs"] == "EPSG:26711"
    assert detail.geo["bounds_wgs84"] == [
        -117.6420428,
        33.8915461,
        -117.6289846,
        33.9024353,
    ]
    assert detail.geo["footprint"]["coordinates"][0][0] == [-117.6420428, 33.9023684]
    steps = {
        e.detail["step"]: e.detail
        for e in item.custody_events.filter(action="processed")
    }
    assert steps["georeference"]["georeferenced"] is True
    assert steps["georeference"]["crs"] == "EPSG:26711"


def test_cog_with_a_mask_sub_image_is_processed(add_real):
    item = add_real("goes.tif")

    assert item.processing_state == ProcessingState.DONE
    assert item.image.image_format == "Cloud-Optimised GeoTIFF"
    assert item.image.geo["overviews"] == [[271, 271]]


def test_heic_is_stored_under_its_own_extension(add_real):
    item = add_real("zPug_3.heic")

    assert item.mime_type == "image/heif"
    assert item.file.name.endswith(".heic")
    assert item.processing_state == ProcessingState.DONE
    assert (item.image.width, item.image.height) == (64, 64)


def test_flat_images_are_not_near_duplicates_of_each_other(add_real):
    first = add_real("BigTIFF.btf")
    second = add_real("GeoTiff.tif")

    # Both hash to the degenerate value: before, they were "near" each other.
    assert first.image.phash == second.image.phash == "8000000000000000"
    assert (first.image.phash_low_information, second.image.phash_low_information) == (
        True,
        True,
    )
    assert NearDuplicate.objects.count() == 0
    step = second.custody_events.get(detail__step="near_duplicates").detail
    assert step["skipped"] == image_services.LOW_INFORMATION_MESSAGE
    assert step["found"] == []


def test_a_detailed_image_is_not_matched_against_flat_ones(add_real):
    add_real("Jpeg2000.jp2")
    item = add_real("hopper.avif")

    assert item.image.phash_low_information is False
    assert NearDuplicate.objects.count() == 0


def test_page_shows_the_georeferencing_and_the_footprint(editor_client, add_real):
    item = add_real("byte.tif")

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert "<h2>Georeferencing</h2>" in html
    assert "NAD27 / UTM zone 11N <code>EPSG:26711</code>" in html
    assert "W -117.6420428, S 33.8915461, E -117.6289846, N 33.9024353" in html
    assert "60.0 × 60.0 metre per pixel" in html
    assert f'download="evidence-{item.pk}-footprint.geojson"' in html
    assert "&quot;type&quot;: &quot;Polygon&quot;" in html
    assert "<dd data-format>GeoTIFF</dd>" in html


def test_page_says_a_flat_image_has_too_little_detail_to_compare(
    editor_client, add_real
):
    item = add_real("BigTIFF.btf")

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert "Not searched: too little detail to compare." in html
    assert "<h2>Georeferencing</h2>" not in html


@pytest.mark.parametrize(
    ("filename", "mismatch"),
    [("scan.jpeg", False), ("scan.jpg", False), ("scan.png", True)],
)
def test_jpeg_kept_as_a_document_knows_its_extensions(team, editor, filename, mismatch):
    with (REAL / "frame_size.mpo").open("rb") as upload:
        item = document_services.evidence_add_document(
            team=team, actor=editor, upload=upload, filename=filename
        )

    assert item.mime_type == "image/jpeg"
    assert item.has_extension_mismatch is mismatch


# -- add_image -------------------------------------------------------------------------


@pytest.fixture
def audit_flushable(transactional_db):
    yield
    allow_audit_flush()


def run(*args, monkeypatch) -> int:
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    try:
        ManagementUtility(["manage.py", "add_image", *map(str, args)]).execute()
    except SystemExit as exited:
        return exited.code
    return 0


@pytest.mark.django_db(transaction=True)
def test_add_image_exits_1_when_processing_fails(
    audit_flushable, team, editor, capsys, monkeypatch
):
    def refuse(*args, **kwargs):
        raise image_services.images.ImageRejected(
            "The image data is damaged and cannot be decoded.", code="corrupt"
        )

    # The upload check passes; the processing step (run on commit) fails.
    monkeypatch.setattr(image_services.images, "process_image", refuse)

    code = run(REAL / "byte.tif", "--team", "team-a", monkeypatch=monkeypatch)

    item = EvidenceItem.objects.get()
    assert item.processing_state == ProcessingState.FAILED
    assert code == 1
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(
            f"byte.tif (evidence #{item.pk}): processing failed: "
            "The image data is damaged and cannot be decoded."
        )
    )


@pytest.mark.django_db(transaction=True)
def test_add_image_json_carries_the_georeferencing(
    audit_flushable, team, editor, capsys, monkeypatch
):
    code = run(REAL / "goes.tif", "--team", "team-a", "--json", monkeypatch=monkeypatch)

    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["image_format"] == "Cloud-Optimised GeoTIFF"
    assert data["geo"]["overviews"] == [[271, 271]]
    assert data["geo"]["footprint"] is None
    assert data["phash_low_information"] is False


@pytest.mark.django_db(transaction=True)
def test_add_image_exits_0_for_a_processed_cog(
    audit_flushable, team, editor, capsys, monkeypatch
):
    code = run(REAL / "cogeo.tif", "--team", "team-a", monkeypatch=monkeypatch)

    item = EvidenceItem.objects.get()
    assert code == 0
    assert item.processing_state == ProcessingState.DONE
    assert f"Added evidence #{item.pk}" in capsys.readouterr().out
