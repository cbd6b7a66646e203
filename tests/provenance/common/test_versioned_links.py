"""The versioned link (common.versioned_links) read and written alike for a claim's
evidence, an edge's evidence and a claim's citation of an edge: which versions are
in force at a moment, and the shared write steps speaking each service's word."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from evidence import relationship_links
from evidence.models import RelationshipEvidence
from provenance.claims import relationship_citations, services
from provenance.claims.models import ClaimEvidence, ClaimRelationship
from tests.factories import ClaimFactory, EvidenceItemFactory, RelationshipFactory

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
T1, T2, T3 = T0 + timedelta(days=1), T0 + timedelta(days=2), T0 + timedelta(days=3)


def _claim_evidence(team):
    claim = ClaimFactory(team=team)
    return ClaimEvidence, lambda: {
        "claim": claim,
        "item": EvidenceItemFactory(team=team),
    }


def _relationship_evidence(team):
    edge = RelationshipFactory(team=team)
    return RelationshipEvidence, lambda: {
        "relationship": edge,
        "item": EvidenceItemFactory(team=team),
    }


def _claim_relationship(team):
    claim = ClaimFactory(team=team)
    return ClaimRelationship, lambda: {
        "claim": claim,
        "relationship": RelationshipFactory(team=team),
    }


@pytest.mark.parametrize(
    "kind", [_claim_evidence, _relationship_evidence, _claim_relationship]
)
def test_in_force_at_reads_each_version_in_its_own_span(team, reporter, kind):
    model, ends = kind(team)
    kept = model.objects.create(**ends(), relation="context", linked_at=T0)
    first_ends = ends()
    first = model.objects.create(
        **first_ends,
        relation="supports",
        linked_at=T1,
        unlinked_at=T2,
        unlinked_by=reporter,
    )
    second = model.objects.create(
        **first_ends,
        relation="contradicts",
        linked_at=T2,
        replaces=first,
        unlinked_at=T3,
        unlinked_by=reporter,
    )
    expected = {
        T0 - timedelta(seconds=1): set(),
        T0: {kept},
        T1: {kept, first},
        # A change at T2 hands over at T2: the old version is over, the new in force.
        T2: {kept, second},
        T3: {kept},
    }
    for when, rows in expected.items():
        assert set(model.objects.in_force_at(when)) == rows
        assert {row for row in (kept, first, second) if row.was_in_force(when)} == rows
    assert list(model.objects.current()) == [kept]
    assert first.replaced_by == second


def _evidence_link(team, actor):
    claim = ClaimFactory(team=team, author=actor)
    link = services.evidence_attach(
        claim_id=claim.pk,
        item_id=EvidenceItemFactory(team=team).pk,
        actor=actor,
        relation="supports",
        at=T1,
    )
    return link, services.evidence_link_change, services.evidence_unlink, "link_id"


def _edge_evidence_link(team, actor):
    link = relationship_links.relationship_evidence_link(
        relationship_id=RelationshipFactory(team=team).pk,
        item_id=EvidenceItemFactory(team=team).pk,
        actor=actor,
        relation="supports",
        at=T1,
    )
    return (
        link,
        relationship_links.relationship_evidence_change,
        relationship_links.relationship_evidence_unlink,
        "link_id",
    )


def _citation(team, actor):
    claim = ClaimFactory(team=team, author=actor)
    citation = relationship_citations.relationship_cite(
        claim_id=claim.pk,
        relationship_id=RelationshipFactory(team=team).pk,
        actor=actor,
        relation="supports",
        at=T1,
    )
    return (
        citation,
        relationship_citations.relationship_citation_change,
        relationship_citations.relationship_uncite,
        "citation_id",
    )


@pytest.mark.parametrize(
    ("kind", "noun"),
    [(_evidence_link, "link"), (_edge_evidence_link, "link"), (_citation, "citation")],
)
def test_the_shared_write_steps_refuse_in_the_services_word(team, reporter, kind, noun):
    link, change, unlink, id_name = kind(team, reporter)
    with pytest.raises(ValidationError) as unchanged:
        change(**{id_name: link.pk}, actor=reporter, relation="supports", reason="x")
    assert unchanged.value.messages == [
        f"Nothing to change: the {noun} already says this."
    ]
    with pytest.raises(ValidationError) as too_early:
        unlink(**{id_name: link.pk}, actor=reporter, reason="x", at=T0)
    assert too_early.value.messages == [f"A {noun} cannot end before it was made."]
    with pytest.raises(ValidationError) as no_reason:
        unlink(**{id_name: link.pk}, actor=reporter, reason=" ", at=T2)
    assert no_reason.value.message_dict == {
        "reason": ["Say why: a reason is required."]
    }
    new = change(
        **{id_name: link.pk}, actor=reporter, relation="context", reason=" why ", at=T2
    )
    link.refresh_from_db()
    assert (link.unlinked_at, link.unlinked_by, link.unlink_reason) == (
        T2,
        reporter,
        "why",
    )
    assert (new.replaces, new.linked_at, new.linked_by, new.reason, new.relation) == (
        link,
        T2,
        reporter,
        "why",
        "context",
    )
