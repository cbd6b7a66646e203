"""Issue 15, problem 7: the claim dossier, as HTML for print and as PDF. The PDF is
read back with poppler's pdftotext/pdfinfo/pdfdetach (independent readers); the
attached bundle verifies with the published key."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evidence.models import CustodyEvent
from provenance.audit.chain import chain_head
from provenance.claims import services
from provenance.publishing import signing
from tests.factories import EvidenceItemFactory
from tests.provenance.claims.test_back_dated import make_back_dated_claim

POPPLER = all(shutil.which(tool) for tool in ("pdftotext", "pdfinfo", "pdfdetach"))
HASH = hashlib.sha256(b"rajin port scene").hexdigest()


@pytest.fixture
def story(team, reporter, editor, second_editor):
    claim = make_back_dated_claim(team, reporter, editor, second_editor)
    photo = claim.evidence_links.get(item__title="Rajin port scene").item
    photo.sha256 = HASH
    photo.save(update_fields=["sha256"])
    for action, party in (("obtained", "A port worker"), ("uploaded", "")):
        CustodyEvent.objects.create(item=photo, action=action, party=party)
    return claim


def test_dossier_page_has_the_record_hashes_custody_and_chain_head(
    reporter_client, story, team
):
    url = reverse("provenance:claim-dossier", args=[story.pk])
    response = reporter_client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert f"<h1>{story.text}</h1>" in page
    assert HASH in page
    assert "2 events" in page
    assert "obtained from A port worker" in page
    assert "“There were no shipments.”" in page
    assert "Likely</strong> (55–80 %), since 20 Oct 2023: Imagery and a denial." in page
    assert page.count("<strong>Correct</strong>") == 1
    assert "Correction: the port is Rajin, not Najin." in page
    seq, digest = chain_head(team)
    assert f"event {seq} of Team A" in page
    assert digest in page


def test_dossier_reads_a_fixed_number_of_queries_whatever_the_evidence(
    reporter_client, story, team, reporter
):
    url = reverse("provenance:claim-dossier", args=[story.pk])
    reporter_client.get(url)  # warm caches (session, team)
    with CaptureQueriesContext(connection) as few:
        reporter_client.get(url)
    for n in range(5):
        item = EvidenceItemFactory(team=team, title=f"More {n}")
        CustodyEvent.objects.create(item=item, action="uploaded")
        services.evidence_attach(
            claim_id=story.pk, item_id=item.pk, actor=reporter, relation="context"
        )
    with CaptureQueriesContext(connection) as many:
        page = reporter_client.get(url).content.decode()
    assert "More 4" in page
    assert len(many) == len(few)


def test_other_teams_get_404(outsider_client, story):
    for name in ("provenance:claim-dossier", "provenance:claim-dossier-pdf"):
        assert outsider_client.get(reverse(name, args=[story.pk])).status_code == 404


def test_as_of_before_creation_is_an_empty_dossier(reporter_client, story):
    url = reverse("provenance:claim-dossier", args=[story.pk])
    page = reporter_client.get(url, {"as_of": "2023-10-20"}).content.decode()
    assert "<h1>Not yet recorded on 20 Oct 2023</h1>" in page
    assert HASH not in page
    assert story.text not in page.split("</title>")[1]


def test_bad_as_of_is_a_400(reporter_client, story):
    url = reverse("provenance:claim-dossier-pdf", args=[story.pk])
    response = reporter_client.get(url, {"as_of": "1200-01-01"})
    assert response.status_code == 400


@pytest.mark.skipif(not POPPLER, reason="needs poppler-utils (pdftotext, pdfdetach)")
def test_pdf_reads_back_with_poppler_and_carries_a_verifiable_bundle(
    reporter_client, story, tmp_path: Path
):
    url = reverse("provenance:claim-dossier-pdf", args=[story.pk])
    response = reporter_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="claim-{story.pk}-dossier.pdf"'
    )
    pdf = tmp_path / "dossier.pdf"
    pdf.write_bytes(response.content)
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "Producer:        WeasyPrint 70.0" in info
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(text.split())
    assert story.text in flat
    assert "There were no shipments." in flat
    assert HASH[:40] in flat.replace(" ", "")
    listing = subprocess.run(
        ["pdfdetach", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert f"claim-{story.pk}-bundle.json" in listing
    subprocess.run(
        ["pdfdetach", "-save", "1", "-o", str(tmp_path / "b.json"), str(pdf)],
        check=True,
    )
    data = (tmp_path / "b.json").read_bytes()
    # The digest printed in the PDF is the attached file's.
    assert hashlib.sha256(data).hexdigest() in flat.replace(" ", "")
    result = signing.verify_bundle(
        data, public_key=signing.load_private_key().public_key()
    )
    assert (result.is_valid, result.claim_count) == (True, 1), result.reason


def test_rendering_a_pdf_leaves_pillows_truncated_image_guard_on(
    reporter_client, story
):
    """WeasyPrint's import turns on LOAD_TRUNCATED_IMAGES for the whole process,
    which evidence processing refuses (it would accept damaged images)."""
    from PIL import ImageFile

    url = reverse("provenance:claim-dossier-pdf", args=[story.pk])
    assert reporter_client.get(url).status_code == 200
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
