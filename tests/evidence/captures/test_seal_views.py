"""The capture's provenance panel on the item page: signed, time-stamped (by
the real loopback TSA) or not, and the TLS chain."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from evidence.models import WebCapture
from tests.evidence.captures.pki import TSA_NAME
from tests.evidence.captures.stored import store_capture
from tests.factories import EvidenceItemFactory


def _panel(client, item) -> str:
    html = client.get(reverse("evidence:item-detail", args=[item.pk])).content.decode()
    # The panel's rows: from the signature to the end of the capture's facts.
    match = re.search(r"(<dt>Signature</dt>.*?)</dl>", html, re.S)
    assert match, "no provenance panel"
    text = re.sub(r"<[^>]+>", "", match.group(1).replace("<br>", " "))
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture
def link(team, editor):
    return EvidenceItemFactory(team=team, added_by=editor, url="https://example.org/")


def test_a_signed_and_time_stamped_capture_says_so(editor_client, link, settings, tsa):
    settings.CAPTURE_TSA_URL = tsa.url
    settings.CAPTURE_TSA_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.CAPTURE_TSA_ROOTS = str(tsa.ca.root.cert_path)
    capture = store_capture(link)
    when = capture.stamped_at.strftime("%-d %b %Y %H:%M:%S")

    panel = _panel(editor_client, link)

    assert panel.startswith(
        f"Signature Signed ✓ (WACZ signature, ECDSA P-256, key "
        f"{capture.signature['key_id']}, published at the site's signing keys) "
        f"Time-stamp Timestamped by {TSA_NAME} at {when} UTC ✓ (RFC 3161, checked "
        "against the configured TSA roots)"
    )


def test_a_capture_without_a_tsa_says_no_timestamp(editor_client, link):
    store_capture(link)

    panel = _panel(editor_client, link)

    assert "Time-stamp No timestamp (no time-stamping authority is configured)" in (
        panel
    )
    assert panel.startswith("Signature Signed ✓")


def test_the_tls_chain_is_listed(editor_client, link):
    capture = store_capture(link)
    summary = dict(capture.summary)
    summary["tls"] = {
        "protocol": "TLSv1.3",
        "trusted": True,
        "trust": "trusted for the host name",
        "certificates": [
            {
                "subject": "CN=example.org",
                "issuer": "CN=Example CA",
                "not_before": "2026-01-01T00:00:00Z",
                "not_after": "2027-01-01T00:00:00Z",
                "sha256_fingerprint": "ab" * 32,
            }
        ],
    }
    WebCapture.objects.filter(pk=capture.pk).update(summary=summary)

    panel = _panel(editor_client, link)

    assert panel.endswith(
        "TLS TLSv1.3 · certificate chain trusted ✓ 1 certificate CN=example.org "
        "issued by CN=Example CA valid 2026-01-01T00:00:00Z – 2027-01-01T00:00:00Z "
        f"SHA-256 {'ab' * 32}"
    )
