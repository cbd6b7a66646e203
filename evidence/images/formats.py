"""What an image file is, from its bytes: container brands, refused formats by
name, the format to show, and a raw file's full size.

Pure functions with no Django imports. Nothing here decodes pixels: the ISO
base-media ``ftyp`` box (HEIF, AVIF, JPEG 2000, JPEG XL) and TIFF directories
are read from the header only.
"""

from __future__ import annotations

import io
import warnings

from PIL import TiffImagePlugin

# HEIF brands of HEVC-coded images (ISO/IEC 23008-12 annex B); mif1/msf1 are the
# generic structural brands that AVIF files also list.
_HEIC_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
)
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_GENERIC_HEIF_BRANDS = frozenset({b"mif1", b"msf1", b"mif2", b"miaf"})
# Brands of ISO base-media files that are not still images we take, by name.
_OTHER_BRANDS = {
    b"crx ": "a Canon CR3 raw file",
    b"qt  ": "a QuickTime video",
    b"M4A ": "an MPEG-4 audio file",
    b"jpm ": "a JPEG 2000 compound document (JPM)",
    b"mjp2": "a Motion JPEG 2000 video",
    b"jxl ": "a JPEG XL image (JPEG XL is not supported yet)",
}
_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_JXL_CONTAINER = b"\x00\x00\x00\x0cJXL \r\n\x87\n"


def ftyp_brands(head: bytes) -> tuple[bytes, frozenset[bytes]] | None:
    """(major brand, all brands) of an ISO base-media file, or None."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[:4], "big")
    end = min(max(size, 16), len(head))
    major = head[8:12]
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    return major, frozenset({major, *compatible})


def sniff_heif_family(head: bytes) -> str | None:
    """ "image/heif" (HEVC-coded HEIF), "image/avif" (AV1-coded) or None."""
    found = ftyp_brands(head)
    if found is None:
        return None
    major, brands = found
    if major in _AVIF_BRANDS:
        return "image/avif"
    if major in _HEIC_BRANDS:
        return "image/heif"
    if major in _GENERIC_HEIF_BRANDS:
        if brands & _HEIC_BRANDS:
            return "image/heif"
        if brands & _AVIF_BRANDS:
            return "image/avif"
    return None


def sniff_jpeg2000(head: bytes) -> bool:
    """A JP2 file (signature box) or a raw J2K codestream (SOC then SIZ)."""
    return head.startswith(_JP2_SIGNATURE) or head.startswith(b"\xff\x4f\xff\x51")


def describe_other_format(head: bytes) -> str | None:
    """The name of an image or media format we do not take, for the refusal."""
    if head.startswith(b"\xff\x0a") or head.startswith(_JXL_CONTAINER):
        return "a JPEG XL image (JPEG XL is not supported yet)"
    found = ftyp_brands(head)
    if found is not None:
        major, brands = found
        if major in _OTHER_BRANDS:
            return _OTHER_BRANDS[major]
        if brands & _GENERIC_HEIF_BRANDS:
            return "a HEIF file of a kind not supported (not HEVC or AV1 coded)"
        return f"an MPEG-4/ISO media file (brand {major.decode('latin-1').strip()})"
    for magic, name in (
        (b"BM", "a BMP bitmap"),
        (b"8BPS", "a Photoshop (PSD) file"),
        (b"\x00\x00\x01\x00", "a Windows icon (ICO)"),
        (b"IIRO", "an Olympus ORF raw file"),
        (b"IIU\x00", "a Panasonic RW2 raw file"),
        (b"FUJIFILMCCD-RAW", "a Fujifilm RAF raw file"),
        (b"qoif", "a QOI image"),
    ):
        if head.startswith(magic):
            return name
    return None


# -- TIFF-based formats -----------------------------------------------------------

_SUBIFDS = 330
_NEW_SUBFILE_TYPE = 254
_DNG_VERSION = 50706
_MAX_SUBIFDS = 16


def tiff_kind(data: bytes) -> str:
    """ "DNG", "BigTIFF" or "TIFF", from the header and first directory."""
    if data[2:4] in (b"+\x00", b"\x00+"):
        return "BigTIFF"
    ifd0 = _ifd_at(data, None)
    if ifd0 is not None and _DNG_VERSION in ifd0:
        return "DNG"
    return "TIFF"


def tiff_full_size(data: bytes) -> tuple[int, int] | None:
    """The full-resolution image's size when the first directory is a preview.

    Raw files (DNG, NEF, many TIFF-based raws) put a small preview in IFD0
    (NewSubfileType 1, "reduced resolution") and the sensor image in a SubIFD
    with NewSubfileType 0. None when IFD0 is itself the full image, or when no
    full-resolution SubIFD is found.
    """
    ifd0 = _ifd_at(data, None)
    if ifd0 is None or _int(ifd0.get(_NEW_SUBFILE_TYPE), 0) & 1 == 0:
        return None
    offsets = ifd0.get(_SUBIFDS)
    if isinstance(offsets, int):
        offsets = (offsets,)
    best: tuple[int, int] | None = None
    for offset in tuple(offsets or ())[:_MAX_SUBIFDS]:
        sub = _ifd_at(data, _int(offset, 0))
        if sub is None or _int(sub.get(_NEW_SUBFILE_TYPE), 0) & 1:
            continue
        size = (_int(sub.get(256), 0), _int(sub.get(257), 0))
        if min(size) > 0 and (best is None or size[0] * size[1] > best[0] * best[1]):
            best = size
    return best


def _int(value: object, default: int) -> int:
    if isinstance(value, tuple) and value:
        value = value[0]
    return value if isinstance(value, int) else default


def _ifd_at(
    data: bytes, offset: int | None
) -> TiffImagePlugin.ImageFileDirectory_v2 | None:
    """One TIFF directory (IFD0 when ``offset`` is None); None when unreadable."""
    bigtiff = data[2:4] in (b"+\x00", b"\x00+")
    header = data[:16] if bigtiff else data[:8]
    try:
        ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=header)
        if offset is None:
            offset = ifd.next
        if not 8 <= offset < len(data):
            return None
        fp = io.BytesIO(data)
        fp.seek(offset)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Corrupt EXIF data" on odd tags
            ifd.load(fp)
    except (OSError, SyntaxError, ValueError, KeyError, EOFError):
        return None
    return ifd


# -- the name shown ----------------------------------------------------------------

_FORMAT_NAMES = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WebP",
    "image/heif": "HEIF",
    "image/avif": "AVIF",
    "image/jp2": "JPEG 2000",
}


def format_name(
    mime: str, data: bytes, *, pil_format: str | None, geo: dict | None
) -> str:
    """The format the content says it is, for the page: "JPEG", "MPO", "HEIF",
    "GeoTIFF", "Cloud-Optimised GeoTIFF", "DNG", "BigTIFF"..."""
    if mime == "image/jpeg" and pil_format == "MPO":
        return "MPO"
    if mime != "image/tiff":
        return _FORMAT_NAMES.get(mime, mime)
    kind = tiff_kind(data)
    if geo is not None:
        if geo.get("is_cog"):
            return "Cloud-Optimised GeoTIFF"
        return "GeoTIFF (BigTIFF)" if kind == "BigTIFF" else "GeoTIFF"
    return kind
