"""Web captures in the exports (native JSON, PROV, signed bundle) with their
file hashes, signature and time-stamp token, and `verify_bundle` checking them
(a real TSA on loopback signs the tokens)."""

from __future__ import annotations

import base64
import shutil

import orjson
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from prov.model import ProvDocument

from evidence.captures import attestation
from provenance.claims.models import Claim
from provenance.publishing import signing
from provenance.publishing.exports import builders, bundles, native, prov, queries
from tests.evidence.captures.pki import TSA_NAME, serve_tsa
from tests.evidence.captures.stored import store_capture
from tests.factories import ClaimEvidenceFactory, EvidenceItemFactory
from tests.provenance.publishing.api.helpers import made_public, published

pytestmark = pytest.mark.django_db
URLS_BASE = "https://provenance.example.org"


@pytest.fixture
def tsa(settings, tmp_path):
    with serve_tsa(tmp_path) as served:
        settings.CAPTURE_TSA_URL = served.url
        settings.CAPTURE_TSA_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
        settings.CAPTURE_TSA_ROOTS = str(served.ca.root.cert_path)
        yield served


@pytest.fixture
def captured(team, tsa):
    claim = published(team)
    item = EvidenceItemFactory(team=team, url="https://example.org/harbour")
    ClaimEvidenceFactory(claim=claim, item=item)
    capture = store_capture(item)
    made_public(claim)
    return claim, capture


def _export(claim):
    loaded = queries.with_export_relations(
        Claim.objects.filter(pk=claim.pk), public=True
    ).get()
    return builders.claim_export(
        loaded, public=True, urls=builders.ExportUrls(URLS_BASE)
    )


def _read(record) -> bytes:
    with record.file.open("rb") as handle:
        return handle.read()


def test_the_native_json_carries_each_capture_file_signature_and_token(captured):
    claim, capture = captured
    exported = native.native_dict(_export(claim))["evidence"][0]["evidence"]
    files = {f.role: f for f in capture.files.all()}

    (out,) = exported["captures"]
    assert out["id"] == capture.pk
    assert {f["role"]: f["sha256"] for f in out["files"]} == {
        role: record.sha256 for role, record in files.items()
    }
    assert {f["path"] for f in out["files"]} == {
        f"captures/{capture.pk}/{name}"
        for name in (
            "capture.wacz",
            "screenshot.png",
            "dom.html",
            "text.txt",
            "summary.json",
            "timestamp.tsr",
        )
    }
    assert out["signature"]["public_key"] == attestation.capture_public_key_text()
    assert out["signature"]["hash"] == capture.summary["signature"]["hash"]
    assert out["timestamp"]["tsa"] == TSA_NAME
    assert base64.b64decode(out["timestamp"]["token"]) == _read(files["timestamp"])
    assert out["timestamp"]["digest"] == out["signature"]["hash"]
    assert out["tls"] is None


def test_prov_names_the_capture_and_its_files_with_their_hashes(captured):
    claim, capture = captured
    document = ProvDocument.deserialize(
        content=prov.prov_json(_export(claim), urls=builders.ExportUrls(URLS_BASE)),
        format="json",
    )
    ns = f"{URLS_BASE}/api/v1/"
    records = {r.identifier.uri: r for r in document.get_records() if r.identifier}
    wacz = capture.files.get(role="wacz")

    assert f"{ns}capture/{capture.pk}" in records
    attributes = {
        str(name): value
        for name, value in records[f"{ns}capture/{capture.pk}/wacz"].attributes
    }
    assert attributes["pv:sha256"] == wacz.sha256
    assert attributes["pv:timestampedBy"] == TSA_NAME
    assert attributes["pv:signature"] == capture.summary["signature"]["signature"]
    assert attributes["pv:timestampToken"] == capture.summary["timestamp"]["token"]


def _bundle_file(team, tmp_path, *, change=None):
    payload = bundles.bundle_payload(
        claims=Claim.objects.filter(team=team),
        public=True,
        urls=builders.ExportUrls(),
        teams=[team],
    )
    if change is not None:
        change(payload["claims"][0]["evidence"][0]["evidence"]["captures"][0])
    path = tmp_path / "bundle.json"
    path.write_bytes(signing.bundle_bytes(signing.sign_bundle(payload)))
    return path


