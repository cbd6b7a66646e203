"""Signed WACZ packages (wacz-auth anonymous signature): signing and the pure
verification, and what it says when a package was tampered with."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from evidence.captures import signing, wacz

CREATED = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def package() -> bytes:
    out = io.BytesIO()
    wacz.write_warc(out, [], software="test", info={})
    page = wacz.Page(url="https://example.org/", title="T", text="text", at=CREATED)
    return wacz.build_wacz(
        warc=out.getvalue(), page=page, created=CREATED, software="test"
    )


def _members(package: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _rezip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_the_signed_digest_carries_the_anonymous_signed_data(package, key):
    signed, data = signing.sign_wacz(
        package, private_key=key, software="Provenance web capture 1.0", version="1.0"
    )
    members = _members(signed)
    digest = json.loads(members["datapackage-digest.json"])
    datapackage = json.loads(members["datapackage.json"])

    assert set(digest) == {"path", "hash", "signedData"}
    assert digest["signedData"] == data
    assert set(data) == {
        "hash",
        "created",
        "software",
        "version",
        "signature",
        "publicKey",
    }
    assert data["hash"] == digest["hash"]
    assert data["created"] == datapackage["created"] == "2026-03-03T12:00:00Z"
    assert data["software"] == "Provenance web capture 1.0"
    assert data["publicKey"] == signing.public_key_text(key.public_key())
    # Every other member is byte for byte as it was, still stored.
    assert {k: v for k, v in members.items() if k != "datapackage-digest.json"} == {
        k: v for k, v in _members(package).items() if k != "datapackage-digest.json"
    }
    with zipfile.ZipFile(io.BytesIO(signed)) as archive:
        assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}


def test_the_signature_is_raw_p256_over_the_hash_text_as_readers_check_it(package, key):
    _, data = signing.sign_wacz(package, private_key=key, software="s", version="1")
    raw = base64.b64decode(data["signature"])
    public_key = signing.load_public_key_text(data["publicKey"])

    assert len(raw) == 64
    public_key.verify(
        encode_dss_signature(
            int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        ),
        data["hash"].encode(),
        ec.ECDSA(hashes.SHA256()),
    )


def test_a_signed_package_verifies(package, key):
    signed, data = signing.sign_wacz(
        package, private_key=key, software="s", version="1"
    )

    check = signing.verify_wacz(signed, expected_public_key=data["publicKey"])

    assert (check.is_valid, check.reason) == (True, "signature valid")
    assert check.key_id == signing.key_id(key.public_key())


def test_a_changed_signature_fails(package, key):
    signed, _ = signing.sign_wacz(package, private_key=key, software="s", version="1")
    members = _members(signed)
    digest = json.loads(members["datapackage-digest.json"])
    raw = bytearray(base64.b64decode(digest["signedData"]["signature"]))
    raw[10] ^= 0x01
    digest["signedData"]["signature"] = base64.b64encode(raw).decode()
    members["datapackage-digest.json"] = json.dumps(digest).encode()

    check = signing.verify_wacz(_rezip(members))

    assert (check.is_valid, check.reason) == (
        False,
        "the signature does not match the signed hash: the hash or the signature "
        "was changed after signing",
    )


def test_a_changed_page_record_fails_on_its_hash(package, key):
    signed, _ = signing.sign_wacz(package, private_key=key, software="s", version="1")
    members = _members(signed)
    members["pages/pages.jsonl"] = members["pages/pages.jsonl"].replace(
        b"text", b"TEXT"
    )

    check = signing.verify_wacz(_rezip(members))

    assert (check.is_valid, check.reason) == (
        False,
        "pages/pages.jsonl does not match its hash in datapackage.json",
    )


def test_a_package_re_hashed_after_a_change_fails_on_the_signature(package, key):
    """Whoever changes a resource and writes new hashes cannot re-sign."""
    signed, _ = signing.sign_wacz(package, private_key=key, software="s", version="1")
    members = _members(signed)
    datapackage = json.loads(members["datapackage.json"])
    datapackage["title"] = "Another title"
    members["datapackage.json"] = json.dumps(datapackage).encode()
    digest = json.loads(members["datapackage-digest.json"])
    digest["hash"] = signing.sha256_text(members["datapackage.json"])
    members["datapackage-digest.json"] = json.dumps(digest).encode()

    check = signing.verify_wacz(_rezip(members))

    assert (check.is_valid, check.reason) == (
        False,
        "the signed hash is not the hash of datapackage.json",
    )


def test_a_package_signed_by_another_key_fails_against_the_instance_key(package, key):
    other = ec.generate_private_key(ec.SECP256R1())
    signed, _ = signing.sign_wacz(package, private_key=other, software="s", version="1")

    check = signing.verify_wacz(
        signed, expected_public_key=signing.public_key_text(key.public_key())
    )

    assert check.is_valid is False
    assert check.reason == (
        f"signed with key {signing.key_id(other.public_key())}, not with the "
        f"expected key {signing.key_id(key.public_key())}"
    )


def test_an_unsigned_package_says_so(package):
    check = signing.verify_wacz(package)

    assert (check.is_valid, check.reason) == (
        False,
        "no signedData: the package is not signed",
    )


def test_the_capture_key_is_made_once_with_private_permissions(tmp_path):
    path = tmp_path / "keys" / "capture.pem"

    first = signing.capture_private_key(path)
    second = signing.capture_private_key(path)

    assert signing.public_key_text(first.public_key()) == signing.public_key_text(
        second.public_key()
    )
    assert path.stat().st_mode & 0o777 == 0o600
    assert isinstance(first.curve, ec.SECP256R1)


def test_a_signed_package_still_validates_with_py_wacz(package, key, tmp_path):
    """py-wacz reads signedData and checks its created date against the
    package's (its signature check needs authsign, which is not installed)."""
    from tests.evidence.captures.test_wacz import wacz_validate

    signed, _ = signing.sign_wacz(package, private_key=key, software="s", version="1")
    path = tmp_path / "signed.wacz"
    path.write_bytes(signed)

    result = wacz_validate(path)

    assert result.stdout.splitlines()[-1] == (
        "Validation succeeded, the passed WACZ is valid"
    ), result.stdout + result.stderr
    assert "Has signature" in result.stdout
