"""Document extraction on real files, against what poppler and exiftool say
(tests/data/real/documents/SOURCES.md)."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from evidence.documents.extract import (
    DOCX_MIME,
    PDF_MIME,
    DocumentUnreadable,
    Limits,
    extract_document,
    pdf_date,
    w3cdtf,
)

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "documents"


def pdf(name: str, limits: Limits | None = None):
    return extract_document(REAL / name, PDF_MIME, limits)


def docx(path: Path, limits: Limits | None = None):
    return extract_document(path, DOCX_MIME, limits)


# --- PDF ------------------------------------------------------------------------------


def test_pdf_properties_are_those_pdfinfo_reads() -> None:
    facts = pdf("metadata.pdf")

    assert facts.document_format == "pdf"
    assert facts.page_count == 1
    assert facts.title == "The Title"
    assert facts.author == "Martin Thoma"
    assert facts.created_at == datetime(
        2022, 4, 15, 9, 32, 43, tzinfo=timezone(timedelta(hours=2))
    )
    assert facts.modified_at == facts.created_at
    assert facts.properties == {
        "subject": "The Subject",
        "keywords": "Some Keywords, other keywords; more keywords",
        "creator_tool": "pdflatex, or other tool",
        "producer": "Latex with hyperref, or other system",
        "trapped": "False",
        "pdf_version": "1.5",
    }
    assert facts.text == "Whatever\n1"
    assert facts.text_truncated is False
    assert facts.has_javascript is False
    assert facts.attachments == []
    assert facts.warnings == ()


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler not installed")
@pytest.mark.parametrize(
    "name", ["metadata.pdf", "two-different-pages.pdf", "basic-attachments.pdf"]
)
def test_pdf_page_count_and_javascript_match_pdfinfo_when_it_is_here(name) -> None:
    out = subprocess.run(
        ["pdfinfo", str(REAL / name)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    info = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    facts = pdf(name)

    assert facts.page_count == int(info["Pages"])
    assert facts.has_javascript is (info["JavaScript"].strip() == "yes")
    assert facts.title == info.get("Title", "").strip()


def test_pdf_without_dates_has_none_and_reads_each_page() -> None:
    facts = pdf("two-different-pages.pdf")

    assert facts.page_count == 2
    assert facts.title == "Untitled document"
    assert facts.author == ""
    assert facts.created_at is None
    assert facts.modified_at is None
    assert facts.properties == {
        "producer": "Skia/PDF m136 Google Docs Renderer",
        "pdf_version": "1.4",
    }
    assert facts.text.split() == ["1", "2"]


def test_pdf_javascript_and_attached_files_are_flagged() -> None:
    facts = pdf("basic-attachments.pdf")

    assert facts.has_javascript is True
    assert facts.has_attachments is True
    assert facts.attachments == [
        {
            "name": "libpng-test.png",
            "size_bytes": 3700,
            "mime_type": "image/png",
            "where": "document",
        },
        {
            "name": "libpng-test_with_url.png",
            "size_bytes": 4104,
            "mime_type": "image/png",
            "where": "document",
        },
    ]
    assert facts.created_at == datetime(
        2023, 5, 4, 13, 31, 5, tzinfo=timezone(timedelta(hours=-7))
    )
    assert facts.modified_at == datetime(
        2023, 5, 4, 13, 42, 17, tzinfo=timezone(timedelta(hours=-7))
    )
    assert facts.text == "c2pa-rs"
    assert facts.warnings == (
        "The PDF carries JavaScript, which a PDF reader may run when it is "
        "opened: open the original only in a sandboxed viewer.",
        "The PDF carries 2 attached files: they are part of the original, not "
        "extracted or checked.",
    )


def test_password_protected_pdf_is_unreadable_but_not_damaged() -> None:
    with pytest.raises(DocumentUnreadable) as caught:
        pdf("encrypted-file.pdf")

    assert caught.value.is_damage is False
    assert caught.value.message == (
        "The PDF is protected by a password: its pages, properties and text "
        "cannot be read without it."
    )


def test_damaged_pdf_is_unreadable_as_damage(tmp_path: Path) -> None:
    path = tmp_path / "cut.pdf"
    path.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 50)

    with pytest.raises(DocumentUnreadable) as caught:
        extract_document(path, PDF_MIME)

    assert caught.value.is_damage is True
    assert caught.value.message.startswith("The PDF could not be read: ")


def test_pdf_text_stops_at_the_character_cap() -> None:
    facts = pdf("metadata.pdf", Limits(max_text_chars=4))

    assert facts.text == "What"
    assert facts.text_truncated is True


def test_pdf_pages_past_the_cap_are_not_read_and_it_says_so() -> None:
    facts = pdf("two-different-pages.pdf", Limits(max_pages=1))

    assert facts.page_count == 2
    assert facts.text == "1"
    assert facts.text_truncated is True
    assert facts.warnings[0] == (
        "Only the first 1 of 2 pages were read (text, JavaScript in pages, "
        "attached files in pages)."
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "D:20220415093243+02'00'",
            datetime(2022, 4, 15, 9, 32, 43, tzinfo=timezone(timedelta(hours=2))),
        ),
        (
            "D:20230504133105-07'00'",
            datetime(2023, 5, 4, 13, 31, 5, tzinfo=timezone(timedelta(hours=-7))),
        ),
        ("D:20200101120000Z", datetime(2020, 1, 1, 12, 0, tzinfo=UTC)),
        ("D:20200101120000", None),  # no offset: not an instant
        ("yesterday", None),
        ("D:20201301120000Z", None),  # month 13
    ],
)
def test_pdf_dates_are_aware_only_with_an_offset(raw, expected) -> None:
    assert pdf_date(raw) == expected


# --- DOCX -----------------------------------------------------------------------------


def test_docx_core_properties_and_text_are_those_exiftool_and_unzip_read() -> None:
    facts = docx(REAL / "test.docx")

    assert facts.document_format == "docx"
    assert facts.page_count == 1
    assert facts.title == ""
    assert facts.author == "Cisco Employee"
    assert facts.created_at == datetime(2013, 12, 15, 10, 40, tzinfo=UTC)
    assert facts.modified_at == datetime(2013, 12, 15, 10, 40, tzinfo=UTC)
    assert facts.properties["description"] == "generated by python-docx"
    assert facts.properties["last_modified_by"] == "Steve Canny"
    assert facts.properties["revision"] == "2"
    assert facts.properties["words"] == "7"
    assert facts.properties["application"] == "Microsoft Macintosh Word"
    assert facts.text == "python-docx was here!\npython-docx was here too!"
    assert facts.has_javascript is False
    assert facts.attachments == []
    assert facts.warnings == ()


def test_docx_with_every_core_property() -> None:
    facts = docx(REAL / "doc-coreprops.docx")

    assert facts.title == "Title"
    assert facts.author == "Steve Canny"
    assert facts.created_at == datetime(2014, 12, 13, 22, 2, tzinfo=UTC)
    assert facts.modified_at == datetime(2014, 12, 13, 22, 6, tzinfo=UTC)
    assert {
        key: facts.properties[key]
        for key in (
            "subject",
            "keywords",
            "description",
            "category",
            "content_status",
            "language",
            "identifier",
            "version",
        )
    } == {
        "subject": "Subject",
        "keywords": "key; word; keyword",
        "description": "Description",
        "category": "Category",
        "content_status": "Content Status",
        "language": "Language",
        "identifier": "Identifier",
        "version": "0.7.1a3",
    }
    assert facts.page_count == 1
    assert facts.text == ""


def _rewritten(source: Path, target: Path, replace: dict[str, bytes]) -> Path:
    """A copy of a real DOCX with some parts replaced or added."""
    with (
        zipfile.ZipFile(source) as src,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in src.infolist():
            if info.filename not in replace:
                out.writestr(info, src.read(info))
        for name, data in replace.items():
            out.writestr(name, data)
    return target


def test_docx_part_inflating_past_the_ratio_cap_is_refused_as_a_bomb(
    tmp_path: Path,
) -> None:
    body = b"<w:document xmlns:w='x'>" + b" " * (8 * 1024 * 1024) + b"</w:document>"
    path = _rewritten(
        REAL / "test.docx", tmp_path / "bomb.docx", {"word/document.xml": body}
    )

    with pytest.raises(DocumentUnreadable) as caught:
        docx(path)

    assert caught.value.is_damage is True
    assert "refused as a possible zip bomb" in caught.value.message


def test_docx_part_over_the_size_cap_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentUnreadable) as caught:
        docx(REAL / "test.docx", Limits(max_part_bytes=100))

    assert caught.value.message.startswith("docProps/core.xml declares ")


def test_docx_text_stops_at_the_character_cap() -> None:
    facts = docx(REAL / "test.docx", Limits(max_text_chars=11))

    assert facts.text == "python-docx"
    assert facts.text_truncated is True


def test_docx_xml_with_entities_is_refused(tmp_path: Path) -> None:
    core = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        b'<cp:coreProperties xmlns:cp="c">&a;</cp:coreProperties>'
    )
    path = _rewritten(
        REAL / "test.docx", tmp_path / "dtd.docx", {"docProps/core.xml": core}
    )

    with pytest.raises(DocumentUnreadable) as caught:
        docx(path)

    assert caught.value.message.startswith("The DOCX carries XML that is refused")


def test_docx_embedded_files_and_macros_are_flagged(tmp_path: Path) -> None:
    path = _rewritten(
        REAL / "test.docx",
        tmp_path / "embeds.docx",
        {
            "word/embeddings/oleObject1.bin": b"\xd0\xcf\x11\xe0" + b"\x00" * 60,
            "word/vbaProject.bin": b"\xd0\xcf\x11\xe0",
        },
    )

    facts = docx(path)

    assert facts.attachments == [
        {
            "name": "oleObject1.bin",
            "size_bytes": 64,
            "mime_type": None,
            "where": "word/embeddings",
        }
    ]
    assert facts.properties["has_macros"] is True
    assert len(facts.warnings) == 2


def test_zip_that_is_not_a_word_file_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "not-word.docx"
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("hello.txt", "hi")

    with pytest.raises(DocumentUnreadable) as caught:
        docx(path)

    assert caught.value.message == (
        "The DOCX has no word/document.xml: not a Word file."
    )


def test_w3cdtf_without_an_offset_is_not_an_instant() -> None:
    assert w3cdtf("2014-12-13T22:02:00") is None
    assert w3cdtf("2014-12-13T22:02:00Z") == datetime(2014, 12, 13, 22, 2, tzinfo=UTC)


def test_other_types_are_not_extracted(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("plain")

    assert extract_document(path, "text/plain") is None
