"""What a document says about itself: pages, title, author, dates, text, and the
active content or files it carries. PDF through pypdf, DOCX through zipfile and
defusedxml. Pure functions with no Django imports: the caps come in as
arguments (``Limits``), so the settings module stays the only place they are set.

Memory stays bounded whatever the file: text stops at ``max_text_chars`` (and
a PDF's at ``max_pages``), with ``text_truncated`` set; a DOCX part is read
through a counting stream that stops at ``max_part_bytes`` and refuses a part
whose declared size is past that cap or the ``max_expansion_ratio`` (a zip bomb
lies in neither check: the stream counts what it really inflates).

A date written without its offset to UTC (legal in both formats) is kept as
written in ``properties`` and not given as an instant: guessing UTC would put a
wrong time on the timeline.
"""

from __future__ import annotations

import logging
import os
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import IO, Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

# pypdf reports every oddity of a damaged file on its logger; what matters
# comes back as our own warnings.
logging.getLogger("pypdf").setLevel(logging.ERROR)

PDF_MIME = "application/pdf"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXTRACTED_MIMES = frozenset({PDF_MIME, DOCX_MIME})


class DocumentUnreadable(ValueError):
    """Nothing could be read from the document; the message says why.

    ``is_damage`` tells a broken or hostile file (processing failed) from one
    that is fine but closed to us, e.g. password-protected (a warning).
    """

    def __init__(self, message: str, *, is_damage: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.is_damage = is_damage


@dataclass(frozen=True, slots=True)
class Limits:
    max_pages: int = 2000
    max_text_chars: int = 1_000_000
    max_part_bytes: int = 64 * 1024 * 1024
    max_expansion_ratio: int = 100


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    document_format: str  # "pdf" or "docx"
    page_count: int | None  # a DOCX's is what the writing application recorded
    title: str
    author: str
    created_at: datetime | None  # aware, or None (see the module docstring)
    modified_at: datetime | None
    properties: dict[str, Any]  # JSON-safe; other properties by name
    text: str
    text_truncated: bool
    has_javascript: bool
    attachments: list[dict[str, Any]]  # {"name", "size_bytes", "mime_type"}
    warnings: tuple[str, ...] = field(default=())  # what needs a look

    @property
    def has_attachments(self) -> bool:
        return bool(self.attachments)


def extract_document(
    path: str | os.PathLike[str], mime: str, limits: Limits | None = None
) -> DocumentFacts | None:
    """The facts of a PDF or DOCX, None for other types. Raises DocumentUnreadable."""
    limits = limits or Limits()
    if mime == PDF_MIME:
        return extract_pdf(path, limits)
    if mime == DOCX_MIME:
        return extract_docx(path, limits)
    return None


class _TextBudget:
    """Collects text up to a character cap; ``truncated`` once something was cut."""

    def __init__(self, max_chars: int) -> None:
        self.left = max_chars
        self.parts: list[str] = []
        self.truncated = False

    def add(self, text: str) -> bool:
        """Keep ``text`` (or its start); False once the budget is spent."""
        if not text:
            return self.left > 0
        if len(text) > self.left:
            self.parts.append(text[: self.left])
            self.left = 0
            self.truncated = True
            return False
        self.parts.append(text)
        self.left -= len(text)
        return True

    @property
    def text(self) -> str:
        return "".join(self.parts).strip()


# --- PDF ------------------------------------------------------------------------------

_PDF_PROPERTIES = {
    "/Subject": "subject",
    "/Keywords": "keywords",
    "/Creator": "creator_tool",
    "/Producer": "producer",
    "/Trapped": "trapped",
}
_PDF_DATE_RE = re.compile(
    r"^D?:?(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?"
    r"(?:(Z)|([+-])(\d{2})'?(\d{2})?'?)?"
)


def pdf_date(raw: str) -> datetime | None:
    """A PDF date (``D:YYYYMMDDHHmmSS+HH'mm'``) as an aware datetime, or None when
    it is malformed or gives no offset to UTC."""
    match = _PDF_DATE_RE.match(raw.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second, zulu, sign, off_h, off_m = match.groups()
    if not zulu and not sign:
        return None
    try:
        offset = 0
        if sign:
            offset = int(off_h) * 60 + int(off_m or 0)
            offset = -offset if sign == "-" else offset
        return datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            tzinfo=timezone(timedelta(minutes=offset)) if offset else UTC,
        )
    except ValueError:
        return None


def _pdf_string(value: Any) -> str:
    if value is None:
        return ""
    from pypdf.generic import NameObject

    text = str(value).strip()
    if isinstance(value, NameObject):  # /True, /False for /Trapped
        text = text.removeprefix("/")
    return text[:500]


def extract_pdf(path: str | os.PathLike[str], limits: Limits) -> DocumentFacts:
    """Pages, document information, text, JavaScript and attached files of a PDF."""
    import pypdf  # deferred: most requests never read a PDF
    from pypdf.errors import PyPdfError

    try:
        reader = pypdf.PdfReader(path, strict=False)
        if reader.is_encrypted:
            # Many PDFs are encrypted with an empty user password (printing or
            # copying restrictions only): those open as any reader opens them.
            try:
                opened = reader.decrypt("")
            except (NotImplementedError, PyPdfError) as exc:
                raise DocumentUnreadable(
                    f"The PDF is encrypted in a way that cannot be opened: {exc}",
                    is_damage=False,
                ) from exc
            if not opened:
                raise DocumentUnreadable(
                    "The PDF is protected by a password: its pages, properties and "
                    "text cannot be read without it.",
                    is_damage=False,
                )
        return _pdf_facts(reader, limits)
    except DocumentUnreadable:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DocumentUnreadable(f"The PDF could not be read: {exc}") from exc
    except RecursionError as exc:
        raise DocumentUnreadable(
            "The PDF could not be read: its objects nest too deeply."
        ) from exc


def _pdf_facts(reader: Any, limits: Limits) -> DocumentFacts:
    warnings: list[str] = []
    info = reader.metadata or {}
    properties: dict[str, Any] = {
        name: _pdf_string(info.get(key))
        for key, name in _PDF_PROPERTIES.items()
        if info.get(key)
    }
    dates = {}
    for key, name in (("/CreationDate", "created"), ("/ModDate", "modified")):
        raw = _pdf_string(info.get(key))
        dates[name] = pdf_date(raw) if raw else None
        if raw and dates[name] is None:
            properties[f"{name}_as_written"] = raw
    properties["pdf_version"] = str(reader.pdf_header).removeprefix("%PDF-")[:10]
    if reader.is_encrypted:
        properties["encrypted"] = True
    page_count = len(reader.pages)
    budget = _TextBudget(limits.max_text_chars)
    has_javascript = _pdf_catalog_has_javascript(reader)
    attachments = _pdf_attachments(reader)
    for index, page in enumerate(reader.pages):
        if index >= limits.max_pages:
            budget.truncated = True
            warnings.append(
                f"Only the first {limits.max_pages:,} of {page_count:,} pages were "
                "read (text, JavaScript in pages, attached files in pages)."
            )
            break
        has_javascript = has_javascript or _pdf_page_has_javascript(page)
        attachments.extend(_pdf_page_attachments(page))
        if budget.left:
            try:
                text = page.extract_text() or ""
            except Exception as exc:  # one bad page must not hide the rest
                warnings.append(
                    f"The text of page {index + 1} could not be read: {exc}"
                )
                continue
            budget.add(text + "\n")
    text = budget.text
    if page_count and not text:
        warnings.append(
            "No text could be read from the pages: the PDF may be a scan "
            "(images of pages) and would need OCR to be searchable."
        )
    if has_javascript:
        warnings.append(
            "The PDF carries JavaScript, which a PDF reader may run when it is "
            "opened: open the original only in a sandboxed viewer."
        )
    if attachments:
        warnings.append(
            f"The PDF carries {len(attachments)} attached "
            f"file{'s' if len(attachments) != 1 else ''}: they are part of the "
            "original, not extracted or checked."
        )
    return DocumentFacts(
        document_format="pdf",
        page_count=page_count,
        title=_pdf_string(info.get("/Title")),
        author=_pdf_string(info.get("/Author")),
        created_at=dates["created"],
        modified_at=dates["modified"],
        properties=properties,
        text=text,
        text_truncated=budget.truncated,
        has_javascript=has_javascript,
        attachments=attachments,
        warnings=tuple(warnings),
    )


def _is_javascript_action(action: Any) -> bool:
    """A PDF action dictionary (or a chain of them, /Next) that runs JavaScript."""
    seen = 0
    pending = [action]
    while pending and seen < 100:  # a /Next chain may loop
        seen += 1
        current = pending.pop()
        if hasattr(current, "get_object"):
            current = current.get_object()
        if isinstance(current, list):
            pending.extend(current)
            continue
        if not hasattr(current, "get"):
            continue
        if current.get("/S") == "/JavaScript" or "/JS" in current:
            return True
        if "/Next" in current:
            pending.append(current["/Next"])
    return False


def _additional_actions(obj: Any) -> Iterator[Any]:
    """The actions an object runs on events (/AA) and when activated (/A)."""
    if "/A" in obj:
        yield obj["/A"]
    events = obj.get("/AA")
    if events is not None:
        events = events.get_object()
        for key in events:
            yield events[key]


def _pdf_catalog_has_javascript(reader: Any) -> bool:
    root = reader.trailer["/Root"].get_object()
    names = root.get("/Names")
    if names is not None and "/JavaScript" in names.get_object():
        return True
    if "/OpenAction" in root and _is_javascript_action(root["/OpenAction"]):
        return True
    if any(_is_javascript_action(a) for a in _additional_actions(root)):
        return True
    form = root.get("/AcroForm")
    if form is not None:
        for field_ref in (form.get_object().get("/Fields") or [])[:10_000]:
            form_field = field_ref.get_object()
            if any(_is_javascript_action(a) for a in _additional_actions(form_field)):
                return True
    return False


def _annotations(page: Any) -> list[Any]:
    annots = page.get("/Annots")
    if annots is None:
        return []
    annots = annots.get_object()
    return [a.get_object() for a in annots[:10_000]] if isinstance(annots, list) else []


def _pdf_page_has_javascript(page: Any) -> bool:
    if any(_is_javascript_action(a) for a in _additional_actions(page)):
        return True
    return any(
        _is_javascript_action(action)
        for annot in _annotations(page)
        if hasattr(annot, "get")
        for action in _additional_actions(annot)
    )


def _pdf_attachments(reader: Any) -> list[dict[str, Any]]:
    """Files in the document's EmbeddedFiles name tree (not their bytes)."""
    found = []
    for embedded in reader.attachment_list:
        subtype = embedded.subtype
        found.append(
            {
                "name": str(embedded.name)[:300],
                "size_bytes": embedded.size,
                "mime_type": str(subtype).lstrip("/").replace("#2F", "/")
                if subtype
                else None,
                "where": "document",
            }
        )
    return found


def _pdf_page_attachments(page: Any) -> list[dict[str, Any]]:
    """Files attached to a page through file-attachment annotations."""
    found = []
    for annot in _annotations(page):
        if not hasattr(annot, "get") or annot.get("/Subtype") != "/FileAttachment":
            continue
        spec = annot.get("/FS")
        spec = spec.get_object() if spec is not None else {}
        name = spec.get("/UF") or spec.get("/F") if hasattr(spec, "get") else None
        found.append(
            {
                "name": str(name or "unnamed")[:300],
                "size_bytes": None,
                "mime_type": None,
                "where": "page annotation",
            }
        )
    return found


# --- DOCX -----------------------------------------------------------------------------

_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "ep": "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
}
_CORE_PROPERTIES = {
    "dc:subject": "subject",
    "cp:keywords": "keywords",
    "dc:description": "description",
    "cp:category": "category",
    "cp:lastModifiedBy": "last_modified_by",
    "cp:revision": "revision",
    "cp:contentStatus": "content_status",
    "dc:language": "language",
    "dc:identifier": "identifier",
    "cp:version": "version",
    "cp:lastPrinted": "last_printed",
}
_APP_PROPERTIES = {
    "Application": "application",
    "AppVersion": "application_version",
    "Company": "company",
    "Template": "template",
    "Words": "words",
}
_W = f"{{{_NS['w']}}}"


