"""RFC 3161 time-stamps from a real TSA on loopback (openssl ts -reply with a
test CA made in the test): asked under the address policy, verified, and
refused once the digest changes by one byte."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization

from evidence.captures import timestamps
from evidence.captures.policy import AddressPolicy
from tests.evidence.captures.pki import TSA_NAME, TSA_POLICY, TestCA

DATA = b'{"profile": "data-package"}'
DIGEST = hashlib.sha256(DATA).digest()


def _ask(tsa) -> bytes:
    reply, _nonce = timestamps.request_timestamp(
        tsa.url, DATA, policy=AddressPolicy.allowing(["127.0.0.1"])
    )
    return reply


def test_the_token_verifies_against_the_test_tsa(tsa):
    reply = _ask(tsa)

    check = timestamps.verify_timestamp(reply, DIGEST, roots=[tsa.ca.root.cert])

    assert (check.is_valid, check.reason) == (True, "time-stamp valid")
    assert (check.tsa, check.policy, check.is_root_pinned) == (
        TSA_NAME,
        TSA_POLICY,
        True,
    )
    assert [c["subject"] for c in check.chain] == [
        f"CN={TSA_NAME},O=Provenance tests",
        "CN=Provenance Test TSA Root,O=Provenance tests",
    ]
    assert check.chain[0]["sha256_fingerprint"] == (
        tsa.cert.fingerprint(hashes.SHA256()).hex()
    )
    assert check.chain_pem.startswith(
        tsa.cert.public_bytes(serialization.Encoding.PEM).decode()
    )
    assert len(tsa.requests) == 1


def test_the_token_fails_once_one_byte_of_the_digest_changes(tsa):
    reply = _ask(tsa)
    changed = bytearray(DIGEST)
    changed[0] ^= 0x01

    check = timestamps.verify_timestamp(reply, bytes(changed), roots=[tsa.ca.root.cert])

    assert (check.is_valid, check.reason) == (
        False,
        "the time-stamp is not valid: the token was issued for another digest: "
        "the package changed after it was time-stamped",
    )


def test_the_token_fails_against_another_root(tsa, tmp_path):
    reply = _ask(tsa)
    stranger = TestCA.create(tmp_path / "other", name="Some other root")

    check = timestamps.verify_timestamp(reply, DIGEST, roots=[stranger.root.cert])

    assert check.is_valid is False
    assert check.reason.startswith(
        "the time-stamp is not valid: Error while verifying certificates"
    )


def test_without_configured_roots_a_token_carrying_no_root_is_not_trusted(tsa):
    check = timestamps.verify_timestamp(_ask(tsa), DIGEST)

    assert (check.is_valid, check.reason) == (
        False,
        "no trust root: none is configured and the token carries none",
    )
    assert check.tsa == TSA_NAME


def test_a_changed_token_byte_fails(tsa):
    reply = bytearray(_ask(tsa))
    reply[-10] ^= 0x01

    check = timestamps.verify_timestamp(bytes(reply), DIGEST, roots=[tsa.ca.root.cert])

    assert check.is_valid is False


def test_a_loopback_tsa_is_refused_unless_named(tsa):
    with pytest.raises(timestamps.TimestampFailed) as refused:
        timestamps.request_timestamp(tsa.url, DATA, policy=AddressPolicy())

    assert str(refused.value) == (
        "the TSA URL is refused: 127.0.0.1 resolves to a private, loopback or "
        "reserved address (127.0.0.1)"
    )
    assert tsa.requests == []


def test_a_tsa_that_is_not_there_fails_with_the_reason():
    with pytest.raises(timestamps.TimestampFailed) as failed:
        timestamps.request_timestamp(
            "http://127.0.0.1:9/", DATA, policy=AddressPolicy.allowing(["127.0.0.1"])
        )
    assert str(failed.value).startswith("the TSA could not be reached:")


def _reordered(reply: bytes) -> bytes:
    """The reply with its token's certificates against DER order."""

    def reverse(element: bytes) -> bytes:
        _tag, start, end = timestamps._tlv(element, 0)
        certs = [element[a:b] for a, b in timestamps._children(element, start, end)]
        width = max(len(c) for c in certs)
        certs.sort(key=lambda c: c.ljust(width, b"\0"), reverse=True)
        return timestamps._encode(element[0], b"".join(certs))

    _tag, start, end = timestamps._tlv(reply, 0)
    token = reply[slice(*timestamps._children(reply, start, end)[1])]
    _tag, t_start, t_end = timestamps._tlv(token, 0)
    explicit = token[slice(*timestamps._children(token, t_start, t_end)[1])]
    _tag, e_start, e_end = timestamps._tlv(explicit, 0)
    signed = explicit[e_start:e_end]
    _tag, s_start, s_end = timestamps._tlv(signed, 0)
    fields = timestamps._children(signed, s_start, s_end)
    index = next(i for i, (a, _b) in enumerate(fields) if signed[a] == 0xA0)
    return timestamps._rebuild(reply, [1, 1, 0, index], reverse)


def test_a_token_carrying_its_chain_out_of_der_order_still_verifies(tmp_path):
    """OpenSSL writes the chain in the order configured; the reply is kept as
    sent and read through a copy in DER order."""
    from rfc3161_client import decode_timestamp_response

    from tests.evidence.captures.pki import serve_tsa

    with serve_tsa(tmp_path, with_chain=True) as tsa:
        reply = _reordered(_ask(tsa))

    with pytest.raises(ValueError, match="InvalidSetOrdering"):
        decode_timestamp_response(reply)
    check = timestamps.verify_timestamp(reply, DIGEST, roots=[tsa.ca.root.cert])
    assert (check.is_valid, check.reason) == (True, "time-stamp valid")
    assert len(check.chain) == 2
    carried = timestamps.verify_timestamp(reply, DIGEST)
    assert (carried.is_valid, carried.reason) == (
        True,
        "time-stamp valid (against the root the token carries: not pinned)",
    )
    changed = bytearray(DIGEST)
    changed[-1] ^= 0x80
    assert not timestamps.verify_timestamp(
        reply, bytes(changed), roots=[tsa.ca.root.cert]
    ).is_valid
