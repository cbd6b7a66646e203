"""Issue 15, problem 3: the claim page carries the corrections log — every
correction published, with date, who and its public note — under the current
note; an as-of page lists only those made by then."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse

from provenance.claims import selectors, services
from provenance.claims.models import Claim
from tests.provenance.claims.test_back_dated import make_back_dated_claim


def test_the_claim_page_lists_every_correction(
    reporter_client, team, reporter, editor, second_editor
):
    claim = make_back_dated_claim(team, reporter, editor, second_editor)
    url = reverse("provenance:claim-detail", args=[claim.pk])
    once = reporter_client.get(url).content.decode()
    assert 'id="corrections"' not in once  # one correction: the banner says it
    services.claim_correct(
        claim_id=claim.pk,
        actor=editor,
        expected_version=claim.version,
        correction_note="The denial was made on 14 Oct, not 15 Oct.",
    )
    claim = Claim.objects.get(pk=claim.pk)
    page = reporter_client.get(url).content.decode()
    assert (
        "<strong>Correction:</strong> The denial was made on 14 Oct, not 15 Oct."
        in page
    )
    log = page[
        page.index('id="corrections"') : page.index(
            "</details>", page.index('id="corrections"')
        )
    ]
    assert "All 2 corrections" in log
    assert log.index("the port is Rajin, not Najin.") < log.index("14 Oct, not 15 Oct.")
    assert f"· {second_editor.get_username()} — Correction: the port is Rajin" in log
    assert f"· {editor.get_username()} — The denial was made" in log
    later = claim.reviews.latest("at").at
    assert [r.comment for r in selectors.corrections_for(claim, until=later)] == [
        "Correction: the port is Rajin, not Najin.",
        "The denial was made on 14 Oct, not 15 Oct.",
    ]
    first_only = selectors.corrections_for(
        claim, until=later - timedelta(microseconds=1)
    )
    assert [r.comment for r in first_only] == [
        "Correction: the port is Rajin, not Najin."
    ]
