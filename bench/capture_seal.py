"""Sealing a capture (issue 18) against building its WACZ, in the same run.

The baseline builds the WACZ of a synthetic page with N MB of responses (WARC,
CDXJ, pages, datapackage); the sealing then signs it (ECDSA P-256, rewriting
the ZIP), verifies it (every resource re-hashed), and asks a real RFC 3161 TSA
on loopback (openssl ts -reply, a test CA made here) and verifies the token.
Rounds alternate so drift hits all alike. Target: signing + verification ≤ 1×
the build, the TSA round trip ≤ 0.5 s on loopback.

    python bench/capture_seal.py [--megabytes 20] [--rounds 5]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from evidence.captures import signing, timestamps, wacz  # noqa: E402
from evidence.captures.policy import AddressPolicy  # noqa: E402
from tests.evidence.captures.pki import serve_tsa  # noqa: E402


def _exchanges(megabytes: int) -> list[wacz.Exchange]:
    at = datetime.now(UTC)
    # Incompressible bodies of 1 MB each (synthetic), as images would be.
    return [
        wacz.Exchange(
            url=f"https://example.org/image-{n}.jpg",
            method="GET",
            request_headers=[("User-Agent", "bench")],
            post_data=b"",
            status=200,
            status_text="OK",
            response_headers=[("Content-Type", "image/jpeg")],
            body=os.urandom(1024 * 1024),
            at=at,
        )
        for n in range(megabytes)
    ]


def build(exchanges: list[wacz.Exchange]) -> tuple[bytes, float]:
    start = time.perf_counter()
    out = io.BytesIO()
    wacz.write_warc(out, exchanges, software="bench", info={})
    at = datetime.now(UTC)
    page = wacz.Page(url="https://example.org/", title="Bench", text="text", at=at)
    package = wacz.build_wacz(warc=out.getvalue(), page=page, created=at, software="b")
    return package, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    exchanges = _exchanges(args.megabytes)
    key = ec.generate_private_key(ec.SECP256R1())
    built, signed_t, verified_t, stamped_t = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp, serve_tsa(Path(tmp)) as tsa:
        policy = AddressPolicy.allowing(["127.0.0.1"])
        for _round in range(args.rounds):
            package, seconds = build(exchanges)
            built.append(seconds)
            start = time.perf_counter()
            sealed, data = signing.sign_wacz(
                package, private_key=key, software="bench", version="1"
            )
            signed_t.append(time.perf_counter() - start)
            start = time.perf_counter()
            check = signing.verify_wacz(sealed, expected_public_key=data["publicKey"])
            verified_t.append(time.perf_counter() - start)
            assert check.is_valid, check.reason
            start = time.perf_counter()
            reply, _ = timestamps.request_timestamp(
                tsa.url, b"datapackage", policy=policy
            )
            stamp = timestamps.verify_timestamp(
                reply,
                hashlib.sha256(b"datapackage").digest(),
                roots=[tsa.ca.root.cert],
            )
            stamped_t.append(time.perf_counter() - start)
            assert stamp.is_valid, stamp.reason
    base = statistics.median(built)
    rows = [
        ("build WACZ (baseline)", base),
        ("sign WACZ", statistics.median(signed_t)),
        ("verify WACZ", statistics.median(verified_t)),
        ("TSA round trip + verify", statistics.median(stamped_t)),
    ]
    print(f"WACZ of {args.megabytes} MB of responses, {args.rounds} rounds (median)")
    print(f"{'step':<26} {'seconds':>8} {'× build':>8}")
    for name, seconds in rows:
        print(f"{name:<26} {seconds:>8.3f} {seconds / base:>8.2f}")
    seal = statistics.median(signed_t) + statistics.median(verified_t)
    print(
        f"sign + verify = {seal / base:.2f}× build: target ≤ 1×: "
        f"{'met' if seal <= base else 'MISSED'}; TSA round trip "
        f"{statistics.median(stamped_t):.3f} s: target ≤ 0.5 s: "
        f"{'met' if statistics.median(stamped_t) <= 0.5 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
