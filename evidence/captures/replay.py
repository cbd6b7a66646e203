"""Replay of a WACZ in the tool (no ORM): the vendored ReplayWeb.page, the
Content-Security-Policy of each replay response, and the WARC records a WACZ's
index lists (the replay's fallback, shown without JavaScript).

Why its own origin: ReplayWeb.page runs the captured page's own scripts in a
document of the origin that serves the replay (its service worker answers
``/replay/app/w/...`` from the WACZ). A captured page is untrusted: served from
the tool's origin, its scripts could read the tool's pages with the reader's
session (the service worker passes through a request without a referrer) and
act as them. So the replay is served only from ``CAPTURE_REPLAY_ORIGIN``, a
host that shares no cookie with the tool and answers nothing but ``/replay/``
(``evidence.captures.middleware``); the tool's item page frames it. Without
that setting no replay is offered and the page says why.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

VENDOR_DIR = Path(__file__).parent / "replayweb"
VENDORED = ("ui.js", "sw.js")
# The index lines read for the list (a larger index is cut, and says so).
MAX_RECORDS = 2000
_MAX_LINE_BYTES = 64 * 1024
_MAX_INDEX_BYTES = 64 * 1024 * 1024


@cache
def manifest() -> dict[str, Any]:
    return json.loads((VENDOR_DIR / "MANIFEST.json").read_text())


def vendored_problems() -> list[str]:
    """Each vendored file whose SHA-256 is not the manifest's (empty when all match)."""
    problems = []
    for name, expected in manifest()["files"].items():
        path = VENDOR_DIR / name
        if not path.exists():
            problems.append(f"{name} is missing")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != expected:
            problems.append(
                f"{name} has SHA-256 {digest}, the manifest says {expected}"
            )
    return problems


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, or "" when it has none."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def _policy(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def app_policy(framed_by: str) -> str:
    """The replay app's pages under /replay/app/ (before its service worker
    takes over): ReplayWeb.page's ui.js, its frames and workers, same origin;
    framed by the embed page, itself framed by ``framed_by`` (the tool)."""
    return _policy(
        {
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self' 'unsafe-inline'",
            "img-src": "'self' data: blob:",
            "font-src": "'self' data:",
            "connect-src": "'self' data:",
            "frame-src": "'self'",
            "worker-src": "'self' blob:",
            "object-src": "'none'",
            "base-uri": "'self'",
            "form-action": "'none'",
            "frame-ancestors": f"'self' {framed_by}".strip(),
        }
    )


def worker_policy() -> str:
    """sw.js, as the service worker (and web worker) it becomes: wabac.js
    decodes with WebAssembly and fetches the WACZ from this origin only."""
    return _policy(
        {
            "default-src": "'self'",
            "script-src": "'self' 'wasm-unsafe-eval'",
            "connect-src": "'self'",
            "worker-src": "'self' blob:",
            "object-src": "'none'",
        }
    )


def embed_policy(framed_by: str) -> str:
    """The page holding <replay-web-page>: framed by the tool's item page only."""
    return _policy(
        {
            "default-src": "'self'",
            "script-src": "'self'",
            "style-src": "'self' 'unsafe-inline'",
            "img-src": "'self' data:",
            "connect-src": "'self' data:",
            "frame-src": "'self'",
            "worker-src": "'self' blob:",
            "object-src": "'none'",
            "base-uri": "'none'",
            "form-action": "'none'",
            "frame-ancestors": framed_by or "'none'",
        }
    )


# --- The records a WACZ's index lists -------------------------------------------------


@dataclass(frozen=True)
class Record:
    url: str
    at: datetime | None
    status: int | None
    mime: str
    length: int | None
    filename: str


@dataclass(frozen=True)
class RecordList:
    records: list[Record]
    is_cut: bool  # the index had more lines than MAX_RECORDS
    problem: str = ""


def _timestamp(value: str) -> datetime | None:
    digits = "".join(ch for ch in value if ch.isdigit())[:14]
    if len(digits) < 8:
        return None
    digits = digits.ljust(14, "0")
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_cdxj_line(line: str) -> Record | None:
    """One CDXJ line (``<surt> <timestamp> {json}``), or None when it is not one."""
    parts = line.strip().split(" ", 2)
    if len(parts) != 3 or not parts[2].startswith("{"):
        return None
    try:
        fields = json.loads(parts[2])
    except ValueError:
        return None
    if not isinstance(fields, dict) or not fields.get("url"):
        return None
    return Record(
        url=str(fields["url"])[:2000],
        at=_timestamp(parts[1]),
        status=_int(fields.get("status")),
        mime=str(fields.get("mime", ""))[:200],
        length=_int(fields.get("length")),
        filename=str(fields.get("filename", ""))[:300],
    )


def _index_lines(archive: zipfile.ZipFile) -> Iterator[bytes]:
    names = archive.namelist()
    plain = [n for n in names if n.startswith("indexes/") and n.endswith(".cdxj")]
    packed = [n for n in names if n.startswith("indexes/") and n.endswith(".cdx.gz")]
    for name in plain + packed:
        info = archive.getinfo(name)
        if info.file_size > _MAX_INDEX_BYTES:
            continue
        with archive.open(name) as member:
            stream: IO[bytes] = member
            if name.endswith(".gz"):
                # A compressed index (ZipNum) is a run of gzip members.
                stream = gzip.GzipFile(fileobj=member)  # type: ignore[assignment]
            while line := stream.readline(_MAX_LINE_BYTES):
                yield line


def wacz_records(handle: IO[bytes], *, limit: int = MAX_RECORDS) -> RecordList:
    """The WARC records a WACZ's CDXJ index lists (url, time, status, MIME
    type, record size), read from a seekable file, at most ``limit`` of them."""
    records: list[Record] = []
    try:
        with zipfile.ZipFile(handle) as archive:
            for raw in _index_lines(archive):
                record = parse_cdxj_line(raw.decode("utf-8", "replace"))
                if record is None:
                    continue
                if len(records) == limit:
                    return RecordList(records, is_cut=True)
                records.append(record)
    except (zipfile.BadZipFile, OSError, EOFError, gzip.BadGzipFile) as exc:
        return RecordList(
            records, is_cut=False, problem=f"The index cannot be read: {exc}"
        )
    if not records:
        return RecordList([], is_cut=False, problem="The WACZ has no CDXJ index.")
    return RecordList(records, is_cut=False)
