from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.evidence.captures.pki import TSA, serve_tsa
from tests.evidence.captures.site import Site, serve_site

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture
def chromium() -> str:
    """Debian's Chromium (never a download); CI must have it."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: apt-get install chromium"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"Capture tests cannot run in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as served:
        yield served


@pytest.fixture
def tsa(tmp_path) -> Iterator[TSA]:
    """A real RFC 3161 TSA (openssl ts -reply) on loopback, with its test CA."""
    with serve_tsa(tmp_path) as served:
        yield served
