"""The TLS certificate chain of a captured HTTPS page (no ORM, no settings).

The browser's own TLS session cannot be read back: every exchange passes
through Playwright's routing (``route.fetch``), whose fulfilled responses carry
no security details. So one TLS connection is opened with Python's ``ssl`` to
the same address the address policy vetted for the page (never a second DNS
lookup), with the page's host name as SNI, and the chain the server sends is
kept: subject, issuer, validity and SHA-256 fingerprint of each certificate,
with the protocol and cipher. The handshake accepts any certificate (a capture
of a page with a bad certificate still records what it was shown); whether the
chain is trusted for the host name is then judged offline against the trust
store (cryptography's X.509 verification), and said in ``trusted`` / ``trust``.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509 import verification

from evidence.captures.certificates import certificate_summary


def _peer_chain(sock: ssl.SSLSocket) -> list[x509.Certificate]:
    # Public from Python 3.13; the same method on the private object before.
    reader = getattr(sock, "get_unverified_chain", None) or (
        sock._sslobj.get_unverified_chain  # type: ignore[union-attr]
    )
    chain = reader() or []
    return [
        x509.load_der_x509_certificate(
            cert
            if isinstance(cert, bytes)
            else cert.public_bytes(ssl._ssl.ENCODING_DER)  # type: ignore[attr-defined]
        )
        for cert in chain
    ]


def _trust(
    chain: list[x509.Certificate], host: str, roots: list[x509.Certificate]
) -> tuple[bool, str]:
    if not chain:
        return False, "the server sent no certificate"
    if not roots:
        return False, "no trust store to judge the chain against"
    try:
        subject: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        subject = x509.DNSName(host)
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store(roots))
        .time(datetime.now(UTC))
        .build_server_verifier(subject)
    )
    try:
        verifier.verify(chain[0], chain[1:])
    except verification.VerificationError as exc:
        return False, f"not trusted: {exc}"
    return True, "trusted for the host name"


def default_roots() -> list[x509.Certificate]:
    """The system trust store (OpenSSL's default CA file)."""
    cafile = ssl.get_default_verify_paths().cafile
    if not cafile:
        return []
    try:
        with open(cafile, "rb") as handle:
            return x509.load_pem_x509_certificates(handle.read())
    except (OSError, ValueError):
        return []


def tls_summary(
    url: str,
    *,
    address: str,
    roots: list[x509.Certificate] | None = None,
    timeout: float = 10,
) -> dict[str, Any] | None:
    """What the server at ``address`` shows for ``url``'s host over TLS; None
    for a page that is not HTTPS. A failed handshake is summarised, not raised.
    """
    parts = urlsplit(url)
    if parts.scheme != "https":
        return None
    host = parts.hostname or ""
    port = parts.port or 443
    summary: dict[str, Any] = {"host": host, "address": address, "port": port}
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    sni = None if _is_address(host) else host
    try:
        with (
            socket.create_connection((address, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=sni) as sock,
        ):
            chain = _peer_chain(sock)
            summary["protocol"] = sock.version() or ""
            summary["cipher"] = (sock.cipher() or ("",))[0]
    except (OSError, ValueError) as exc:
        summary["error"] = f"the TLS connection failed: {exc}"
        summary["certificates"] = []
        summary["trusted"] = False
        summary["trust"] = summary["error"]
        return summary
    summary["certificates"] = [certificate_summary(cert) for cert in chain]
    trusted, why = _trust(chain, host, default_roots() if roots is None else roots)
    summary["trusted"] = trusted
    summary["trust"] = why
    summary["observed_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return summary


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
