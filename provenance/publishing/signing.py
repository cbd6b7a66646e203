"""Ed25519 signatures over RFC 8785 canonical JSON: signed export bundles.

A bundle is ``{"payload": {...}, "signature": {"alg", "key_id", "value"}}``. The
signature covers ``rfc8785.dumps(payload)``, so any JSON serializer can rebuild the
signed bytes; the bundle file itself is written in canonical form too, so that a
change to any byte of the file, inside or outside the payload, is detected.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings

from evidence.captures import signing as wacz_signing
from evidence.captures.attestation import capture_private_key
from provenance.common.jsonlimits import MAX_JSON_DEPTH, json_depth_exceeds

ALGORITHM = "Ed25519"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_private_key(path: Path | None = None) -> Ed25519PrivateKey:
    """The site's signing key, generated on first use (PKCS#8 PEM, mode 0600)."""
    path = Path(path or settings.SIGNING_KEY_PATH)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # O_EXCL: two processes starting at once must not both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the raw public key."""
    return hashlib.sha256(raw_public_bytes(public_key)).hexdigest()[:16]


def public_key_document(public_key: Ed25519PublicKey | None = None) -> dict[str, Any]:
    """What the well-known URL serves: the bundle key as a JWK (RFC 8037) and as
    PEM, and beside it the capture key (evidence.captures.signing says why a
    second key: signed WACZ files are ECDSA P-256, the bundle key is Ed25519).
    The bundle key stays first in ``keys``."""
    public_key = public_key or load_private_key().public_key()
    pem = public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")
    capture_key = capture_private_key().public_key()
    return {
        "keys": [
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "alg": "EdDSA",
                "use": "sig",
                "kid": key_id(public_key),
                "x": _b64url(raw_public_bytes(public_key)),
            },
            wacz_signing.public_jwk(capture_key),
        ],
        "pem": pem,
        "signature_format": (
            "Ed25519 over the RFC 8785 canonical JSON of the bundle's payload"
        ),
        "capture_key": {
            "kid": wacz_signing.key_id(capture_key),
            "publicKey": wacz_signing.public_key_text(capture_key),
            "pem": capture_key.public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            ).decode("ascii"),
            "signature_format": (
                "ECDSA P-256 (SHA-256) over the signedData hash of each captured "
                "WACZ's datapackage-digest.json (WACZ Signing and Verification "
                "0.1.0, anonymous signature); publicKey as it appears there"
            ),
        },
    }


def capture_key_from_document(data: bytes) -> str | None:
    """The capture key's publicKey from a well-known document (None for a PEM
    or a document without one)."""
    if data.strip().startswith(b"-----BEGIN"):
        return None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    capture = document.get("capture_key") if isinstance(document, dict) else None
    return capture.get("publicKey") if isinstance(capture, dict) else None


def load_public_key(data: bytes) -> Ed25519PublicKey:
    """A public key from PEM, or from the well-known JSON document / a JWK."""
    text = data.strip()
    if text.startswith(b"-----BEGIN"):
        if b"PRIVATE KEY" in text:
            return load_private_key_bytes(text).public_key()
        key = serialization.load_pem_public_key(text)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    document = orjson.loads(text)
    jwk = document["keys"][0] if "keys" in document else document
    if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
        raise ValueError("not an Ed25519 JWK")
    return Ed25519PublicKey.from_public_bytes(_b64url_decode(jwk["x"]))


