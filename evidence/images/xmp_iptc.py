"""XMP and IPTC by name: caption, by-line, credit, city, keywords and the rest.

Pure functions with no Django imports. Pillow finds the packets (XMP in JPEG
APP1, PNG iTXt, WebP and TIFF tag 700 all land in ``img.info["xmp"]``; IPTC-NAA
through ``IptcImagePlugin.getiptcinfo``); we name what they hold.

XMP is parsed with defusedxml (no DTDs, no entities) from packets up to
``MAX_XMP_BYTES``, keyed "prefix:Name" with the usual prefixes ("dc:title",
"photoshop:City", "Iptc4xmpCore:Location"), since Pillow's own ``getxmp()``
drops the namespaces that tell exif:DateTimeOriginal from other DateTimeOriginals.
Language alternatives give the x-default text, bags and sequences a list,
structures a dict. IPTC keys are the dataset names exiftool uses ("By-line",
"Caption-Abstract"); repeated datasets give a list. Sizes are capped and what is
cut is said, never silently dropped; damaged packets give a note, not a refusal.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, iterparse
from PIL import Image, IptcImagePlugin

MAX_XMP_BYTES = 1024 * 1024
MAX_PROPERTIES = 2000
MAX_TEXT = 16 * 1024
MAX_ITEMS = 500
_MAX_DEPTH = 8

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# The prefixes XMP specifications use, whatever a file declares.
PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/xap/1.0/mm/": "xmpMM",
    "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#": "stEvt",
    "http://ns.adobe.com/xap/1.0/sType/ResourceRef#": "stRef",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/pdf/1.3/": "pdf",
    "http://ns.adobe.com/camera-raw-settings/1.0/": "crs",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
    "http://ns.google.com/photos/1.0/camera/": "GCamera",
    "http://ns.adobe.com/xmp/note/": "xmpNote",
    "http://ns.adobe.com/xap/1.0/g/img/": "xmpGImg",
    "http://ns.adobe.com/xap/1.0/t/pg/": "xmpTPg",
}

# IPTC IIM record 2 datasets, by exiftool's names.
IPTC_NAMES = {
    0: "ApplicationRecordVersion",
    3: "ObjectTypeReference",
    4: "ObjectAttributeReference",
    5: "ObjectName",
    7: "EditStatus",
    10: "Urgency",
    12: "SubjectReference",
    15: "Category",
    20: "SupplementalCategories",
    22: "FixtureIdentifier",
    25: "Keywords",
    26: "ContentLocationCode",
    27: "ContentLocationName",
    30: "ReleaseDate",
    35: "ReleaseTime",
    37: "ExpirationDate",
    38: "ExpirationTime",
    40: "SpecialInstructions",
    45: "ActionAdvised",
    55: "DateCreated",
    60: "TimeCreated",
    62: "DigitalCreationDate",
    63: "DigitalCreationTime",
    65: "OriginatingProgram",
    70: "ProgramVersion",
    75: "ObjectCycle",
    80: "By-line",
    85: "By-lineTitle",
    90: "City",
    92: "Sub-location",
    95: "Province-State",
    100: "Country-PrimaryLocationCode",
    101: "Country-PrimaryLocationName",
    103: "OriginalTransmissionReference",
    105: "Headline",
    110: "Credit",
    115: "Source",
    116: "CopyrightNotice",
    118: "Contact",
    120: "Caption-Abstract",
    121: "LocalCaption",
    122: "Writer-Editor",
    130: "ImageType",
    131: "ImageOrientation",
    135: "LanguageIdentifier",
    221: "Prefs",
}
_UTF8_MARKER = b"\x1b%G"  # 1:90 CodedCharacterSet for UTF-8


@dataclass(frozen=True, slots=True)
class NamedMetadata:
    xmp: dict[str, Any]
    iptc: dict[str, Any]
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """For ``ImageDetail.metadata``; empty sections are left out."""
        out: dict[str, Any] = {}
        if self.xmp:
            out["xmp"] = self.xmp
        if self.iptc:
            out["iptc"] = self.iptc
        if self.notes:
            out["notes"] = list(self.notes)
        return out


def read_named_metadata(img: Image.Image) -> NamedMetadata:
    """XMP and IPTC of an open image, by name."""
    xmp, notes = _xmp_packet(img.info.get("xmp"))
    iptc, note = read_iptc(img)
    if note:
        notes.append(note)
    return NamedMetadata(xmp=xmp, iptc=iptc, notes=tuple(notes))


def named_from_tiff(exif: Image.Exif) -> NamedMetadata:
    """XMP of a TIFF's header (tag 700, XMLPacket) when no image is open."""
    xmp, notes = _xmp_packet(exif.get(700))
    return NamedMetadata(xmp=xmp, iptc={}, notes=tuple(notes))


