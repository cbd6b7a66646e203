"""Checking a WACZ made elsewhere (ArchiveWeb.page, Browsertrix, auto-archiver)
before it is kept as evidence. No ORM.

``inspect_wacz`` reads a seekable file and refuses it (WaczRefused, with the
reason) unless: it is a ZIP whose members are neither too many nor too large
in total nor compressed past a ratio no web archive reaches (a zip bomb); its
names stay inside the package; ``datapackage.json`` lists every member with a
SHA-256 and size that the bytes match (each member read in chunks, stopping at
its declared size, so memory and work stay bounded); the digest file, when
present, names the hash of ``datapackage.json``; and ``pages/pages.jsonl``
lists its pages. A signature in the digest (``signedData``, WACZ Signing and
Verification 0.1.0) is checked for its structure and its hash.

An anonymous signature (a public key in ``signedData``) is verified with
evidence.captures.signing, and a signature that does not verify refuses the
file. A domain signature (a certificate chain and an RFC 3161 time signature
instead of a key) is checked for its structure and hash only, and says so.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO, Any

from evidence.captures import signing

PACKAGE_NAME = "datapackage.json"
DIGEST_NAME = "datapackage-digest.json"
PAGES_NAME = "pages/pages.jsonl"
MAX_MEMBERS = 10_000
# No member of a web archive deflates by more than this (HTML ~10x, a zip bomb
# 1000x and more); stored members (the WARCs, usually) have ratio 1.
MAX_RATIO = 200
_MAX_METADATA_BYTES = 16 * 1024 * 1024
_MAX_PAGES = 10_000
_MAX_PAGE_TEXT = 100_000
_MAX_LINE_BYTES = 4 * 1024 * 1024
_CHUNK = 256 * 1024
_SIGNED_ANONYMOUS = frozenset({"hash", "created", "signature", "publicKey"})
_SIGNED_DOMAIN = frozenset({"hash", "created", "signature", "domain", "domainCert"})


class WaczRefused(ValueError):
    """The file is not a WACZ this tool keeps; the message says why."""


@dataclass(frozen=True)
class ImportedPage:
    url: str
    title: str
    ts: str
    text: str


@dataclass(frozen=True)
class WaczInspection:
    wacz_version: str
    software: str
    created: str
    title: str
    main_page_url: str
    pages: list[ImportedPage]
    resources: list[dict[str, Any]]
    signature: dict[str, Any]
    unpacked_bytes: int
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "imported": True,
            "wacz_version": self.wacz_version,
            "software": self.software,
            "created": self.created,
            "title": self.title,
            "main_page_url": self.main_page_url,
            "pages": [
                {"url": p.url, "title": p.title, "ts": p.ts} for p in self.pages[:500]
            ],
            "page_count": len(self.pages),
            "resources": self.resources,
            "signature": self.signature,
            "unpacked_bytes": self.unpacked_bytes,
            "warnings": self.warnings,
        }


def _read_small(archive: zipfile.ZipFile, name: str) -> bytes:
    info = archive.getinfo(name)
    if info.file_size > _MAX_METADATA_BYTES:
        raise WaczRefused(f"{name} is larger than {_MAX_METADATA_BYTES:,} bytes.")
    with archive.open(info) as member:
        data = member.read(_MAX_METADATA_BYTES + 1)
    if len(data) > _MAX_METADATA_BYTES:
        raise WaczRefused(f"{name} is larger than {_MAX_METADATA_BYTES:,} bytes.")
    return data


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        return json.loads(_read_small(archive, name))
    except (ValueError, UnicodeDecodeError) as exc:
        raise WaczRefused(f"{name} is not valid JSON: {exc}") from exc


def _check_members(archive: zipfile.ZipFile, *, max_unpacked: int) -> int:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise WaczRefused(f"It holds {len(infos):,} files (at most {MAX_MEMBERS:,}).")
    total = 0
    for info in infos:
        name = info.filename
        normal = posixpath.normpath(name)
        if name.startswith("/") or normal.startswith("..") or "\\" in name:
            raise WaczRefused(f"A file name leaves the package: {name!r}.")
        if info.flag_bits & 0x1:
            raise WaczRefused(f"{name} is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise WaczRefused(f"{name} uses an unsupported compression method.")
        if (
            info.compress_type == zipfile.ZIP_DEFLATED
            and info.file_size > 1024 * 1024
            and info.file_size > MAX_RATIO * max(info.compress_size, 1)
        ):
            raise WaczRefused(
                f"{name} would unpack to {info.file_size:,} bytes from "
                f"{info.compress_size:,} (a zip bomb?): refused."
            )
        total += info.file_size
        if total > max_unpacked:
            raise WaczRefused(
                f"It would unpack to more than {max_unpacked:,} bytes: refused."
            )
    return total


def _resource_hash(resource: dict[str, Any]) -> tuple[str, int | None]:
    """(hex SHA-256, size) as WACZ 1.1 (``hash: "sha256:…"``, ``bytes``) or 1.0
    (``stats: {hash, bytes}``, ``hashing: "sha256"``) writes them."""
    if "hash" in resource:
        algorithm, _, value = str(resource["hash"]).partition(":")
        if algorithm != "sha256" or not value:
            raise WaczRefused(
                f"{resource.get('path')}: only SHA-256 hashes are checked here, "
                f"not {resource['hash']!r}."
            )
        size = resource.get("bytes")
        return value.lower(), int(size) if size is not None else None
    stats = resource.get("stats") or {}
    if resource.get("hashing", "sha256") != "sha256" or "hash" not in stats:
        raise WaczRefused(f"{resource.get('path')}: datapackage.json gives no SHA-256.")
    size = stats.get("bytes")
    return str(stats["hash"]).lower(), int(size) if size is not None else None


def _check_resource(archive: zipfile.ZipFile, resource: dict[str, Any]) -> None:
    path = resource.get("path")
    if not isinstance(path, str):
        raise WaczRefused("datapackage.json lists a resource without a path.")
    try:
        info = archive.getinfo(path)
    except KeyError as exc:
        raise WaczRefused(f"datapackage.json lists {path}, which is missing.") from exc
    expected, size = _resource_hash(resource)
    if size is not None and size != info.file_size:
        raise WaczRefused(
            f"{path} is {info.file_size:,} bytes; datapackage.json says {size:,}."
        )
    digest, read = hashlib.sha256(), 0
    with archive.open(info) as member:
        while chunk := member.read(min(_CHUNK, info.file_size - read + 1)):
            read += len(chunk)
            if read > info.file_size:
                raise WaczRefused(f"{path} unpacks past its stated size: refused.")
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise WaczRefused(
            f"{path} does not match its SHA-256 in datapackage.json "
            f"(the file was changed after it was packed)."
        )


def _signature(digest_file: dict[str, Any], package_hash: str) -> dict[str, Any]:
    signed = digest_file.get("signedData")
    if signed is None:
        return {"present": False}
    if not isinstance(signed, dict):
        raise WaczRefused("datapackage-digest.json: signedData is not an object.")
    keys = set(signed)
    if keys >= _SIGNED_ANONYMOUS:
        kind = "anonymous"
    elif keys >= _SIGNED_DOMAIN:
        kind = "domain"
    else:
        raise WaczRefused(
            "datapackage-digest.json: signedData lacks "
            f"{sorted((_SIGNED_DOMAIN | _SIGNED_ANONYMOUS) - keys - {'publicKey'})}."
        )
    if signed["hash"] != package_hash:
        raise WaczRefused(
            "The signature is over another datapackage.json than this one."
        )
    return {
        "present": True,
        "kind": kind,
        "domain": str(signed.get("domain", ""))[:300],
        "created": str(signed.get("created", ""))[:40],
        "software": str(signed.get("software", ""))[:200],
        **_verified(kind, signed),
    }


def _verified(kind: str, signed: dict[str, Any]) -> dict[str, Any]:
    if kind != "anonymous":
        return {
            "verified": False,
            "checked": "structure and hash only: a domain signature's certificate "
            "chain and time signature are not verified here",
        }
    check = signing.verify_signed_data(signed)
    if not check.is_valid:
        raise WaczRefused(f"Its signature does not verify: {check.reason}.")
    return {
        "verified": True,
        "key_id": check.key_id,
        "checked": f"anonymous signature verified (ECDSA P-256, key {check.key_id})",
    }


def _pages(archive: zipfile.ZipFile) -> list[ImportedPage]:
    pages: list[ImportedPage] = []
    with archive.open(PAGES_NAME) as member:
        header = member.readline(_MAX_LINE_BYTES)
        try:
            first = json.loads(header)
        except ValueError as exc:
            raise WaczRefused(f"{PAGES_NAME}: its first line is not JSON.") from exc
        if not isinstance(first, dict) or not str(first.get("format", "")).startswith(
            "json-pages-"
        ):
            raise WaczRefused(f"{PAGES_NAME} does not start with a json-pages header.")
        while len(pages) < _MAX_PAGES and (line := member.readline(_MAX_LINE_BYTES)):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise WaczRefused(f"{PAGES_NAME}: a line is not JSON.") from exc
            if not isinstance(row, dict) or not row.get("url"):
                raise WaczRefused(f"{PAGES_NAME}: a page has no url.")
            pages.append(
                ImportedPage(
                    url=str(row["url"])[:2000],
                    title=str(row.get("title") or "")[:500],
                    ts=str(row.get("ts") or "")[:40],
                    text=str(row.get("text") or "")[:_MAX_PAGE_TEXT],
                )
            )
    return pages


def inspect_wacz(handle: IO[bytes], *, max_unpacked: int) -> WaczInspection:
    """Check a WACZ read from a seekable file (see the module's docstring)."""
    try:
        return _inspect(handle, max_unpacked=max_unpacked)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, RuntimeError) as exc:
        # A CRC that does not match, a truncated member, bad deflate data.
        raise WaczRefused(f"It is damaged: {exc}") from exc


