"""Generate the small image fixtures used by tests/evidence/images/test_process.py.

Run once from the repository root and keep the output files:

    .venv/bin/python tests/data/images/make_fixtures.py

Pictures have real structure (gradients, shapes, seeded noise) because flat colours
all share one perceptual hash. The C2PA signing key and certificates are generated
fresh on every run and never written to disk: only the signed image is kept.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import c2pa
import numpy as np
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image, ImageCms, ImageDraw
from PIL.TiffImagePlugin import IFDRational

HERE = Path(__file__).resolve().parent
SIZE = (256, 192)
APPENDED_PAYLOAD = b"PK\x03\x04HIDDEN-PAYLOAD-AFTER-EOI" * 8


def scene(seed: int = 7, size: tuple[int, int] = SIZE) -> Image.Image:
    """A harbour-ish picture: sky gradient, sea texture, a few hard-edged shapes."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 80 + 120 * (x / w)
    g = 110 + 90 * (y / h)
    b = 200 - 100 * (y / h) + 20 * np.sin(x / 9.0)
    pixels = np.stack([r, g, b], axis=-1)
    pixels += rng.normal(0, 6, pixels.shape)
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    draw.rectangle((30, 90, 120, 150), fill=(60, 40, 30))  # hull
    draw.rectangle((60, 50, 75, 90), fill=(230, 230, 220))  # mast
    draw.ellipse((170, 20, 220, 70), fill=(250, 220, 80))  # sun
    draw.polygon([(140, 170), (250, 120), (250, 190)], fill=(20, 80, 40))  # quay
    return img


def other_scene(seed: int = 99, size: tuple[int, int] = SIZE) -> Image.Image:
    """An unrelated picture: diagonal stripes and dark blobs in other places."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    stripes = 127 + 100 * np.sign(np.sin((x + y) / 14.0))
    pixels = np.stack([stripes, 255 - stripes, 0.5 * stripes + 40], axis=-1)
    pixels += rng.normal(0, 10, pixels.shape)
    img = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    draw.ellipse((10, 10, 110, 110), fill=(10, 10, 10))
    draw.rectangle((150, 100, 240, 180), fill=(240, 240, 240))
    return img


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Provenance Test Camera Co."  # Make
    exif[0x0110] = "PT-1"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90 CW to display
    exif[0x0131] = "make_fixtures.py"  # Software
    sub = exif.get_ifd(0x8769)  # Exif IFD
    sub[0x9003] = "2024:03:01 14:22:05"  # DateTimeOriginal
    sub[0x9011] = "+02:00"  # OffsetTimeOriginal
    sub[0x9291] = "25"  # SubsecTimeOriginal
    sub[0x829A] = IFDRational(1, 250)  # ExposureTime
    sub[0x9000] = b"0232"  # ExifVersion (undefined bytes, printable)
    sub[0x9101] = b"\x01\x02\x03\x00"  # ComponentsConfiguration (binary)
    gps = exif.get_ifd(0x8825)  # GPS IFD
    gps[0x0000] = b"\x02\x03\x00\x00"  # GPSVersionID
    gps[0x0001] = "N"
    gps[0x0002] = (IFDRational(59, 1), IFDRational(26, 1), IFDRational(1536, 100))
    gps[0x0003] = "W"
    gps[0x0004] = (IFDRational(24, 1), IFDRational(45, 1), IFDRational(0, 1))
    gps[0x0005] = 0  # above sea level
    gps[0x0006] = IFDRational(125, 10)
    gps[0x0007] = (IFDRational(12, 1), IFDRational(22, 1), IFDRational(5, 1))
    gps[0x001D] = "2024:03:01"
    return exif


def jpeg_bytes(img: Image.Image, **params: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=85, **params)
    return buf.getvalue()


def make_signing_material() -> tuple[bytes, bytes]:
    """A throwaway CA and ES256 leaf: c2pa-rs refuses self-signed leaf certificates."""
    now = dt.datetime.now(dt.UTC)

    def name(common_name: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Provenance Tests"),
            ]
        )

    def usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=ca,
            crl_sign=ca,
            encipher_only=False,
            decipher_only=False,
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(name("Provenance Test Root"))
        .issuer_name(name("Provenance Test Root"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .add_extension(usage(sign=False, ca=True), True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("Provenance Test Signer"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        .add_extension(usage(sign=True, ca=False), True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(
        serialization.Encoding.PEM
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return chain, key_pem


def c2pa_signed_jpeg(source: bytes) -> bytes:
    chain, key_pem = make_signing_material()
    signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(b"es256", chain, key_pem, None))
    manifest = {
        "claim_generator_info": [
            {"name": "Provenance test fixtures", "version": "1.0"}
        ],
        "title": "c2pa_signed.jpg",
        "format": "image/jpeg",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "softwareAgent": {"name": "make_fixtures.py"},
                            "digitalSourceType": "http://cv.iptc.org/newscodes/"
                            "digitalsourcetype/digitalCapture",
                        }
                    ]
                },
            }
        ],
    }
    # No embedded C2PA thumbnail: keeps the fixture small.
    with c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}}) as ctx:
        builder = c2pa.Builder(manifest, context=ctx)
        out = io.BytesIO()
        builder.sign(signer, "image/jpeg", io.BytesIO(source), out)
    return out.getvalue()


def main() -> None:
    base = scene()
    plain = jpeg_bytes(base)
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b"<rdf:Description>SECRET-XMP-NOTE</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    files: dict[str, bytes] = {
        "exif_gps.jpg": jpeg_bytes(
            base, exif=camera_exif().tobytes(), icc_profile=srgb, xmp=xmp
        ),
        "plain.jpg": plain,
        "other.jpg": jpeg_bytes(other_scene()),
        "truncated.jpg": plain[: len(plain) * 6 // 10],
        "appended.jpg": plain + APPENDED_PAYLOAD,
        "html_named.jpg": (
            b"<!DOCTYPE html>\n<html><body><p>not a photo</p></body></html>\n"
        ),
        "pdf_named.jpg": (
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n"
            b"%%EOF\n"
        ),
        "drawing.svg": (
            b'<?xml version="1.0" encoding="UTF-8"?>\n'
            b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
            b'<script>alert(1)</script><rect width="10" height="10"/></svg>\n'
        ),
        "c2pa_signed.jpg": c2pa_signed_jpeg(plain),
    }
    # Lossless formats of a noisy picture are large: a half-size copy keeps them small.
    small = base.resize((SIZE[0] // 2, SIZE[1] // 2), Image.Resampling.LANCZOS)
    for name, fmt, params in [
        ("scene.png", "PNG", {"optimize": True}),
        ("scene.webp", "WEBP", {"quality": 80}),
        ("scene.tif", "TIFF", {"compression": "tiff_deflate"}),
    ]:
        buf = io.BytesIO()
        small.save(buf, fmt, **params)
        files[name] = buf.getvalue()
    files["png_named.jpg"] = files["scene.png"]

    # A 16-bit single-band TIFF, the shape of many satellite products.
    y, x = np.mgrid[0:96, 0:128]
    band = (1000 + 30 * x + 20 * y + 500 * ((x // 16 + y // 16) % 2)).astype(np.uint16)
    buf = io.BytesIO()
    Image.fromarray(band).save(buf, "TIFF", compression="tiff_deflate")
    files["band16.tif"] = buf.getvalue()

    for name, data in files.items():
        assert len(data) < 50_000, (name, len(data))  # keep the repository light
        (HERE / name).write_bytes(data)


if __name__ == "__main__":
    main()
