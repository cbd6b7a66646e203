from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from provenance.audit.chain import chain_head, verify_chain
from provenance.audit.models import AuditEvent
from provenance.claims import services
from provenance.claims.models import Claim, ClaimStatus, Review
from provenance.claims.rules import EditConflict, InvalidTransition
from provenance.entities import services as entity_services
from provenance.entities.models import Entity
from tests.factories import ClaimFactory


def test_claim_create_writes_history_and_an_audit_event(team, reporter):
    claim = services.claim_create(
        team=team,
        actor=reporter,
        text="North Korea has shipped more than 1,000 containers to Russia.",
        quantity_amount=Decimal(1000),
        quantity_unit="containers",
        quantity_bound="at_least",
    )
    assert claim.status == ClaimStatus.DRAFT
    assert claim.quantity_display == "at least 1,000 containers"
    assert claim.history.count() == 1
    event = AuditEvent.objects.get(object_id=str(claim.pk), action="claim.create")
    assert event.payload["quantity_amount"] == "1E+3"
    assert list(verify_chain(team)) == []


def test_non_member_cannot_create_a_claim(team, outsider):
    with pytest.raises(PermissionDenied):
        services.claim_create(team=team, actor=outsider, text="Something")
    assert Claim.objects.count() == 0


def test_claim_slug_is_unique_within_a_team(team, reporter):
    first = services.claim_create(team=team, actor=reporter, text="Same text")
    second = services.claim_create(team=team, actor=reporter, text="Same text")
    assert (first.slug, second.slug) == ("same-text", "same-text-2")


def test_claim_update_with_a_stale_version_is_refused(team, reporter, editor):
    claim = services.claim_create(team=team, actor=reporter, text="Original")
    services.claim_update(
        claim_id=claim.pk, actor=editor, expected_version=claim.version, text="Edit A"
    )
    with pytest.raises(EditConflict):
        services.claim_update(
            claim_id=claim.pk,
            actor=reporter,
            expected_version=claim.version,
            text="Edit B",
        )
    claim.refresh_from_db()
    assert claim.text == "Edit A"
    assert claim.version == 2


def test_editing_an_approved_claim_sends_it_back_to_review(team, reporter, editor):
    claim = ClaimFactory(team=team, author=reporter, status=ClaimStatus.APPROVED)
    updated = services.claim_update(
        claim_id=claim.pk, actor=reporter, expected_version=1, text="Changed"
    )
    assert updated.status == ClaimStatus.IN_REVIEW
    review = Review.objects.get(claim=claim)
    assert (review.from_status, review.to_status) == ("approved", "in_review")


def test_editing_a_published_claim_is_refused_even_with_a_reason(team, editor):
    """Issue 12: a published claim changes only through a correction."""
    claim = ClaimFactory(team=team, author=editor, status=ClaimStatus.PUBLISHED)
    head = chain_head(team)
    with pytest.raises(InvalidTransition, match="change through a correction"):
        services.claim_update(
            claim_id=claim.pk,
            actor=editor,
            expected_version=1,
            reason="Typo",
            text="Quietly changed",
        )
    claim.refresh_from_db()
    assert (claim.text, claim.version) != ("Quietly changed", 2)
    assert chain_head(team) == head


def test_vessel_with_a_bad_imo_check_digit_is_refused(team, reporter):
    with pytest.raises(ValidationError) as error:
        entity_services.entity_create(
            team=team, actor=reporter, kind="vessel", name="Angara", imo="9123457"
        )
    assert "imo" in error.value.message_dict
    assert Entity.objects.count() == 0


def test_vessel_with_a_valid_imo_and_mmsi_is_stored(team, reporter):
    vessel = entity_services.entity_create(
        team=team,
        actor=reporter,
        kind="vessel",
        name="Test vessel",
        imo="IMO 9074729",
        mmsi="273123456",
    )
    assert (vessel.imo, vessel.mmsi) == ("9074729", "273123456")


def test_mmsi_must_be_nine_digits(team, reporter):
    with pytest.raises(ValidationError) as error:
        entity_services.entity_create(
            team=team, actor=reporter, kind="vessel", name="Short", mmsi="27312345"
        )
    assert "mmsi" in error.value.message_dict


def test_subjects_from_another_team_are_refused(team, other_team, reporter):
    foreign = Entity.objects.create(
        team=other_team, kind="person", name="Someone", slug="someone"
    )
    with pytest.raises(ValueError, match="team"):
        services.claim_create(team=team, actor=reporter, text="X", subjects=[foreign])
