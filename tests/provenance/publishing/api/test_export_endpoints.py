import orjson
import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from prov.model import ProvDocument

from evidence.models import EvidenceKind, ImageDetail
from provenance.audit.models import AuditChainHead
from provenance.publishing import signing
from tests.factories import ClaimEvidenceFactory, ClaimFactory, EvidenceItemFactory
from tests.provenance.publishing.api.helpers import (
    made_public,
    make_publisher,
    published,
    publisher_client,
    rich_claim,
)

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_bulk_export_streams_one_readable_claim_per_line(team, other_team):
    claims = [rich_claim(team), published(team), published(team)]
    ClaimFactory(team=team, status="draft")
    published(other_team)
    response = publisher_client(make_publisher(team).key).get(
        reverse("api:export-claims")
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-ndjson"
    lines = _body(response).splitlines()
    assert [orjson.loads(line)["id"] for line in lines] == sorted(c.pk for c in claims)
    detail = publisher_client(make_publisher(team, name="Other").key).get(
        reverse("api:claim-detail", args=[claims[0].pk])
    )
    assert orjson.loads(lines[0]) == detail.json()


def test_bulk_export_batches_queries_by_chunk(
    team, monkeypatch, django_assert_max_num_queries
):
    from provenance.publishing.api.views import ClaimsExportView

    monkeypatch.setattr(ClaimsExportView, "chunk_size", 4)
    for _ in range(12):
        rich_claim(team)
    client = publisher_client(make_publisher(team).key)
    client.get(reverse("api:claim-list"))
    # Per chunk of 4: the claims and their prefetches (among them the cited
    # relationships of the ownership graph, issue 20, the links' captures, issue
    # 18, and the linked images' annotations, issue 21).
    with django_assert_max_num_queries(2 + 3 * 13):
        lines = _body(client.get(reverse("api:export-claims"))).splitlines()
    assert len(lines) == 12


def test_bulk_export_without_a_key_is_401(client, db):
    assert client.get(reverse("api:export-claims")).status_code == 401


def test_signed_bundle_verifies_with_the_well_known_key(team, client):
    rich_claim(team)
    response = publisher_client(make_publisher(team).key).get(
        reverse("api:export-bundle")
    )
    assert response.status_code == 200
    key_document = client.get(reverse("signing-key"))
    assert key_document.status_code == 200
    public_key = signing.load_public_key(key_document.content)
    result = signing.verify_bundle(response.content, public_key=public_key)
    assert result.is_valid, result.reason
    assert result.claim_count == 1
    payload = orjson.loads(response.content)["payload"]
    # Granting the key was the team's one recorded change.
    head = AuditChainHead.objects.get(team=team)
    assert head.seq == 1
    assert payload["audit_heads"] == [{"team": team.slug, "seq": 1, "hash": head.hash}]


def test_claimreview_endpoint_is_json_ld(team):
    claim = rich_claim(team)
    response = publisher_client(make_publisher(team).key).get(
        reverse("api:claim-claimreview", args=[claim.pk])
    )
    assert response["Content-Type"] == "application/ld+json"
    assert response.json()["@type"] == "ClaimReview"


def test_claimreview_url_is_the_publishers_page_when_it_gave_a_template(team):
    claim = rich_claim(team)
    url = reverse("api:claim-claimreview", args=[claim.pk])
    with_pages = make_publisher(
        team, claim_url_template="https://paper.example/{team}/fact-checks/{slug}"
    )
    review = publisher_client(with_pages.key).get(url).json()
    assert (
        review["url"] == f"https://paper.example/{team.slug}/fact-checks/{claim.slug}"
    )
    plain = publisher_client(make_publisher(team, name="Plain").key).get(url).json()
    assert plain["url"].endswith(f"/api/v1/claims/{claim.pk}/")


@pytest.mark.parametrize(
    "template",
    [
        "https://paper.example/fact-checks/",  # no {id} or {slug}
        "https://paper.example/{claim}",  # unknown placeholder
        "javascript:alert({id})",
        "https://paper.example/{slug",
        "/relative/{slug}",
    ],
)
def test_a_bad_claim_url_template_is_refused(team, template):
    from django.core.exceptions import ValidationError

    from provenance.publishing.models import Publisher

    with pytest.raises(ValidationError) as error:
        make_publisher(team, claim_url_template=template)
    assert "claim_url_template" in error.value.message_dict
    assert not Publisher.objects.exists()


def test_prov_endpoint_loads_back_with_prov(team):
    claim = rich_claim(team)
    response = publisher_client(make_publisher(team).key).get(
        reverse("api:claim-prov", args=[claim.pk])
    )
    document = ProvDocument.deserialize(content=response.content, format="json")
    identifiers = {
        record.identifier.uri for record in document.get_records() if record.identifier
    }
    assert f"http://testserver/api/v1/claim/{claim.pk}" in identifiers


def _thumbnail_item(team, *, is_restricted=False):
    item = EvidenceItemFactory(
        team=team, kind=EvidenceKind.IMAGE, is_restricted=is_restricted
    )
    detail = ImageDetail(item=item)
    detail.thumbnail.save("t.jpg", ContentFile(b"\xff\xd8\xff fake jpeg"), save=True)
    return item


def test_publisher_fetches_thumbnails_of_published_unrestricted_evidence_only(team):
    claim = published(team)
    shown = _thumbnail_item(team)
    hidden = _thumbnail_item(team, is_restricted=True)
    unlinked = _thumbnail_item(team)
    for item in (shown, hidden):
        ClaimEvidenceFactory(claim=claim, item=item)
    made_public(claim)
    later = _thumbnail_item(team)
    ClaimEvidenceFactory(claim=claim, item=later)  # not public until a correction
    client = publisher_client(make_publisher(team).key)
    detail = client.get(reverse("api:claim-detail", args=[claim.pk])).json()
    url = detail["evidence"][0]["evidence"]["thumbnail_url"]
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    for item in (hidden, unlinked, later):
        thumb = reverse("api:evidence-thumbnail", args=[item.pk])
        assert client.get(thumb).status_code == 404


def test_members_read_their_evidence_and_entities(reporter_client, team, other_team):
    mine = rich_claim(team)
    rich_claim(other_team)
    evidence = reporter_client.get(reverse("api:evidence-list")).json()["results"]
    assert {e["team"] for e in evidence} == {team.slug}
    assert len(evidence) == mine.evidence_links.count()
    ais = next(e for e in evidence if e["kind"] == "ais")
    assert ais["ais"]["port_calls"][0]["port_locode"] == "GBLON"
    entities = reporter_client.get(reverse("api:entity-list")).json()["results"]
    assert {e["name"] for e in entities} >= {"MV Example", "Port A"}


def test_well_known_key_is_public_and_cacheable(client, db):
    response = client.get(reverse("signing-key"))
    assert response.status_code == 200
    jwk = response.json()["keys"][0]
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    assert "max-age" in response["Cache-Control"]
