"""Importing fact-checks (issue 20): schema.org's own ClaimReview examples, a Fact
Check Tools response, similar claims, refusals, team scoping, the web form, the API
and the command."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from provenance.audit.models import AuditEvent
from provenance.claims.models import Claim, ExternalVerdict, SameClaimLink
from provenance.claims.services import claim_create
from provenance.claims.verdicts import claim_same_as_link
from provenance.entities.models import Entity, EntityKind
from provenance.entities.services import entity_create
from provenance.publishing.factcheck_import import factcheck_import
from provenance.publishing.factcheck_parse import MAX_BYTES
from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

REAL = Path(__file__).parents[2] / "data" / "real" / "claimreview"
DATA = Path(__file__).parents[2] / "data" / "claimreview"
PERRY = REAL / "schemaorg_eg-0324.html"
OBAMA = REAL / "schemaorg_eg-0325.html"
TOOLS = DATA / "factcheck_tools_claims_search.json"
PERRY_TEXT = (
    'More than 3,000 homicides were committed by "illegal aliens" over the past '
    "six years."
)
PERRY_REVIEW = (
    "http://www.politifact.com/texas/statements/2014/jul/23/rick-perry/"
    "rick-perry-claim-about-3000-homicides-illegal-immi/"
)
API = "/api/v1/claims/import/claimreview/"


def _block(path: Path) -> str:
    """The JSON inside the example's <script> element, read without our parser."""
    text = path.read_text()
    return text[text.index("{") : text.rindex("}") + 1]


def test_schemaorg_example_imports_as_draft_with_text_appearance_claimant_rating(
    team, reporter
):
    perry = entity_create(
        team=team, actor=reporter, kind=EntityKind.PERSON, name="Rich Perry"
    )
    [entry] = factcheck_import(team=team, actor=reporter, data=PERRY.read_bytes())
    claim = Claim.objects.get(pk=entry.claim.pk)
    source = json.loads(_block(PERRY))
    assert claim.text == source["claimReviewed"] == PERRY_TEXT
    assert claim.status == "draft"
    assert claim.author == reporter
    assert claim.first_appearance_at == datetime(2014, 7, 17, tzinfo=UTC)
    assert claim.first_appearance_source == (
        "Rich Perry — The St. Petersburg Times interview [...]"
    )
    assert claim.first_appearance_url == ""
    assert claim.first_appearance_entity == perry
    assert list(claim.subjects.all()) == [perry]
    assert entry.is_new_claimant is False
    [verdict] = ExternalVerdict.objects.filter(claim=claim)
    assert (
        verdict.rating_text,
        verdict.rating_value,
        verdict.best_rating,
        verdict.worst_rating,
    ) == ("True", "1", "6", "")
    assert verdict.rating_display == "True (1 of 6)"
    assert verdict.reviewer_url == "http://www.politifact.com/"
    assert verdict.review_url == PERRY_REVIEW == source["url"]
    assert verdict.reviewed_at == datetime(2014, 7, 23, tzinfo=UTC)
    assert verdict.source_format == "claimreview"
    assert verdict.history.count() == 1
    assert list(
        AuditEvent.objects.filter(object_id=str(claim.pk), action__startswith="claim.")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["claim.create", "claim.external_verdict"]


def test_claimant_not_found_is_created_when_asked(team, reporter):
    [entry] = factcheck_import(
        team=team, actor=reporter, data=PERRY.read_bytes(), create_claimants=True
    )
    assert entry.is_new_claimant is True
    assert (entry.claimant.name, entry.claimant.kind) == ("Rich Perry", "person")
    assert entry.claim.first_appearance_entity == entry.claimant


def test_claimant_not_found_is_kept_as_a_name_by_default(team, reporter):
    [entry] = factcheck_import(team=team, actor=reporter, data=PERRY.read_bytes())
    assert entry.claimant is None
    assert entry.claimant_name == "Rich Perry"
    assert Entity.objects.count() == 0


def test_clip_example_appearance_is_the_video(team, reporter):
    [entry] = factcheck_import(team=team, actor=reporter, data=OBAMA.read_bytes())
    assert (
        entry.claim.first_appearance_url
        == "https://www.youtube.com/watch?v=B_889oBKkNU"
    )
    assert entry.claim.first_appearance_at == datetime(2009, 6, 4, tzinfo=UTC)
    assert entry.claim.first_appearance_source == (
        "Barack Obama — President Obama Speech to Muslim World in Cairo"
    )
    [verdict] = entry.verdicts
    assert verdict.rating_display == ""
    assert verdict.review_url == "http://danbri.org/2017/TODO"


def test_claimreview_with_appearances_and_graph(team, reporter):
    document = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebPage", "name": "not a review"},
            {
                "@type": ["ClaimReview"],
                "claimReviewed": "The bridge was closed for a year.",
                "author": {"@type": "Organization", "name": "Synthetic Checks"},
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": "2",
                    "bestRating": "5",
                    "worstRating": "1",
                    "alternateName": "Mostly false",
                },
                "itemReviewed": {
                    "@type": "Claim",
                    "author": {"@type": "Organization", "name": "Example Council"},
                    "firstAppearance": {
                        "@type": "CreativeWork",
                        "url": "https://first.example.org/post",
                        "datePublished": "2024-02-01T09:00:00+01:00",
                    },
                    "appearance": [
                        "https://first.example.org/post",
                        {"@type": "CreativeWork", "url": "https://b.example.org/x"},
                    ],
                },
            },
        ],
    }
    [entry] = factcheck_import(team=team, actor=reporter, data=json.dumps(document))
    claim = entry.claim
    assert claim.first_appearance_url == "https://first.example.org/post"
    assert claim.first_appearance_at == datetime(2024, 2, 1, 8, tzinfo=UTC)
    assert claim.summary == (
        "Imported from a fact-check (schema.org ClaimReview).\n"
        "Also appeared at:\n- https://b.example.org/x"
    )
    assert entry.verdicts[0].rating_display == "Mostly false (2 of 5 (worst 1))"
    assert entry.verdicts[0].reviewer_name == "Synthetic Checks"


