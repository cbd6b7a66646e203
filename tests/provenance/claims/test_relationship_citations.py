"""A claim cites an edge of the ownership graph as evidence: cited, changed and
withdrawn through claims.relationship_citations, versioned and audited."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from provenance.audit.models import AuditEvent
from provenance.claims import relationship_citations as citations
from provenance.claims import services
from provenance.claims.models import Claim, ClaimRelationship, ClaimStatus
from tests.factories import MembershipFactory, RelationshipFactory


@pytest.fixture
def claim(team, reporter):
    return services.claim_create(team=team, actor=reporter, text="The ship is theirs")


def test_cite_bumps_the_version_and_audits(team, reporter, claim):
    edge = RelationshipFactory(team=team)
    citation = citations.relationship_cite(
        claim_id=claim.pk,
        relationship_id=edge.pk,
        actor=reporter,
        relation="supports",
        note=" owner named ",
    )
    assert (citation.relationship, citation.note) == (edge, "owner named")
    assert Claim.objects.get(pk=claim.pk).version == claim.version + 1
    event = AuditEvent.objects.get(action="claim.relationship_cite")
    assert event.payload == {
        "relationship": edge.pk,
        "relation": "supports",
        "note": "owner named",
    }
    with pytest.raises(ValidationError) as caught:
        citations.relationship_cite(
            claim_id=claim.pk,
            relationship_id=edge.pk,
            actor=reporter,
            relation="context",
        )
    assert caught.value.message_dict == {
        "relationship": ["The claim already cites this relationship."]
    }


def test_another_teams_edge_is_answered_as_missing(team, other_team, reporter, claim):
    edge = RelationshipFactory(team=other_team)
    with pytest.raises(ValidationError) as caught:
        citations.relationship_cite(
            claim_id=claim.pk,
            relationship_id=edge.pk,
            actor=reporter,
            relation="supports",
        )
    assert caught.value.message_dict == {
        "relationship": ["No relationship with this id in the team."]
    }


def test_another_teams_member_cannot_cite(team, other_team, claim):
    outsider = MembershipFactory(team=other_team).user
    with pytest.raises(PermissionDenied):
        citations.relationship_cite(
            claim_id=claim.pk,
            relationship_id=RelationshipFactory(team=team).pk,
            actor=outsider,
            relation="supports",
        )


def test_change_on_an_approved_claim_sends_it_back_and_uncite_keeps_the_row(
    team, reporter, editor, claim
):
    edge = RelationshipFactory(team=team)
    citation = citations.relationship_cite(
        claim_id=claim.pk, relationship_id=edge.pk, actor=reporter, relation="supports"
    )
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.APPROVED)
    changed = citations.relationship_citation_change(
        citation_id=citation.pk,
        actor=reporter,
        reason="Only context",
        relation="context",
    )
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.IN_REVIEW
    assert changed.replaces == citation
    event = AuditEvent.objects.get(action="claim.relationship_change")
    assert event.payload["from"] == {"relation": "supports", "note": ""}
    assert event.payload["to"] == {"relation": "context", "note": ""}
    assert event.payload["status"] == ["approved", "in_review"]
    citations.relationship_uncite(
        citation_id=changed.pk, actor=reporter, reason="Wrong edge"
    )
    assert ClaimRelationship.objects.current().count() == 0
    assert ClaimRelationship.objects.count() == 2
    assert AuditEvent.objects.filter(action="claim.relationship_uncite").count() == 1
