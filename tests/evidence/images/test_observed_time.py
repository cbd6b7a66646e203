"""The capture time proposed as the evidence's observed time, never over a
person's choice, with the custody log saying where it came from."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from evidence import services
from evidence.images import services as image_services
from evidence.models import CustodyEvent
from provenance.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "images_meta"
GOOGLE_INSTANT = datetime(2023, 10, 6, 20, 53, 51, 724000, tzinfo=UTC)


@pytest.fixture
def add_real(team, editor, django_capture_on_commit_callbacks):
    def add(name: str, **fields):
        with (
            django_capture_on_commit_callbacks(execute=True),
            (REAL / name).open("rb") as upload,
        ):
            item = image_services.evidence_add_image(
                team=team, actor=editor, upload=upload, filename=name, **fields
            )
        item.refresh_from_db()
        return item

    return add


def proposals(item) -> list[dict]:
    return [
        e.detail
        for e in item.custody_events.filter(
            action=CustodyEvent.Action.EDITED, actor__isnull=True
        )
    ]


def reprocess(item):
    image_services.image_process(item_id=item.pk)
    item.refresh_from_db()
    return item


def test_capture_time_is_proposed_as_observed_time_with_a_custody_entry(add_real):
    item = add_real("Google.jpg")

    assert item.observed_at == GOOGLE_INSTANT
    assert proposals(item) == [
        {
            "observed_at": "2023-10-06T20:53:51.724000+00:00",
            "capture_time": "2023-10-06T22:53:51.724+02:00",
            "source": "EXIF DateTimeOriginal",
            "precision": "subsecond",
            "description": "observed time proposed from EXIF DateTimeOriginal +02:00",
        }
    ]
    processed = AuditEvent.objects.get(action="evidence.processed")
    assert processed.payload["observed_at_proposed"]["source"] == (
        "EXIF DateTimeOriginal"
    )


def test_image_detail_keeps_source_offset_precision_and_every_candidate(add_real):
    image = add_real("Apple.jpg").image

    assert image.captured_at == datetime(2016, 9, 28, 17, 18, 5, 813000, tzinfo=UTC)
    assert image.captured_at_source == (
        "EXIF DateTimeOriginal; offset from GPS date/time (UTC)"
    )
    assert image.captured_at_offset == "+01:00"
    assert image.captured_at_precision == "subsecond"
    assert [c["source"] for c in image.capture_times] == [
        "EXIF DateTimeOriginal",
        "EXIF DateTimeDigitized",
        "GPS date/time (UTC)",
        "EXIF DateTime",
    ]
    assert image.capture_times[0]["as_used"] == "2016-09-28T18:18:05.813+01:00"


def test_derived_offset_is_named_in_the_custody_entry(add_real):
    item = add_real("GoPro.jpg")

    assert item.observed_at == datetime(2017, 10, 3, 14, 58, 29, tzinfo=UTC)
    assert proposals(item)[0]["description"] == (
        "observed time proposed from EXIF DateTimeOriginal, offset -04:00 "
        "from GPS date/time (UTC)"
    )


def test_local_time_without_offset_is_not_proposed(add_real):
    item = add_real("Canon.jpg")

    assert item.observed_at is None
    assert item.image.captured_at is None
    assert item.image.captured_at_offset == ""
    assert item.image.capture_times[0]["as_used"] == "2003-12-04T06:46:52"
    assert proposals(item) == []


def test_observed_time_given_at_upload_is_kept(add_real):
    given = datetime(2023, 10, 7, 8, 0, tzinfo=UTC)

    item = add_real("Google.jpg", observed_at=given)

    assert item.observed_at == given
    assert proposals(item) == []


def test_reprocessing_does_not_overwrite_a_persons_change(add_real, editor):
    item = add_real("Google.jpg")
    chosen = datetime(2023, 10, 6, 19, 0, tzinfo=UTC)
    services.evidence_update(item_id=item.pk, actor=editor, observed_at=chosen)

    item = reprocess(item)

    assert item.observed_at == chosen
    edits = item.custody_events.filter(action=CustodyEvent.Action.EDITED)
    assert [(e.actor, e.detail["observed_at"]) for e in edits] == [
        (None, "2023-10-06T20:53:51.724000+00:00"),
        (editor, "2023-10-06T19:00:00+00:00"),
    ]


def test_reprocessing_does_not_refill_an_observed_time_a_person_cleared(
    add_real, editor
):
    item = add_real("Google.jpg")
    services.evidence_update(item_id=item.pk, actor=editor, observed_at=None)

    item = reprocess(item)

    assert item.observed_at is None
    assert len(proposals(item)) == 1


def test_reprocessing_an_unchanged_proposal_writes_nothing_new(add_real):
    item = add_real("Google.jpg")

    item = reprocess(item)

    assert item.observed_at == GOOGLE_INSTANT
    assert len(proposals(item)) == 1


def test_image_page_shows_capture_time_candidates_iptc_and_xmp(add_real, editor_client):
    item = add_real("PhotoMechanic.jpg")

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert '<span class="mono">2006-10-29T06:27:51-05:00</span>' in html
    assert "IPTC DateCreated + TimeCreated · precision: second" in html
    assert (
        '<li><span class="mono">2006-10-29</span> · XMP photoshop:DateCreated</li>'
        in html
    )
    assert "<td>Keywords</td><td>Keywords, one, three, two</td>" in html
    assert "<td>Iptc4xmpCore:CountryCode</td><td>COD</td>" in html
    assert "observed time proposed from IPTC DateCreated + TimeCreated -05:00" in html


def test_image_page_says_when_the_offset_is_unknown(add_real, editor_client):
    item = add_real("Canon.jpg")

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert '<span class="mono">2003-12-04T06:46:52</span>' in html
    assert "(local time, offset unknown: not used as the observed time)" in html
    # jsonb (PostgreSQL) keeps keys in its own order: look for each pair.
    maker_note = html.split("<td>MakerNote</td>", 1)[1].split("</td>", 1)[0]
    assert "maker: Canon" in maker_note
    assert "bytes: 1432" in maker_note


def test_an_earlier_proposal_nobody_touched_follows_a_better_reading(add_real):
    item = add_real("Google.jpg")
    older = datetime(2023, 10, 6, 22, 53, 51, tzinfo=UTC)  # as a reader once said
    type(item).objects.filter(pk=item.pk).update(observed_at=older)
    CustodyEvent.objects.filter(item=item, actor__isnull=True).update(
        detail={"observed_at": older.isoformat()}
    )

    item = reprocess(item)

    assert item.observed_at == GOOGLE_INSTANT
    assert [p["observed_at"] for p in proposals(item)] == [
        "2023-10-06T22:53:51+00:00",
        "2023-10-06T20:53:51.724000+00:00",
    ]