def test_factcheck_tools_response_imports_each_claim(team, reporter):
    imported = factcheck_import(team=team, actor=reporter, data=TOOLS.read_bytes())
    source = json.loads(TOOLS.read_text())
    assert [e.claim.text for e in imported] == [c["text"] for c in source["claims"]]
    assert [e.claimant_name for e in imported] == [
        "Example Shipping Watch",
        "Port Example Authority",
    ]
    first, second = imported
    assert first.claim.first_appearance_at == datetime(2024, 3, 20, tzinfo=UTC)
    assert [
        (v.reviewer_name, v.reviewer_url, v.rating_text, v.language)
        for v in first.verdicts
    ] == [
        ("Example Fact Desk", "https://factdesk.example.org", "Mostly true", "en"),
        ("Other Example Checker", "https://checker.example.net", "Half true", "en"),
    ]
    assert first.verdicts[0].reviewed_at == datetime(2024, 3, 25, 10, 30, tzinfo=UTC)
    assert first.verdicts[0].review_title == (
        "Did the Example Star go dark for nine days?"
    )
    assert [v.rating_text for v in second.verdicts] == ["False"]
    assert ExternalVerdict.objects.filter(source_format="factcheck_tools").count() == 3
    assert Claim.objects.filter(status="draft").count() == 2


def test_similar_claims_of_the_team_are_proposed_and_others_not(
    team, other_team, reporter, outsider
):
    ours = claim_create(
        team=team,
        actor=reporter,
        text="Illegal aliens committed more than 3,000 homicides in Texas",
    )
    claim_create(team=team, actor=reporter, text="The ferry sank near the harbour")
    # Shares only common words ("more than", "over the past six years"): not proposed.
    claim_create(
        team=team,
        actor=reporter,
        text="More than 1,000 containers were shipped over the past six years",
    )
    claim_create(
        team=other_team,
        actor=outsider,
        text="More than 3,000 homicides were committed by illegal aliens",
    )
    [entry] = factcheck_import(team=team, actor=reporter, data=PERRY.read_bytes())
    assert [s.claim_id for s in entry.similar] == [ours.pk]
    assert entry.similar[0].text == ours.text


