from datetime import timedelta

import orjson
import pytest
from django.utils import timezone
from prov.model import ProvDocument

from provenance.claims.models import Claim
from provenance.publishing.exports import (
    builders,
    bundles,
    claimreview,
    native,
    prov,
    queries,
    shapes,
)
from tests.factories import AssessmentFactory
from tests.provenance.publishing.api.helpers import made_public, published, rich_claim

pytestmark = pytest.mark.django_db

URLS_BASE = "https://provenance.example.org"


def _export(claim, *, public=True):
    loaded = queries.with_export_relations(
        Claim.objects.filter(pk=claim.pk), public=public
    ).get()
    return builders.claim_export(
        loaded, public=public, urls=builders.ExportUrls(URLS_BASE)
    )


def test_claim_review_has_the_required_and_recommended_fields(team):
    review = claimreview.claim_review(_export(rich_claim(team)))
    assert review["@context"] == "https://schema.org"
    assert review["@type"] == "ClaimReview"
    # Required.
    assert review["claimReviewed"].startswith("Claim number")
    assert review["url"].startswith(f"{URLS_BASE}/api/v1/claims/")
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating"
    assert rating["alternateName"] == "Very likely"
    assert (rating["ratingValue"], rating["worstRating"], rating["bestRating"]) == (
        6,
        1,
        7,
    )
    # Recommended.
    assert review["author"] == {"@type": "Organization", "name": team.name}
    assert (
        review["datePublished"]
        == (timezone.now() - timedelta(days=2)).date().isoformat()
    )
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {"@type": "Organization", "name": "Ministry"}
    assert (
        item["datePublished"]
        == (timezone.now() - timedelta(days=30)).date().isoformat()
    )
    assert item["firstAppearance"] == {
        "@type": "CreativeWork",
        "url": "https://example.org/press/1",
    }
    assert item["appearance"] == [item["firstAppearance"]]
    assert review["reviewBody"] == "Correction: The tonnage was misstated."


def test_rating_follows_the_assessment_in_force_not_the_last_recorded(team):
    claim = published(team)
    now = timezone.now()
    AssessmentFactory(claim=claim, level="unlikely", effective_at=now)
    # Recorded later, but speaks for an earlier date: not in force.
    AssessmentFactory(
        claim=claim, level="almost_certain", effective_at=now - timedelta(days=9)
    )
    made_public(claim)
    rating = claimreview.claim_review(_export(claim))["reviewRating"]
    assert (rating["alternateName"], rating["ratingValue"]) == ("Unlikely", 3)


def test_claim_review_of_an_unassessed_claim_still_names_a_rating(team):
    rating = claimreview.claim_review(_export(published(team)))["reviewRating"]
    assert rating == {"@type": "Rating", "alternateName": "Not assessed"}


def test_prov_json_loads_back_with_the_prov_reader(team):
    claim = rich_claim(team)
    urls = builders.ExportUrls(URLS_BASE)
    text = prov.prov_json(_export(claim), urls=urls)
    document = ProvDocument.deserialize(content=text, format="json")
    ns = f"{URLS_BASE}/api/v1/"
    ids = {r.identifier.uri for r in document.get_records() if r.identifier}
    assert {
        f"{ns}claim/{claim.pk}",
        f"{ns}team/{team.slug}",
        f"{ns}publishing/{claim.pk}",
    } <= ids
    kinds = {type(r).__name__ for r in document.get_records()}
    assert {"ProvEntity", "ProvActivity", "ProvAgent"} <= kinds
    assert {"ProvDerivation", "ProvAttribution", "ProvGeneration"} <= kinds
    restricted = claim.evidence_links.get(item__is_restricted=True).item_id
    assert f"{ns}evidence/{restricted}" not in ids
    assert claim.author.username not in text


