"""Signed WACZ packages (WACZ Signing and Verification 0.1.0, "wacz-auth"): the
anonymous signature in ``datapackage-digest.json``. No ORM, no settings: the
caller passes the key (``capture_private_key`` loads the instance's).

The spec's anonymous ``signedData`` is ``{hash, created, software, version,
signature, publicKey}``: ``hash`` is the ``sha256:<hex>`` of
``datapackage.json`` (as the digest file states it), ``created`` equals the
package's own ``created``, ``signature`` is ECDSA P-256 with SHA-256 over the
UTF-8 bytes of ``hash``, and ``publicKey`` is the signer's public key. As
ArchiveWeb.page writes them (and py-wacz's anonymous check reads them), the
public key is the base64 of its DER SubjectPublicKeyInfo and the signature the
base64 of the raw 64-byte r||s (IEEE P1363) value.

Why a key of its own: the bundle key (provenance.publishing.signing) is
Ed25519, and the spec's anonymous mode is ECDSA (P-256), which the readers of
signed WACZ files (ArchiveWeb.page, ReplayWeb.page, py-wacz) verify. So the
instance keeps a second key, for captures only, generated on first use beside
the bundle key and published beside it at /.well-known/provenance-signing-key.

Verification (``verify_wacz``) checks, in order, every resource's hash and size
in ``datapackage.json``, the digest's hash of ``datapackage.json``, the signed
hash and creation date, and the signature; the first problem found is the
reason. The members are read one at a time with a bounded read, so memory stays
bounded by the largest member (the WARC).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

DIGEST_NAME = "datapackage-digest.json"
PACKAGE_NAME = "datapackage.json"
SPEC = "WACZ Signing and Verification 0.1.0 (anonymous signature)"
_COORDINATE_BYTES = 32  # P-256
# datapackage.json and its digest are small: refuse anything larger unread.
_MAX_METADATA_BYTES = 16 * 1024 * 1024


# --- The key ---------------------------------------------------------------------


def capture_private_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The instance's capture signing key (ECDSA P-256, PKCS#8 PEM, mode 0600),
    generated on first use."""
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # O_EXCL: two workers starting at once must not both write a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as handle:
                handle.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise ValueError(f"{path} does not hold an ECDSA P-256 private key")
    return key