def _xmp_packet(packet: object) -> tuple[dict[str, Any], list[str]]:
    """An XMP packet as Pillow hands it (text, bytes or absent), parsed."""
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    if not isinstance(packet, bytes) or not packet:
        return {}, []
    xmp, note = parse_xmp(packet)
    return xmp, [note] if note else []


# -- XMP -----------------------------------------------------------------------


def parse_xmp(packet: bytes) -> tuple[dict[str, Any], str | None]:
    """(properties by "prefix:Name", a note when the packet could not be read)."""
    if len(packet) > MAX_XMP_BYTES:
        return (
            {},
            f"XMP packet of {len(packet):,} bytes not read (limit {MAX_XMP_BYTES:,})",
        )
    text = _decode(packet)
    # The XML declaration would contradict the re-encoding below.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    text = text.rstrip("\x00 \t\r\n")  # writers pad packets with NULs
    prefixes: dict[str, str] = {}
    root: Element | None = None
    try:
        events = iterparse(
            io.BytesIO(text.encode("utf-8")), events=("start-ns", "start")
        )
        for event, payload in events:
            if event == "start-ns":
                prefix, uri = payload
                prefixes.setdefault(uri, prefix or "")
            elif root is None:
                root = payload
    except (ParseError, DefusedXmlException) as exc:
        return {}, f"XMP not readable: {type(exc).__name__}: {str(exc)[:200]}"
    if root is None:
        return {}, None
    reader = _RdfReader({**prefixes, **PREFIXES})
    for rdf in root.iter(f"{{{_RDF}}}RDF"):
        for description in rdf.findall(f"{{{_RDF}}}Description"):
            reader.read_properties(description, reader.result, 0)
    note = None
    if reader.cut:
        note = f"XMP: {reader.cut} properties or values beyond the limits were cut"
    return reader.result, note


def _decode(packet: bytes) -> str:
    """Text of a packet: XMP may be UTF-8, UTF-16 or UTF-32, with or without BOM."""
    if packet.startswith(b"\xef\xbb\xbf"):
        return packet[3:].decode("utf-8", "replace")
    for bom, codec in (
        (b"\x00\x00\xfe\xff", "utf-32-be"),
        (b"\xff\xfe\x00\x00", "utf-32-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xff\xfe", "utf-16-le"),
    ):
        if packet.startswith(bom):
            return packet[len(bom) :].decode(codec, "replace")
    if packet[:2] == b"\x00<":
        return packet.decode("utf-16-be", "replace")
    if packet[:2] == b"<\x00":
        return packet.decode("utf-16-le", "replace")
    return packet.decode("utf-8", "replace")