def test_same_claim_link_is_stored_once_and_audited(team, reporter):
    ours = claim_create(
        team=team,
        actor=reporter,
        text="Illegal aliens committed 3,000 homicides in Texas",
    )
    [entry] = factcheck_import(team=team, actor=reporter, data=PERRY.read_bytes())
    link = claim_same_as_link(
        team=team, actor=reporter, claim_id=entry.claim.pk, same_as_id=ours.pk
    )
    again = claim_same_as_link(
        team=team, actor=reporter, claim_id=ours.pk, same_as_id=entry.claim.pk
    )
    assert again.pk == link.pk
    assert (link.claim_id, link.same_as_id) == (ours.pk, entry.claim.pk)
    assert SameClaimLink.objects.count() == 1
    assert AuditEvent.objects.filter(action="claim.same_as").count() == 2
    with pytest.raises(ValidationError):
        claim_same_as_link(
            team=team, actor=reporter, claim_id=ours.pk, same_as_id=ours.pk
        )


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"@type": "ClaimReview", ', "The document is not valid JSON: Expecting"),
        (b"[" * 100 + b"]" * 100, "The document nests more than 64 levels deep."),
        (b" " * (MAX_BYTES + 1), "The input is 2,097,153 bytes; at most 2,097,152"),
        (b"\xff\xfe{}", "The input is not UTF-8 text (byte 0)."),
        (b"", "The input is empty."),
        (b"<html><p>no data</p></html>", 'The page has no <script type="application'),
        (b'{"@type": "WebPage"}', "No ClaimReview and no Fact Check Tools claim"),
        (
            b'{"@type": "ClaimReview", "itemReviewed": {}}',
            "ClaimReview 1 has no claimReviewed (the claim's text).",
        ),
        (
            b'{"@type": "ClaimReview", "claimReviewed": "x", "url": "javascript:1"}',
            "ClaimReview 1 url is not an http(s) URL: 'javascript:1'.",
        ),
        (
            b'{"@type": "ClaimReview", "claimReviewed": "x", "datePublished": "soon"}',
            "ClaimReview 1 datePublished is not an ISO 8601 date: 'soon'.",
        ),
        (b'{"claims": [{"text": ""}]}', "claims[0] has no text."),
        (b'{"claims": {}}', '"claims" is not a list.'),
    ],
)
def test_bad_input_is_refused_with_its_reason_and_nothing_written(
    team, reporter, data, reason
):
    with pytest.raises(ValidationError) as refused:
        factcheck_import(team=team, actor=reporter, data=data)
    assert refused.value.message_dict["document"][0].startswith(reason)
    assert Claim.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_bad_review_after_good_ones_writes_nothing(team, reporter):
    good = json.loads(_block(PERRY))
    bad = {**good, "datePublished": "23/07/2014"}
    with pytest.raises(ValidationError):
        factcheck_import(team=team, actor=reporter, data=json.dumps([good, bad]))
    assert Claim.objects.count() == 0
    assert ExternalVerdict.objects.count() == 0


def test_html_blocks_are_read_with_an_html_parser(team, reporter):
    review = _block(PERRY)
    page = (
        "<!doctype html><html><head><title>t</title>"
        f"<!-- <script type='application/ld+json'>{{\"claims\": 1}}</script> -->"
        "<script type='application/ld+json; charset=utf-8'>"
        f"{review}</script></head><body><p data-x='<script>'>x</p></body></html>"
    )
    [entry] = factcheck_import(team=team, actor=reporter, data=page)
    assert entry.claim.text == PERRY_TEXT


def test_publishers_and_outsiders_cannot_import(team, other_team, outsider):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        factcheck_import(team=team, actor=outsider, data=PERRY.read_bytes())
    assert Claim.objects.count() == 0


# --- web ------------------------------------------------------------------------------