def _inspect(handle: IO[bytes], *, max_unpacked: int) -> WaczInspection:
    handle.seek(0)
    if not zipfile.is_zipfile(handle):
        raise WaczRefused("It is not a ZIP file, so not a WACZ.")
    handle.seek(0)
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WaczRefused(f"It is not a readable ZIP file: {exc}") from exc
    with archive:
        unpacked = _check_members(archive, max_unpacked=max_unpacked)
        names = set(archive.namelist())
        for required in (PACKAGE_NAME, PAGES_NAME):
            if required not in names:
                raise WaczRefused(f"It has no {required}, so it is not a WACZ.")
        if not any(n.startswith("archive/") for n in names):
            raise WaczRefused("It has no archive/ folder of WARC files.")
        if not any(n.startswith("indexes/") for n in names):
            raise WaczRefused("It has no indexes/ folder.")
        package_bytes = _read_small(archive, PACKAGE_NAME)
        try:
            package = json.loads(package_bytes)
        except (ValueError, UnicodeDecodeError) as exc:
            raise WaczRefused(f"{PACKAGE_NAME} is not valid JSON: {exc}") from exc
        resources = package.get("resources") if isinstance(package, dict) else None
        if not isinstance(resources, list) or not resources:
            raise WaczRefused(f"{PACKAGE_NAME} lists no resources.")
        listed = set()
        for resource in resources:
            if not isinstance(resource, dict):
                raise WaczRefused(f"{PACKAGE_NAME}: a resource is not an object.")
            _check_resource(archive, resource)
            listed.add(resource["path"])
        warnings = [
            f"{name} is not listed in {PACKAGE_NAME}"
            for name in sorted(names - listed - {PACKAGE_NAME, DIGEST_NAME})
            if not name.endswith("/")
        ]
        package_hash = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
        signature: dict[str, Any] = {"present": False}
        if DIGEST_NAME in names:
            digest_file = _json(archive, DIGEST_NAME)
            if not isinstance(digest_file, dict):
                raise WaczRefused(f"{DIGEST_NAME} is not a JSON object.")
            if digest_file.get("hash") != package_hash:
                raise WaczRefused(
                    f"{DIGEST_NAME} gives another hash of {PACKAGE_NAME} "
                    "(it was changed after it was signed or digested)."
                )
            signature = _signature(digest_file, package_hash)
        pages = _pages(archive)
        if not pages:
            raise WaczRefused(f"{PAGES_NAME} lists no page.")
    metadata = (
        package.get("metadata") if isinstance(package.get("metadata"), dict) else {}
    )
    return WaczInspection(
        wacz_version=str(package.get("wacz_version", ""))[:20],
        software=str(package.get("software", ""))[:200],
        created=str(package.get("created", ""))[:40],
        title=str(package.get("title") or metadata.get("title") or "")[:300],
        main_page_url=str(package.get("mainPageURL") or pages[0].url)[:2000],
        pages=pages,
        resources=[
            {
                "path": r["path"],
                **dict(zip(("sha256", "bytes"), _resource_hash(r), strict=True)),
            }
            for r in resources
        ],
        signature=signature,
        unpacked_bytes=unpacked,
        warnings=warnings,
    )
