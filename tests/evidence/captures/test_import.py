"""Importing a WACZ made elsewhere (issue 18): a real one (Browsertrix's signed
sample from py-wacz's fixtures, tests/data/real/wacz/SOURCES.md) is kept with
its own SHA-256 and custody, its pages listed as an independent reader
(zipfile + warcio over its WARC) finds them; a tampered file, a non-ZIP, a zip
bomb and an oversized file are refused with the reason and leave nothing
stored; another team does not see it."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from warcio.archiveiterator import ArchiveIterator

from evidence.captures import services as capture_services
from evidence.captures.wacz_import import WaczRefused, inspect_wacz
from evidence.models import CaptureFile, CustodyEvent, EvidenceItem, WebCapture
from evidence.services import DuplicateEvidence, FileRefused
from provenance.audit.models import AuditEvent
from tests.factories import ClaimFactory

REAL_WACZ = Path(__file__).parents[2] / "data/real/wacz/browsertrix-signed-example.wacz"
REAL_SHA256 = "08d4c4b515992dd0c58698263c4d577416900651c42927e3ecf830626426e57e"
MAX = 1 << 30


def _independent_pages(data: bytes) -> dict[str, dict]:
    """What a reader other than ours sees: each pages.jsonl page, with the HTTP
    status and <title> of the WARC response record for its URL."""
    out: dict[str, dict] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        lines = archive.read("pages/pages.jsonl").decode().splitlines()
        pages = [json.loads(line) for line in lines[1:] if line.strip()]
        responses = {}
        for name in archive.namelist():
            if not name.startswith("archive/"):
                continue
            with archive.open(name) as member:
                for record in ArchiveIterator(member):
                    if record.rec_type == "response":
                        body = record.content_stream().read()
                        responses[record.rec_headers.get_header("WARC-Target-URI")] = (
                            record.http_headers.get_statuscode(),
                            body,
                        )
    for page in pages:
        status, body = responses[page["url"]]
        title = body.split(b"<title>", 1)[1].split(b"</title>", 1)[0].decode()
        out[page["url"]] = {"status": status, "title": title, "ts": page["ts"]}
    return out


def _repacked(data: bytes, change: dict[str, bytes]) -> bytes:
    """The same WACZ with some members' bytes replaced (valid ZIP, stale hashes)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w") as target,
    ):
        for info in source.infolist():
            target.writestr(info, change.get(info.filename, source.read(info)))
    return out.getvalue()


def _import(team, user, data: bytes, name: str = "sample.wacz") -> EvidenceItem:
    return capture_services.evidence_import_wacz(
        team=team, actor=user, upload=io.BytesIO(data), filename=name
    )


def test_the_sample_is_the_file_its_sources_name():
    assert hashlib.sha256(REAL_WACZ.read_bytes()).hexdigest() == REAL_SHA256


def test_a_real_wacz_is_imported_with_its_pages_as_an_independent_reader_sees_them(
    team, editor
):
    data = REAL_WACZ.read_bytes()

    item = _import(team, editor, data, "browsertrix-signed-example.wacz")

    item.refresh_from_db()
    capture = WebCapture.objects.get(item=item)
    independent = _independent_pages(data)
    assert independent == {
        "https://example.com/": {
            "status": "200",
            "title": "Example Domain",
            "ts": "2022-01-18T19:00:09Z",
        }
    }
    assert [(p["url"], p["title"], p["ts"]) for p in capture.summary["pages"]] == [
        (url, page["title"], page["ts"]) for url, page in independent.items()
    ]
    assert item.kind == "link"
    assert item.url == "https://example.com/"
    assert item.title == "Example Domain"
    assert item.sha256 == REAL_SHA256
    assert item.size_bytes == len(data)
    assert item.mime_type == "application/wacz"
    assert item.file.read() == data
    assert capture.final_url == "https://example.com/"
    assert capture.text.startswith("Example Domain\nThis domain is for use")
    assert capture.summary["software"] == "py-wacz 0.4.0"
    assert capture.summary["wacz_version"] == "1.1.1"
    assert capture.summary["validated_by"] == [
        "evidence.captures.wacz_import",
        "py-wacz wacz validate",
    ]
    assert capture.summary["signature"] == {
        "present": True,
        "kind": "domain",
        "domain": "btrix-sign-test.webrecorder.net",
        "created": "2022-01-18T19:00:12Z",
        "software": "authsigner 0.3.0",
        "verified": False,
        "checked": "structure and hash only: a domain signature's certificate "
        "chain and time signature are not verified here",
    }
    wacz = CaptureFile.objects.get(capture=capture)
    assert (wacz.role, wacz.sha256, wacz.file.name) == (
        "wacz",
        REAL_SHA256,
        item.file.name,
    )
    uploaded = CustodyEvent.objects.get(item=item, action="uploaded")
    assert uploaded.actor == editor
    assert uploaded.detail["sha256"] == REAL_SHA256
    assert uploaded.detail["imported_wacz"] is True
    event = AuditEvent.objects.get(action="evidence.add")
    assert event.payload["sha256"] == REAL_SHA256
    assert event.payload["pages"] == 1


