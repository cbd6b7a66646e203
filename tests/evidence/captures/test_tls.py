"""The TLS certificate chain of a captured HTTPS page: a loopback HTTPS copy of
the test site whose certificate a test CA (made in the test) issued."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes

from evidence.captures import tls
from tests.evidence.captures.pki import TestCA, https_context
from tests.evidence.captures.site import serve_site


def test_the_chain_sent_by_the_server_is_summarised_and_trusted_by_its_ca(tmp_path):
    ca = TestCA.create(tmp_path / "site-ca", name="Provenance Test Site CA")
    with serve_site(tls=https_context(ca)) as site:
        summary = tls.tls_summary(
            site.url("/page"), address="127.0.0.1", roots=[ca.root.cert]
        )

    assert summary is not None
    assert (summary["host"], summary["address"], summary["port"]) == (
        "127.0.0.1",
        "127.0.0.1",
        site.port,
    )
    assert summary["protocol"] in {"TLSv1.2", "TLSv1.3"}
    assert [(c["subject"], c["issuer"]) for c in summary["certificates"]] == [
        (
            "CN=Provenance test site,O=Provenance tests",
            "CN=Provenance Test Site CA,O=Provenance tests",
        ),
        (
            "CN=Provenance Test Site CA,O=Provenance tests",
            "CN=Provenance Test Site CA,O=Provenance tests",
        ),
    ]
    root = summary["certificates"][1]
    assert root["sha256_fingerprint"] == ca.root.cert.fingerprint(hashes.SHA256()).hex()
    assert root["not_after"] == ca.root.cert.not_valid_after_utc.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert summary["trust"] == "trusted for the host name"
    assert summary["trusted"] is True


def test_a_chain_from_an_unknown_ca_is_kept_and_said_untrusted(tmp_path):
    ca = TestCA.create(tmp_path / "site-ca", name="Provenance Test Site CA")
    stranger = TestCA.create(tmp_path / "other-ca", name="Another CA")
    with serve_site(tls=https_context(ca)) as site:
        summary = tls.tls_summary(
            site.url("/"), address="127.0.0.1", roots=[stranger.root.cert]
        )

    assert summary is not None
    assert len(summary["certificates"]) == 2
    assert summary["trusted"] is False
    assert summary["trust"].startswith("not trusted:")


def test_a_plain_http_page_has_no_tls_summary():
    assert tls.tls_summary("http://127.0.0.1:1/", address="127.0.0.1") is None


def test_a_failed_handshake_is_summarised_not_raised(site):
    # The plain-HTTP site does not speak TLS.
    summary = tls.tls_summary(
        f"https://127.0.0.1:{site.port}/", address="127.0.0.1", timeout=5
    )

    assert summary is not None
    assert summary["certificates"] == []
    assert summary["trusted"] is False
    assert summary["error"].startswith("the TLS connection failed:")
