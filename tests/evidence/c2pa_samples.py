"""Content Credentials made at test time with the c2pa library's own signer, from
the real samples in tests/data/real/c2pa (SOURCES.md there says where each is
from): a PDF signed with c2pa-python's ES256 test certificate, and an image whose
ingredient is c2pa-rs's E-sig-CA.jpg (a bad claim signature), the shape of
c2pa-rs's CIE-sig-CA.jpg, which is too large to keep here."""

from __future__ import annotations

import io
import json
from pathlib import Path

REAL_C2PA = Path(__file__).resolve().parents[1] / "data" / "real" / "c2pa"
TRUST_BUNDLE = REAL_C2PA / "test_cert_root_bundle.pem"

_CREATED = {
    "label": "c2pa.actions",
    "data": {
        "actions": [
            {
                "action": "c2pa.created",
                "digitalSourceType": (
                    "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
                ),
            }
        ]
    },
}


def _signer():
    import c2pa

    info = c2pa.C2paSignerInfo(
        b"es256",
        (REAL_C2PA / "es256_certs.pem").read_bytes(),
        (REAL_C2PA / "es256_private.key").read_bytes(),
        None,
    )
    return c2pa.Signer.from_info(info)


def sign(
    source: Path,
    target: Path,
    mime: str,
    *,
    title: str,
    ingredient: Path | None = None,
) -> Path:
    """Sign ``source`` into ``target`` (a c2pa.created action, optionally an
    ingredient with its own manifest store)."""
    import c2pa

    manifest = {
        "claim_generator_info": [{"name": "provenance-tests", "version": "1"}],
        "title": title,
        "assertions": [_CREATED],
    }
    with c2pa.Builder(json.dumps(manifest)) as builder:
        if ingredient is not None:
            about = {"title": ingredient.name, "relationship": "componentOf"}
            with ingredient.open("rb") as fh:
                builder.add_ingredient(
                    json.dumps(about),
                    "image/jpeg",
                    fh,
                )
        out = io.BytesIO()
        with source.open("rb") as src:
            builder.sign(_signer(), mime, src, out)
    target.write_bytes(out.getvalue())
    return target


def signed_pdf(directory: Path) -> Path:
    return sign(
        REAL_C2PA / "basic.pdf",
        directory / "signed.pdf",
        "application/pdf",
        title="basic.pdf",
    )


def with_bad_ingredient(directory: Path) -> Path:
    return sign(
        REAL_C2PA / "C.jpg",
        directory / "CIE-sig-C.jpg",
        "image/jpeg",
        title="CIE-sig-C.jpg",
        ingredient=REAL_C2PA / "E-sig-CA.jpg",
    )
