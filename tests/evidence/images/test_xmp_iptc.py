"""XMP and IPTC read by name; bounded, and safe against hostile XML."""

from PIL import Image

from evidence.images import xmp_iptc
from evidence.images.exif import exif_to_json
from evidence.images.xmp_iptc import parse_xmp, read_named_metadata

NS = (
    'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
    'xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/" '
    'xmlns:my="http://example.org/mine/"'
)


def packet(body: str, attributes: str = "") -> bytes:
    return (
        "<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>"
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        f"<rdf:RDF {NS}><rdf:Description rdf:about='' {attributes}>{body}"
        "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>"
    ).encode()


def test_alternatives_bags_sequences_structures_and_shorthand() -> None:
    xmp, note = parse_xmp(
        packet(
            "<dc:title><rdf:Alt><rdf:li xml:lang='fr'>Port</rdf:li>"
            "<rdf:li xml:lang='x-default'>Harbour</rdf:li></rdf:Alt></dc:title>"
            "<dc:subject><rdf:Bag><rdf:li>ship</rdf:li><rdf:li>port</rdf:li>"
            "</rdf:Bag></dc:subject>"
            "<dc:creator><rdf:Seq><rdf:li>A. Person</rdf:li></rdf:Seq></dc:creator>"
            "<Iptc4xmpCore:CreatorContactInfo rdf:parseType='Resource'>"
            "<Iptc4xmpCore:CiAdrCity>Rajin</Iptc4xmpCore:CiAdrCity>"
            "</Iptc4xmpCore:CreatorContactInfo>"
            "<my:link rdf:resource='https://example.org/a'/>",
            attributes="photoshop:City='Rajin' photoshop:Credit='Agency'",
        )
    )

    assert note is None
    assert xmp == {
        "photoshop:City": "Rajin",
        "photoshop:Credit": "Agency",
        "dc:title": "Harbour",
        "dc:subject": ["ship", "port"],
        "dc:creator": ["A. Person"],
        "Iptc4xmpCore:CreatorContactInfo": {"Iptc4xmpCore:CiAdrCity": "Rajin"},
        "my:link": "https://example.org/a",
    }


def test_utf16_little_endian_packet_is_read() -> None:
    data = packet("<dc:rights>© Ünïcode</dc:rights>").decode().encode("utf-16-le")

    assert parse_xmp(data) == ({"dc:rights": "© Ünïcode"}, None)


def test_entities_are_refused_with_a_note() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;">]><x>&b;</x>'
    )

    xmp, note = parse_xmp(hostile)

    assert xmp == {}
    assert note.startswith("XMP not readable: EntitiesForbidden")


def test_damaged_xml_gives_a_note_not_an_error() -> None:
    xmp, note = parse_xmp(b"<x:xmpmeta><rdf:RDF>")

    assert xmp == {}
    assert note.startswith("XMP not readable: ParseError")


def test_oversized_packets_are_not_parsed(monkeypatch) -> None:
    monkeypatch.setattr(xmp_iptc, "MAX_XMP_BYTES", 100)

    assert parse_xmp(b" " * 101) == (
        {},
        "XMP packet of 101 bytes not read (limit 100)",
    )


def test_long_lists_are_cut_and_said(monkeypatch) -> None:
    monkeypatch.setattr(xmp_iptc, "MAX_ITEMS", 2)
    items = "".join(f"<rdf:li>k{i}</rdf:li>" for i in range(5))

    xmp, note = parse_xmp(
        packet(f"<dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>")
    )

    assert xmp == {"dc:subject": ["k0", "k1"]}
    assert note == "XMP: 3 properties or values beyond the limits were cut"


def test_image_without_xmp_or_iptc_has_no_named_metadata() -> None:
    image = Image.new("RGB", (4, 4))

    assert read_named_metadata(image).to_json() == {}


def test_latin1_iptc_text_is_decoded_when_not_utf8() -> None:
    assert xmp_iptc._iptc_text(b"Z\xfcrich", None) == "Zürich"
    assert xmp_iptc._iptc_text("Zürich".encode(), None) == "Zürich"


def test_geotiff_tags_keep_more_than_the_generic_cap_and_blocks_are_summarised():
    exif = Image.Exif()
    exif[33922] = tuple(float(i) for i in range(600))  # 100 tie points
    exif[700] = b"<x:xmpmeta/>"
    exif[34675] = b"\0" * 3144

    result = exif_to_json(exif)

    assert result["ModelTiepointTag"] == [float(i) for i in range(600)]
    assert result["XMLPacket"] == "XMP packet (read by name under XMP), 12 bytes"
    assert result["InterColorProfile"] == "ICC colour profile, 3,144 bytes"


def test_nul_padding_after_the_packet_is_ignored() -> None:
    padded = packet("<dc:rights>Mine</dc:rights>") + b"\x00\x00"

    assert parse_xmp(padded) == ({"dc:rights": "Mine"}, None)
