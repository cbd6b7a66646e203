"""X.509 certificates as a capture's provenance summary shows them: subject,
issuer, validity and SHA-256 fingerprint (no ORM)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID


def _when(cert: x509.Certificate, name: str) -> str:
    return getattr(cert, name).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def common_name(name: x509.Name) -> str:
    attributes = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(attributes[0].value) if attributes else name.rfc4514_string()


def certificate_summary(cert: x509.Certificate) -> dict[str, Any]:
    return {
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "serial_number": format(cert.serial_number, "x"),
        "not_before": _when(cert, "not_valid_before_utc"),
        "not_after": _when(cert, "not_valid_after_utc"),
        "sha256_fingerprint": cert.fingerprint(hashes.SHA256()).hex(),
    }


def pem_chain(certs: Iterable[x509.Certificate]) -> str:
    return "".join(
        cert.public_bytes(serialization.Encoding.PEM).decode("ascii") for cert in certs
    )


def ordered_chain(
    certs: Iterable[x509.Certificate],
    leaf: x509.Certificate | None = None,
    *,
    path_only: bool = False,
) -> list[x509.Certificate]:
    """Leaf first, each followed by its issuer when present (the rest after,
    unless ``path_only``)."""
    pool = list(certs)
    if not pool:
        return []
    if leaf is None:
        issuers = {c.issuer for c in pool if c.issuer != c.subject}
        leaf = next((c for c in pool if c.subject not in issuers), pool[0])
    chain = [leaf]
    remaining = [c for c in pool if c != leaf]
    while remaining:
        issuer = next((c for c in remaining if c.subject == chain[-1].issuer), None)
        if issuer is None or chain[-1].issuer == chain[-1].subject:
            break
        chain.append(issuer)
        remaining.remove(issuer)
    return chain if path_only else chain + remaining