def test_native_json_keeps_keys_and_order_stable(team):
    full = orjson.loads(native.native_bytes(_export(rich_claim(team))))
    bare = orjson.loads(native.native_bytes(_export(published(team))))
    assert list(full) == list(bare)
    assert list(full) == list(shapes.ClaimExport.__dataclass_fields__)
    assert bare["quantity"] is None
    assert bare["confidence"] is None
    assert bare["evidence"] == []


def test_datetimes_are_utc_with_z(team):
    data = orjson.loads(native.native_bytes(_export(published(team))))
    assert data["created_at"].endswith("Z")


def test_bundle_payload_has_claims_heads_and_time(team):
    rich_claim(team)
    payload = bundles.bundle_payload(
        claims=Claim.objects.filter(team=team),
        public=True,
        urls=builders.ExportUrls(),
        teams=[team],
    )
    assert payload["kind"] == "provenance.bundle"
    assert payload["created_at"].endswith("Z")
    assert len(payload["claims"]) == 1
    assert payload["claims"][0]["url"].startswith("/api/v1/claims/")
    assert payload["audit_heads"][0]["team"] == team.slug


def test_every_export_carries_each_correction_with_its_note(team):
    """Issue 15, problem 3: the corrections log in the native JSON, ClaimReview's
    reviewBody (said once, not "Correction: Correction: …") and PROV."""
    import orjson
    from django.urls import reverse

    from provenance.claims import services
    from tests.factories import EvidenceItemFactory, MembershipFactory
    from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

    reporter = MembershipFactory(team=team, role="reporter").user
    editor = MembershipFactory(team=team, role="editor").user
    other = MembershipFactory(team=team, role="editor").user
    claim = services.claim_create(team=team, actor=reporter, text="A ship sailed")
    item = EvidenceItemFactory(team=team)
    services.evidence_attach(
        claim_id=claim.pk, item_id=item.pk, actor=reporter, relation="supports"
    )
    services.confidence_assess(
        claim_id=claim.pk, actor=reporter, level="likely", rationale="R"
    )
    for step, actor in (
        (services.claim_submit, reporter),
        (services.claim_approve, editor),
        (services.claim_publish, editor),
    ):
        claim.refresh_from_db()
        kwargs = (
            {} if step is services.claim_submit else {"expected_version": claim.version}
        )
        step(claim_id=claim.pk, actor=actor, **kwargs)
    for note in ("Correction: the date was 12 Oct.", "The port is Rajin."):
        claim.refresh_from_db()
        services.claim_correct(
            claim_id=claim.pk,
            actor=other,
            expected_version=claim.version,
            correction_note=note,
        )
    client = publisher_client(make_publisher(team).key)
    native = client.get(reverse("api:claim-detail", args=[claim.pk])).json()
    assert [c["note"] for c in native["review"]["corrections"]] == [
        "Correction: the date was 12 Oct.",
        "The port is Rajin.",
    ]
    assert native["review"]["correction_note"] == "The port is Rajin."
    review = client.get(reverse("api:claim-claimreview", args=[claim.pk])).json()
    assert review["reviewBody"] == "Correction: The port is Rajin."
    prov = orjson.loads(client.get(reverse("api:claim-prov", args=[claim.pk])).content)
    labels = sorted(
        a["prov:label"]
        for a in prov["activity"].values()
        if a.get("prov:type")
        in ("pv:Correction", {"$": "pv:Correction", "type": "prov:QUALIFIED_NAME"})
    )
    assert labels == ["Correction: the date was 12 Oct.", "The port is Rajin."]


@pytest.mark.parametrize("public", [True, False])
def test_the_bulk_loader_builds_what_the_prefetches_build(team, public):
    made_public(rich_claim(team))
    published(team)
    rich_claim(team, status="draft")
    claims = Claim.objects.filter(team=team)
    urls = builders.ExportUrls(URLS_BASE)

    def lines(*, bulk):
        exports = builders.iter_claim_exports(
            claims, public=public, urls=urls, chunk_size=2, bulk=bulk
        )
        return list(native.jsonl_lines(exports))

    assert lines(bulk=True) == lines(bulk=False)
