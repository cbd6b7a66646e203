"""Evidence services: adding each kind, refusals, duplicates, processing, custody."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from evidence import services
from evidence.documents import services as document_services
from evidence.images import services as image_services
from evidence.images.process import ImageRejected
from evidence.models import (
    CustodyEvent,
    EvidenceItem,
    ImageDetail,
    NearDuplicate,
    ProcessingState,
)
from provenance.audit.chain import verify_chain
from provenance.audit.models import AuditEvent
from tests.factories import EntityFactory

pytestmark = pytest.mark.django_db


def test_image_is_stored_byte_for_byte_and_processed_to_done(add_image, image_path):
    item = add_image("exif_gps.jpg", source="Test camera")

    assert item.kind == "image"
    assert item.processing_state == ProcessingState.DONE
    assert item.processing_error == ""
    assert item.mime_type == "image/jpeg"
    assert item.file.read() == image_path("exif_gps.jpg").read_bytes()
    assert item.file.name.startswith("originals/")
    assert "exif_gps" not in item.file.name  # stored under a generated name
    assert item.original_filename == "exif_gps.jpg"
    image = item.image
    assert image.phash
    assert len(image.phash) == 16
    assert image.has_gps
    assert image.captured_at is not None
    assert image.exif["Make"] == "Provenance Test Camera Co."
    assert image.thumbnail.name
    assert image.display.name


def test_processing_fills_observed_at_from_capture_time_when_blank(add_image):
    item = add_image("exif_gps.jpg")

    assert item.observed_at == item.image.captured_at


def test_derivatives_carry_no_metadata(add_image):
    from PIL import Image

    item = add_image("exif_gps.jpg")

    with Image.open(item.image.display) as display:
        assert not display.getexif()
        assert "icc_profile" not in display.info


def test_png_named_jpg_is_stored_as_png_with_the_mismatch_noted(add_image):
    item = add_image("png_named.jpg")

    assert item.mime_type == "image/png"
    assert item.has_extension_mismatch is True
    assert item.file.name.endswith(".png")
    assert item.processing_state == ProcessingState.DONE


@pytest.mark.parametrize(
    ("name", "code", "words"),
    [
        ("bomb.png", "too_many_pixels", "pixel limit"),
        ("truncated.jpg", "truncated", "incomplete (truncated)"),
        ("drawing.svg", "unsupported_type", "an SVG drawing"),
        ("html_named.jpg", "unsupported_type", "an HTML page"),
        ("pdf_named.jpg", "unsupported_type", "a PDF document"),
    ],
)
def test_refused_image_leaves_everything_stored_untouched(
    add_image, snapshot, name, code, words
):
    add_image("plain.jpg")
    before = snapshot()

    with pytest.raises(ImageRejected) as caught:
        add_image(name)

    assert caught.value.code == code
    assert words in caught.value.message
    assert snapshot() == before


def test_same_bytes_twice_are_offered_as_the_existing_item(add_image, snapshot):
    first = add_image("plain.jpg")
    before = snapshot()

    with pytest.raises(services.DuplicateEvidence) as caught:
        add_image("plain.jpg", filename="renamed.jpeg")

    assert caught.value.existing == first
    assert snapshot() == before


def test_same_bytes_in_another_team_are_a_separate_item(
    add_image, other_team, outsider
):
    first = add_image("plain.jpg")
    second = add_image("plain.jpg", actor=outsider, team_=other_team)

    assert second.pk != first.pk
    assert second.sha256 == first.sha256


def test_near_duplicate_is_flagged_both_ways(add_image):
    original = add_image("plain.jpg")
    resized = add_image("plain_resized.jpg")

    pair = NearDuplicate.objects.get(item=resized)
    assert pair.other == original
    assert pair.distance <= 10
    assert NearDuplicate.objects.get(item=original).other == resized


def test_unrelated_picture_is_not_flagged(add_image):
    add_image("plain.jpg")
    other = add_image("other.jpg")

    assert not NearDuplicate.objects.filter(item=other).exists()
    assert not NearDuplicate.objects.filter(other=other).exists()


def test_near_duplicates_stay_within_the_team(add_image, other_team, outsider):
    add_image("plain.jpg")
    theirs = add_image("plain_resized.jpg", actor=outsider, team_=other_team)

    assert NearDuplicate.objects.count() == 0
    assert theirs.processing_state == ProcessingState.DONE


def test_processing_twice_gives_the_same_result(add_image):
    add_image("plain.jpg")
    item = add_image("plain_resized.jpg")

    def state():
        item.refresh_from_db()
        detail = ImageDetail.objects.get(item=item)
        return {
            "state": item.processing_state,
            "detail": (
                detail.width,
                detail.height,
                detail.exif,
                detail.phash,
                detail.gps_latitude,
                detail.captured_at,
                detail.content_credentials,
            ),
            "near": sorted(
                NearDuplicate.objects.values_list("item_id", "other_id", "distance")
            ),
            "custody": sorted(
                item.custody_events.values_list("action", "tool", "detail__step")
            ),
            "details": ImageDetail.objects.count(),
        }

    first = state()
    image_services.image_process(item_id=item.pk)
    second = state()

    assert second == first
    assert first["state"] == "done"


def test_custody_log_records_obtained_uploaded_and_each_processing_step(
    add_image, editor
):
    item = add_image(
        "plain.jpg",
        obtained_from="A source in the port",
        obtained_at=datetime(2023, 10, 14, 9, 0, tzinfo=UTC),
    )

    events = list(item.custody_events.all())
    assert [e.action for e in events[:2]] == ["obtained", "uploaded"]
    assert events[0].party == "A source in the port"
    assert events[1].actor == editor
    assert events[1].detail["sha256"] == item.sha256
    steps = {e.detail["step"]: e for e in events if e.action == "processed"}
    assert set(steps) == {s for s, _, _ in image_services.PROCESSING_STEPS}
    assert steps["phash"].tool == "imagehash"
    assert steps["phash"].tool_version not in ("", "not installed")
    assert steps["derivatives"].tool == "Pillow"


def test_adding_and_processing_are_audited_in_one_intact_chain(add_image, team):
    item = add_image("plain.jpg")

    actions = list(
        AuditEvent.objects.filter(object_id=str(item.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == ["evidence.add", "evidence.processed"]
    assert list(verify_chain(team)) == []


def test_original_changed_on_disk_fails_processing_with_the_reason(add_image):
    item = add_image("plain.jpg")
    with open(item.file.path, "ab") as fh:
        fh.write(b"tampered")

    image_services.image_process(item_id=item.pk)

    item.refresh_from_db()
    assert item.processing_state == ProcessingState.FAILED
    assert "no longer matches the SHA-256" in item.processing_error


def test_outsider_cannot_add_evidence_to_a_team(team, outsider, image_path):
    with (
        pytest.raises(PermissionDenied),
        image_path("plain.jpg").open("rb") as upload,
    ):
        image_services.evidence_add_image(
            team=team, actor=outsider, upload=upload, filename="plain.jpg"
        )

    assert EvidenceItem.objects.count() == 0


def test_content_credentials_are_read_from_a_signed_image(add_image):
    item = add_image("c2pa_signed.jpg")

    credentials = item.image.content_credentials
    assert credentials is not None
    # Intact and correctly signed by the fixtures' own certificate, which no trust
    # list holds: "valid", not "trusted".
    assert credentials["state"] == "valid"
    assert credentials["signer"]["common_name"] == "Provenance Test Signer"
    assert credentials["signer"]["issuer"] == "Provenance Tests"
    assert credentials["validation_errors"] == [
        {
            "code": "signingCredential.untrusted",
            "explanation": "signing certificate untrusted",
        }
    ]


def test_image_without_content_credentials_records_none(add_image):
    assert add_image("plain.jpg").image.content_credentials is None


# --- statements, documents, links -----------------------------------------------------


def test_statement_records_speaker_on_behalf_of_and_quote(team, editor):
    speaker = EntityFactory(team=team, kind="person", name="Oleg Burmistrov")
    russia = EntityFactory(team=team, kind="government", name="Russian Federation")
    stated_at = datetime(2023, 10, 15, 9, 0, tzinfo=UTC)

    item = document_services.evidence_add_statement(
        team=team,
        actor=editor,
        speaker=speaker,
        on_behalf_of=russia,
        stated_at=stated_at,
        quote="Moscow did not violate UN sanctions.",
        venue="RIA Novosti",
        original_language="ru",
    )

    assert item.kind == "statement"
    assert item.observed_at == stated_at
    assert item.statement.speaker == speaker
    assert item.statement.venue == "RIA Novosti"
    assert item.title.startswith("Oleg Burmistrov: ")
    assert item.custody_events.get().action == "uploaded"


def test_statement_speaker_must_be_a_person_of_the_team(team, editor, other_team):
    organisation = EntityFactory(team=team, kind="organization")

    with pytest.raises(ValidationError) as caught:
        document_services.evidence_add_statement(
            team=team,
            actor=editor,
            speaker=organisation,
            stated_at=datetime(2023, 10, 15, tzinfo=UTC),
            quote="No.",
        )

    assert "speaker" in caught.value.message_dict
    assert EvidenceItem.objects.count() == 0


def test_document_type_comes_from_the_bytes(team, editor, image_path):
    with image_path("report.pdf").open("rb") as upload:
        item = document_services.evidence_add_document(
            team=team, actor=editor, upload=upload, filename="rusi-analysis.bin"
        )

    assert item.kind == "document"
    assert item.mime_type == "application/pdf"
    assert item.has_extension_mismatch is True
    assert item.file.name.endswith(".pdf")
    assert item.processing_state == ProcessingState.PENDING  # read on commit
    assert item.title == "rusi-analysis"


def test_svg_is_refused_as_a_document_too(team, editor, image_path, snapshot):
    before = snapshot()

    with (
        pytest.raises(services.FileRefused) as caught,
        image_path("drawing.svg").open("rb") as upload,
    ):
        document_services.evidence_add_document(
            team=team, actor=editor, upload=upload, filename="drawing.pdf"
        )

    assert "SVG" in caught.value.message
    assert snapshot() == before


def test_link_records_url_and_archived_copy(team, editor):
    item = document_services.evidence_add_link(
        team=team,
        actor=editor,
        url="https://rusi.org/explore-our-research",
        title="RUSI analysis",
        archived_url="https://web.archive.org/web/2023/https://rusi.org/",
        archived_at=datetime(2023, 10, 16, tzinfo=UTC),
    )

    assert item.kind == "link"
    assert item.archived_url.startswith("https://web.archive.org/")
    assert AuditEvent.objects.get(object_id=str(item.pk)).action == "evidence.add"


# --- changes --------------------------------------------------------------------------


def test_marking_restricted_is_logged_and_audited(add_image, editor):
    item = add_image("plain.jpg")

    services.evidence_set_restricted(
        item_id=item.pk, actor=editor, is_restricted=True, reason="source"
    )

    item.refresh_from_db()
    assert item.is_restricted is True
    assert item.custody_events.filter(action="restricted").count() == 1
    assert EvidenceItem.objects.exportable().count() == 0
    assert AuditEvent.objects.filter(action="evidence.restrict").count() == 1


def test_update_changes_named_fields_with_custody_and_audit(add_image, editor):
    item = add_image("plain.jpg")

    services.evidence_update(
        item_id=item.pk, actor=editor, source="Maxar", source_reliability="B"
    )

    item.refresh_from_db()
    assert (item.source, item.grade) == ("Maxar", "B6")
    edited = item.custody_events.get(action=CustodyEvent.Action.EDITED)
    assert edited.detail == {"source": "Maxar", "source_reliability": "B"}


def test_update_refuses_the_file_and_hash(add_image, editor):
    item = add_image("plain.jpg")

    with pytest.raises(TypeError):
        services.evidence_update(item_id=item.pk, actor=editor, sha256="0" * 64)


def test_task_for_a_deleted_item_does_nothing():
    from evidence.tasks import process_image

    assert process_image.apply(args=[987654]).get() == "missing"


def test_failed_item_can_be_queued_again_and_reaches_done(
    add_image, editor, django_capture_on_commit_callbacks
):
    item = add_image("plain.jpg")
    EvidenceItem.objects.filter(pk=item.pk).update(
        processing_state="failed", processing_error="worker lost"
    )

    with django_capture_on_commit_callbacks(execute=True):
        image_services.image_reprocess(item_id=item.pk, actor=editor)

    item.refresh_from_db()
    assert (item.processing_state, item.processing_error) == ("done", "")


def test_only_an_editor_may_lift_source_protection(add_image, editor, reporter):
    item = add_image("plain.jpg")
    services.evidence_set_restricted(
        item_id=item.pk, actor=reporter, is_restricted=True
    )
    with pytest.raises(PermissionDenied):
        services.evidence_set_restricted(
            item_id=item.pk, actor=reporter, is_restricted=False
        )
    item.refresh_from_db()
    assert item.is_restricted is True
    services.evidence_set_restricted(item_id=item.pk, actor=editor, is_restricted=False)
    item.refresh_from_db()
    assert item.is_restricted is False