def test_a_wacz_whose_warc_was_changed_is_refused_with_the_reason(team, editor):
    data = REAL_WACZ.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        warc_name = next(n for n in archive.namelist() if n.startswith("archive/"))
        warc = archive.read(warc_name)
    tampered = _repacked(data, {warc_name: warc[:-1] + bytes([warc[-1] ^ 1])})

    with pytest.raises(FileRefused) as refused:
        _import(team, editor, tampered)

    assert refused.value.message == (
        f"Not imported: {warc_name} does not match its SHA-256 in datapackage.json "
        "(the file was changed after it was packed)."
    )
    assert not EvidenceItem.objects.exists()
    assert not WebCapture.objects.exists()


def test_a_wacz_whose_datapackage_was_changed_after_signing_is_refused(team, editor):
    data = REAL_WACZ.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        package = json.loads(archive.read("datapackage.json"))
    package["software"] = "someone else"
    tampered = _repacked(data, {"datapackage.json": json.dumps(package).encode()})

    with pytest.raises(FileRefused) as refused:
        _import(team, editor, tampered)

    assert refused.value.message == (
        "Not imported: datapackage-digest.json gives another hash of "
        "datapackage.json (it was changed after it was signed or digested)."
    )


def test_a_flipped_byte_in_the_zip_is_refused_as_damaged(team, editor):
    data = bytearray(REAL_WACZ.read_bytes())
    data[2000] ^= 0xFF  # inside the stored WARC: its CRC no longer matches

    with pytest.raises(FileRefused) as refused:
        _import(team, editor, bytes(data))

    assert refused.value.message == (
        "Not imported: It is damaged: Bad CRC-32 for file 'archive/"
        "rec-20220118190009690949-crawl-scheduled-a78c5705-3aec-46be-9eec-"
        "66ac994f1f4a-273757mtjt.warc.gz'"
    )
    assert not EvidenceItem.objects.exists()


def test_a_file_that_is_not_a_zip_is_refused(team, editor):
    with pytest.raises(FileRefused) as refused:
        _import(team, editor, b"<html>not an archive</html>", "page.wacz")

    assert refused.value.message == (
        "Not imported: It is not a ZIP file, so not a WACZ."
    )
    assert not EvidenceItem.objects.exists()


def test_a_zip_bomb_is_refused_unread():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("archive/data.warc", b"\0" * (8 * 1024 * 1024))
        archive.writestr("datapackage.json", b"{}")
        archive.writestr("pages/pages.jsonl", b"")

    with pytest.raises(WaczRefused) as refused:
        inspect_wacz(io.BytesIO(out.getvalue()), max_unpacked=MAX)

    assert str(refused.value).startswith(
        "archive/data.warc would unpack to 8,388,608 bytes from "
    )
    assert str(refused.value).endswith("(a zip bomb?): refused.")


def test_a_wacz_unpacking_past_the_cap_is_refused(settings, team, editor):
    settings.WACZ_MAX_UNPACKED_BYTES = 10_000

    with pytest.raises(FileRefused) as refused:
        _import(team, editor, REAL_WACZ.read_bytes())

    assert refused.value.message == (
        "Not imported: It would unpack to more than 10,000 bytes: refused."
    )


def test_a_wacz_larger_than_the_upload_cap_is_refused(settings, team, editor):
    settings.UPLOAD_MAX_BYTES = {**settings.UPLOAD_MAX_BYTES, "wacz": 1000}

    with pytest.raises(FileRefused) as refused:
        _import(team, editor, REAL_WACZ.read_bytes())

    assert refused.value.message == "The file is larger than the 1,000-byte limit."
    assert not EvidenceItem.objects.exists()


def test_a_name_leaving_the_package_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("../../etc/passwd", b"x")

    with pytest.raises(WaczRefused) as refused:
        inspect_wacz(io.BytesIO(out.getvalue()), max_unpacked=MAX)

    assert str(refused.value) == "A file name leaves the package: '../../etc/passwd'."


def test_another_team_cannot_see_an_imported_wacz(
    team, editor, outsider_client, editor_client
):
    item = _import(team, editor, REAL_WACZ.read_bytes())
    capture = item.captures.get()

    assert editor_client.get(item.get_absolute_url()).status_code == 200
    assert outsider_client.get(item.get_absolute_url()).status_code == 404
    assert (
        outsider_client.get(
            reverse("evidence:capture-file", args=[item.pk, capture.pk, "wacz"])
        ).status_code
        == 404
    )
    assert (
        outsider_client.get(
            reverse("evidence:item-original", args=[item.pk])
        ).status_code
        == 404
    )
    listing = outsider_client.get(reverse("evidence:item-list")).content.decode()
    assert "Example Domain" not in listing


def test_the_same_wacz_twice_is_a_duplicate(team, editor):
    _import(team, editor, REAL_WACZ.read_bytes())

    with pytest.raises(DuplicateEvidence):
        _import(team, editor, REAL_WACZ.read_bytes())