class _RdfReader:
    """Walks rdf:Description elements into plain JSON values, within the caps."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = prefixes
        self.result: dict[str, Any] = {}
        self.count = 0
        self.cut = 0

    def name(self, tag: str) -> str:
        if not tag.startswith("{"):
            return tag
        uri, _, local = tag[1:].partition("}")
        prefix = self.prefixes.get(uri)
        return f"{prefix}:{local}" if prefix else local

    def read_properties(
        self, element: Element, into: dict[str, Any], depth: int
    ) -> None:
        """Attributes (the shorthand form) and child elements as properties."""
        for key, value in element.attrib.items():
            if key.startswith(f"{{{_RDF}}}") or key in (_XML_LANG, "about"):
                continue  # "about" unqualified: rdf:about in pre-2004 XMP
            self.put(into, self.name(key), self.text(value))
        for child in element:
            self.put(into, self.name(child.tag), self.value(child, depth + 1))

    def put(self, into: dict[str, Any], key: str, value: Any) -> None:
        if self.count >= MAX_PROPERTIES:
            self.cut += 1
            return
        self.count += 1
        into.setdefault(key, value)  # a second Description never overrides the first

    def value(self, element: Element, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            self.cut += 1
            return None
        resource = element.get(f"{{{_RDF}}}resource")
        if resource is not None:
            return self.text(resource)
        children = list(element)
        if element.get(f"{{{_RDF}}}parseType") == "Resource" or (
            not children and _own_attributes(element)
        ):
            struct: dict[str, Any] = {}
            self.read_properties(element, struct, depth)
            return struct
        if not children:
            return self.text(element.text or "")
        container = children[0]
        kind = container.tag
        if kind == f"{{{_RDF}}}Alt":
            return self.alternative(container, depth)
        if kind in (f"{{{_RDF}}}Seq", f"{{{_RDF}}}Bag"):
            items = container.findall(f"{{{_RDF}}}li")
            if len(items) > MAX_ITEMS:
                self.cut += len(items) - MAX_ITEMS
            return [self.value(li, depth + 1) for li in items[:MAX_ITEMS]]
        if kind == f"{{{_RDF}}}Description":
            struct = {}
            self.read_properties(container, struct, depth)
            return struct
        struct = {}
        self.read_properties(element, struct, depth)
        return struct

    def alternative(self, container: Element, depth: int) -> Any:
        """A language alternative: the x-default entry, else the first."""
        items = container.findall(f"{{{_RDF}}}li")
        if not items:
            return None
        chosen = next(
            (li for li in items if li.get(_XML_LANG) == "x-default"), items[0]
        )
        return self.value(chosen, depth + 1)

    def text(self, value: str) -> str:
        value = value.strip()
        if len(value) > MAX_TEXT:
            self.cut += 1
            return value[:MAX_TEXT] + "…"
        return value


def _own_attributes(element: Element) -> bool:
    return any(
        not key.startswith(f"{{{_RDF}}}") and key != _XML_LANG for key in element.attrib
    )


# -- IPTC ----------------------------------------------------------------------


def read_iptc(img: Image.Image) -> tuple[dict[str, Any], str | None]:
    """(IPTC record 2 by dataset name, a note when it could not be read)."""
    try:
        info = IptcImagePlugin.getiptcinfo(img)  # type: ignore[arg-type]
    except Exception as exc:  # damaged Photoshop/IPTC blocks raise many kinds
        return {}, f"IPTC not readable: {type(exc).__name__}"
    if not info:
        return {}, None
    codec = "utf-8" if _first(info.get((1, 90))) == _UTF8_MARKER else None
    named: dict[str, Any] = {}
    for (record, dataset), raw in info.items():
        if record != 2:
            continue
        name = IPTC_NAMES.get(dataset, f"2:{dataset:03d}")
        if dataset == 0:
            named[name] = int.from_bytes(_first(raw)[:2], "big")
            continue
        values = raw if isinstance(raw, list) else [raw]
        texts = [_iptc_text(v, codec) for v in values[:MAX_ITEMS]]
        named[name] = texts if isinstance(raw, list) else texts[0]
    return named, None


def _first(value: bytes | list[bytes] | None) -> bytes:
    if isinstance(value, list):
        return value[0] if value else b""
    return value or b""


def _iptc_text(value: bytes, codec: str | None) -> str:
    """IIM text: UTF-8 when 1:90 says so; else UTF-8 if valid, else Latin-1."""
    value = value[:MAX_TEXT]
    if codec is None:
        try:
            return value.decode("utf-8").strip()
        except UnicodeDecodeError:
            return value.decode("latin-1").strip()
    return value.decode(codec, "replace").strip()
