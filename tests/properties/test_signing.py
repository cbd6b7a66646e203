"""Properties of the signed bundle (Ed25519 over RFC 8785 canonical JSON) and of the
audit chain's canonical bytes, over any JSON payload."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from provenance.audit.chain import canonical_bytes, chain_hash
from provenance.publishing.signing import bundle_bytes, sign_bundle, verify_bundle

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC = KEY.public_key()
SAFE_INTEGER = 2**53 - 1  # the JSON numbers every reader agrees on (I-JSON)

# Text: any code point but surrogates (not encodable as UTF-8), so escapes,
# quotes, backslashes, control characters, astral-plane and combining marks.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-SAFE_INTEGER, SAFE_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5)
    ),
    max_leaves=25,
)
PAYLOADS = st.dictionaries(TEXT, JSON_VALUES, max_size=6)


def _shuffled(value: Any, rng: random.Random) -> Any:
    """The same JSON value with every object's keys in another order."""
    if isinstance(value, dict):
        keys = list(value)
        rng.shuffle(keys)
        return {key: _shuffled(value[key], rng) for key in keys}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


REFORMATS = st.sampled_from(
    [
        {"indent": 2},
        {"indent": "\t", "ensure_ascii": False},
        {"separators": (" , ", " : ")},
        {"ensure_ascii": True},
        {"sort_keys": True, "indent": 1},
    ]
)


@settings(max_examples=200, deadline=None)
@given(PAYLOADS)
def test_any_json_payload_signed_then_verified_is_valid(payload):
    data = bundle_bytes(sign_bundle(payload, private_key=KEY))
    result = verify_bundle(data, public_key=PUBLIC)
    assert (result.is_valid, result.reason) == (True, "signature valid")


@settings(max_examples=200, deadline=None)
@given(PAYLOADS, st.randoms(use_true_random=False), REFORMATS)
def test_reordered_and_reformatted_bundles_verify_the_same(payload, rng, style):
    bundle = sign_bundle(payload, private_key=KEY)
    reformatted = json.dumps(_shuffled(bundle, rng), **style).encode("utf-8")
    lenient = verify_bundle(reformatted, public_key=PUBLIC, strict=False)
    assert (lenient.is_valid, lenient.reason) == (True, "signature valid")
    # Strict mode accepts only the canonical bytes themselves.
    strict = verify_bundle(reformatted, public_key=PUBLIC, strict=True)
    assert strict.is_valid == (reformatted == bundle_bytes(bundle))


@settings(max_examples=500, deadline=None)
@given(PAYLOADS, st.data())
def test_any_single_byte_change_of_a_signed_file_fails_verification(payload, data):
    signed = bundle_bytes(sign_bundle(payload, private_key=KEY))
    index = data.draw(st.integers(0, len(signed) - 1), label="index")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != signed[index]))
    mutated = signed[:index] + bytes([byte]) + signed[index + 1 :]
    result = verify_bundle(mutated, public_key=PUBLIC)
    assert not result.is_valid, (index, bytes([byte]), result.reason)


@pytest.mark.parametrize("position", range(-6, 0))
def test_changing_the_last_characters_of_the_signature_fails(position):
    """The last base64url character carries spare bits: a lax decoder would accept
    other characters there, letting the file change under a valid signature."""
    bundle = sign_bundle({"claims": []}, private_key=KEY)
    value = bundle["signature"]["value"]
    for (
        replacement
    ) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_":
        if replacement == value[position]:
            continue
        chars = list(value)
        chars[position] = replacement
        bundle["signature"]["value"] = "".join(chars)
        assert not verify_bundle(bundle_bytes(bundle), public_key=PUBLIC).is_valid


@settings(max_examples=200, deadline=None)
@given(PAYLOADS, st.randoms(use_true_random=False), st.text("0123456789abcdef"))
def test_audit_canonical_bytes_and_chain_hash_ignore_key_order(payload, rng, prev):
    event = {"action": "claim.publish", "payload": payload, "prev_hash": prev}
    reordered = _shuffled(event, rng)
    assert canonical_bytes(reordered) == canonical_bytes(event)
    assert chain_hash(prev, canonical_bytes(reordered)) == chain_hash(
        prev, canonical_bytes(event)
    )


@settings(max_examples=200, deadline=None)
@given(PAYLOADS, PAYLOADS)
def test_audit_chain_hash_differs_for_different_payloads(first, second):
    assume(canonical_bytes(first) != canonical_bytes(second))
    assert chain_hash("", canonical_bytes(first)) != chain_hash(
        "", canonical_bytes(second)
    )