def test_import_form_creates_draft_and_lists_similar(reporter_client, team, reporter):
    ours = claim_create(
        team=team,
        actor=reporter,
        text="Illegal aliens committed 3,000 homicides in Texas",
    )
    page = reporter_client.get(reverse("provenance:factcheck-import"))
    assert page.status_code == 200
    assert "Import a fact-check" in page.content.decode()
    response = reporter_client.post(
        reverse("provenance:factcheck-import"),
        {"text": PERRY.read_text(), "create_claimants": "on"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Imported 1 draft claim" in body
    assert "Same claim as this" in body
    imported = Claim.objects.exclude(pk=ours.pk).get()
    assert f'value="{ours.pk}"' in body
    assert imported.first_appearance_entity.name == "Rich Perry"


def test_import_form_refuses_bad_input_with_reason(reporter_client):
    response = reporter_client.post(
        reverse("provenance:factcheck-import"), {"text": "{nope"}
    )
    assert response.status_code == 400
    assert "is not valid JSON" in response.content.decode()
    assert Claim.objects.count() == 0


def test_import_form_needs_exactly_one_source(reporter_client):
    response = reporter_client.post(reverse("provenance:factcheck-import"), {})
    assert response.status_code == 400
    assert "Give one source" in response.content.decode()


def test_claim_page_shows_external_verdicts_and_same_claims(
    reporter_client, team, reporter, django_assert_max_num_queries
):
    ours = claim_create(
        team=team,
        actor=reporter,
        text="Illegal aliens committed 3,000 homicides in Texas",
    )
    [entry] = factcheck_import(team=team, actor=reporter, data=PERRY.read_bytes())
    response = reporter_client.post(
        reverse("provenance:claim-same-as", args=[entry.claim.pk]),
        {"same_as": ours.pk},
    )
    assert response.status_code == 302
    plain = claim_create(team=team, actor=reporter, text="A plain claim")
    reporter_client.get(plain.get_absolute_url())  # shows the flash message
    # A plain claim's page reads 20 (test_evidence_link_views: with the cited
    # relationships and the counted annotations); verdicts and the linked claims
    # one query each.
    with django_assert_max_num_queries(22):
        page = reporter_client.get(entry.claim.get_absolute_url())
    body = page.content.decode()
    assert "Other fact-checkers" in body
    assert "True (1 of 6)" in body
    assert PERRY_REVIEW in body
    assert "Same claim as" in body
    assert ours.get_absolute_url() in body


def test_another_team_sees_nothing(outsider_client, team, reporter):
    [entry] = factcheck_import(team=team, actor=reporter, data=PERRY.read_bytes())
    assert outsider_client.get(entry.claim.get_absolute_url()).status_code == 404
    response = outsider_client.post(
        reverse("provenance:claim-same-as", args=[entry.claim.pk]),
        {"same_as": entry.claim.pk},
    )
    assert response.status_code == 404


# --- API and command ------------------------------------------------------------------


def test_api_imports_for_members(reporter_client, team, reporter):
    response = reporter_client.post(
        API + "?create_claimants=true",
        data=PERRY.read_bytes(),
        content_type="text/html",
    )
    assert response.status_code == 201
    [claim] = response.json()["claims"]
    assert claim["text"] == PERRY_TEXT
    assert claim["status"] == "draft"
    assert claim["claimant"]["name"] == "Rich Perry"
    assert claim["claimant"]["is_new"] is True
    assert claim["external_verdicts"][0]["rating_text"] == "True"
    assert claim["external_verdicts"][0]["reviewed_at"] == "2014-07-23T00:00:00Z"
    response = reporter_client.post(
        API, data=TOOLS.read_bytes(), content_type="application/json"
    )
    assert response.status_code == 201
    assert len(response.json()["claims"]) == 2


def test_api_refuses_bad_input_with_reason(reporter_client):
    response = reporter_client.post(
        API, data=b"[" * 1000, content_type="application/ld+json"
    )
    assert response.status_code == 400
    assert response.json()["document"] == [
        "The document nests more than 64 levels deep."
    ]
    assert Claim.objects.count() == 0


def test_api_refuses_publishers(team):
    issued = make_publisher(team)
    response = publisher_client(issued.key).post(
        API, data=PERRY.read_bytes(), content_type="text/html"
    )
    assert response.status_code == 403
    assert Claim.objects.count() == 0


def test_command_imports_and_prints_json(team, reporter, tmp_path):
    from tests.factories import MembershipFactory

    MembershipFactory(team=team, role="editor")
    out = StringIO()
    call_command(
        "import_claimreview", str(TOOLS), "--team", team.slug, "--json", stdout=out
    )
    result = json.loads(out.getvalue())
    assert [c["claimant_name"] for c in result["claims"]] == [
        "Example Shipping Watch",
        "Port Example Authority",
    ]


def test_command_refuses_bad_file(team, reporter, tmp_path):
    from django.core.management.base import CommandError

    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command(
            "import_claimreview",
            str(bad),
            "--team",
            team.slug,
            "--user",
            reporter.username,
        )


def _capture_with_dom(team, html: bytes):
    from django.core.files.base import ContentFile

    from evidence.models import CaptureFile, WebCapture
    from tests.factories import EvidenceItemFactory

    item = EvidenceItemFactory(team=team, kind="link", title="Fact-check page")
    capture = WebCapture.objects.create(
        item=item, requested_url="https://factcheck.example.org/perry"
    )
    dom = CaptureFile(
        capture=capture,
        role=CaptureFile.Role.DOM,
        sha256="0" * 64,
        size_bytes=len(html),
        mime_type="text/html",
    )
    dom.file.save("dom.html", ContentFile(html), save=False)
    dom.save()
    return capture


def test_import_form_reads_a_web_capture_dom(reporter_client, team):
    page = b"<html><body><h1>Check</h1>" + PERRY.read_bytes() + b"</body></html>"
    capture = _capture_with_dom(team, page)
    form = reporter_client.get(reverse("provenance:factcheck-import"))
    assert f'<option value="{capture.pk}">' in form.content.decode()
    response = reporter_client.post(
        reverse("provenance:factcheck-import"), {"capture": capture.pk}
    )
    assert response.status_code == 200
    assert Claim.objects.get().text == PERRY_TEXT


def test_another_teams_capture_is_not_read(outsider_client, team):
    capture = _capture_with_dom(team, PERRY.read_bytes())
    form = outsider_client.get(reverse("provenance:factcheck-import"))
    assert f'value="{capture.pk}"' not in form.content.decode()
    response = outsider_client.post(
        reverse("provenance:factcheck-import"), {"capture": capture.pk}
    )
    assert response.status_code == 400
    assert Claim.objects.count() == 0


def test_import_form_takes_a_fact_check_tools_file(reporter_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile(
        "claims.json", TOOLS.read_bytes(), content_type="application/json"
    )
    response = reporter_client.post(
        reverse("provenance:factcheck-import"), {"file": upload}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Imported 2 draft claims" in body
    assert "Example Fact Desk: Mostly true" in body
    assert "Port Example Authority <span" in body