def w3cdtf(raw: str) -> datetime | None:
    """A W3CDTF date (docProps) as an aware datetime; None without an offset."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


class _CountingStream:
    """A zip member read through a cap on the bytes it really inflates to."""

    def __init__(self, raw: IO[bytes], *, limit: int, name: str) -> None:
        self.raw, self.limit, self.name, self.read_bytes = raw, limit, name, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(65536 if size is None or size < 0 else min(size, 65536))
        self.read_bytes += len(chunk)
        if self.read_bytes > self.limit:
            raise DocumentUnreadable(
                f"{self.name} inflates past the {self.limit:,}-byte cap: refused "
                "as a possible zip bomb."
            )
        return chunk


def _open_part(archive: zipfile.ZipFile, name: str, limits: Limits) -> Any | None:
    """A bounded stream of one part, None when the package has no such part."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > limits.max_part_bytes:
        raise DocumentUnreadable(
            f"{name} declares {info.file_size:,} bytes, past the "
            f"{limits.max_part_bytes:,}-byte cap."
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > 1024 * 1024 and ratio > limits.max_expansion_ratio:
        raise DocumentUnreadable(
            f"{name} expands {ratio:,.0f} times (cap {limits.max_expansion_ratio}): "
            "refused as a possible zip bomb."
        )
    return _CountingStream(archive.open(info), limit=limits.max_part_bytes, name=name)


def _parse_part(archive: zipfile.ZipFile, name: str, limits: Limits) -> Any | None:
    stream = _open_part(archive, name, limits)
    if stream is None:
        return None
    try:
        return SafeET.parse(stream).getroot()
    except SafeET.ParseError as exc:
        raise DocumentUnreadable(f"{name} is not well-formed XML: {exc}") from exc


def _text_of(root: Any, path: str) -> str:
    element = root.find(path, _NS)
    return (element.text or "").strip()[:500] if element is not None else ""


def extract_docx(path: str | os.PathLike[str], limits: Limits) -> DocumentFacts:
    """Core and application properties and the body text of a Word document."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _docx_facts(archive, limits)
    except DocumentUnreadable:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise DocumentUnreadable(f"The DOCX package could not be read: {exc}") from exc
    except NotImplementedError as exc:  # an unsupported compression method
        raise DocumentUnreadable(f"The DOCX package could not be read: {exc}") from exc
    except DefusedXmlException as exc:
        raise DocumentUnreadable(
            f"The DOCX carries XML that is refused (entities, DTDs): {exc}"
        ) from exc


def _docx_facts(archive: zipfile.ZipFile, limits: Limits) -> DocumentFacts:
    warnings: list[str] = []
    properties: dict[str, Any] = {}
    title = author = ""
    created_at = modified_at = None
    core = _parse_part(archive, "docProps/core.xml", limits)
    if core is not None:
        title = _text_of(core, "dc:title")
        author = _text_of(core, "dc:creator")
        for tag, name in _CORE_PROPERTIES.items():
            value = _text_of(core, tag)
            if value:
                properties[name] = value
        for tag, name in (
            ("dcterms:created", "created"),
            ("dcterms:modified", "modified"),
        ):
            raw = _text_of(core, tag)
            value = w3cdtf(raw)
            if raw and value is None:
                properties[f"{name}_as_written"] = raw
            if name == "created":
                created_at = value
            else:
                modified_at = value
    page_count = None
    app = _parse_part(archive, "docProps/app.xml", limits)
    if app is not None:
        pages = _text_of(app, "ep:Pages")
        page_count = int(pages) if pages.isdigit() else None
        for tag, name in _APP_PROPERTIES.items():
            value = _text_of(app, f"ep:{tag}")
            if value:
                properties[name] = value
    text, truncated = _docx_text(archive, limits)
    attachments = [
        {
            "name": info.filename.rsplit("/", 1)[-1][:300],
            "size_bytes": info.file_size,
            "mime_type": None,
            "where": "word/embeddings",
        }
        for info in archive.infolist()[:10_000]
        if info.filename.startswith("word/embeddings/") and not info.is_dir()
    ]
    has_macros = any(
        info.filename.lower().endswith("vbaproject.bin")
        for info in archive.infolist()[:10_000]
    )
    if has_macros:
        properties["has_macros"] = True
        warnings.append(
            "The package carries a macro project (vbaProject.bin) although it is "
            "named as a macro-free document: open the original only in a sandbox."
        )
    if attachments:
        warnings.append(
            f"The document embeds {len(attachments)} file"
            f"{'s' if len(attachments) != 1 else ''} (word/embeddings): they are "
            "part of the original, not extracted or checked."
        )
    return DocumentFacts(
        document_format="docx",
        page_count=page_count,
        title=title,
        author=author,
        created_at=created_at,
        modified_at=modified_at,
        properties=properties,
        text=text,
        text_truncated=truncated,
        has_javascript=False,  # Word runs macros, not JavaScript: see has_macros
        attachments=attachments,
        warnings=tuple(warnings),
    )


def _docx_text(archive: zipfile.ZipFile, limits: Limits) -> tuple[str, bool]:
    """The body's text (w:t runs; paragraphs, breaks and tabs kept), streamed."""
    stream = _open_part(archive, "word/document.xml", limits)
    if stream is None:
        raise DocumentUnreadable("The DOCX has no word/document.xml: not a Word file.")
    budget = _TextBudget(limits.max_text_chars)
    try:
        for _event, element in SafeET.iterparse(stream, events=("end",)):
            tag = element.tag
            if tag == f"{_W}t":
                keep = budget.add(element.text or "")
            elif tag == f"{_W}tab":
                keep = budget.add("\t")
            elif tag in (f"{_W}br", f"{_W}cr"):
                keep = budget.add("\n")
            elif tag == f"{_W}p":
                keep = budget.add("\n")
                element.clear()  # paragraphs done with: memory stays flat
            else:
                continue
            if not keep:
                break
    except SafeET.ParseError as exc:
        raise DocumentUnreadable(
            f"word/document.xml is not well-formed XML: {exc}"
        ) from exc
    return budget.text, budget.truncated