def load_private_key_bytes(pem: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 private key")
    return key


def sign_bundle(
    payload: dict[str, Any], *, private_key: Ed25519PrivateKey | None = None
) -> dict[str, Any]:
    private_key = private_key or load_private_key()
    signature = private_key.sign(rfc8785.dumps(payload))
    return {
        "payload": payload,
        "signature": {
            "alg": ALGORITHM,
            "key_id": key_id(private_key.public_key()),
            "value": _b64url(signature),
        },
    }


def bundle_bytes(bundle: dict[str, Any]) -> bytes:
    """The file form of a bundle: canonical JSON, so every byte is accounted for."""
    return rfc8785.dumps(bundle)


def _as_doubles(value: Any) -> Any:
    """JSON numbers as RFC 8785 reads them: an integer beyond ±(2**53 - 1) in a
    signed file is a large double written without an exponent (2.0**60 is
    1152921504606846976), which a JSON parser returns as an int."""
    if isinstance(value, dict):
        return {key: _as_doubles(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_doubles(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value) if abs(value) > 2**53 - 1 else value
    return value


def _canonical(value: Any) -> bytes:
    try:
        return rfc8785.dumps(value)
    except rfc8785.IntegerDomainError:
        return rfc8785.dumps(_as_doubles(value))


@dataclass(frozen=True)
class Verification:
    is_valid: bool
    reason: str
    key_id: str = ""
    claim_count: int = 0


def verify_bundle(
    data: bytes, *, public_key: Ed25519PublicKey, strict: bool = True
) -> Verification:
    """Check a bundle file. Says why it fails: the first problem found.

    `strict` also requires the file to be byte-identical to its canonical form, so a
    change outside the signed payload (or a reformatting) is reported too.
    """
    bundle = _read_bundle(data)
    if isinstance(bundle, Verification):
        return bundle
    payload, signature = bundle["payload"], bundle["signature"]
    expected_kid = key_id(public_key)
    value = _signature_value(signature, expected_kid)
    if isinstance(value, Verification):
        return value
    try:
        public_key.verify(value, _canonical(payload))
    except InvalidSignature:
        return Verification(
            False,
            "the signature does not match the payload: the signed content was "
            "changed after signing (or the signature itself was altered)",
            expected_kid,
        )
    if strict and _canonical(bundle) != data:
        return Verification(
            False,
            "the signature matches, but the file is not byte-identical to its "
            "canonical form: bytes outside the signed content were changed or the "
            "file was reformatted (use --lenient to accept reformatted files)",
            expected_kid,
        )
    claims = payload.get("claims")
    return Verification(
        True,
        "signature valid",
        expected_kid,
        len(claims) if isinstance(claims, list) else 0,
    )


def _read_bundle(data: bytes) -> dict[str, Any] | Verification:
    """The bundle as JSON with a payload and a signature object, or why not."""
    # The canonical re-encoding recurses per level: bound the depth first.
    if json_depth_exceeds(data):
        return Verification(
            False,
            f"the file is not valid JSON (nested more than {MAX_JSON_DEPTH} "
            "levels deep)",
        )
    try:
        bundle = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return Verification(False, f"the file is not valid JSON ({exc})")
    if not isinstance(bundle, dict) or set(bundle) != {"payload", "signature"}:
        return Verification(
            False,
            "the file is not a bundle: expected exactly 'payload' and 'signature'",
        )
    if not isinstance(bundle["signature"], dict) or not isinstance(
        bundle["payload"], dict
    ):
        return Verification(False, "'payload' and 'signature' must be objects")
    return bundle


def _signature_value(
    signature: dict[str, Any], expected_kid: str
) -> bytes | Verification:
    """The signature's bytes, if its algorithm, key and spelling are ours."""
    if signature.get("alg") != ALGORITHM:
        return Verification(
            False, f"unsupported signature algorithm {signature.get('alg')!r}"
        )
    if signature.get("key_id") != expected_kid:
        return Verification(
            False,
            f"signed with key {signature.get('key_id')!r}, but the public key given "
            f"is {expected_kid!r}",
        )
    text = str(signature.get("value", ""))
    try:
        value = _b64url_decode(text)
    except ValueError:
        return Verification(False, "the signature value is not valid base64url")
    # One spelling only: the decoder ignores the spare bits of the last character
    # (and stray characters), so other spellings would change the file unnoticed.
    if _b64url(value) != text:
        return Verification(False, "the signature value is not canonical base64url")
    return value
