"""Image formats on real files: HEIF, AVIF, JPEG 2000, MPO, DNG, BigTIFF accepted;
JPEG XL refused by name; equivalent extensions; low-information hashes. Sizes are
exiftool's (tests/data/real/images_formats/SOURCES.md)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from evidence.images.formats import describe_other_format, sniff_heif_family
from evidence.images.phash import LOW_INFORMATION_STD, phash_input_std
from evidence.images.process import ImageRejected, inspect_image, process_image
from evidence.images.safety import extension_mismatch, sniff_mime

REAL = Path(__file__).resolve().parents[2] / "data" / "real" / "images_formats"
ACCEPTED = "JPEG, PNG, WebP, TIFF (GeoTIFF, DNG), HEIC/HEIF, AVIF or JPEG 2000"


@pytest.mark.parametrize(
    ("name", "mime", "size", "image_format"),
    [
        ("zPug_3.heic", "image/heif", (64, 64), "HEIF"),
        ("RGBA_8__29x100.heif", "image/heif", (29, 100), "HEIF"),
        ("hopper.avif", "image/avif", (128, 128), "AVIF"),
        ("transparency.avif", "image/avif", (64, 64), "AVIF"),
        ("Jpeg2000.jp2", "image/jp2", (16, 16), "JPEG 2000"),
        ("16bit.cropped.jp2", "image/jp2", (64, 64), "JPEG 2000"),
        ("frame_size.mpo", "image/jpeg", (56, 70), "MPO"),
        ("BigTIFF.btf", "image/tiff", (8, 8), "BigTIFF"),
        ("tiff_16bit_RGBa.tiff", "image/tiff", (100, 40), "TIFF"),
    ],
)
def test_phone_and_archive_formats_are_accepted(
    name: str, mime: str, size: tuple[int, int], image_format: str
) -> None:
    result = process_image(REAL / name)

    assert result.mime == mime
    assert (result.width, result.height) == size
    assert result.image_format == image_format
    assert result.extension_mismatch is False
    assert result.display.mime == "image/jpeg"


@pytest.mark.parametrize("name", ["JXL.jxl", "JXL2.jxl"])
def test_jpeg_xl_is_refused_by_name(name: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(REAL / name)

    assert caught.value.code == "unsupported_type"
    assert caught.value.message == (
        "This file is a JPEG XL image (JPEG XL is not supported yet), not an "
        f"accepted image. Upload a {ACCEPTED} file."
    )


def test_unknown_bytes_are_refused_without_guessing_a_name() -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(io.BytesIO(b"\x00\x01\x02\x03" * 64), filename="x.bin")

    assert caught.value.message == (
        f"This file is not in a recognised image format. Upload a {ACCEPTED} file."
    )


@pytest.mark.parametrize(
    ("head", "name"),
    [
        (b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom", "a Canon CR3 raw file"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "a QuickTime video"),
        (b"BM6\x00\x00\x00\x00\x00\x00\x006\x00\x00\x00", "a BMP bitmap"),
        (b"8BPS\x00\x01\x00\x00\x00\x00\x00\x00", "a Photoshop (PSD) file"),
    ],
)
def test_other_formats_are_named(head: bytes, name: str) -> None:
    assert describe_other_format(head) == name


def test_generic_heif_brand_with_avif_compatibility_is_avif() -> None:
    head = b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf"

    assert sniff_heif_family(head) == "image/avif"
    assert sniff_mime(head) == "image/avif"


# -- raws ----------------------------------------------------------------------------


def test_dng_is_sized_by_its_full_resolution_subifd() -> None:
    result = process_image(REAL / "DNG.dng")

    # exiftool: IFD0 8x8 "Reduced-resolution image"; SubIFD 3516x2328 "Full-resolution".
    assert (result.width, result.height) == (3516, 2328)
    assert result.image_format == "DNG"
    assert result.extension_mismatch is False
    assert (result.display.width, result.display.height) == (8, 8)
    assert result.notes == (
        "DNG: the full 3516x2328 raw image is not decoded; the display is made "
        "from its 8x8 embedded preview",
    )


def test_dng_upload_check_records_the_full_size() -> None:
    facts = inspect_image(REAL / "DNG.dng")

    assert (facts.width, facts.height) == (3516, 2328)


# -- extensions ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "mime"),
    [
        ("photo.jpeg", "image/jpeg"),
        ("photo.JPE", "image/jpeg"),
        ("photo.jfif", "image/jpeg"),
        ("stereo.mpo", "image/jpeg"),
        ("raw.dng", "image/tiff"),
        ("raw.nef", "image/tiff"),
        ("big.btf", "image/tiff"),
        ("scene.TIFF", "image/tiff"),
        ("phone.heic", "image/heif"),
        ("phone.heif", "image/heif"),
        ("phone.avif", "image/avif"),
        ("scan.j2k", "image/jp2"),
        ("no-extension", "image/png"),
    ],
)
def test_equivalent_extensions_are_not_a_mismatch(filename: str, mime: str) -> None:
    assert extension_mismatch(filename, mime) is False


@pytest.mark.parametrize(
    ("filename", "mime"),
    [
        ("photo.png", "image/jpeg"),
        ("phone.avif", "image/heif"),
        ("raw.dng", "image/jpeg"),
        ("scene.jpg", "image/tiff"),
    ],
)
def test_another_types_extension_is_a_mismatch(filename: str, mime: str) -> None:
    assert extension_mismatch(filename, mime) is True


# -- low-information hashes ----------------------------------------------------------


def test_uniform_white_image_hashes_to_the_degenerate_value_and_is_flagged() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (255, 255, 255)).save(buf, "PNG")

    result = process_image(io.BytesIO(buf.getvalue()), filename="white.png")

    assert result.phash == "8000000000000000"
    assert result.phash_low_information is True


def test_faint_noise_stays_low_information() -> None:
    rows = bytes((250 + (x * 7 + y * 13) % 3) for y in range(64) for x in range(64))
    img = Image.frombytes("L", (64, 64), rows)

    assert phash_input_std(img) < LOW_INFORMATION_STD


@pytest.mark.parametrize("name", ["hopper.avif", "byte.tif", "frame_size.mpo"])
def test_pictures_with_detail_are_not_low_information(name: str) -> None:
    assert process_image(REAL / name).phash_low_information is False


@pytest.mark.parametrize(
    "name", ["BigTIFF.btf", "GeoTiff.tif", "world.byte.tif", "Jpeg2000.jp2"]
)
def test_flat_real_files_are_low_information(name: str) -> None:
    # gdalinfo -stats: min = max in every band (255; world.byte.tif: 1).
    assert process_image(REAL / name).phash_low_information is True
