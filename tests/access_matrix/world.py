"""The objects every access-control row points at: all of them belong to team A.

Team B exists with one member and its own published claim, so "another team's
member" and "another team's publisher" are real identities, not anonymous ones.

Team A's name, its members' user names, its publisher and one object of every kind
(claim text, entity, past identity, sanctions, tag, evidence title, statement quote)
carry MARK, which nothing of team B's does: any page, list, filter, form choice or
API response given to team B that contains MARK shows something of team A's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from evidence.models import (
    AISPosition,
    EvidenceItem,
    EvidenceKind,
    ImageDetail,
    Statement,
)
from provenance.claims.models import Claim, Tag
from provenance.entities.models import Entity, PastIdentity, SanctionsDesignation
from provenance.publishing.keys import publisher_create
from provenance.publishing.models import Publisher
from provenance.teams.models import Team
from tests.factories import (
    ClaimEvidenceFactory,
    ClaimFactory,
    EntityFactory,
    EvidenceItemFactory,
    MembershipFactory,
    StatementFactory,
    TeamFactory,
    UserFactory,
)
from tests.provenance.publishing.api.helpers import made_public, published, rich_claim

# In every planted name of team A (any case): a token that no page, field label or
# generated value of team B contains by chance.
MARK = "qx7wv"

# A 1x1 JPEG is enough: the views serve bytes, they do not decode them.
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c"
    "140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27"
    "393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000"
    "000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300"
    "041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a"
    "25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475"
    "767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9ba"
    "c2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda"
    "0008010100003f00fbd3ffd9"
)


@dataclass
class World:
    team_a: Team
    team_b: Team
    reporter_a: object
    editor_a: object
    staff_a: object
    reporter_b: object
    publisher_a: Publisher
    publisher_b: Publisher
    key_a: str
    key_b: str
    draft: Claim
    published: Claim
    entity: Entity
    link_item: EvidenceItem
    restricted_item: EvidenceItem
    image_item: EvidenceItem
    restricted_image: EvidenceItem
    ais_item: EvidenceItem
    published_b: Claim
    tag: Tag
    statement: Statement


# A made-up square of sea off a made-up harbour (lon, lat; closed ring).
FOOTPRINT = {
    "type": "Polygon",
    "coordinates": [
        [[129.6, 42.3], [129.7, 42.3], [129.7, 42.4], [129.6, 42.4], [129.6, 42.3]]
    ],
}


def _image(team, *, restricted: bool, claim: Claim | None) -> EvidenceItem:
    item = EvidenceItemFactory(
        team=team,
        kind=EvidenceKind.IMAGE,
        title="Qx7wv restricted image" if restricted else "Qx7wv harbour image",
        url="",
        is_restricted=restricted,
        mime_type="image/jpeg",
        processing_state="done",
    )
    item.file.save("harbour.jpg", ContentFile(JPEG), save=True)
    # Each image has a geography, so the map and STAC reads have something to
    # refuse: the open one is a scene (a footprint), the restricted one a GPS fix.
    detail = ImageDetail(item=item, width=1, height=1)
    if restricted:
        detail.gps_latitude, detail.gps_longitude = 42.35, 129.65
    else:
        detail.geo = {"footprint": FOOTPRINT, "crs": "EPSG:4326"}
    detail.thumbnail.save("thumb.jpg", ContentFile(JPEG), save=False)
    detail.display.save("display.jpg", ContentFile(JPEG), save=False)
    detail.save()
    if claim is not None:
        ClaimEvidenceFactory(claim=claim, item=item, relation="supports")
    return item


def member(team: Team, role: str, username: str, **fields) -> object:
    user = UserFactory(username=username, **fields)
    return MembershipFactory(team=team, role=role, user=user).user


def _plant_draft(team: Team, author) -> tuple[Claim, Tag, Statement]:
    """Team A's draft, with a marked text, tag and statement (quote and title)."""
    draft = ClaimFactory(
        team=team,
        status="draft",
        author=author,
        text="Qx7wv cranes stopped at the north quay",
        slug="qx7wv-cranes",
    )
    tag = Tag.objects.create(team=team, name="qx7wv-tag", slug="qx7wv-tag")
    draft.tags.add(tag)
    statement = StatementFactory(
        item__team=team,
        item__title="Qx7wv harbour master statement",
        quote="We moved qx7wv containers at night.",
    )
    ClaimEvidenceFactory(claim=draft, item=statement.item, relation="supports")
    return draft, tag, statement


