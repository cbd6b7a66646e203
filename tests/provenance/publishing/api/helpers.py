"""Arranging export state: published claims with every kind of related row.

Published state is arranged with factories (status + published_at): the tests here
are about what leaves the team, not about the review workflow.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from evidence.models import AISExtract, AISGap, EvidenceKind, PortCall
from provenance.claims.models import Decision, Review
from provenance.entities.models import EntityKind
from provenance.publishing.keys import IssuedKey, publisher_create
from tests.factories import (
    AssessmentFactory,
    ClaimEvidenceFactory,
    ClaimFactory,
    EntityFactory,
    EvidenceItemFactory,
    StatementFactory,
)

INTERNAL_NOTE = "Source is the harbour master's cousin"
RESTRICTED_TITLE = "Leaked manifest from a protected source"
REVIEW_COMMENT = "Check the second source again before we run this"


def published(team, **fields):
    now = timezone.now()
    fields.setdefault("status", "published")
    fields.setdefault("published_at", now - timedelta(days=1))
    fields.setdefault("public_content_at", fields["published_at"])
    return ClaimFactory(team=team, **fields)


def made_public(claim):
    """Arrange that everything recorded on the claim so far is public, as after a
    publish or correct decision now (publishers see nothing recorded later)."""
    from provenance.claims.models import Claim

    claim.public_content_at = timezone.now()
    Claim.objects.filter(pk=claim.pk).update(public_content_at=claim.public_content_at)
    return claim


def rich_claim(team, *, status="published"):
    """A claim with quantity, subjects, two assessments, supporting, restricted,
    AIS and denial evidence, a correction and an internal review comment."""
    now = timezone.now()
    vessel = EntityFactory(team=team, kind=EntityKind.VESSEL, name="MV Example")
    port = EntityFactory(team=team, kind=EntityKind.PORT, name="Port A", locode="GBLON")
    speaker = EntityFactory(team=team, kind=EntityKind.PERSON, name="A. Spokes")
    ministry = EntityFactory(team=team, kind=EntityKind.GOVERNMENT, name="Ministry")
    claim = ClaimFactory(
        team=team,
        status=status,
        published_at=now - timedelta(days=2) if status != "draft" else None,
        quantity_amount=Decimal("1000"),
        quantity_unit="containers",
        quantity_bound="at_least",
        first_appearance_source="Ministry press release",
        first_appearance_entity=ministry,
        first_appearance_url="https://example.org/press/1",
        first_appearance_at=now - timedelta(days=30),
        correction_note="The tonnage was misstated.",
        subjects=[vessel],
    )
    supporting = ClaimEvidenceFactory(
        claim=claim, relation="supports", note=INTERNAL_NOTE
    )
    restricted = EvidenceItemFactory(
        team=team, title=RESTRICTED_TITLE, is_restricted=True
    )
    ClaimEvidenceFactory(claim=claim, item=restricted, relation="supports")
    ais_item = EvidenceItemFactory(team=team, kind=EvidenceKind.AIS, title="AIS")
    extract = AISExtract.objects.create(
        item=ais_item,
        source_format="nmea",
        rows_read=10,
        rows_kept=9,
        summary={
            "voyages": [
                {
                    "mmsi": "235000001",
                    "from_port": "GBLON",
                    "to_port": "NLRTM",
                    "departure": "2024-01-01T00:00:00Z",
                    "arrival": "2024-01-02T12:00:00Z",
                    "duration_hours": 36.0,
                }
            ]
        },
    )
    PortCall.objects.create(
        extract=extract,
        vessel=vessel,
        mmsi="235000001",
        port=port,
        arrival_at=now - timedelta(days=10),
        departure_at=now - timedelta(days=9),
    )
    AISGap.objects.create(
        extract=extract,
        vessel=vessel,
        mmsi="235000001",
        start_at=now - timedelta(days=8),
        end_at=now - timedelta(days=7),
        start_latitude=50,
        start_longitude=0,
        end_latitude=51,
        end_longitude=1,
        distance_km=120.0,
        implied_speed_knots=2.7,
    )
    ClaimEvidenceFactory(claim=claim, item=ais_item, relation="context")
    denial = StatementFactory(
        item__team=team, speaker=speaker, on_behalf_of=ministry, quote="We deny it."
    )
    ClaimEvidenceFactory(
        claim=claim, item=denial.item, relation="contradicts", stance="denies"
    )
    first = AssessmentFactory(
        claim=claim, level="likely", effective_at=now - timedelta(days=5)
    )
    first.evidence.set([supporting.item, restricted])
    AssessmentFactory(
        claim=claim, level="very_likely", effective_at=now - timedelta(days=3)
    )
    Review.objects.create(
        claim=claim,
        decision=Decision.APPROVE,
        from_status="in_review",
        to_status="approved",
        comment=REVIEW_COMMENT,
        by=claim.author,
    )
    Review.objects.create(
        claim=claim,
        decision=Decision.CORRECT,
        from_status="published",
        to_status="published",
        # The correct decision's comment is its public note (rules.WORKFLOW sets
        # correction_note from it), so publishers see it in `corrections[].note`.
        comment="The tonnage was misstated.",
        by=claim.author,
    )
    return made_public(claim) if status != "draft" else claim


def make_publisher(*teams, **kwargs) -> IssuedKey:
    return publisher_create(
        name=kwargs.pop("name", "Daily Paper"), teams=teams, **kwargs
    )


def publisher_client(key: str) -> Client:
    return Client(headers={"authorization": f"Api-Key {key}"})


def relabelled_claim(team, actor):
    """A claim drafted on 5 Sep 2023 about the Rajin port authority, tagged
    "ports", whose subject and tag became the Tikhoretsk railhead and "rail" on
    13 Oct 2023 (both through the services, so history records them).
    Returns (claim, first subject, second subject)."""
    from datetime import UTC, datetime

    from provenance.claims import services

    def noon(day):
        return datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)

    first = EntityFactory(team=team, name="Rajin port authority")
    second = EntityFactory(team=team, name="Tikhoretsk railhead")
    claim = services.claim_create(
        team=team,
        actor=actor,
        text="Containers moved",
        subjects=[first],
        tag_names=["ports"],
        at=noon("2023-09-05"),
    )
    services.claim_update(
        claim_id=claim.pk,
        actor=actor,
        expected_version=1,
        subjects=[second],
        tag_names=["rail"],
        at=noon("2023-10-13"),
    )
    return claim, first, second
