"""Document processing through the service: what is stored, the processing
state it ends in and why, custody, audit, search and the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.test import override_settings

from evidence.documents import services
from evidence.models import CustodyEvent, DocumentDetail, EvidenceItem, ProcessingState
from provenance.audit.models import AuditEvent
from tests.evidence.c2pa_samples import TRUST_BUNDLE, signed_pdf

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "documents"


@pytest.fixture
def add_document(team, editor, django_capture_on_commit_callbacks):
    """Add a document through the service, running its on-commit processing."""

    def add(path: Path, *, filename: str | None = None) -> EvidenceItem:
        with django_capture_on_commit_callbacks(execute=True), path.open("rb") as fh:
            item = services.evidence_add_document(
                team=team, actor=editor, upload=fh, filename=filename or path.name
            )
        item.refresh_from_db()
        return item

    return add


def test_pdf_is_read_into_its_document_detail(add_document) -> None:
    item = add_document(REAL / "metadata.pdf")

    assert item.processing_state == ProcessingState.DONE
    assert item.processing_warning == ""
    doc = DocumentDetail.objects.get(item=item)
    assert doc.document_format == "pdf"
    assert doc.page_count == 1
    assert doc.title == "The Title"
    assert doc.author == "Martin Thoma"
    assert doc.created_in_file_at == datetime(2022, 4, 15, 7, 32, 43, tzinfo=UTC)
    assert doc.modified_in_file_at == doc.created_in_file_at
    assert doc.properties["producer"] == "Latex with hyperref, or other system"
    assert doc.text == "Whatever\n1"
    assert doc.text_truncated is False
    assert doc.has_javascript is False
    assert doc.has_attachments is False
    assert doc.content_credentials is None


def test_processing_writes_custody_steps_and_an_audit_event(add_document) -> None:
    item = add_document(REAL / "metadata.pdf")

    steps = {
        e.detail["step"]: e
        for e in CustodyEvent.objects.filter(
            item=item, action=CustodyEvent.Action.PROCESSED
        )
    }
    assert sorted(steps) == ["content_credentials", "extract", "hash"]
    assert steps["extract"].tool == "pypdf"
    assert steps["extract"].detail["page_count"] == 1
    assert steps["hash"].detail["sha256"] == item.sha256
    assert steps["content_credentials"].detail["state"] == "none"
    event = AuditEvent.objects.filter(action="evidence.processed").get()
    assert event.payload == {
        "document_format": "pdf",
        "page_count": 1,
        "text_chars": 10,
        "text_truncated": False,
        "has_javascript": False,
        "attachments": 0,
        "content_credentials": None,
    }


def test_javascript_and_attachments_end_in_a_warning_with_the_reason(
    add_document,
) -> None:
    item = add_document(REAL / "basic-attachments.pdf")

    assert item.processing_state == ProcessingState.WARNING
    assert item.processing_warning.startswith("The PDF carries JavaScript")
    assert "The PDF carries 2 attached files" in item.processing_warning
    doc = item.document
    assert doc.has_javascript is True
    assert doc.has_attachments is True
    assert [a["name"] for a in doc.attachments] == [
        "libpng-test.png",
        "libpng-test_with_url.png",
    ]
    assert doc.created_in_file_at == datetime(
        2023, 5, 4, 13, 31, 5, tzinfo=timezone(timedelta(hours=-7))
    )


def test_password_protected_pdf_ends_in_a_warning_saying_so(add_document) -> None:
    item = add_document(REAL / "encrypted-file.pdf")

    assert item.processing_state == ProcessingState.WARNING
    assert item.processing_warning == (
        "The PDF is protected by a password: its pages, properties and text "
        "cannot be read without it."
    )
    assert item.document.document_format == "pdf"
    assert item.document.page_count is None


def test_damaged_pdf_fails_with_the_reason(add_document, tmp_path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)

    item = add_document(path)

    assert item.processing_state == ProcessingState.FAILED
    assert item.processing_error.startswith("The PDF could not be read: ")


def test_docx_core_properties_and_text_are_stored(add_document) -> None:
    item = add_document(REAL / "test.docx")

    assert item.processing_state == ProcessingState.DONE
    doc = item.document
    assert doc.document_format == "docx"
    assert doc.author == "Cisco Employee"
    assert doc.page_count == 1
    assert doc.created_in_file_at == datetime(2013, 12, 15, 10, 40, tzinfo=UTC)
    assert doc.text == "python-docx was here!\npython-docx was here too!"
    step = CustodyEvent.objects.get(item=item, detail__step="extract_docx")
    assert step.tool == "defusedxml"


def test_plain_text_needs_no_processing(add_document, tmp_path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("a note")

    item = add_document(path)

    assert item.processing_state == ProcessingState.NOT_NEEDED
    assert not DocumentDetail.objects.filter(item=item).exists()


def test_document_text_is_searchable(add_document, team) -> None:
    item = add_document(REAL / "test.docx")
    add_document(REAL / "metadata.pdf")

    found = EvidenceItem.objects.for_team(team).search("was here too")

    assert list(found) == [item]


def test_content_credentials_of_a_pdf_are_stored(add_document, tmp_path) -> None:
    item = add_document(signed_pdf(tmp_path))

    cc = item.document.content_credentials
    assert cc["state"] == "valid"
    assert cc["title"] == "basic.pdf"


def test_configured_trust_list_makes_a_pdf_signer_trusted(
    add_document, tmp_path
) -> None:
    with override_settings(C2PA_TRUST_ANCHORS=str(TRUST_BUNDLE)):
        item = add_document(signed_pdf(tmp_path))

    assert item.document.content_credentials["state"] == "trusted"


def test_failed_document_can_be_processed_again(
    add_document, editor, tmp_path, django_capture_on_commit_callbacks
) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)
    item = add_document(path)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.document_reprocess(item_id=item.pk, actor=editor)

    item.refresh_from_db()
    # The processing task; its run fails again and queues the uploader's email.
    assert [getattr(c, "func", c).__name__ for c in callbacks] == [
        "enqueue",
        "queue_emails",
    ]
    assert item.processing_state == ProcessingState.FAILED  # the same bytes again
    assert AuditEvent.objects.filter(action="evidence.reprocess").count() == 1


def test_document_page_shows_facts_flags_and_text(editor_client, add_document) -> None:
    item = add_document(REAL / "basic-attachments.pdf")

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert "Document facts" in html
    assert "<strong>Contains JavaScript.</strong>" in html
    assert "<code>libpng-test.png</code>" in html
    assert '<pre class="document-text">c2pa-rs</pre>' in html
    assert "Content Credentials (C2PA)" in html
    assert "This PDF carries no Content Credentials." in html


def test_status_endpoint_returns_the_document_part(editor_client, add_document):
    item = add_document(REAL / "metadata.pdf")

    data = editor_client.get(f"/evidence/{item.pk}/status/").json()

    assert data["state"] == "done"
    assert "The Title" in data["html"]
