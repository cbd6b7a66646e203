"""Issue 15, problem 3: the version history page, with diffs of text, summary,
quantity, subjects, tags and the links made in between, each with who, when, why."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from provenance.claims import services
from provenance.claims.versions import claim_versions, word_diff
from tests.factories import EntityFactory, EvidenceItemFactory


def test_word_diff_marks_words_and_escapes_everything():
    assert word_diff("the <b>port</b> is Najin", "the <b>port</b> is Rajin") == (
        "the &lt;b&gt;port&lt;/b&gt; is <del>Najin</del><ins>Rajin</ins>"
    )


def make_history(team, reporter):
    rajin = EntityFactory(team=team, name="Rajin")
    najin = EntityFactory(team=team, name="Najin")
    claim = services.claim_create(
        team=team,
        actor=reporter,
        text="Ships left Najin",
        subjects=[najin],
        tag_names=["ports"],
    )
    item = EvidenceItemFactory(team=team, title="Port photo")
    services.evidence_attach(
        claim_id=claim.pk, item_id=item.pk, actor=reporter, relation="supports"
    )
    claim.refresh_from_db()
    services.claim_update(
        claim_id=claim.pk,
        actor=reporter,
        expected_version=claim.version,
        text="Ships left Rajin",
        summary="Seen <on> imagery.",
        quantity_amount=Decimal(1000),
        quantity_unit="containers",
        quantity_bound="at_least",
        subjects=[rajin],
        tag_names=["ports", "arms"],
        reason="The port was misnamed",
    )
    return claim


def test_versions_show_each_change_with_who_when_why(team, reporter):
    claim = make_history(team, reporter)
    versions = claim_versions(claim)
    assert [v.number for v in versions] == [3, 1]  # version 1's three rows once
    newest, first = versions
    assert (newest.by, newest.reason) == (
        reporter.get_username(),
        "The port was misnamed",
    )
    assert (first.reason, first.changes) == ("Created", [])
    assert [link.item.title for link in first.links] == ["Port photo"]
    changes = {c.label: c for c in newest.changes}
    assert list(changes) == ["Text", "Summary", "Quantity", "Subjects", "Tags"]
    assert changes["Text"].diff == "Ships left <del>Najin</del><ins>Rajin</ins>"
    assert changes["Summary"].diff == "<ins>Seen &lt;on&gt; imagery.</ins>"
    assert (changes["Quantity"].before, changes["Quantity"].after) == (
        "—",
        "at least 1,000 containers",
    )
    assert changes["Subjects"].diff == "− Najin; + Rajin"
    assert changes["Tags"].diff == "+ arms"


def test_versions_page_for_members_only_in_fixed_queries(
    reporter_client, outsider_client, team, reporter
):
    claim = make_history(team, reporter)
    url = reverse("provenance:claim-versions", args=[claim.pk])
    reporter_client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = reporter_client.get(url, {"n": 1}).content.decode()
    assert "Ships left <del>Najin</del><ins>Rajin</ins>" in page
    assert "Seen &lt;on&gt; imagery." in page
    assert "The port was misnamed" in page
    for n in range(4):
        claim.refresh_from_db()
        services.claim_update(
            claim_id=claim.pk,
            actor=reporter,
            expected_version=claim.version,
            text=f"Ships left Rajin ({n})",
        )
    with CaptureQueriesContext(connection) as many:
        page = reporter_client.get(url, {"n": 2}).content.decode()
    assert page.count('class="card version"') == 6
    assert len(many) == len(few)
    assert outsider_client.get(url).status_code == 404
