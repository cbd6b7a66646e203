"""WARC records and the WACZ package of one capture (no ORM, no browser).

What goes in (WACZ spec 1.2.0, whose ``datapackage.json`` states
``"wacz_version": "1.1.1"``, as py-wacz and ArchiveWeb.page write it):

- ``archive/data.warc.gz``: a ``warcinfo`` record, then a ``response`` and a
  ``request`` record (WARC-Concurrent-To) for every exchange the browser made,
  written with ``warcio``. Bodies are kept as the browser decoded them, so
  Content-Encoding and Transfer-Encoding are dropped and Content-Length is the
  stored body's;
- ``indexes/index.cdxj``: one sorted CDXJ line per response (SURT key,
  14-digit timestamp, url, mime, status, digest, offset, length, filename);
- ``pages/pages.jsonl``: the page with its title and text;
- ``datapackage.json`` with each file's SHA-256 and size, and
  ``datapackage-digest.json`` with the SHA-256 of ``datapackage.json``.

Every member is stored, not deflated, so a reader can seek into the WARC.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as dist_version
from typing import Any
from urllib.parse import urlsplit

from surt import surt
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

WACZ_VERSION = "1.1.1"
WARC_NAME = "data.warc.gz"
_DROPPED_HEADERS = frozenset(
    {"content-encoding", "transfer-encoding", "content-length"}
)


@dataclass(frozen=True)
class Exchange:
    """One request the browser made and the response it got."""

    url: str
    method: str
    request_headers: list[tuple[str, str]]
    post_data: bytes
    status: int
    status_text: str
    response_headers: list[tuple[str, str]]
    body: bytes
    at: datetime
    server_ip: str = ""
    resource_type: str = ""


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    text: str
    at: datetime
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _request_line(exchange: Exchange) -> str:
    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return f"{exchange.method} {target} HTTP/1.1"


def write_warc(
    out: io.BufferedIOBase | io.BytesIO,
    exchanges: Iterable[Exchange],
    *,
    software: str,
    info: dict[str, str],
) -> None:
    """Write the warcinfo record and each exchange's response and request."""
    writer = WARCWriter(out, gzip=True)
    writer.write_record(
        writer.create_warcinfo_record(WARC_NAME, {"software": software, **info})
    )
    for exchange in exchanges:
        headers = [
            (name, value)
            for name, value in exchange.response_headers
            if name.lower() not in _DROPPED_HEADERS
        ]
        headers.append(("Content-Length", str(len(exchange.body))))
        status = StatusAndHeaders(
            f"{exchange.status} {exchange.status_text}".strip(),
            headers,
            protocol="HTTP/1.1",
        )
        warc_headers = {"WARC-Date": _warc_date(exchange.at)}
        if exchange.server_ip:
            warc_headers["WARC-IP-Address"] = exchange.server_ip
        response = writer.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.body),
            length=len(exchange.body),
            http_headers=status,
            warc_headers_dict=warc_headers,
        )
        writer.write_record(response)
        request = writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(exchange.post_data),
            length=len(exchange.post_data),
            http_headers=StatusAndHeaders(
                _request_line(exchange),
                list(exchange.request_headers),
                is_http_request=True,
            ),
            warc_headers_dict={
                "WARC-Date": _warc_date(exchange.at),
                "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        writer.write_record(request)


def cdxj_lines(warc: bytes, *, filename: str = WARC_NAME) -> list[str]:
    """The sorted CDXJ index of a WARC's response records."""
    lines = []
    stream = io.BytesIO(warc)
    records = ArchiveIterator(stream)
    for record in records:
        if record.rec_type != "response":
            continue
        url = record.rec_headers.get_header("WARC-Target-URI")
        date = record.rec_headers.get_header("WARC-Date")
        http = record.http_headers
        mime = (http.get_header("Content-Type") or "").split(";")[0].strip()
        digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
        status = http.get_statuscode()
        record.content_stream().read()  # to the record's end, for its length
        offset = records.get_record_offset()
        length = records.get_record_length()
        timestamp = date.replace("-", "").replace(":", "").replace("T", "")[:14]
        fields = {
            "url": url,
            "mime": mime,
            "status": status,
            "digest": digest,
            "length": str(length),
            "offset": str(offset),
            "filename": filename,
        }
        lines.append(f"{surt(url)} {timestamp} {json.dumps(fields)}")
    return sorted(lines)


def pages_jsonl(pages: Iterable[Page]) -> bytes:
    rows: list[dict[str, Any]] = [
        {
            "format": "json-pages-1.0",
            "id": "pages",
            "title": "All Pages",
            "hasText": True,
        }
    ]
    rows += [
        {
            "id": page.id,
            "url": page.url,
            "title": page.title,
            "ts": iso(page.at),
            "text": page.text,
        }
        for page in pages
    ]
    return b"".join(json.dumps(row).encode() + b"\n" for row in rows)


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def build_wacz(
    *,
    warc: bytes,
    page: Page,
    created: datetime,
    software: str,
    title: str = "",
) -> bytes:
    """The WACZ (a ZIP file, every member stored) of one capture's WARC."""
    members = {
        f"archive/{WARC_NAME}": warc,
        "indexes/index.cdxj": "".join(
            f"{line}\n" for line in cdxj_lines(warc)
        ).encode(),
        "pages/pages.jsonl": pages_jsonl([page]),
    }
    package = {
        "profile": "data-package",
        "resources": [
            {
                "name": path.rsplit("/", 1)[-1],
                "path": path,
                "hash": _sha256(data),
                "bytes": len(data),
            }
            for path, data in members.items()
        ],
        "wacz_version": WACZ_VERSION,
        "title": title or page.title or page.url,
        "mainPageURL": page.url,
        "mainPageDate": iso(page.at),
        "created": created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "software": software,
    }
    datapackage = json.dumps(package, indent=2).encode()
    digest = json.dumps(
        {"path": "datapackage.json", "hash": _sha256(datapackage)}, indent=2
    ).encode()
    members["datapackage.json"] = datapackage
    members["datapackage-digest.json"] = digest
    out = io.BytesIO()
    stamp = created.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for path, data in members.items():
            archive.writestr(zipfile.ZipInfo(path, date_time=stamp), data)
    return out.getvalue()


def software_versions() -> dict[str, str]:
    versions = {}
    for dist in ("playwright", "warcio", "surt"):
        try:
            versions[dist] = dist_version(dist)
        except Exception:
            versions[dist] = "not installed"
    return versions
