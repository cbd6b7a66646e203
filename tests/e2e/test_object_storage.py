"""Issue 19 in the browser: with every file in a real S3 bucket (SeaweedFS on
loopback), an image uploaded through the page in Chromium is processed from the
bucket, and its thumbnail and display copy reach the page through the
authorizing views (the bucket itself refuses the browser)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from evidence.models import EvidenceItem, ProcessingState
from tests.factories import MembershipFactory, TeamFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

IMAGE = Path(__file__).resolve().parent.parent / "data" / "images" / "exif_gps.jpg"


def test_an_image_uploaded_in_the_page_shows_its_copies_from_the_bucket(
    s3_storage, live_server, new_page, log_in, console, screenshots
):
    team = TeamFactory(name="Desk", slug="desk")
    MembershipFactory(team=team, role="editor", user__username="ed")
    shot = screenshots("s3-")
    page = new_page()
    log_in(page, "ed")

    page.goto(reverse("evidence:add-image"))
    page.get_by_label("Image file").set_input_files(IMAGE)
    page.get_by_label("Title").fill("Quay photo")
    page.get_by_role("button", name="Add image").click()

    item = EvidenceItem.objects.get(title="Quay photo")
    expect(page).to_have_url(live_server.url + item.get_absolute_url())
    expect(page.locator("#processing [data-state]")).to_have_text("Done")
    item.refresh_from_db()
    assert item.processing_state == ProcessingState.DONE
    keys = s3_storage.keys()
    assert {item.file.name, item.image.thumbnail.name, item.image.display.name} <= set(
        keys
    )
    thumb = page.locator("#processing img.thumb")
    expect(thumb).to_have_attribute(
        "src", reverse("evidence:item-thumbnail", args=[item.pk])
    )
    # The thumbnail streams from the bucket through the view: wait until it has
    # loaded (the attribute is there before the bytes are), then check it decoded.
    page.wait_for_function("img => img.complete", arg=thumb.element_handle())
    assert thumb.evaluate("img => img.naturalWidth") > 0
    shot(page, "item-page")

    with page.expect_response(
        lambda r: r.url.endswith(reverse("evidence:item-display", args=[item.pk]))
    ) as shown:
        page.locator("#processing a:has(img.thumb)").click()
    assert shown.value.status == 200
    assert shown.value.body() == s3_storage.read(item.image.display.name)
    shot(page, "display-copy")

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(s3_storage.url(item.image.display.name), timeout=10)  # noqa: S310
    assert refused.value.code == 403
    assert console.errors == []
