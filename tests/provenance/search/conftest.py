"""A small investigation, written through the services (so the index hook runs),
in team A, and one claim of team B's that must never be found from team A."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from evidence.documents.services import evidence_add_link, evidence_add_statement
from evidence.models import EvidenceItem
from provenance.claims.models import Claim
from provenance.claims.services import claim_create
from provenance.entities.models import Entity, EntityKind
from provenance.entities.services import entity_create


@dataclass
class World:
    angara: Entity
    maria: Entity
    dprk: Entity
    burmistrov: Entity
    angara_claim: Claim
    maria_claim: Claim
    ais_item: EvidenceItem
    denial: EvidenceItem
    other_claim: Claim


@pytest.fixture
def world(team, other_team, reporter, outsider) -> World:
    angara = entity_create(
        team=team,
        actor=reporter,
        kind=EntityKind.VESSEL,
        name="Angara",
        imo="9179701",
        call_sign="UBCT7",
    )
    maria = entity_create(
        team=team, actor=reporter, kind=EntityKind.VESSEL, name="Maria"
    )
    dprk = entity_create(
        team=team,
        actor=reporter,
        kind=EntityKind.GOVERNMENT,
        name="Democratic People's Republic of Korea",
        aliases=["North Korea"],
    )
    burmistrov = entity_create(
        team=team, actor=reporter, kind=EntityKind.PERSON, name="Oleg Burmistrov"
    )
    angara_claim = claim_create(
        team=team,
        actor=reporter,
        text="The Angara carried North Korean munitions to Dunai",
        summary="Containers loaded at Rajin.",
        subjects=[angara, dprk],
        tag_names=["Munitions"],
    )
    maria_claim = claim_create(
        team=team,
        actor=reporter,
        text="The Maria called at Rajin in October",
        subjects=[maria],
        tag_names=["Port calls"],
    )
    ais_item = evidence_add_link(
        team=team,
        actor=reporter,
        url="https://example.org/track",
        title="AIS track of the Angara",
        description="Positions between Rajin and Dunai.",
    )
    denial = evidence_add_statement(
        team=team,
        actor=reporter,
        quote="We carried nothing of the kind.",
        original_text="Мы ничего такого не перевозили, сказал Бурмистров.",
        stated_at=datetime(2023, 10, 5, 12, tzinfo=UTC),
        speaker=burmistrov,
        venue="Telephone interview",
        is_restricted=True,
    )
    other_claim = claim_create(
        team=other_team,
        actor=outsider,
        text="The Angara is a river in Siberia",
        tag_names=["Munitions"],
    )
    return World(
        angara,
        maria,
        dprk,
        burmistrov,
        angara_claim,
        maria_claim,
        ais_item,
        denial,
        other_claim,
    )
