"""RFC 3161 time-stamps of a capture's digest (no ORM, no settings).

What is time-stamped: the SHA-256 of the WACZ's ``datapackage.json``, the very
digest ``datapackage-digest.json`` states and its signature covers, so the
token's message imprint is that digest and a change to any byte of the package
(its resources are hashed in ``datapackage.json``) breaks the token.

``request_timestamp`` asks the time-stamping authority (TSA) over HTTP(S) with
a nonce and the TSA's certificates requested. The TSA's URL obeys the same
address policy as the capture (``evidence.captures.policy``): it is judged
before connecting, the connection goes to the very address that was vetted
(no second lookup), redirects are not followed and the reply is capped.

``verify_timestamp`` checks a stored reply (rfc3161-client): granted status,
the CMS signature by a certificate with the critical timeStamping purpose,
that certificate's chain to a trust root valid at the stamp's time, and the
message imprint against the digest. The roots are the configured ones; when
none are configured, the self-signed certificates the token carries (the
reason then says the TSA's root was not pinned).
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from evidence.captures.certificates import (
    certificate_summary,
    common_name,
    ordered_chain,
    pem_chain,
)
from evidence.captures.policy import AddressPolicy

MAX_REPLY_BYTES = 1024 * 1024
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampFailed(Exception):
    """The TSA was refused, unreachable, or gave no usable token."""


@dataclass(frozen=True)
class TimestampCheck:
    is_valid: bool
    reason: str
    tsa: str = ""
    stamped_at: datetime | None = None
    serial_number: str = ""
    policy: str = ""
    chain: list[dict[str, Any]] = field(default_factory=list)
    chain_pem: str = ""
    is_root_pinned: bool = False


# --- Certificates out of DER order -----------------------------------------------
#
# OpenSSL-based TSAs write a token's SET OF certificates in the order they were
# configured, not in DER order; rfc3161-client (strict DER) refuses such a
# reply. The certificates are outside what the TSA signed, so a copy with them
# in DER order verifies exactly as the original would: the reply is kept as the
# TSA sent it and only read through that copy.


def _tlv(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag end, content start, content end) of the DER element at ``at``."""
    if at + 2 > len(data):
        raise ValueError("truncated DER")
    length, start = data[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= 4 or start + count > len(data):
            raise ValueError("bad DER length")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    if start + length > len(data):
        raise ValueError("truncated DER")
    return at + 1, start, start + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    out, at = [], start
    while at < end:
        _tag, _content, stop = _tlv(data, at)
        out.append((at, stop))
        at = stop
    return out


def _encode(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(raw)]) + raw + content


def _rebuild(data: bytes, path: list[int], replace: Any) -> bytes:
    """The element ``data`` (one TLV) with the child at ``path`` rewritten."""
    _tag, start, end = _tlv(data, 0)
    kids = [data[a:b] for a, b in _children(data, start, end)]
    index, rest = path[0], path[1:]
    kids[index] = (
        replace(kids[index]) if not rest else _rebuild(kids[index], rest, replace)
    )
    return _encode(data[0], b"".join(kids))


def der_sorted_certificates(reply: bytes) -> bytes:
    """The reply with its token's certificates in DER (SET OF) order."""
    # TimeStampResp { status, ContentInfo { type, [0] { SignedData {…} } } }
    _tag, start, end = _tlv(reply, 0)
    token = reply[slice(*_children(reply, start, end)[1])]
    _tag, t_start, t_end = _tlv(token, 0)
    explicit = token[slice(*_children(token, t_start, t_end)[1])]
    _tag, e_start, e_end = _tlv(explicit, 0)
    signed = explicit[e_start:e_end]
    _tag, s_start, s_end = _tlv(signed, 0)
    fields = _children(signed, s_start, s_end)
    # certificates: [0] IMPLICIT SET OF Certificate
    index = next((i for i, (a, _b) in enumerate(fields) if signed[a] == 0xA0), None)
    if index is None:
        return reply

    def sort_set(element: bytes) -> bytes:
        _tag, c_start, c_end = _tlv(element, 0)
        certs = [element[a:b] for a, b in _children(element, c_start, c_end)]
        width = max((len(c) for c in certs), default=0)
        certs.sort(key=lambda c: c.ljust(width, b"\0"))
        return _encode(element[0], b"".join(certs))

    return _rebuild(reply, [1, 1, 0, index], sort_set)


def decode_reply(reply: bytes) -> Any:
    """The parsed reply, read through a DER-ordered copy when it needs one."""
    try:
        return decode_timestamp_response(reply)
    except ValueError as exc:
        if "InvalidSetOrdering" not in str(exc):
            raise
        return decode_timestamp_response(der_sorted_certificates(reply))


def _leaf(response: Any, certs: list[x509.Certificate]) -> x509.Certificate | None:
    infos = list(response.signed_data.signer_infos)
    if len(infos) != 1:
        return None
    info = infos[0]
    return next(
        (
            c
            for c in certs
            if c.issuer == info.issuer and c.serial_number == info.serial_number
        ),
        None,
    )


