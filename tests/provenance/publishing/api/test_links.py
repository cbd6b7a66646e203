"""Issue 15, problem 1 through the API: team members link evidence, change a link's
relation, stance or note, or unlink it, each with its reason, through the same
services as the pages (history, audit row, a new claim version). Another team
finds nothing; publishers may not write; bad input is a 400 with its field."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from provenance.audit.models import AuditEvent
from provenance.claims.models import ClaimEvidence
from provenance.claims.services import CONTRADICTION_REFUSED
from tests.factories import (
    ClaimFactory,
    EvidenceItemFactory,
    StatementFactory,
)
from tests.provenance.publishing.api.helpers import make_publisher, publisher_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim(team, reporter):
    return ClaimFactory(team=team, author=reporter, status="draft")


@pytest.fixture
def denial(team):
    return StatementFactory(item__team=team, item__title="Ministry denial").item


def links_url(claim):
    return reverse("api:claim-links", args=[claim.pk])


def post(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_link_change_unlink_and_list_every_version(
    reporter_client, reporter, claim, denial
):
    photo = EvidenceItemFactory(team=claim.team, title="Quay photo")
    response = post(
        reporter_client,
        links_url(claim),
        {"evidence": denial.pk, "relation": "supports", "stance": "denies"},
    )
    # A denial that supports is refused without a confirmation.
    assert response.status_code == 400
    assert response.json() == {"stance": [CONTRADICTION_REFUSED]}
    assert ClaimEvidence.objects.count() == 0

    first = post(
        reporter_client,
        links_url(claim),
        {"evidence": denial.pk, "relation": "contradicts", "stance": "denies"},
    )
    assert first.status_code == 201
    link = first.json()
    assert (link["evidence_id"], link["relation"], link["stance"]) == (
        denial.pk,
        "contradicts",
        "denies",
    )
    assert (link["unlinked_at"], link["replaces"], link["linked_by"]) == (
        None,
        None,
        reporter.username,
    )
    photo_link = post(
        reporter_client,
        links_url(claim),
        {"evidence": photo.pk, "relation": "supports"},
    ).json()

    change_url = reverse("api:claim-link-change", args=[claim.pk, link["id"]])
    changed = reporter_client.patch(
        change_url,
        {"stance": "declines_to_comment", "reason": "They declined, not denied"},
        content_type="application/json",
    )
    assert changed.status_code == 200
    new = changed.json()
    assert (new["replaces"], new["stance"], new["relation"], new["reason"]) == (
        link["id"],
        "declines_to_comment",
        "contradicts",
        "They declined, not denied",
    )
    # The ended version cannot be changed again.
    again = reporter_client.patch(
        change_url, {"note": "x", "reason": "y"}, content_type="application/json"
    )
    assert again.status_code == 400
    assert again.json() == {
        "detail": "This link version has ended: change the current one."
    }

    unlink_url = reverse("api:claim-link-unlink", args=[claim.pk, photo_link["id"]])
    assert post(reporter_client, unlink_url, {}).json() == {
        "reason": ["This field is required."]
    }
    ended = post(reporter_client, unlink_url, {"reason": "Another ship"}).json()
    assert (ended["unlink_reason"], ended["unlinked_by"]) == (
        "Another ship",
        reporter.username,
    )

    listed = reporter_client.get(links_url(claim)).json()
    assert [(row["id"], row["unlinked_at"] is None) for row in listed] == [
        (link["id"], False),
        (photo_link["id"], False),
        (new["id"], True),
    ]
    actions = list(
        AuditEvent.objects.filter(object_id=str(claim.pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions[-4:] == [
        "claim.evidence_attach",
        "claim.evidence_attach",
        "claim.evidence_change",
        "claim.evidence_unlink",
    ]


def test_the_list_takes_a_fixed_number_of_queries(reporter_client, claim, team):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert reporter_client.get(links_url(claim)).status_code == 200
        return len(queries)

    post(
        reporter_client,
        links_url(claim),
        {"evidence": EvidenceItemFactory(team=team).pk, "relation": "context"},
    )
    one = count()
    for _ in range(5):
        post(
            reporter_client,
            links_url(claim),
            {"evidence": EvidenceItemFactory(team=team).pk, "relation": "context"},
        )
    assert count() == one


def test_another_teams_item_is_answered_as_missing(reporter_client, claim, other_team):
    foreign = EvidenceItemFactory(team=other_team)
    response = post(
        reporter_client,
        links_url(claim),
        {"evidence": foreign.pk, "relation": "context"},
    )
    assert response.status_code == 400
    assert response.json() == {"item": ["No evidence item with this id in the team."]}
    missing = post(
        reporter_client, links_url(claim), {"evidence": 10**9, "relation": "context"}
    )
    assert missing.json() == response.json()
    assert ClaimEvidence.objects.count() == 0


def test_another_team_cannot_change_or_unlink(outsider_client, claim, denial, editor):
    from provenance.claims import services

    link = services.evidence_attach(
        claim_id=claim.pk, item_id=denial.pk, actor=editor, relation="context"
    )
    change = reverse("api:claim-link-change", args=[claim.pk, link.pk])
    unlink = reverse("api:claim-link-unlink", args=[claim.pk, link.pk])
    assert (
        outsider_client.patch(
            change, {"note": "x", "reason": "y"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert post(outsider_client, unlink, {"reason": "y"}).status_code == 404
    assert outsider_client.get(links_url(claim)).status_code == 404
    link.refresh_from_db()
    assert (link.unlinked_at, link.note) == (None, "")


def test_a_link_id_of_another_claim_is_404(reporter_client, claim, denial, editor):
    from provenance.claims import services

    other = ClaimFactory(team=claim.team)
    link = services.evidence_attach(
        claim_id=other.pk, item_id=denial.pk, actor=editor, relation="context"
    )
    url = reverse("api:claim-link-unlink", args=[claim.pk, link.pk])
    assert post(reporter_client, url, {"reason": "y"}).status_code == 404


def test_publishers_cannot_write_links(team, claim, denial):
    client = publisher_client(make_publisher(team).key)
    response = post(
        client, links_url(claim), {"evidence": denial.pk, "relation": "context"}
    )
    assert response.status_code == 403
    assert ClaimEvidence.objects.count() == 0
