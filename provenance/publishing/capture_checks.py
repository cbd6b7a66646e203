"""Checking the web captures a signed bundle carries (no ORM): each capture's
WACZ signature (against the instance's capture key when known), its RFC 3161
token for the signed digest, and, given the capture files, every file's SHA-256
and the WACZ itself. ``manage.py verify_bundle`` runs these after the bundle's
own signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from evidence.captures import signing as wacz_signing
from evidence.captures import timestamps


@dataclass(frozen=True)
class CaptureCheck:
    capture_id: int
    problems: tuple[str, ...]
    timestamped: bool
    files_checked: int

    @property
    def is_valid(self) -> bool:
        return not self.problems


def bundle_captures(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Each capture in the bundle's claims once (an item may back many claims)."""
    seen: set[Any] = set()
    for claim in payload.get("claims") or []:
        for link in (claim or {}).get("evidence") or []:
            for capture in (link.get("evidence") or {}).get("captures") or []:
                if isinstance(capture, dict) and capture.get("id") not in seen:
                    seen.add(capture.get("id"))
                    yield capture


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _check_signature(
    capture: dict[str, Any], expected_key: str | None, problems: list[str]
) -> str:
    """The signed hash ("" when the signature is absent or invalid)."""
    signed = capture.get("signature")
    if not isinstance(signed, dict):
        problems.append("not signed")
        return ""
    check = wacz_signing.verify_signed_data(
        {
            "hash": signed.get("hash"),
            "created": signed.get("created"),
            "signature": signed.get("signature"),
            "publicKey": signed.get("public_key"),
        },
        expected_public_key=expected_key,
    )
    if not check.is_valid:
        problems.append(f"signature: {check.reason}")
        return ""
    return check.hash


def _check_timestamp(
    stamp: dict[str, Any],
    signed_hash: str,
    roots: list[x509.Certificate] | None,
    problems: list[str],
) -> None:
    try:
        token = base64.b64decode(stamp.get("token") or "", validate=True)
    except (binascii.Error, ValueError):
        problems.append("time-stamp: the token is not valid base64")
        return
    if hashlib.sha256(token).hexdigest() != stamp.get("token_sha256"):
        problems.append("time-stamp: the token does not match its SHA-256")
    if signed_hash and stamp.get("digest") != signed_hash:
        problems.append("time-stamp: it names another digest than the signed one")
    digest_text = signed_hash or str(stamp.get("digest", ""))
    try:
        digest = bytes.fromhex(digest_text.removeprefix("sha256:"))
    except ValueError:
        problems.append("time-stamp: the digest is not hex")
        return
    check = timestamps.verify_timestamp(token, digest, roots=roots)
    if not check.is_valid:
        problems.append(f"time-stamp: {check.reason}")


def _check_files(
    capture: dict[str, Any],
    directory: Path,
    expected_key: str | None,
    signed_hash: str,
    problems: list[str],
) -> int:
    checked = 0
    for record in capture.get("files") or []:
        relative = Path(str(record.get("path", "")))
        if relative.is_absolute() or ".." in relative.parts:
            problems.append(f"{relative}: not a relative path")
            continue
        path = directory / relative
        if not path.is_file():
            problems.append(f"{relative}: missing")
            continue
        checked += 1
        if _sha256_file(path) != record.get("sha256"):
            problems.append(f"{relative}: does not match its SHA-256 in the bundle")
            continue
        stamp = capture.get("timestamp")
        if (
            record.get("role") == "timestamp"
            and isinstance(stamp, dict)
            and record.get("sha256") != stamp.get("token_sha256")
        ):
            problems.append(f"{relative}: is not the token the bundle carries")
        if record.get("role") == "wacz":
            with path.open("rb") as handle:
                check = wacz_signing.verify_wacz(
                    handle, expected_public_key=expected_key
                )
            if not check.is_valid:
                problems.append(f"{relative}: {check.reason}")
            elif signed_hash and check.hash != signed_hash:
                problems.append(f"{relative}: signed another digest than the bundle's")
    return checked


def check_capture(
    capture: dict[str, Any],
    *,
    expected_key: str | None,
    tsa_roots: list[x509.Certificate] | None = None,
    files: Path | None = None,
) -> CaptureCheck:
    problems: list[str] = []
    signed_hash = _check_signature(capture, expected_key, problems)
    stamp = capture.get("timestamp")
    if isinstance(stamp, dict):
        _check_timestamp(stamp, signed_hash, tsa_roots, problems)
    checked = (
        _check_files(capture, files, expected_key, signed_hash, problems)
        if files is not None
        else 0
    )
    return CaptureCheck(
        capture_id=int(capture.get("id") or 0),
        problems=tuple(problems),
        timestamped=isinstance(stamp, dict),
        files_checked=checked,
    )