def verify_timestamp(
    reply: bytes, digest: bytes, *, roots: list[x509.Certificate] | None = None
) -> TimestampCheck:
    """Check a TimeStampResp (DER) for ``digest`` (the 32 SHA-256 bytes)."""
    try:
        response = decode_reply(reply)
    except ValueError as exc:
        return TimestampCheck(False, f"not an RFC 3161 time-stamp reply ({exc})")
    if PKIStatus(response.status) not in (
        PKIStatus.GRANTED,
        PKIStatus.GRANTED_WITH_MODS,
    ):
        return TimestampCheck(
            False, f"the TSA did not grant the time-stamp (status {response.status})"
        )
    certs = [
        x509.load_der_x509_certificate(der) for der in response.signed_data.certificates
    ]
    leaf = _leaf(response, certs)
    pinned = bool(roots)
    trusted = list(roots or [c for c in certs if c.issuer == c.subject])
    # The chain kept: the token's certificates and the roots that issue them.
    chain = ordered_chain(
        [*certs, *(r for r in trusted if r not in certs)], leaf, path_only=True
    )
    info = response.tst_info
    described = {
        "tsa": common_name(leaf.subject) if leaf is not None else "",
        "stamped_at": info.gen_time.astimezone(UTC),
        "serial_number": format(info.serial_number, "x"),
        "policy": info.policy.dotted_string,
        "chain": [certificate_summary(c) for c in chain],
        "chain_pem": pem_chain(chain),
    }
    if not trusted:
        return TimestampCheck(
            False,
            "no trust root: none is configured and the token carries none",
            **described,
        )
    builder = VerifierBuilder()
    for root in trusted:
        builder = builder.add_root_certificate(root)
    for cert in certs:
        if cert not in trusted and cert != leaf:
            builder = builder.add_intermediate_certificate(cert)
    if info.message_imprint.hash_algorithm.dotted_string != "2.16.840.1.101.3.4.2.1":
        return TimestampCheck(False, "the token's imprint is not SHA-256", **described)
    try:
        builder.build().verify(response, digest)
    except VerificationError as exc:
        reason = str(exc)
        if "Mismatch between messages" in reason:
            reason = (
                "the token was issued for another digest: the package changed "
                "after it was time-stamped"
            )
        return TimestampCheck(
            False, f"the time-stamp is not valid: {reason}", **described
        )
    return TimestampCheck(
        True,
        "time-stamp valid"
        + ("" if pinned else " (against the root the token carries: not pinned)"),
        is_root_pinned=pinned,
        **described,
    )


def load_roots(pem: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(pem)


# --- Asking the TSA --------------------------------------------------------------


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a vetted address, with SNI and certificate checks for the name."""

    def __init__(self, address: str, port: int, *, hostname: str, **kwargs: Any):
        super().__init__(address, port, **kwargs)
        self._hostname = hostname

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._hostname)


def request_timestamp(
    url: str,
    data: bytes,
    *,
    policy: AddressPolicy,
    timeout: float = 10,
    context: ssl.SSLContext | None = None,
) -> tuple[bytes, int]:
    """Ask the TSA at ``url`` to time-stamp SHA-256(``data``): the reply (DER)
    and the request's nonce. Raises TimestampFailed with the reason."""
    refusal = policy.refusal(url)
    if refusal:
        raise TimestampFailed(f"the TSA URL is refused: {refusal}")
    parts = urlsplit(url)
    host = parts.hostname or ""
    address = policy.address_of(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    query = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    if parts.scheme == "https":
        connection: http.client.HTTPConnection = _PinnedHTTPSConnection(
            address,
            port,
            hostname=host,
            timeout=timeout,
            context=context or ssl.create_default_context(),
        )
    else:
        connection = http.client.HTTPConnection(address, port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    if ":" in host:
        netloc = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
    try:
        connection.request(
            "POST",
            target,
            body=query.as_bytes(),
            headers={"Content-Type": QUERY_TYPE, "Host": netloc, "Accept": REPLY_TYPE},
        )
        answer = connection.getresponse()
        body = answer.read(MAX_REPLY_BYTES + 1)
    except (OSError, http.client.HTTPException) as exc:
        raise TimestampFailed(f"the TSA could not be reached: {exc}") from exc
    finally:
        connection.close()
    if answer.status != 200:
        raise TimestampFailed(f"the TSA answered HTTP {answer.status}")
    if len(body) > MAX_REPLY_BYTES:
        raise TimestampFailed(f"the TSA's reply is over {MAX_REPLY_BYTES:,} bytes")
    try:
        response = decode_reply(body)
    except ValueError as exc:
        raise TimestampFailed(f"the TSA's reply is not RFC 3161 ({exc})") from exc
    if response.tst_info.nonce != query.nonce:
        raise TimestampFailed("the TSA's reply does not carry our nonce")
    return body, query.nonce


def reply_text(reply: bytes) -> str:
    return base64.b64encode(reply).decode("ascii")
