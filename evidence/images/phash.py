"""Perceptual hashes (64-bit pHash) for finding near-duplicate images.

Pure functions with no Django imports. Hashes are stored as 16 hex characters.
"""

from __future__ import annotations

import re

import imagehash
from PIL import Image

# 64-bit pHash: re-encodes and resizes of one picture usually land within 0-6 bits,
# unrelated pictures around 32. 10 is the customary cut-off (imagehash's own docs
# and most de-duplication tools); raise it for crops/edits at the cost of noise.
NEAR_DUPLICATE_THRESHOLD = 10

_PHASH_HEX_RE = re.compile(r"[0-9a-f]{16}")


def phash_of(img: Image.Image) -> str:
    """The 64-bit pHash of ``img`` as 16 hex characters."""
    return str(imagehash.phash(img, hash_size=8))


def hamming(a_hex: str, b_hex: str) -> int:
    """Bits that differ between two 64-bit pHashes given as 16 hex chars."""
    return (phash_int(a_hex) ^ phash_int(b_hex)).bit_count()


def phash_int(value: str) -> int:
    """A pHash in hex as an integer; ValueError for anything else."""
    if not _PHASH_HEX_RE.fullmatch(value.lower()):
        msg = f"not a 64-bit pHash in hex: {value!r}"
        raise ValueError(msg)
    return int(value, 16)