def _files_dir(capture, tmp_path):
    directory = tmp_path / "files"
    for record in capture.files.all():
        target = directory / builders.capture_file_path(capture.pk, record.role)
        target.parent.mkdir(parents=True, exist_ok=True)
        with record.file.open("rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out)
    return directory


def test_verify_bundle_checks_the_captures_signature_token_and_files(
    team, captured, tmp_path, capsys
):
    _claim, capture = captured
    path = _bundle_file(team, tmp_path)
    key = tmp_path / "key.json"
    key.write_bytes(orjson.dumps(signing.public_key_document()))

    call_command(
        "verify_bundle",
        str(path),
        "--public-key",
        str(key),
        "--capture-files",
        str(_files_dir(capture, tmp_path)),
    )

    out = capsys.readouterr().out
    assert out.startswith("OK: signature valid; key ")
    assert out.endswith(
        "; 1 claims; 1 captures signed, 1 time-stamped, 6 capture files matched.\n"
    )


def test_verify_bundle_reports_a_tampered_capture_file(team, captured, tmp_path):
    _claim, capture = captured
    path = _bundle_file(team, tmp_path)
    directory = _files_dir(capture, tmp_path)
    wacz = directory / f"captures/{capture.pk}/capture.wacz"
    data = bytearray(wacz.read_bytes())
    data[len(data) // 2] ^= 0x01
    wacz.write_bytes(bytes(data))

    with pytest.raises(CommandError) as failed:
        call_command("verify_bundle", str(path), "--capture-files", str(directory))

    assert str(failed.value) == (
        f"INVALID: capture {capture.pk}: captures/{capture.pk}/capture.wacz: does "
        "not match its SHA-256 in the bundle"
    )


def test_verify_bundle_reports_a_token_for_another_digest(team, captured, tmp_path):
    """A bundle signed after its capture's digest was changed by one byte."""
    _claim, capture = captured

    def change(out):
        digest = out["signature"]["hash"]
        flipped = "0" if digest[-1] != "0" else "1"
        out["timestamp"]["digest"] = out["signature"]["hash"] = digest[:-1] + flipped

    path = _bundle_file(team, tmp_path, change=change)

    with pytest.raises(CommandError) as failed:
        call_command("verify_bundle", str(path))

    assert str(failed.value) == (
        f"INVALID: capture {capture.pk}: signature: the signature does not match "
        "the signed hash: the hash or the signature was changed after signing, "
        "time-stamp: the time-stamp is not valid: the token was issued for another "
        "digest: the package changed after it was time-stamped"
    )


def test_verify_bundle_reports_a_capture_signed_by_another_key(
    team, captured, tmp_path
):
    _claim, capture = captured
    from cryptography.hazmat.primitives.asymmetric import ec

    from evidence.captures import signing as wacz_signing

    other = ec.generate_private_key(ec.SECP256R1())

    def change(out):
        out["signature"]["public_key"] = wacz_signing.public_key_text(
            other.public_key()
        )
        out["signature"]["signature"] = wacz_signing.sign_hash(
            out["signature"]["hash"], other
        )

    path = _bundle_file(team, tmp_path, change=change)

    with pytest.raises(CommandError) as failed:
        call_command("verify_bundle", str(path))

    assert str(failed.value) == (
        f"INVALID: capture {capture.pk}: signature: signed with key "
        f"{wacz_signing.key_id(other.public_key())}, not with the expected key "
        f"{wacz_signing.key_id(attestation.capture_private_key().public_key())}"
    )


def test_the_well_known_document_publishes_the_capture_key_beside_the_bundle_key(
    client, db
):
    document = client.get("/.well-known/provenance-signing-key").json()

    bundle, capture = document["keys"]
    assert (bundle["kty"], bundle["crv"]) == ("OKP", "Ed25519")
    assert (capture["kty"], capture["crv"], capture["alg"]) == ("EC", "P-256", "ES256")
    assert document["capture_key"]["publicKey"] == (
        attestation.capture_public_key_text()
    )
    assert capture["kid"] == document["capture_key"]["kid"]


def test_the_bulk_loader_builds_the_captures_as_the_prefetches_do(captured):
    claim, _ = captured
    claims = Claim.objects.filter(pk=claim.pk)
    urls = builders.ExportUrls(URLS_BASE)
    bulk, plain = (
        list(builders.iter_claim_exports(claims, public=True, urls=urls, bulk=b))
        for b in (True, False)
    )
    assert bulk == plain
    assert bulk[0].evidence[0].evidence.captures
