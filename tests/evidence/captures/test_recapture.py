"""Capture again (issue 18): a page that changed between two captures, captured
twice by Chromium from the loopback site; both versions are kept, numbered,
with who asked, and the text diff between them shows the change."""

from __future__ import annotations

import pytest

from evidence import selectors
from evidence.captures import services, textdiff
from evidence.documents import services as document_services
from evidence.models import CaptureFile, EvidenceItem
from provenance.audit.models import AuditEvent


@pytest.fixture
def allow_site(settings, site):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]
    settings.CAPTURE_TIMEOUT_SECONDS = 30
    return site


@pytest.fixture
def recaptured(
    team, editor, reporter, allow_site, chromium, django_capture_on_commit_callbacks
) -> EvidenceItem:
    """The notice captured by the editor, changed, then captured again by the
    reporter."""
    with django_capture_on_commit_callbacks(execute=True):
        item = document_services.evidence_add_link(
            team=team, actor=editor, url=allow_site.url("/notice"), capture=True
        )
    allow_site.next_edition()
    with django_capture_on_commit_callbacks(execute=True):
        services.capture_again(item_id=item.pk, actor=reporter)
    item.refresh_from_db()
    return item


def test_capture_again_keeps_both_versions_and_the_diff_shows_the_change(
    recaptured, team, editor, reporter
):
    """One test for both (each capture launches Chromium: seconds apiece)."""
    _, captures = selectors.capture_versions(team=team, item_id=recaptured.pk)

    assert [(c.number, c.requested_by) for c in captures] == [
        (1, editor),
        (2, reporter),
    ]
    assert all(c.captured_at is not None for c in captures)
    assert [c.summary["truncated"] for c in captures] == [[], []]
    assert recaptured.processing_state == "done"
    texts = [CaptureFile.objects.get(capture=c, role="text").sha256 for c in captures]
    assert texts[0] != texts[1]
    assert AuditEvent.objects.filter(action="evidence.capture_again").get().payload == {
        "capture": captures[1].pk,
        "url": recaptured.url,
    }
    assert AuditEvent.objects.filter(action="evidence.captured").count() == 2

    # The page changed in between: the diff says exactly how.
    first, second = captures
    texts = selectors.capture_texts(
        team=team,
        item_id=recaptured.pk,
        capture_ids=[first.pk, second.pk],
        max_chars=textdiff.MAX_CHARS,
    )

    diff = textdiff.diff_texts(texts[first.pk][0], texts[second.pk][0])

    assert [(line.kind, line.text) for line in diff.lines] == [
        ("hunk", "@@ -1,4 +1,5 @@"),
        ("context", "Port authority notice"),
        ("removed", "The vessel left berth 4 at 06:10."),
        ("added", "The vessel left berth 4 at 07:45."),
        ("context", "Cargo: 12,000 t of grain."),
        ("context", "Contact: the press office."),
        ("added", "Correction <script>alert(1)</script> issued on 4 March."),
    ]
    assert (diff.added, diff.removed, diff.truncated) == (2, 1, False)