# --- the upload form ------------------------------------------------------------------
def test_a_reporter_imports_a_wacz_from_the_form_and_sees_its_pages(reporter_client):
    upload = SimpleUploadedFile(
        "browsertrix.wacz", REAL_WACZ.read_bytes(), content_type="application/zip"
    )

    response = reporter_client.post(
        reverse("evidence:add-wacz"),
        {"file": upload, "source_reliability": "F", "information_credibility": "6"},
    )

    item = EvidenceItem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == item.get_absolute_url()
    html = reporter_client.get(item.get_absolute_url()).content.decode()
    assert "made by py-wacz 0.4.0, created 2022-01-18T19:00:12Z" in html
    assert "1 page (pages/pages.jsonl)" in html
    assert "domain (btrix-sign-test.webrecorder.net)" in html
    assert "2 archived records" in html


def test_the_form_refuses_a_non_zip_with_the_reason_on_the_file(reporter_client):
    upload = SimpleUploadedFile("notes.wacz", b"plain text", content_type="text/plain")

    response = reporter_client.post(
        reverse("evidence:add-wacz"),
        {"file": upload, "source_reliability": "F", "information_credibility": "6"},
    )

    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "Not imported: It is not a ZIP file, so not a WACZ."
    ]
    assert not EvidenceItem.objects.exists()


# --- manage.py import_wacz ------------------------------------------------------------
def test_the_command_imports_a_wacz(team, editor, capsys):
    call_command(
        "import_wacz", str(REAL_WACZ), "--team", team.slug, "--user", editor.username
    )

    item = EvidenceItem.objects.get()
    out = capsys.readouterr().out
    assert out == (
        f"Imported evidence #{item.pk} https://example.com/ (WACZ sha256 "
        f"{REAL_SHA256}, 1 page, signed (domain): structure and hash only: a "
        "domain signature's certificate chain and time signature are not verified "
        "here)\n"
    )


def test_the_command_refuses_a_tampered_wacz_with_the_reason(team, editor, tmp_path):
    data = REAL_WACZ.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        pages = archive.read("pages/pages.jsonl")
    path = tmp_path / "tampered.wacz"
    path.write_bytes(_repacked(data, {"pages/pages.jsonl": pages + b"\n"}))

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_wacz", str(path), "--team", team.slug, "--user", editor.username
        )

    assert str(refused.value) == (
        "tampered.wacz: Not imported: pages/pages.jsonl is 394 bytes; "
        "datapackage.json says 393."
    )
    assert not EvidenceItem.objects.exists()


def test_the_command_links_the_import_to_a_claim(team, editor):
    claim = ClaimFactory(team=team, author=editor)

    call_command(
        "import_wacz",
        str(REAL_WACZ),
        "--team",
        team.slug,
        "--user",
        editor.username,
        "--claim",
        str(claim.pk),
        "--relation",
        "supports",
    )

    item = EvidenceItem.objects.get()
    link = claim.evidence_links.get()
    assert (link.item_id, link.relation) == (item.pk, "supports")


def _anonymously_signed() -> tuple[bytes, dict]:
    from datetime import UTC, datetime

    from cryptography.hazmat.primitives.asymmetric import ec

    from evidence.captures import signing, wacz

    at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    out = io.BytesIO()
    wacz.write_warc(out, [], software="test", info={})
    page = wacz.Page(url="https://example.org/", title="T", text="text", at=at)
    package = wacz.build_wacz(warc=out.getvalue(), page=page, created=at, software="t")
    key = ec.generate_private_key(ec.SECP256R1())
    return signing.sign_wacz(package, private_key=key, software="s", version="1")


def test_an_anonymous_signature_is_verified_on_import():
    from evidence.captures import signing

    signed, data = _anonymously_signed()
    inspection = inspect_wacz(io.BytesIO(signed), max_unpacked=MAX)
    kid = signing.key_id(signing.load_public_key_text(data["publicKey"]))
    assert inspection.signature["kind"] == "anonymous"
    assert inspection.signature["verified"] is True
    assert inspection.signature["key_id"] == kid
    assert inspection.signature["checked"] == (
        f"anonymous signature verified (ECDSA P-256, key {kid})"
    )


def test_an_anonymous_signature_that_does_not_verify_refuses_the_file():
    import base64

    signed, _ = _anonymously_signed()
    with zipfile.ZipFile(io.BytesIO(signed)) as archive:
        members = {i.filename: archive.read(i) for i in archive.infolist()}
    digest = json.loads(members["datapackage-digest.json"])
    raw = bytearray(base64.b64decode(digest["signedData"]["signature"]))
    raw[10] ^= 0x01
    digest["signedData"]["signature"] = base64.b64encode(raw).decode()
    members["datapackage-digest.json"] = json.dumps(digest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)

    with pytest.raises(WaczRefused) as refused:
        inspect_wacz(io.BytesIO(out.getvalue()), max_unpacked=MAX)
    assert str(refused.value) == (
        "Its signature does not verify: the signature does not match the signed "
        "hash: the hash or the signature was changed after signing."
    )