def _plant_entity(team: Team) -> Entity:
    entity = EntityFactory(
        team=team, name="Qx7wv Port Authority", slug="qx7wv-port-authority"
    )
    PastIdentity.objects.create(
        entity=entity, field=PastIdentity.Field.NAME, value="Qx7wv Harbour Board"
    )
    SanctionsDesignation.objects.create(
        entity=entity, authority="Qx7wv Treasury", programme="QX7wv-PORTS"
    )
    return entity


def _analysed_track(item: EvidenceItem) -> None:
    """Three positions of the extract's vessel, analysed, so the extract has a
    map (GeoJSON) and a trajectory (MF-JSON) to refuse to other teams."""
    extract = item.ais
    start = timezone.now() - timedelta(days=8)
    AISPosition.objects.bulk_create(
        AISPosition(
            extract=extract,
            mmsi="235000001",
            timestamp=start + timedelta(hours=hour),
            latitude=50 + hour / 10,
            longitude=hour / 10,
        )
        for hour in range(3)
    )
    extract.summary["entities"] = {"235000001": {"name": "Qx7wv vessel"}}
    extract.analysed_at = timezone.now()
    extract.save(update_fields=["summary", "analysed_at"])


def build_world() -> World:
    team_a = TeamFactory(name="Qx7wv Alpha Desk", slug="qx7wv-alpha")
    team_b = TeamFactory(name="Bravo Desk", slug="bravo")
    reporter_a = member(team_a, "reporter", "qx7wv-reporter")
    editor_a = member(team_a, "editor", "qx7wv-editor")
    staff_a = member(team_a, "editor", "qx7wv-staff", is_staff=True)
    reporter_b = member(team_b, "reporter", "bravo-reporter")
    issued_a = publisher_create(name="Qx7wv Gazette", teams=[team_a])
    issued_b = publisher_create(name="Bravo Paper", teams=[team_b])
    claim = rich_claim(team_a)
    draft, tag, statement = _plant_draft(team_a, reporter_a)
    image_item = _image(team_a, restricted=False, claim=claim)
    restricted_image = _image(team_a, restricted=True, claim=claim)
    # The images were linked after the claim's last publish: make them part of
    # what its publisher sees, as a correction would.
    made_public(claim)
    links = claim.evidence_links.select_related("item")
    by_kind = {
        link.item.kind: link.item for link in links if not link.item.is_restricted
    }
    _analysed_track(by_kind[EvidenceKind.AIS])
    return World(
        team_a=team_a,
        team_b=team_b,
        reporter_a=reporter_a,
        editor_a=editor_a,
        staff_a=staff_a,
        reporter_b=reporter_b,
        publisher_a=issued_a.publisher,
        publisher_b=issued_b.publisher,
        key_a=issued_a.key,
        key_b=issued_b.key,
        draft=draft,
        published=claim,
        entity=_plant_entity(team_a),
        link_item=by_kind[EvidenceKind.LINK],
        restricted_item=EvidenceItem.objects.get(
            team=team_a, is_restricted=True, kind=EvidenceKind.LINK
        ),
        image_item=image_item,
        restricted_image=restricted_image,
        ais_item=by_kind[EvidenceKind.AIS],
        # Written by team B's member, so both teams' users have authored a claim.
        published_b=published(team_b, author=reporter_b),
        tag=tag,
        statement=statement,
    )
