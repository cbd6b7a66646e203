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
