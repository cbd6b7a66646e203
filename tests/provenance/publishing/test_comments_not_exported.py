"""Comments are internal to the team: no publisher endpoint, export, bundle or
dossier carries them, and neither does the members' API."""

import pytest
from django.urls import reverse

from provenance.claims import comments
from tests.provenance.publishing.api.helpers import (
    make_publisher,
    publisher_client,
    rich_claim,
)

pytestmark = pytest.mark.django_db

MARK = "zq9-internal-remark"


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.fixture
def commented(team, reporter):
    claim = rich_claim(team)
    comments.comment_create(actor=reporter, claim_id=claim.pk, body=f"{MARK} claim")
    item = claim.evidence_links.current().select_related("item").first().item
    comments.comment_create(actor=reporter, item_id=item.pk, body=f"{MARK} item")
    return claim, item


def test_publisher_api_and_exports_never_include_comments(commented, team):
    claim, _ = commented
    client = publisher_client(make_publisher(team).key)
    urls = [
        reverse("api:claim-list"),
        reverse("api:claim-detail", args=[claim.pk]),
        reverse("api:export-claims"),
        reverse("api:export-bundle"),
        f"/api/v1/claims/{claim.pk}/claimreview/",
        f"/api/v1/claims/{claim.pk}/prov/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert MARK not in _body(response), url


def test_members_api_and_dossier_never_include_comments(commented, client, reporter):
    claim, item = commented
    client.force_login(reporter)
    for url in (
        reverse("api:claim-detail", args=[claim.pk]),
        reverse("api:evidence-detail", args=[item.pk]),
        reverse("api:export-bundle"),
        reverse("provenance:claim-dossier", args=[claim.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert MARK not in _body(response), url
    # The claim page itself does show them: the mark is real.
    assert MARK in client.get(claim.get_absolute_url()).content.decode()
