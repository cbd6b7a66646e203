"""Perceptual hashes (64-bit pHash) for finding near-duplicate images.

Pure functions with no Django imports. Hashes are stored as 16 hex characters.
"""

from __future__ import annotations

import re

import imagehash
import numpy as np
from PIL import Image

# 64-bit pHash: re-encodes and resizes of one picture usually land within 0-6 bits,
# unrelated pictures around 32. 10 is the customary cut-off (imagehash's own docs
# and most de-duplication tools); raise it for crops/edits at the cost of noise.
NEAR_DUPLICATE_THRESHOLD = 10

_PHASH_HEX_RE = re.compile(r"[0-9a-f]{16}")

# A hash carries too little information when the 32x32 greyscale picture pHash
# is computed from is nearly flat: its standard deviation under this many grey
# levels (of 255). The 63 low-frequency DCT terms are then all near zero, their
# median splits noise, and every flat image (white, black, a blank page) lands
# on 8000000000000000 or near it — "near" every other flat image. 2 levels is
# below what JPEG re-encoding adds to a flat area and far below any visible
# detail at that size (a line of text on a blank page gives ~10).
LOW_INFORMATION_STD = 2.0
_PHASH_INPUT = 32  # imagehash.phash: hash_size 8 x highfreq_factor 4


def phash_of(img: Image.Image) -> str:
    """The 64-bit pHash of ``img`` as 16 hex characters."""
    return str(imagehash.phash(img, hash_size=8))


def phash_input_std(img: Image.Image) -> float:
    """Standard deviation of the greyscale 32x32 image pHash computes from
    (the same conversion and resampling as imagehash.phash)."""
    small = img.convert("L").resize(
        (_PHASH_INPUT, _PHASH_INPUT), Image.Resampling.LANCZOS
    )
    return float(np.asarray(small, dtype=np.float64).std())


def is_low_information(img: Image.Image) -> bool:
    """Too flat for its pHash to say anything (see LOW_INFORMATION_STD)."""
    return phash_input_std(img) < LOW_INFORMATION_STD


def hamming(a_hex: str, b_hex: str) -> int:
    """Bits that differ between two 64-bit pHashes given as 16 hex chars."""
    return (phash_int(a_hex) ^ phash_int(b_hex)).bit_count()


def phash_int(value: str) -> int:
    """A pHash in hex as an integer; ValueError for anything else."""
    if not _PHASH_HEX_RE.fullmatch(value.lower()):
        msg = f"not a 64-bit pHash in hex: {value!r}"
        raise ValueError(msg)
    return int(value, 16)
