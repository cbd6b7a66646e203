from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AssessmentFactory, ClaimEvidenceFactory, ClaimFactory
from tests.provenance.publishing.api.helpers import (
    make_publisher,
    publisher_client,
    relabelled_claim,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(team):
    """Drafted 10 days ago, published 5 days ago as v1, edited to v2 yesterday."""
    now = timezone.now()
    claim = ClaimFactory(team=team, text="v0 draft wording", status="draft")
    claim.history.update(history_date=now - timedelta(days=10))
    claim.text, claim.status = "v1 published wording", "published"
    claim.published_at = claim.public_content_at = now - timedelta(days=5)
    claim._history_date = now - timedelta(days=5)
    claim.save()
    claim.text = "v2 edited wording"
    claim._history_date = now - timedelta(days=1)
    claim.save()
    early = ClaimEvidenceFactory(claim=claim, linked_at=now - timedelta(days=6))
    ClaimEvidenceFactory(claim=claim, linked_at=now - timedelta(days=1))
    for level, days in (("likely", 6), ("very_likely", 1)):
        AssessmentFactory(
            claim=claim,
            level=level,
            recorded_at=now - timedelta(days=days),
            effective_at=now - timedelta(days=days),
        )
    return claim, early, now


def _get(client, claim, **params):
    return client.get(reverse("api:claim-detail", args=[claim.pk]), params)


def test_as_of_shows_the_claim_as_published_then(team, history):
    claim, early, now = history
    client = publisher_client(make_publisher(team).key)
    day = (now - timedelta(days=3)).date()
    data = _get(client, claim, as_of=day.isoformat()).json()
    assert data["text"] == "v1 published wording"
    assert data["confidence"]["level"] == "likely"
    assert [link["evidence"]["id"] for link in data["evidence"]] == [early.item_id]
    assert data["as_of"].startswith(day.isoformat())
    current = _get(client, claim).json()
    assert (current["text"], current["as_of"]) == ("v2 edited wording", None)


def test_publishers_get_404_before_publication(team, history):
    claim, _, now = history
    client = publisher_client(make_publisher(team).key)
    response = _get(client, claim, as_of=(now - timedelta(days=7)).date().isoformat())
    assert response.status_code == 404


def test_members_see_the_draft_as_it_stood(reporter_client, history):
    claim, _, now = history
    data = _get(
        reporter_client, claim, as_of=(now - timedelta(days=7)).date().isoformat()
    ).json()
    assert (data["text"], data["review"]["status"]) == ("v0 draft wording", "draft")
    assert data["evidence"] == []


def test_bad_as_of_or_axis_is_400(team, history):
    claim, _, _ = history
    client = publisher_client(make_publisher(team).key)
    assert _get(client, claim, as_of="last tuesday").status_code == 400
    assert _get(client, claim, as_of="2024-01-01", axis="sideways").status_code == 400


def test_as_of_gives_the_subjects_and_tags_of_then(reporter_client, team, reporter):
    claim, first, second = relabelled_claim(team, reporter)
    then = _get(reporter_client, claim, as_of="2023-10-12").json()
    assert [s["id"] for s in then["subjects"]] == [first.pk]
    assert then["tags"] == ["ports"]
    now = _get(reporter_client, claim).json()
    assert ([s["id"] for s in now["subjects"]], now["tags"]) == ([second.pk], ["rail"])


def test_members_as_of_gives_each_link_note_as_it_was(reporter_client, team, editor):
    from provenance.claims import services

    now = timezone.now()
    claim = ClaimFactory(team=team, status="draft")
    claim.history.update(history_date=now - timedelta(days=10))
    link = ClaimEvidenceFactory(
        claim=claim, note="Rajin quay, first pass", linked_at=now - timedelta(days=9)
    )
    services.evidence_link_change(
        link_id=link.pk,
        actor=editor,
        note="Najin quay: the first pass misread the port",
        reason="Wrong port in the note",
        at=now - timedelta(days=2),
    )
    then = _get(
        reporter_client, claim, as_of=(now - timedelta(days=5)).date().isoformat()
    ).json()
    current = _get(reporter_client, claim).json()
    assert [(n["evidence_id"], n["note"]) for n in then["internal"]["link_notes"]] == [
        (link.item_id, "Rajin quay, first pass")
    ]
    assert [n["note"] for n in current["internal"]["link_notes"]] == [
        "Najin quay: the first pass misread the port"
    ]
