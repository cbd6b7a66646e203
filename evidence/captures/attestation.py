"""Sealing a capture before it is stored: the WACZ signed with the instance's
capture key, an RFC 3161 time-stamp of its digest when a time-stamping
authority is configured, and the page's TLS certificate chain. Reads settings,
writes nothing (the service stores what comes out).

Settings: CAPTURE_SIGNING_KEY_PATH (default: ``capture_signing_key.pem`` beside
SIGNING_KEY_PATH), CAPTURE_TSA_URL (empty: no time-stamp), CAPTURE_TSA_ROOTS
(a PEM bundle of the TSA roots to trust), CAPTURE_TSA_ALLOWED_PRIVATE_HOSTS,
CAPTURE_TSA_TIMEOUT_SECONDS, CAPTURE_TLS_CA_FILE (default: the system store).
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings

from evidence.captures import signing, timestamps, tls
from evidence.captures.browser import TOOL, TOOL_VERSION, CaptureResult
from evidence.captures.policy import AddressPolicy

logger = logging.getLogger(__name__)

NO_TIMESTAMP = "no timestamp: no time-stamping authority is configured"


def capture_key_path() -> Path:
    configured = getattr(settings, "CAPTURE_SIGNING_KEY_PATH", None)
    if configured:
        return Path(configured)
    return Path(settings.SIGNING_KEY_PATH).with_name("capture_signing_key.pem")


def capture_private_key() -> ec.EllipticCurvePrivateKey:
    return signing.capture_private_key(capture_key_path())


def capture_public_key_text() -> str:
    return signing.public_key_text(capture_private_key().public_key())


def tsa_roots() -> list[x509.Certificate] | None:
    path = settings.CAPTURE_TSA_ROOTS
    return timestamps.load_roots(Path(path).read_bytes()) if path else None


def tls_roots() -> list[x509.Certificate] | None:
    path = settings.CAPTURE_TLS_CA_FILE
    return x509.load_pem_x509_certificates(Path(path).read_bytes()) if path else None


def datapackage_of(package: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return archive.read(signing.PACKAGE_NAME)


@dataclass(frozen=True)
class Seal:
    timestamp_reply: bytes | None


def seal(result: CaptureResult, *, policy: AddressPolicy) -> Seal:
    """Sign the result's WACZ, time-stamp it and summarise its TLS chain, in
    place (``result.wacz`` and ``result.summary``); the TSA's reply, if any.

    A TSA that is refused, unreachable or gives an invalid token leaves the
    capture unstamped with the reason in the summary (``timestamp.status``
    "failed"); the page's TLS chain is looked up only for an HTTPS page.
    """
    software = f"{TOOL} {TOOL_VERSION}"
    result.wacz, signed = signing.sign_wacz(
        result.wacz,
        private_key=capture_private_key(),
        software=software,
        version=TOOL_VERSION,
    )
    public_key = signing.load_public_key_text(signed["publicKey"])
    result.summary["signature"] = {
        "spec": signing.SPEC,
        "key_id": signing.key_id(public_key),
        **signed,
    }
    reply, result.summary["timestamp"] = _timestamp(result.wacz, signed["hash"])
    address = policy.address_of(result.final_url)
    if address:
        chain = tls.tls_summary(
            result.final_url,
            address=address,
            roots=tls_roots(),
            timeout=settings.CAPTURE_TSA_TIMEOUT_SECONDS,
        )
        if chain is not None:
            result.summary["tls"] = chain
    return Seal(timestamp_reply=reply)


def _timestamp(package: bytes, hash_text: str) -> tuple[bytes | None, dict[str, Any]]:
    url = settings.CAPTURE_TSA_URL
    if not url:
        return None, {"status": "none", "note": NO_TIMESTAMP}
    digest = bytes.fromhex(hash_text.removeprefix("sha256:"))
    policy = AddressPolicy.allowing(settings.CAPTURE_TSA_ALLOWED_PRIVATE_HOSTS)
    base = {"tsa_url": url, "digest": hash_text}
    try:
        reply, _nonce = timestamps.request_timestamp(
            url,
            datapackage_of(package),
            policy=policy,
            timeout=settings.CAPTURE_TSA_TIMEOUT_SECONDS,
        )
    except timestamps.TimestampFailed as exc:
        return None, {**base, "status": "failed", "error": str(exc)}
    check = timestamps.verify_timestamp(reply, digest, roots=tsa_roots())
    if not check.is_valid:
        return None, {**base, "status": "failed", "error": check.reason}
    return reply, {**base, **timestamp_fields(check, reply)}


def timestamp_fields(check: timestamps.TimestampCheck, reply: bytes) -> dict[str, Any]:
    return {
        "status": "verified",
        "tsa": check.tsa,
        "stamped_at": check.stamped_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if check.stamped_at
        else "",
        "serial_number": check.serial_number,
        "policy": check.policy,
        "trust": check.reason,
        "is_root_pinned": check.is_root_pinned,
        # The token itself too (a few KB): exports carry it for offline checks.
        "token": timestamps.reply_text(reply),
        "token_sha256": hashlib.sha256(reply).hexdigest(),
        "token_bytes": len(reply),
        "chain": check.chain,
        "chain_pem": check.chain_pem,
    }
