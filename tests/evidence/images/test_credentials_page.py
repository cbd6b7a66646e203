"""The evidence page of images with real Content Credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from evidence.images import services
from evidence.models import EvidenceItem
from tests.evidence.c2pa_samples import REAL_C2PA, TRUST_BUNDLE, with_bad_ingredient


@pytest.fixture
def add_real(team, editor, django_capture_on_commit_callbacks):
    def add(path: Path) -> EvidenceItem:
        with django_capture_on_commit_callbacks(execute=True), path.open("rb") as fh:
            item = services.evidence_add_image(
                team=team, actor=editor, upload=fh, filename=path.name
            )
        item.refresh_from_db()
        return item

    return add


def test_remote_manifest_is_shown_as_remote_with_its_address(editor_client, add_real):
    item = add_real(REAL_C2PA / "cloud.jpg")

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert item.image.content_credentials["state"] == "remote"
    assert '<span class="badge warn">remote</span>' in html
    assert (
        "<code>https://cai-manifests.adobe.com/manifests/"
        "adobe-urn-uuid-5f37e182-3687-462e-a7fb-573462780391</code>" in html
    )
    assert "C2paError" not in html


def test_bad_ingredient_is_shown_on_the_page(editor_client, add_real, tmp_path):
    item = add_real(with_bad_ingredient(tmp_path))

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert "1 ingredient it was made from carries invalid credentials" in html
    assert (
        "<li><code>claimSignature.mismatch</code> claim signature is not valid "
        '<span class="muted">— in ingredient E-sig-CA.jpg</span></li>' in html
    )


def test_signer_on_the_configured_trust_list_is_shown_trusted(editor_client, add_real):
    with override_settings(C2PA_TRUST_ANCHORS=str(TRUST_BUNDLE)):
        item = add_real(REAL_C2PA / "C.jpg")

    html = editor_client.get(item.get_absolute_url()).content.decode()

    assert item.image.content_credentials["state"] == "trusted"
    assert "signed by a signer on the configured trust list" in html
