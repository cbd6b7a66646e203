"""Content Credentials on real C2PA samples (tests/data/real/c2pa/SOURCES.md):
the values compared are exiftool's and openssl's, and the codes c2pa-rs's
fixtures document."""

from __future__ import annotations

from pathlib import Path

import pytest

from evidence.images.credentials import (
    C2PA_READ_SETTINGS,
    read_content_credentials,
    read_settings,
    remote_manifest_url,
    summarise_manifest_store,
)
from tests.evidence.c2pa_samples import (
    REAL_C2PA,
    TRUST_BUNDLE,
    signed_pdf,
    with_bad_ingredient,
)

CLOUD_MANIFEST = (
    "https://cai-manifests.adobe.com/manifests/"
    "adobe-urn-uuid-5f37e182-3687-462e-a7fb-573462780391"
)


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("c2pa")


def codes(summary: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e.get("ingredient")) for e in summary["validation_errors"]]


def test_real_signed_image_reads_as_exiftool_sees_its_manifest() -> None:
    cc = read_content_credentials(REAL_C2PA / "C.jpg", "image/jpeg")

    assert cc["state"] == "valid"
    assert cc["title"] == "C.jpg"
    assert cc["claim_generator"] == "make_test_images/0.26.0 c2pa-rs/0.26.0"
    assert cc["actions"] == [
        {
            "action": "c2pa.created",
            "when": None,
            "software_agent": "Make Test Images 0.26.0",
            "digital_source_type": (
                "http://cv.iptc.org/newscodes/digitalsourcetype/algorithmicMedia"
            ),
            "description": None,
        }
    ]
    assert cc["trust_list"] is False
    assert codes(cc) == [("signingCredential.untrusted", None)]


def test_signer_under_a_configured_trust_anchor_is_trusted() -> None:
    cc = read_content_credentials(
        REAL_C2PA / "C.jpg", "image/jpeg", trust_anchors=TRUST_BUNDLE.read_text()
    )

    assert cc["state"] == "trusted"
    assert cc["trust_list"] is True
    assert cc["validation_errors"] == []


def test_trust_anchors_go_into_the_offline_reader_settings() -> None:
    assert read_settings(None) == C2PA_READ_SETTINGS
    assert read_settings("PEM") == {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
        "trust": {"trust_anchors": "PEM"},
    }


def test_bad_claim_signature_is_invalid_with_its_code() -> None:
    cc = read_content_credentials(REAL_C2PA / "E-sig-CA.jpg", "image/jpeg")

    assert cc["state"] == "invalid"
    assert ("claimSignature.mismatch", None) in codes(cc)
    assert cc["ingredients"] == [
        {
            "title": "A.jpg",
            "format": "image/jpeg",
            "relationship": "parentOf",
            "in_manifest": "contentauth:urn:uuid:c2677d4b-0a93-4444-876f-ed2f2d40b8cf",
            "has_credentials": False,
            "state": None,
            "validation_errors": [],
        }
    ]


def test_remote_manifest_is_reported_as_remote_with_its_url_not_fetched() -> None:
    cc = read_content_credentials(REAL_C2PA / "cloud.jpg", "image/jpeg")

    assert cc["state"] == "remote"
    assert cc["remote_url"] == CLOUD_MANIFEST  # exiftool's XMP Provenance
    assert cc["validation_errors"] == []
    assert cc["signer"] is None


def test_remote_manifest_url_is_read_from_the_library_refusal() -> None:
    message = f"Remote: must fetch remote manifests from url {CLOUD_MANIFEST}"

    assert remote_manifest_url(Exception(message)) == CLOUD_MANIFEST
    assert remote_manifest_url(Exception("JumbfParseError")) is None


def test_ingredient_with_a_bad_signature_is_shown_with_its_failure(made) -> None:
    cc = read_content_credentials(with_bad_ingredient(made), "image/jpeg")

    ingredient = cc["ingredients"][0]
    assert ingredient["title"] == "E-sig-CA.jpg"
    assert ingredient["relationship"] == "componentOf"
    assert ingredient["has_credentials"] is True
    assert ingredient["state"] == "invalid"
    assert [e["code"] for e in ingredient["validation_errors"]] == [
        "signingCredential.untrusted",
        "claimSignature.mismatch",
    ]
    assert cc["invalid_ingredients"] == 1
    assert ("claimSignature.mismatch", "E-sig-CA.jpg") in codes(cc)


def test_ingredient_failures_found_on_reading_are_kept_as_ingredient_deltas() -> None:
    # The shape of c2pa-rs's CIE-sig-CA.jpg as c2pa-python 0.38 reads it: the
    # active manifest fails only on trust; the ingredient's signature is bad.
    active, inner = "urn:active", "urn:inner"
    store = {
        "active_manifest": active,
        "validation_state": "Invalid",
        "manifests": {
            active: {
                "title": "CIE-sig-CA.jpg",
                "ingredients": [
                    {
                        "title": "E-sig-CA.jpg",
                        "relationship": "componentOf",
                        "active_manifest": inner,
                        "label": "c2pa.ingredient.v2",
                        "validation_status": [
                            {"code": "timeStamp.mismatch", "explanation": "t"}
                        ],
                    }
                ],
            },
            inner: {"title": "CA.jpg", "ingredients": []},
        },
        "validation_results": {
            "activeManifest": {
                "failure": [{"code": "signingCredential.untrusted", "explanation": "u"}]
            },
            "ingredientDeltas": [
                {
                    "ingredientAssertionURI": (
                        f"self#jumbf=/c2pa/{active}/c2pa.assertions/c2pa.ingredient.v2"
                    ),
                    "validationDeltas": {
                        "failure": [
                            {"code": "claimSignature.mismatch", "explanation": "m"}
                        ]
                    },
                }
            ],
        },
    }

    cc = summarise_manifest_store(store)

    assert cc["state"] == "invalid"
    assert codes(cc) == [
        ("signingCredential.untrusted", None),
        ("timeStamp.mismatch", "E-sig-CA.jpg"),
        ("claimSignature.mismatch", "E-sig-CA.jpg"),
    ]


def test_content_credentials_of_a_pdf_are_read(made) -> None:
    path = signed_pdf(made)

    cc = read_content_credentials(path, "application/pdf")
    trusted = read_content_credentials(
        path, "application/pdf", trust_anchors=TRUST_BUNDLE.read_text()
    )

    assert cc["state"] == "valid"
    assert cc["title"] == "basic.pdf"
    # openssl x509 -subject of es256_certs.pem: CN = C2PA Signer, O = C2PA Test ...
    assert cc["signer"]["common_name"] == "C2PA Signer"
    assert cc["signer"]["issuer"] == "C2PA Test Signing Cert"
    assert trusted["state"] == "trusted"


def test_unsigned_pdf_has_no_content_credentials() -> None:
    assert read_content_credentials(REAL_C2PA / "basic.pdf", "application/pdf") is None
