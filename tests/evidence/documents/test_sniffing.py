"""Active content hidden in documents, and payloads appended to images (issue 12,
finding 12). Markup is looked for in the whole of a text file, not a fixed head,
so padding cannot push it out of sight."""

import io

import pytest
from django.urls import reverse

from evidence import services
from evidence.documents import services as document_services
from evidence.models import EvidenceItem

REFUSED = (
    "This file is an SVG drawing or an HTML page; such active content is refused "
    "as evidence. Save the page as PDF, or record it as a link."
)


def add_document(team, editor, content: bytes, filename: str = "notes.txt"):
    return document_services.evidence_add_document(
        team=team, actor=editor, upload=io.BytesIO(content), filename=filename
    )


@pytest.mark.parametrize(
    "content",
    [
        b" " * 3000 + b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"\r\n\t " * 5000 + b"<SVG onload=alert(1)>",
        b"\xef\xbb\xbf" + b" " * 3000 + b"<!DOCTYPE html><p>hi</p>",
        b"Notes of the call.\n" * 20_000 + b"<svg onload=alert(1)>",
        b"Notes of the call.\n" * 20_000 + b"<html><body>x</body></html>",
        b"Notes\n" + b" " * 70_000 + b"<script>alert(1)</script>\n",
        b"\n" * 5000 + b"<html>\xff\xfe</html>",  # not UTF-8: would be octet-stream
    ],
    ids=[
        "svg-after-3000-spaces",
        "svg-after-20k-whitespace",
        "doctype-after-bom-and-spaces",
        "svg-after-380k-of-text",
        "html-after-380k-of-text",
        "script-across-a-chunk-boundary",
        "html-after-newlines-in-binary",
    ],
)
def test_markup_anywhere_in_a_text_file_is_refused(team, editor, content):
    with pytest.raises(services.FileRefused) as refused:
        add_document(team, editor, content)

    assert (refused.value.code, refused.value.message) == (
        "unsupported_type",
        REFUSED,
    )
    assert EvidenceItem.objects.count() == 0


def test_a_text_file_that_only_talks_about_svg_is_kept_as_text(team, editor):
    content = b"The SVG and HTML versions differ; see the PDF.\n" * 100

    item = add_document(team, editor, content)

    assert item.mime_type == "text/plain"


def test_a_jpeg_with_a_zip_appended_is_flagged_on_the_evidence_page(
    add_image, editor_client
):
    item = add_image("appended.jpg")

    verify = item.custody_events.get(detail__step="verify")
    assert verify.detail["trailing_bytes"] == 224
    assert verify.detail["trailing_kind"] == "zip"
    response = editor_client.get(reverse("evidence:item-detail", args=[item.pk]))
    assert response.status_code == 200
    assert (
        "224 bytes after the end of the image, starting like a ZIP archive"
        in response.content.decode()
    )


def test_a_plain_jpeg_has_nothing_flagged(add_image, editor_client):
    item = add_image("plain.jpg")

    verify = item.custody_events.get(detail__step="verify")
    assert verify.detail["trailing_bytes"] == 0
    response = editor_client.get(reverse("evidence:item-detail", args=[item.pk]))
    assert response.status_code == 200
    # The verify step is on the page, only without a warning.
    assert "checked type from the bytes, pixel cap, full decode" in (
        response.content.decode()
    )
    assert "after the end of the image" not in response.content.decode()
