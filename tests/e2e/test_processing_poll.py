"""The evidence page follows processing by its own polling: an image uploaded in
Chromium is processed by a real Celery worker, and the open page turns from
Pending to Done, with the image's facts, without being reloaded.

Needs PostgreSQL (the worker process reads the test database) and Redis.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from evidence.models import EvidenceItem
from tests.factories import MembershipFactory, TeamFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

IMAGE = Path(__file__).resolve().parent.parent / "data" / "images" / "plain.jpg"
# A ceiling for the worker to finish and the page to poll it, not a duration.
PROCESSING_TIMEOUT_MS = 60_000


def test_pending_image_page_turns_done_by_polling_a_real_worker(
    real_celery_worker, live_server, new_page, log_in, console, screenshots
):
    team = TeamFactory(name="Desk", slug="desk")
    MembershipFactory(team=team, role="editor", user__username="ed")
    with Image.open(IMAGE) as picture:
        width, height = picture.size
    shot = screenshots("poll-")
    page = new_page()
    log_in(page, "ed")
    status_calls = []
    page.on(
        "request",
        lambda request: (
            status_calls.append(request.url)
            if request.url.endswith("/status/")
            else None
        ),
    )

    # The worker is paused (SIGSTOP) while the page loads, so the page surely
    # starts pending and only its polling can show the result.
    worker = real_celery_worker.process
    os.kill(worker.pid, signal.SIGSTOP)
    try:
        page.goto(reverse("evidence:add-image"))
        page.get_by_label("Image file").set_input_files(IMAGE)
        page.get_by_label("Title").fill("Quay photo")
        page.get_by_role("button", name="Add image").click()
        item = EvidenceItem.objects.get(title="Quay photo")
        expect(page).to_have_url(live_server.url + item.get_absolute_url())
        state = page.locator("#processing [data-state]")
        expect(state).to_have_text("Pending")
        expect(page.locator("#processing")).to_have_attribute("data-pending", "1")
        assert EvidenceItem.objects.get(pk=item.pk).processing_state == "pending"
        shot(page, "pending")
        # A mark in this document: a reload would lose it.
        page.evaluate("window.__notReloaded = true")
    finally:
        os.kill(worker.pid, signal.SIGCONT)

    expect(state).to_have_text("Done", timeout=PROCESSING_TIMEOUT_MS)
    expect(page.locator("#processing")).to_have_attribute("data-pending", "0")
    facts = page.locator("#processing dl.facts").first
    expect(facts).to_contain_text(f"{width} × {height} px")
    shot(page, "done")

    assert page.evaluate("window.__notReloaded") is True
    status_url = reverse("evidence:item-status", args=[item.pk])
    assert status_calls
    assert set(status_calls) == {live_server.url + status_url}
    assert EvidenceItem.objects.get(pk=item.pk).processing_state == "done"
    log = real_celery_worker.log()
    assert "evidence.tasks.process_image" in log
    assert log.count("evidence.tasks.process_image[") == 2  # received, succeeded
    assert console.errors == []
