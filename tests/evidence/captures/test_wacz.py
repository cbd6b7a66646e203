from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from datetime import UTC, datetime

from warcio.archiveiterator import ArchiveIterator

from evidence.captures import wacz

AT = datetime(2026, 3, 3, 12, 0, 5, tzinfo=UTC)


def _exchange(url: str, body: bytes, *, status: int = 200, mime: str = "text/html"):
    return wacz.Exchange(
        url=url,
        method="GET",
        request_headers=[("User-Agent", "test")],
        post_data=b"",
        status=status,
        status_text="OK" if status == 200 else "Found",
        response_headers=[
            ("Content-Type", mime),
            ("Content-Encoding", "gzip"),
            ("Content-Length", "3"),
        ],
        body=body,
        at=AT,
        server_ip="93.184.215.14",
    )


def _warc() -> bytes:
    out = io.BytesIO()
    wacz.write_warc(
        out,
        [
            _exchange("https://example.org/", b"<p>hello</p>"),
            _exchange("https://example.org/a.png", b"\x89PNG", mime="image/png"),
        ],
        software="test",
        info={"isPartOf": "https://example.org/"},
    )
    return out.getvalue()


def test_warc_has_warcinfo_then_response_and_request_per_exchange():
    records = [
        (
            r.rec_type,
            r.rec_headers.get_header("WARC-Target-URI"),
            r.content_stream().read(),
        )
        for r in ArchiveIterator(io.BytesIO(_warc()))
    ]

    assert [(kind, url) for kind, url, _ in records] == [
        ("warcinfo", None),
        ("response", "https://example.org/"),
        ("request", "https://example.org/"),
        ("response", "https://example.org/a.png"),
        ("request", "https://example.org/a.png"),
    ]
    assert records[1][2] == b"<p>hello</p>"


def test_stored_bodies_say_their_own_length_and_no_encoding():
    response = next(
        r for r in ArchiveIterator(io.BytesIO(_warc())) if r.rec_type == "response"
    )

    assert response.http_headers.get_header("Content-Length") == "12"
    assert response.http_headers.get_header("Content-Encoding") is None
    assert response.rec_headers.get_header("WARC-IP-Address") == "93.184.215.14"
    assert response.rec_headers.get_header("WARC-Date") == "2026-03-03T12:00:05.000000Z"


def test_cdxj_index_points_at_each_response():
    warc = _warc()
    lines = wacz.cdxj_lines(warc)

    assert [line.split(" ", 2)[:2] for line in lines] == [
        ["org,example)/", "20260303120005"],
        ["org,example)/a.png", "20260303120005"],
    ]
    entry = json.loads(lines[1].split(" ", 2)[2])
    offset, length = int(entry["offset"]), int(entry["length"])
    record = next(ArchiveIterator(io.BytesIO(warc[offset : offset + length])))
    assert (
        record.rec_headers.get_header("WARC-Target-URI") == "https://example.org/a.png"
    )
    assert record.content_stream().read() == b"\x89PNG"
    assert (entry["mime"], entry["status"]) == ("image/png", "200")


def _package() -> bytes:
    page = wacz.Page(
        url="https://example.org/", title="Example", text="hello", at=AT, id="p1"
    )
    return wacz.build_wacz(
        warc=_warc(), page=page, created=AT, software="test 1.0", title="Example"
    )


def test_wacz_lists_every_file_with_its_sha256_and_size():
    archive = zipfile.ZipFile(io.BytesIO(_package()))
    package = json.loads(archive.read("datapackage.json"))
    digest = json.loads(archive.read("datapackage-digest.json"))

    assert sorted(archive.namelist()) == [
        "archive/data.warc.gz",
        "datapackage-digest.json",
        "datapackage.json",
        "indexes/index.cdxj",
        "pages/pages.jsonl",
    ]
    assert {info.compress_type for info in archive.infolist()} == {zipfile.ZIP_STORED}
    for resource in package["resources"]:
        data = archive.read(resource["path"])
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
    assert [r["path"] for r in package["resources"]] == [
        "archive/data.warc.gz",
        "indexes/index.cdxj",
        "pages/pages.jsonl",
    ]
    assert digest == {
        "path": "datapackage.json",
        "hash": "sha256:"
        + hashlib.sha256(archive.read("datapackage.json")).hexdigest(),
    }
    assert (package["wacz_version"], package["mainPageURL"], package["created"]) == (
        "1.1.1",
        "https://example.org/",
        "2026-03-03T12:00:05Z",
    )


def test_pages_jsonl_carries_the_page_text():
    archive = zipfile.ZipFile(io.BytesIO(_package()))
    rows = [json.loads(line) for line in archive.read("pages/pages.jsonl").splitlines()]

    assert rows == [
        {
            "format": "json-pages-1.0",
            "id": "pages",
            "title": "All Pages",
            "hasText": True,
        },
        {
            "id": "p1",
            "url": "https://example.org/",
            "title": "Example",
            "ts": "2026-03-03T12:00:05.000Z",
            "text": "hello",
        },
    ]


def wacz_validate(path) -> subprocess.CompletedProcess[str]:
    """py-wacz's own validator, as a separate process (it exits 0 either way:
    its verdict is its last line)."""
    return subprocess.run(
        [sys.executable, "-m", "wacz", "validate", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=path.parent,
    )


def test_wacz_validates_with_py_wacz(tmp_path):
    path = tmp_path / "capture.wacz"
    path.write_bytes(_package())

    result = wacz_validate(path)

    assert result.stdout.splitlines()[-1] == (
        "Validation succeeded, the passed WACZ is valid"
    ), result.stdout + result.stderr


def test_wacz_with_a_changed_byte_fails_validation(tmp_path):
    archive = zipfile.ZipFile(io.BytesIO(_package()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as changed:
        for info in archive.infolist():
            data = archive.read(info.filename)
            if info.filename == "pages/pages.jsonl":
                data = data.replace(b"hello", b"hellO")
            changed.writestr(info, data)
    path = tmp_path / "changed.wacz"
    path.write_bytes(out.getvalue())

    result = wacz_validate(path)

    assert result.stdout.splitlines()[-1] == (
        "Validation failed, the passed WACZ is invalid"
    )