def public_key_text(public_key: ec.EllipticCurvePublicKey) -> str:
    """``publicKey`` as the spec's readers take it: base64 of the DER SPKI."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def load_public_key_text(text: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(
        key.curve, ec.SECP256R1
    ):
        raise ValueError("not an ECDSA P-256 public key")
    return key


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """First 16 hex digits of SHA-256 over the DER SPKI (as bundle key ids)."""
    der = base64.b64decode(public_key_text(public_key))
    return hashlib.sha256(der).hexdigest()[:16]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    """The capture key as a JWK (RFC 7518 EC), for the well-known document."""
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "alg": "ES256",
        "use": "sig",
        "kid": key_id(public_key),
        "x": _b64url(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
        "y": _b64url(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
    }


# --- Signing ---------------------------------------------------------------------


def sign_hash(hash_text: str, private_key: ec.EllipticCurvePrivateKey) -> str:
    """base64 of the raw r||s ECDSA P-256/SHA-256 signature over ``hash_text``."""
    der = private_key.sign(hash_text.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    raw = r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")
    return base64.b64encode(raw).decode("ascii")


def signed_data(
    *,
    hash_text: str,
    created: str,
    software: str,
    version: str,
    private_key: ec.EllipticCurvePrivateKey,
) -> dict[str, str]:
    return {
        "hash": hash_text,
        "created": created,
        "software": software,
        "version": version,
        "signature": sign_hash(hash_text, private_key),
        "publicKey": public_key_text(private_key.public_key()),
    }


def sha256_text(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _members(package: bytes) -> tuple[list[zipfile.ZipInfo], zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(package))
    return archive.infolist(), archive


def sign_wacz(
    package: bytes,
    *,
    private_key: ec.EllipticCurvePrivateKey,
    software: str,
    version: str,
) -> tuple[bytes, dict[str, str]]:
    """The package with ``signedData`` in its ``datapackage-digest.json`` (every
    other member byte for byte as it was, still stored), and that signedData.

    Raises ValueError when the package is not a WACZ whose digest matches its
    ``datapackage.json``: only what was checked is signed.
    """
    infos, archive = _members(package)
    with archive:
        datapackage = _read_small(archive, PACKAGE_NAME)
        digest = json.loads(_read_small(archive, DIGEST_NAME))
        hash_text = sha256_text(datapackage)
        if digest.get("hash") != hash_text:
            raise ValueError("datapackage-digest.json does not match datapackage.json")
        created = json.loads(datapackage).get("created", "")
        signature = signed_data(
            hash_text=hash_text,
            created=created,
            software=software,
            version=version,
            private_key=private_key,
        )
        digest["signedData"] = signature
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as signed:
            for info in infos:
                data = (
                    json.dumps(digest, indent=2).encode()
                    if info.filename == DIGEST_NAME
                    else archive.read(info)
                )
                member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                signed.writestr(member, data)
    return out.getvalue(), signature


# --- Verification ----------------------------------------------------------------


@dataclass(frozen=True)
class SignatureCheck:
    is_valid: bool
    reason: str
    hash: str = ""
    created: str = ""
    public_key: str = ""
    key_id: str = ""


def verify_signed_data(
    data: Any, *, expected_public_key: str | None = None
) -> SignatureCheck:
    """Check an anonymous ``signedData``: its signature over its hash with its
    public key, and (when given) that the key is the one expected."""
    if not isinstance(data, dict):
        return SignatureCheck(False, "no signedData: the package is not signed")
    fields = {k: data.get(k) for k in ("hash", "created", "signature", "publicKey")}
    missing = [k for k, v in fields.items() if not isinstance(v, str) or not v]
    if missing:
        return SignatureCheck(False, f"signedData lacks {', '.join(missing)}")
    try:
        public_key = load_public_key_text(fields["publicKey"])
    except ValueError as exc:
        return SignatureCheck(False, f"publicKey is not usable: {exc}")
    kid = key_id(public_key)
    base = {"hash": fields["hash"], "created": fields["created"], "key_id": kid}
    base["public_key"] = fields["publicKey"]
    if expected_public_key is not None and fields["publicKey"] != expected_public_key:
        return SignatureCheck(
            False,
            f"signed with key {kid}, not with the expected key "
            f"{key_id(load_public_key_text(expected_public_key))}",
            **base,
        )
    try:
        raw = base64.b64decode(fields["signature"], validate=True)
    except ValueError:
        return SignatureCheck(False, "the signature is not valid base64", **base)
    if len(raw) != 2 * _COORDINATE_BYTES:
        return SignatureCheck(
            False, "the signature is not a raw 64-byte P-256 signature", **base
        )
    der = encode_dss_signature(
        int.from_bytes(raw[:_COORDINATE_BYTES], "big"),
        int.from_bytes(raw[_COORDINATE_BYTES:], "big"),
    )
    try:
        public_key.verify(
            der, fields["hash"].encode("utf-8"), ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature:
        return SignatureCheck(
            False,
            "the signature does not match the signed hash: the hash or the "
            "signature was changed after signing",
            **base,
        )
    return SignatureCheck(True, "signature valid", **base)


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _MAX_METADATA_BYTES:
        raise ValueError(f"{name} is larger than {_MAX_METADATA_BYTES:,} bytes")
    return archive.read(info)


def _resource_problem(archive: zipfile.ZipFile, resource: Any) -> str:
    if not isinstance(resource, dict):
        return "datapackage.json lists a resource that is not an object"
    path = str(resource.get("path", ""))
    try:
        info = archive.getinfo(path)
    except KeyError:
        return f"{path} is listed in datapackage.json but missing"
    digest = hashlib.sha256()
    with archive.open(info) as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    if resource.get("hash") != "sha256:" + digest.hexdigest():
        return f"{path} does not match its hash in datapackage.json"
    if resource.get("bytes") != info.file_size:
        return f"{path} does not match its size in datapackage.json"
    return ""


def verify_wacz(
    package: bytes | io.BufferedIOBase, *, expected_public_key: str | None = None
) -> SignatureCheck:
    """Check a signed WACZ: its resources, its digest and its signature."""
    try:
        archive = zipfile.ZipFile(
            io.BytesIO(package) if isinstance(package, bytes) else package
        )
    except zipfile.BadZipFile as exc:
        return SignatureCheck(False, f"not a ZIP file ({exc})")
    with archive:
        try:
            datapackage = _read_small(archive, PACKAGE_NAME)
            digest = json.loads(_read_small(archive, DIGEST_NAME))
            resources = json.loads(datapackage).get("resources", [])
        except (KeyError, ValueError, zipfile.BadZipFile) as exc:
            return SignatureCheck(False, f"not a readable WACZ ({exc})")
        if not isinstance(resources, list) or not isinstance(digest, dict):
            return SignatureCheck(False, "not a readable WACZ (bad metadata)")
        for resource in resources:
            try:
                problem = _resource_problem(archive, resource)
            except (zipfile.BadZipFile, OSError) as exc:
                problem = f"a member cannot be read ({exc})"
            if problem:
                return SignatureCheck(False, problem)
        hash_text = sha256_text(datapackage)
        if digest.get("hash") != hash_text:
            return SignatureCheck(
                False, "datapackage-digest.json does not match datapackage.json"
            )
        signed = digest.get("signedData")
        check = verify_signed_data(signed, expected_public_key=expected_public_key)
        if not check.is_valid:
            return check
        if signed["hash"] != hash_text:
            return SignatureCheck(
                False,
                "the signed hash is not the hash of datapackage.json",
                **_fields(check),
            )
        if signed["created"] != json.loads(datapackage).get("created"):
            return SignatureCheck(
                False,
                "the signed creation date is not the package's",
                **_fields(check),
            )
        return check


def _fields(check: SignatureCheck) -> dict[str, str]:
    return {
        "hash": check.hash,
        "created": check.created,
        "public_key": check.public_key,
        "key_id": check.key_id,
    }
