"""A capture is sealed before it is stored: the WACZ signed with the instance's
capture key and, with a TSA configured, its digest time-stamped by that TSA (a
real one on loopback), the token stored as a capture file."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes

from evidence.captures import attestation, signing, timestamps
from evidence.models import CustodyEvent
from provenance.audit.models import AuditEvent
from tests.evidence.captures.pki import TSA_NAME, TestCA, https_context
from tests.evidence.captures.site import serve_site

pytestmark = pytest.mark.e2e


@pytest.fixture
def allow_site(settings, site):
    settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]
    settings.CAPTURE_TIMEOUT_SECONDS = 30
    return site


@pytest.fixture
def with_tsa(settings, tsa):
    settings.CAPTURE_TSA_URL = tsa.url
    settings.CAPTURE_TSA_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.CAPTURE_TSA_ROOTS = str(tsa.ca.root.cert_path)
    return tsa


def _capture(team, editor, site, callbacks):
    from evidence.documents import services as document_services

    with callbacks(execute=True):
        item = document_services.evidence_add_link(
            capture=True, team=team, actor=editor, url=site.url("/page")
        )
    item.refresh_from_db()
    return item


def _read(record) -> bytes:
    with record.file.open("rb") as handle:
        return handle.read()


def test_the_stored_wacz_is_signed_with_the_instance_capture_key(
    team, editor, allow_site, django_capture_on_commit_callbacks, chromium
):
    item = _capture(team, editor, allow_site, django_capture_on_commit_callbacks)
    capture = item.captures.get()
    wacz = capture.files.get(role="wacz")
    public_key = attestation.capture_public_key_text()

    check = signing.verify_wacz(_read(wacz), expected_public_key=public_key)

    assert (check.is_valid, check.reason) == (True, "signature valid")
    assert capture.summary["signature"]["publicKey"] == public_key
    assert capture.summary["signature"]["hash"] == check.hash
    assert capture.summary["signature"]["key_id"] == check.key_id


def test_with_no_tsa_the_capture_works_and_says_no_timestamp(
    team, editor, allow_site, django_capture_on_commit_callbacks, chromium
):
    item = _capture(team, editor, allow_site, django_capture_on_commit_callbacks)
    capture = item.captures.get()
    summary = json.loads(_read(capture.files.get(role="summary")))

    assert item.processing_state == "warning"  # the refused image only
    assert summary["timestamp"] == {
        "status": "none",
        "note": "no timestamp: no time-stamping authority is configured",
    }
    assert sorted(capture.files.values_list("role", flat=True)) == [
        "dom",
        "screenshot",
        "summary",
        "text",
        "wacz",
    ]
    assert "tls" not in summary  # a plain-HTTP page


def test_with_a_tsa_the_digest_is_time_stamped_and_the_token_kept(
    team, editor, allow_site, with_tsa, django_capture_on_commit_callbacks, chromium
):
    item = _capture(team, editor, allow_site, django_capture_on_commit_callbacks)
    capture = item.captures.get()
    token = capture.files.get(role="timestamp")
    reply = _read(token)
    stamp = capture.summary["timestamp"]
    digest = bytes.fromhex(capture.summary["signature"]["hash"][len("sha256:") :])

    assert token.sha256 == hashlib.sha256(reply).hexdigest() == stamp["token_sha256"]
    assert token.mime_type == "application/timestamp-reply"
    assert (stamp["status"], stamp["tsa"], stamp["tsa_url"]) == (
        "verified",
        TSA_NAME,
        with_tsa.url,
    )
    assert [c["subject"] for c in stamp["chain"]] == [
        f"CN={TSA_NAME},O=Provenance tests",
        "CN=Provenance Test TSA Root,O=Provenance tests",
    ]
    check = timestamps.verify_timestamp(reply, digest, roots=[with_tsa.ca.root.cert])
    assert check.is_valid is True
    assert check.stamped_at.strftime("%Y-%m-%dT%H:%M:%SZ") == stamp["stamped_at"]
    custody = CustodyEvent.objects.get(item=item, detail__step="capture_timestamp")
    assert custody.detail["sha256"] == token.sha256
    assert (custody.tool, custody.tool_version) == (
        "RFC 3161 time-stamping authority",
        TSA_NAME,
    )
    assert custody.detail["digest"] == capture.summary["signature"]["hash"]
    audit = AuditEvent.objects.filter(action="evidence.captured").get()
    assert audit.payload["timestamp"] == "verified"
    assert audit.payload["files"]["timestamp"] == token.sha256
    assert len(with_tsa.requests) == 1
    assert base64.b64encode(reply)  # stored as the TSA sent it


def test_a_tsa_the_policy_refuses_leaves_the_capture_unstamped_with_a_warning(
    team,
    editor,
    allow_site,
    with_tsa,
    settings,
    django_capture_on_commit_callbacks,
    chromium,
):
    settings.CAPTURE_TSA_ALLOWED_PRIVATE_HOSTS = []
    item = _capture(team, editor, allow_site, django_capture_on_commit_callbacks)
    capture = item.captures.get()

    assert capture.summary["timestamp"]["status"] == "failed"
    assert capture.summary["timestamp"]["error"] == (
        "the TSA URL is refused: 127.0.0.1 resolves to a private, loopback or "
        "reserved address (127.0.0.1)"
    )
    assert item.processing_warning == (
        "Captured, but 1 request(s) refused and time-stamping failed: see the "
        "capture summary."
    )
    assert not capture.files.filter(role="timestamp").exists()
    assert with_tsa.requests == []


def test_an_https_page_keeps_its_tls_chain_in_the_summary(
    team,
    editor,
    settings,
    monkeypatch,
    tmp_path,
    django_capture_on_commit_callbacks,
    chromium,
):
    """A loopback HTTPS site whose certificate a test CA issued. Playwright's
    driver fetches each routed request itself: it is told of the test CA the
    way Node is (NODE_EXTRA_CA_CERTS); the chain is judged against the same CA
    (CAPTURE_TLS_CA_FILE)."""
    ca = TestCA.create(tmp_path / "site-ca", name="Provenance Test Site CA")
    monkeypatch.setenv("NODE_EXTRA_CA_CERTS", str(ca.root.cert_path))
    settings.CAPTURE_TLS_CA_FILE = str(ca.root.cert_path)
    settings.CAPTURE_TIMEOUT_SECONDS = 30
    with serve_site(tls=https_context(ca)) as site:
        settings.CAPTURE_ALLOWED_PRIVATE_HOSTS = [site.host]
        item = _capture(team, editor, site, django_capture_on_commit_callbacks)
    capture = item.captures.get()
    seen = json.loads(_read(capture.files.get(role="summary")))["tls"]

    assert capture.final_url == site.url("/page")
    assert (seen["host"], seen["address"], seen["port"]) == (
        "127.0.0.1",
        "127.0.0.1",
        site.port,
    )
    assert [c["subject"] for c in seen["certificates"]] == [
        "CN=Provenance test site,O=Provenance tests",
        "CN=Provenance Test Site CA,O=Provenance tests",
    ]
    assert seen["certificates"][1]["sha256_fingerprint"] == (
        ca.root.cert.fingerprint(hashes.SHA256()).hex()
    )
    assert (seen["trusted"], seen["trust"]) == (True, "trusted for the host name")


def test_a_capture_that_cannot_be_signed_fails_with_the_reason(
    team,
    editor,
    allow_site,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
    chromium,
):
    from provenance.publishing import signing as bundle_signing

    wrong = tmp_path / "ed25519.pem"
    bundle_signing.load_private_key(wrong)  # an Ed25519 key, not P-256
    settings.CAPTURE_SIGNING_KEY_PATH = str(wrong)

    item = _capture(team, editor, allow_site, django_capture_on_commit_callbacks)

    assert (item.processing_state, item.processing_error) == (
        "failed",
        f"Capture failed: it could not be sealed: {wrong} does not hold an ECDSA "
        "P-256 private key",
    )
    assert item.captures.get().files.count() == 0
