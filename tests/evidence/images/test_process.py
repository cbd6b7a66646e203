"""Tests for evidence.images (process and its steps): pure, no Django needed.

Fixtures come from tests/data/images/make_fixtures.py; bombs and damaged files
that would be large or only interesting in one test are built here in tmp_path.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone
from importlib.metadata import version
from pathlib import Path

import pytest
import rasterio
from PIL import Image, ImageCms
from PIL.TiffImagePlugin import IFDRational

from evidence.images.credentials import C2PA_READ_SETTINGS
from evidence.images.exif import (
    GpsPosition,
    exif_to_json,
    gps_position,
)
from evidence.images.phash import NEAR_DUPLICATE_THRESHOLD, hamming
from evidence.images.process import (
    ImageRejected,
    inspect_image,
    near_duplicates,
    process_image,
    read_content_credentials,
    tool_versions,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "images"


def fixture(name: str) -> Path:
    return DATA / name


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size; the pixel data is a token empty stream."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def reencode(path: Path, out: Path, *, scale: float = 1.0, quality: int = 85) -> Path:
    with Image.open(path) as img:
        size = (round(img.width * scale), round(img.height * scale))
        img.convert("RGB").resize(size, Image.Resampling.LANCZOS).save(
            out, "JPEG", quality=quality
        )
    return out


# -- type detection --------------------------------------------------------------


def test_jpeg_is_accepted_with_type_size_dimensions_and_hash() -> None:
    path = fixture("plain.jpg")

    facts = inspect_image(path)

    assert facts.mime == "image/jpeg"
    assert (facts.width, facts.height) == (256, 192)
    assert facts.size_bytes == path.stat().st_size
    assert facts.sha256 == sha256_of(path)
    assert facts.extension_mismatch is False


@pytest.mark.parametrize(
    ("name", "mime"),
    [
        ("scene.png", "image/png"),
        ("scene.webp", "image/webp"),
        ("scene.tif", "image/tiff"),
        ("band16.tif", "image/tiff"),
    ],
)
def test_png_webp_and_tiff_are_accepted(name: str, mime: str) -> None:
    facts = inspect_image(fixture(name))

    assert facts.mime == mime
    assert facts.extension_mismatch is False


def test_png_named_jpg_is_stored_as_png_with_the_mismatch_noted() -> None:
    result = process_image(fixture("png_named.jpg"))

    assert result.mime == "image/png"
    assert result.extension_mismatch is True


def test_upload_name_not_path_decides_the_extension_mismatch() -> None:
    data = fixture("scene.png").read_bytes()

    assert inspect_image(io.BytesIO(data), filename="x.PNG").extension_mismatch is False
    assert inspect_image(io.BytesIO(data), filename="x.jpeg").extension_mismatch is True


def test_a_name_without_extension_is_not_a_mismatch() -> None:
    data = fixture("plain.jpg").read_bytes()

    facts = inspect_image(io.BytesIO(data), filename="upload")

    assert facts.extension_mismatch is False


def test_file_object_is_read_from_the_start_even_if_already_read() -> None:
    stream = io.BytesIO(fixture("plain.jpg").read_bytes())
    stream.read(100)

    facts = inspect_image(stream, filename="plain.jpg")

    assert facts.sha256 == sha256_of(fixture("plain.jpg"))


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("html_named.jpg", "an HTML page"),
        ("pdf_named.jpg", "a PDF document"),
        ("drawing.svg", "an SVG drawing"),
    ],
)
def test_non_images_are_refused_whatever_their_name(name: str, kind: str) -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(fixture(name))

    assert caught.value.code == "unsupported_type"
    assert caught.value.message == (
        f"This file is {kind}, not an accepted image. "
        "Upload a JPEG, PNG, WebP, TIFF (GeoTIFF, DNG), HEIC/HEIF, AVIF or JPEG 2000 "
        "file."
    )


def test_svg_renamed_to_png_with_bom_and_whitespace_is_refused() -> None:
    data = b"\xef\xbb\xbf\n  " + fixture("drawing.svg").read_bytes()

    with pytest.raises(ImageRejected) as caught:
        process_image(io.BytesIO(data), filename="logo.png")

    assert caught.value.code == "unsupported_type"
    assert "SVG" in caught.value.message


def test_gif_is_refused_as_not_an_allowed_type() -> None:
    buf = io.BytesIO()
    Image.new("P", (4, 4)).save(buf, "GIF")

    with pytest.raises(ImageRejected) as caught:
        inspect_image(io.BytesIO(buf.getvalue()), filename="a.gif")

    assert caught.value.code == "unsupported_type"


def test_empty_file_is_refused() -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(io.BytesIO(b""), filename="a.jpg")

    assert caught.value.code == "empty"


def test_file_over_the_byte_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    path = fixture("plain.jpg")

    with pytest.raises(ImageRejected) as caught:
        inspect_image(path, max_bytes=1000)
    with pytest.raises(ImageRejected) as caught_stream:
        inspect_image(io.BytesIO(path.read_bytes()), filename="a.jpg", max_bytes=1000)

    assert caught.value.code == "too_large"
    assert caught.value.message == "The file is larger than the 1,000-byte limit."
    assert caught_stream.value.code == "too_large"


def test_jpeg_magic_followed_by_garbage_is_refused_as_corrupt() -> None:
    data = b"\xff\xd8\xff\xe0" + b"\x00\x10not really a jpeg" * 20

    with pytest.raises(ImageRejected) as caught:
        inspect_image(io.BytesIO(data), filename="a.jpg")

    assert caught.value.code in {"corrupt", "truncated"}


# -- truncation ----------------------------------------------------------------


def test_truncated_jpeg_is_refused_by_inspection() -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(fixture("truncated.jpg"))

    assert caught.value.code == "truncated"


@pytest.mark.parametrize("display_max", [2048, 128, 64, 32])
def test_truncated_jpeg_is_refused_even_when_decoded_at_reduced_scale(
    display_max: int,
) -> None:
    # display_max 32 on a 256px picture makes Image.draft decode at 1/8 scale.
    with pytest.raises(ImageRejected) as caught:
        process_image(fixture("truncated.jpg"), display_max=display_max)

    assert caught.value.code == "truncated"


def test_truncated_png_is_refused(tmp_path: Path) -> None:
    data = fixture("scene.png").read_bytes()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(ImageRejected) as caught:
        inspect_image(path)

    assert caught.value.code == "truncated"


# -- decompression bombs -------------------------------------------------------


def test_pixel_cap_is_checked_from_the_header_before_decoding(tmp_path: Path) -> None:
    # 8000x8000 = 64 Mpx: over our 50 Mpx default, under Pillow's own 89 Mpx
    # warning. The pixel data is empty, so a decode would say "truncated".
    path = tmp_path / "claims_huge.png"
    path.write_bytes(png_header_only(8000, 8000))

    with pytest.raises(ImageRejected) as caught:
        inspect_image(path)

    assert caught.value.code == "too_many_pixels"
    assert (
        caught.value.message == "The image is larger than the 50,000,000-pixel limit."
    )


def test_pillow_decompression_bomb_warning_is_treated_as_an_error(
    tmp_path: Path,
) -> None:
    # 10000x10000 = 100 Mpx: Pillow warns (over 89 Mpx) but does not raise.
    path = tmp_path / "warns.png"
    path.write_bytes(png_header_only(10_000, 10_000))

    with pytest.raises(ImageRejected) as caught:
        inspect_image(path, max_pixels=500_000_000)

    assert caught.value.code == "too_many_pixels"


def test_pillow_decompression_bomb_error_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(100_000, 100_000))

    with pytest.raises(ImageRejected) as caught:
        process_image(path, max_pixels=10**12)

    assert caught.value.code == "too_many_pixels"


def test_real_tiny_file_of_huge_dimensions_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "zeros.png"
    Image.new("1", (10_000, 6_000)).save(path, "PNG")
    assert path.stat().st_size < 50_000  # tiny on disk, 60 Mpx when decoded

    with pytest.raises(ImageRejected) as caught:
        process_image(path)

    assert caught.value.code == "too_many_pixels"


def test_explicit_pixel_cap_is_honoured() -> None:
    with pytest.raises(ImageRejected) as caught:
        inspect_image(fixture("plain.jpg"), max_pixels=256 * 192 - 1)

    assert caught.value.code == "too_many_pixels"
    assert inspect_image(fixture("plain.jpg"), max_pixels=256 * 192).width == 256


# -- EXIF, GPS, capture time ---------------------------------------------------


def test_exif_is_a_json_safe_dict_with_tag_names() -> None:
    exif = process_image(fixture("exif_gps.jpg")).exif

    assert json.loads(json.dumps(exif)) == exif
    assert exif["Make"] == "Provenance Test Camera Co."
    assert exif["Model"] == "PT-1"
    assert exif["Orientation"] == 6
    assert exif["DateTimeOriginal"] == "2024:03:01 14:22:05"
    assert exif["ExposureTime"] == 0.004
    assert exif["ExifVersion"] == "0232"
    assert exif["ComponentsConfiguration"] == "01020300"
    assert exif["GPSInfo"]["GPSLatitudeRef"] == "N"
    assert exif["GPSInfo"]["GPSLatitude"] == [59.0, 26.0, 15.36]
    assert exif["GPSInfo"]["GPSDateStamp"] == "2024:03:01"


def test_gps_position_is_decimal_degrees_with_hemisphere_signs() -> None:
    gps = process_image(fixture("exif_gps.jpg")).gps

    assert gps == GpsPosition(
        latitude=59.4376,
        longitude=-24.75,
        altitude_m=12.5,
        fixed_at=datetime(2024, 3, 1, 12, 22, 5, tzinfo=UTC),
    )


def test_capture_time_with_recorded_offset_is_timezone_aware() -> None:
    result = process_image(fixture("exif_gps.jpg"))

    plus_two = timezone(timedelta(hours=2))
    assert result.captured_at == datetime(2024, 3, 1, 14, 22, 5, 250000, plus_two)
    assert result.captured_at_local == "2024-03-01T14:22:05.25"


def test_southern_position_below_sea_level() -> None:
    gps = gps_position(
        {
            1: "S",
            2: (IFDRational(33, 1), IFDRational(51, 1), IFDRational(0, 1)),
            3: "E",
            4: (IFDRational(151, 1), IFDRational(12, 1), IFDRational(36, 1)),
            5: b"\x01",
            6: IFDRational(42, 1),
        }
    )

    assert gps == GpsPosition(
        latitude=-33.85, longitude=151.21, altitude_m=-42.0, fixed_at=None
    )


def test_gps_without_a_hemisphere_reference_is_not_guessed() -> None:
    gps = gps_position(
        {
            2: (IFDRational(33, 1), IFDRational(0, 1), IFDRational(0, 1)),
            3: "E",
            4: (IFDRational(151, 1), IFDRational(0, 1), IFDRational(0, 1)),
        }
    )

    assert gps is None


def test_gps_out_of_range_is_ignored() -> None:
    gps = gps_position({1: "N", 2: (IFDRational(95, 1),), 3: "E", 4: 10.0})

    assert gps is None


def test_odd_exif_values_become_json_safe_without_crashing() -> None:
    exif = Image.Exif()
    exif[0x010F] = "Maker\x00\x00"  # NUL-padded string
    exif[0xABCD] = b"\x00\xff" * 300  # unknown tag, long binary
    sub = exif.get_ifd(0x8769)
    sub[0x829A] = IFDRational(1, 0)  # zero denominator
    sub[0x9286] = b"ASCII\x00\x00\x00plain text"  # UserComment: charset prefix

    result = exif_to_json(exif)

    assert json.loads(json.dumps(result)) == result
    assert result["Make"] == "Maker"
    assert result["Tag0xABCD"] == "00ff" * 128 + "…"
    assert result["ExposureTime"] is None
    assert result["UserComment"] == "plain text"


def test_jpeg_without_exif_has_no_exif_gps_or_capture_time() -> None:
    result = process_image(fixture("plain.jpg"))

    assert result.exif == {}
    assert result.gps is None
    assert result.orientation is None
    assert (result.captured_at, result.captured_at_local) == (None, None)


# -- derivatives ---------------------------------------------------------------


def test_original_bytes_are_unchanged_after_processing() -> None:
    path = fixture("exif_gps.jpg")
    before = path.read_bytes()

    result = process_image(path)

    assert path.read_bytes() == before
    assert result.sha256 == hashlib.sha256(before).hexdigest()
    assert result.size_bytes == len(before)


def test_derivatives_follow_exif_orientation() -> None:
    result = process_image(fixture("exif_gps.jpg"))

    assert (result.width, result.height, result.orientation) == (256, 192, 6)
    assert (result.display.width, result.display.height) == (192, 256)
    assert (result.thumbnail.width, result.thumbnail.height) == (192, 256)
    with Image.open(io.BytesIO(result.display.data)) as img:
        assert img.size == (192, 256)


def test_display_derivative_has_no_exif_xmp_or_colour_profile() -> None:
    result = process_image(fixture("exif_gps.jpg"))

    for derivative in (result.display, result.thumbnail):
        with Image.open(io.BytesIO(derivative.data)) as img:
            assert img.format == "JPEG"
            assert dict(img.getexif()) == {}
            assert "xmp" not in img.info
            assert "icc_profile" not in img.info
        assert b"Provenance Test Camera" not in derivative.data
        assert b"SECRET-XMP-NOTE" not in derivative.data


def test_payload_appended_after_the_image_end_is_not_in_derivatives() -> None:
    original = fixture("appended.jpg").read_bytes()
    assert b"HIDDEN-PAYLOAD-AFTER-EOI" in original

    result = process_image(fixture("appended.jpg"))

    for derivative in (result.display, result.thumbnail):
        assert b"HIDDEN-PAYLOAD-AFTER-EOI" not in derivative.data
        assert derivative.data.endswith(b"\xff\xd9")
    assert result.sha256 == hashlib.sha256(original).hexdigest()


def test_content_credentials_are_not_copied_into_derivatives() -> None:
    result = process_image(fixture("c2pa_signed.jpg"))

    assert b"c2pa" not in result.display.data
    assert b"jumb" not in result.display.data


def test_thumbnail_fits_its_box_keeping_the_aspect_ratio() -> None:
    result = process_image(fixture("plain.jpg"), thumb_size=(64, 64))

    assert result.thumbnail.mime == "image/jpeg"
    assert (result.thumbnail.width, result.thumbnail.height) == (64, 48)


def test_display_derivative_is_limited_to_display_max() -> None:
    result = process_image(fixture("plain.jpg"), display_max=100)

    assert (result.display.width, result.display.height) == (100, 75)


def test_small_images_are_not_enlarged() -> None:
    result = process_image(fixture("scene.png"))

    assert (result.display.width, result.display.height) == (128, 96)
    assert (result.thumbnail.width, result.thumbnail.height) == (128, 96)


def test_webp_derivatives_on_request() -> None:
    result = process_image(fixture("plain.jpg"), derivative_format="WEBP")

    assert result.display.mime == "image/webp"
    with Image.open(io.BytesIO(result.thumbnail.data)) as img:
        assert img.format == "WEBP"


def test_sixteen_bit_tiff_band_is_stretched_to_eight_bit_for_display() -> None:
    result = process_image(fixture("band16.tif"))

    with Image.open(io.BytesIO(result.display.data)) as img:
        assert img.mode == "L"
        low, high = img.getextrema()
    assert low <= 3
    assert high >= 252
    assert result.notes == ("I;16 pixels stretched to 8-bit for display",)


def test_transparent_png_is_flattened_on_white(tmp_path: Path) -> None:
    path = tmp_path / "alpha.png"
    Image.new("RGBA", (40, 30), (255, 0, 0, 0)).save(path)

    result = process_image(path)

    with Image.open(io.BytesIO(result.display.data)) as img:
        assert img.mode == "RGB"
        r, g, b = img.getpixel((20, 15))
    assert min(r, g, b) >= 250


def test_cmyk_jpeg_with_profile_becomes_rgb(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (40, 30), (0, 255, 255, 0)).save(path, "JPEG")

    result = process_image(path)

    with Image.open(io.BytesIO(result.display.data)) as img:
        assert img.mode == "RGB"


def test_srgb_profile_is_accepted_and_dropped(tmp_path: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = tmp_path / "srgb.png"
    Image.new("RGB", (40, 30), (10, 200, 30)).save(path, icc_profile=srgb)

    result = process_image(path)

    with Image.open(io.BytesIO(result.display.data)) as img:
        assert "icc_profile" not in img.info
    assert result.notes == ()


def test_file_object_and_path_give_the_same_result() -> None:
    path = fixture("exif_gps.jpg")

    from_path = process_image(path)
    from_stream = process_image(io.BytesIO(path.read_bytes()), filename="x.jpg")

    assert from_stream.sha256 == from_path.sha256
    assert from_stream.phash == from_path.phash
    assert from_stream.exif == from_path.exif


# -- perceptual hash and near-duplicates ---------------------------------------


def test_phash_is_sixteen_lowercase_hex_characters() -> None:
    phash = process_image(fixture("plain.jpg")).phash

    assert len(phash) == 16
    assert set(phash) <= set("0123456789abcdef")


def test_same_picture_in_every_format_hashes_within_the_threshold() -> None:
    base = process_image(fixture("plain.jpg")).phash

    for name in ("scene.png", "scene.webp", "scene.tif"):
        assert hamming(base, process_image(fixture(name)).phash) <= 10


@pytest.mark.parametrize("scale", [0.5, 0.75, 2.0])
def test_resized_copy_is_a_near_duplicate(tmp_path: Path, scale: float) -> None:
    copy = reencode(fixture("plain.jpg"), tmp_path / "copy.jpg", scale=scale)

    a = process_image(fixture("plain.jpg")).phash
    b = process_image(copy).phash

    assert hamming(a, b) <= NEAR_DUPLICATE_THRESHOLD


@pytest.mark.parametrize("quality", [30, 60, 95])
def test_reencoded_copy_is_a_near_duplicate(tmp_path: Path, quality: int) -> None:
    copy = reencode(fixture("plain.jpg"), tmp_path / "copy.jpg", quality=quality)

    a = process_image(fixture("plain.jpg")).phash
    b = process_image(copy).phash

    assert hamming(a, b) <= NEAR_DUPLICATE_THRESHOLD


def test_unrelated_picture_is_not_a_near_duplicate() -> None:
    a = process_image(fixture("plain.jpg")).phash
    b = process_image(fixture("other.jpg")).phash

    assert hamming(a, b) > NEAR_DUPLICATE_THRESHOLD


def test_hamming_counts_differing_bits() -> None:
    assert hamming("0000000000000000", "ffffffffffffffff") == 64
    assert hamming("8000000000000001", "0000000000000000") == 2
    assert hamming("ABCDEF0123456789", "abcdef0123456789") == 0


@pytest.mark.parametrize("bad", ["", "abc", "zzzzzzzzzzzzzzzz", "0" * 17])
def test_hamming_refuses_values_that_are_not_64_bit_hex(bad: str) -> None:
    with pytest.raises(ValueError, match="not a 64-bit pHash"):
        hamming(bad, "0" * 16)


def test_near_duplicates_are_filtered_and_sorted_by_distance() -> None:
    candidates = [
        ("far", "ffffffffffffffff"),
        ("three", "0000000000000007"),
        ("same", "0000000000000000"),
        ("one", "0000000000000100"),
        ("missing", None),
        ("ten", "00000000000003ff"),
        ("eleven", "00000000000007ff"),
    ]

    found = near_duplicates("0000000000000000", candidates)

    assert found == [("same", 0), ("one", 1), ("three", 3), ("ten", 10)]


def test_near_duplicates_threshold_can_be_tightened() -> None:
    found = near_duplicates(
        "0000000000000000", [(1, "0000000000000007"), (2, "0000000000000001")], 1
    )

    assert found == [(2, 1)]


# -- Content Credentials -------------------------------------------------------


def test_image_without_a_manifest_has_no_content_credentials() -> None:
    assert read_content_credentials(fixture("plain.jpg"), "image/jpeg") is None


def test_png_without_a_manifest_has_no_content_credentials() -> None:
    assert read_content_credentials(fixture("scene.png"), "image/png") is None


def test_signed_image_reports_valid_credentials_with_signer_and_actions() -> None:
    credentials = read_content_credentials(fixture("c2pa_signed.jpg"), "image/jpeg")

    assert credentials is not None
    assert credentials["state"] == "valid"
    assert credentials["signer"]["common_name"] == "Provenance Test Signer"
    assert credentials["signer"]["issuer"] == "Provenance Tests"
    assert credentials["signer"]["algorithm"] == "Es256"
    assert credentials["signed_at"] is None  # signed without a timestamp authority
    assert credentials["claim_generator"] == "Provenance test fixtures 1.0"
    assert credentials["tools"] == [
        {"name": "Provenance test fixtures", "version": "1.0"}
    ]
    assert credentials["actions"] == [
        {
            "action": "c2pa.created",
            "when": None,
            "software_agent": "make_fixtures.py",
            "digital_source_type": "http://cv.iptc.org/newscodes/digitalsourcetype/"
            "digitalCapture",
            "description": None,
        }
    ]
    assert credentials["title"] == "c2pa_signed.jpg"
    assert credentials["manifest_count"] == 1
    # Our throwaway test CA is on no trust list: intact, but not "trusted".
    assert credentials["validation_errors"] == [
        {
            "code": "signingCredential.untrusted",
            "explanation": "signing certificate untrusted",
        }
    ]
    assert json.loads(json.dumps(credentials)) == credentials


def test_signed_image_changed_after_signing_is_invalid(tmp_path: Path) -> None:
    data = bytearray(fixture("c2pa_signed.jpg").read_bytes())
    data[-40] ^= 0xFF  # inside the entropy-coded pixels, after the manifest
    path = tmp_path / "tampered.jpg"
    path.write_bytes(bytes(data))

    credentials = read_content_credentials(path, "image/jpeg")

    assert credentials is not None
    assert credentials["state"] == "invalid"
    codes = [error["code"] for error in credentials["validation_errors"]]
    assert "assertion.dataHash.mismatch" in codes


def test_damaged_manifest_is_reported_as_unreadable_not_raised(
    tmp_path: Path,
) -> None:
    data = bytearray(fixture("c2pa_signed.jpg").read_bytes())
    start = data.find(b"jumb")
    data[start + 200 : start + 400] = b"\xff" * 200
    path = tmp_path / "damaged.jpg"
    path.write_bytes(bytes(data))

    credentials = read_content_credentials(path, "image/jpeg")

    assert credentials is not None
    assert credentials["state"] == "unreadable"
    assert len(credentials["validation_errors"]) == 1


def test_content_credentials_are_read_offline() -> None:
    assert C2PA_READ_SETTINGS == {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}
    }


# -- chain of custody ----------------------------------------------------------


def test_tool_versions_name_the_libraries_that_made_the_derivatives() -> None:
    assert tool_versions() == {
        "Pillow": version("pillow"),
        "imagehash": version("ImageHash"),
        "c2pa-python": version("c2pa-python"),
        "rasterio": f"{version('rasterio')} (GDAL {rasterio.__gdal_version__})",
        "pillow-heif": version("pillow-heif"),
    }


def _process_in_child(path: str, queue) -> None:
    queue.put(process_image(path).phash)


def test_processing_still_works_in_a_process_forked_after_first_use():
    import multiprocessing

    path = str(DATA / "plain.jpg")
    expected = process_image(path).phash  # the parent now has a live pool thread
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_process_in_child, args=(path, queue))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert queue.get(timeout=5) == expected
