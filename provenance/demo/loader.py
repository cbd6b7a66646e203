"""The demo story (shared/SCENARIO.md): North Korean munitions shipped to Russia, 2023.

Every step is idempotent — objects are looked up by a natural key and only created when
missing — so running the loader twice changes nothing. Recorded times are back-dated to
when a team following the story live would have recorded them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from provenance.claims import services
from provenance.claims.models import Claim
from provenance.entities import services as entity_services
from provenance.entities.models import Entity, EntityKind
from provenance.teams.models import Membership, Role, Team

DEMO_TEAM_SLUG = "demo"
DEMO_USERS = {
    # Fixed, printed credentials: this is a local demo, never a deployment.
    "demo-reporter": ("demo-reporter-pass", Role.REPORTER),
    "demo-editor": ("demo-editor-pass", Role.EDITOR),
}
# Obviously synthetic identifiers: no real ship carries an IMO number starting 00000,
# and MMSI maritime identification digits 999 are not allocated to any country.
SYNTHETIC_IDS = {
    "Angara": {"imo": "0000012", "mmsi": "999000001", "flag": "RU"},
    "Maria": {"imo": "0000024", "mmsi": "999000002", "flag": "RU"},
}
SYNTHETIC_NOTE = (
    "IMO and MMSI shown here are synthetic demo values from a range no real ship "
    "uses; the real ship's identifiers are not recorded in this demo."
)


def when(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@dataclass
class Demo:
    team: Team
    reporter: Any
    editor: Any
    entities: dict[str, Entity] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    created: int = 0


ENTITIES: list[dict[str, Any]] = [
    {
        "kind": EntityKind.GOVERNMENT,
        "name": "Democratic People's Republic of Korea",
        "aliases": ["North Korea", "DPRK"],
        "country": "KP",
    },
    {
        "kind": EntityKind.GOVERNMENT,
        "name": "Russian Federation",
        "aliases": ["Russia", "Moscow"],
        "country": "RU",
    },
    {
        "kind": EntityKind.GOVERNMENT,
        "name": "United States",
        "aliases": ["The White House", "US government"],
        "country": "US",
    },
    {
        "kind": EntityKind.PERSON,
        "name": "Kim Jong-un",
        "description": "Leader of North Korea.",
        "country": "KP",
    },
    {
        "kind": EntityKind.PERSON,
        "name": "Sergei K. Shoigu",
        "aliases": ["Sergei Shoigu"],
        # One report of the story called him Ukraine's minister; corrected below.
        "description": "Defence Minister of Ukraine at the time of the story.",
        "country": "RU",
    },
    {
        "kind": EntityKind.PERSON,
        "name": "Oleg Burmistrov",
        "description": "Senior Russian diplomat.",
        "country": "RU",
    },
    {
        "kind": EntityKind.PERSON,
        "name": "James Byrne",
        "description": "RUSI; an author of the October 2023 imagery analysis.",
    },
    {
        "kind": EntityKind.ORGANIZATION,
        "name": "Royal United Services Institute",
        "aliases": ["RUSI"],
        "description": "Defence and security think tank in London.",
        "country": "GB",
    },
    {
        "kind": EntityKind.ORGANIZATION,
        "name": "RAND Corporation",
        "aliases": ["RAND"],
        "country": "US",
    },
    {
        "kind": EntityKind.ORGANIZATION,
        "name": "Korean Central News Agency",
        "aliases": ["KCNA"],
        "description": "North Korean state media.",
        "country": "KP",
    },
    {
        "kind": EntityKind.ORGANIZATION,
        "name": "M Leasing",
        "description": "Russia-based owner of the Angara.",
        "country": "RU",
    },
    {
        "kind": EntityKind.ORGANIZATION,
        "name": "Marine Trans Shipping",
        "description": "Russia-based owner of the Angara.",
        "country": "RU",
    },
    {
        "kind": EntityKind.ORGANIZATION,
        "name": "Azia Shipping Holdings",
        "description": (
            "Cyprus-based owner of the Maria; linked, RUSI says, to a Moscow firm that "
            "handles logistics for Russia's Ministry of Defence."
        ),
        "country": "CY",
    },
    {
        "kind": EntityKind.VESSEL,
        "name": "Angara",
        "description": "Cargo ship with ties to Russia's military. " + SYNTHETIC_NOTE,
        "vessel_type": "Cargo",
        "is_synthetic": True,
        **SYNTHETIC_IDS["Angara"],
    },
    {
        "kind": EntityKind.VESSEL,
        "name": "Maria",
        "description": "Cargo ship with ties to Russia's military. " + SYNTHETIC_NOTE,
        "vessel_type": "Cargo",
        "is_synthetic": True,
        **SYNTHETIC_IDS["Maria"],
    },
    {
        "kind": EntityKind.PORT,
        "name": "Rajin",
        "description": "Harbour in the Rason Special Economic Zone, North Korea.",
        "country": "KP",
        "locode": "KPRJN",
        "latitude": 42.2167,
        "longitude": 130.2833,
        "radius_km": 3.0,
    },
    {
        "kind": EntityKind.PORT,
        "name": "Dunai",
        "description": (
            "Port near Fokino, Primorsky Krai, in the Russian Far East. It has no "
            "UN/LOCODE of its own (RUFKN is another Fokino)."
        ),
        "country": "RU",
        "latitude": 42.8803,
        "longitude": 132.3375,
        "radius_km": 3.0,
    },
    {
        "kind": EntityKind.PORT,
        "name": "Vostochny",
        "description": "Port near Nakhodka, Primorsky Krai.",
        "country": "RU",
        "locode": "RUVYP",
        "latitude": 42.767,
        "longitude": 133.05,
        "radius_km": 3.0,
    },
    {
        "kind": EntityKind.FACILITY,
        "name": "Tikhoretsk ammunition depot",
        "description": (
            "Depot at a rail junction in Krasnodar Krai, about 200 km (125 miles) from "
            "Ukraine's border, reached by rail from Dunai. No UN/LOCODE (RUTIK is "
            "Tikhvin)."
        ),
        "country": "RU",
        "latitude": 45.855,
        "longitude": 40.125,
    },
]

SEPT = when("2023-09-05", 9)
WRONG_SUMMARY = (
    "US officials have accused Russia for over a year of buying North Korean weapons; "
    "the July visit of Ukraine's Defence Minister, Sergei Shoigu, to an arms "
    "exhibition with Kim Jong-un in Pyongyang sharpened the suspicion."
)
CORRECT_SUMMARY = (
    "US officials have accused Russia for over a year of buying North Korean weapons; "
    "the July visit of Russia's Defence Minister, Sergei Shoigu, to an arms "
    "exhibition with Kim Jong-un in Pyongyang sharpened the suspicion."
)
CORRECTION_NOTE = (
    "An earlier version of this summary called Sergei Shoigu Ukraine's defence "
    "minister, repeating an error in one report of the story. He was Russia's."
)
WHITE_HOUSE_DAY = when("2023-10-13", 18)
RUSI_DAY = when("2023-10-16", 10)

CLAIMS: list[dict[str, Any]] = [
    {
        "key": "claim-1",
        "slug": "north-korea-is-supplying-munitions-to-russia",
        # Opened in September as an unquantified suspicion; sharpened on 13 Oct.
        "text": "North Korea is supplying munitions to Russia.",
        # Copied from one report of the story, which got Shoigu's post wrong; the
        # error is corrected after publication (see correct_claim_1).
        "summary": WRONG_SUMMARY,
        "subjects": [
            "Democratic People's Republic of Korea",
            "Russian Federation",
        ],
        "tags": ["arms transfers", "sanctions"],
        "at": SEPT,
    },
    {
        "key": "claim-2",
        "slug": "containers-rajin-angara-maria-dunai",
        "text": (
            "Containers loaded at Rajin were carried by the Angara and the Maria to "
            "Dunai."
        ),
        "subjects": ["Angara", "Maria", "Rajin", "Dunai"],
        "tags": ["shipping", "imagery"],
        "first_appearance_source": "RUSI imagery analysis",
        "first_appearance_entity": "Royal United Services Institute",
        "first_appearance_at": RUSI_DAY,
        "at": RUSI_DAY,
    },
    {
        "key": "claim-3",
        "slug": "containers-by-rail-dunai-tikhoretsk",
        "text": (
            "Containers of the same size and colour travelled by rail from Dunai to "
            "the Tikhoretsk ammunition depot."
        ),
        "subjects": ["Dunai", "Tikhoretsk ammunition depot"],
        "tags": ["rail", "imagery"],
        "first_appearance_source": "RUSI imagery analysis",
        "first_appearance_entity": "Royal United Services Institute",
        "first_appearance_at": RUSI_DAY,
        "at": RUSI_DAY,
    },
    {
        "key": "claim-4",
        "slug": "angara-maria-five-runs",
        "text": (
            "The Angara and the Maria made at least five runs between Rajin and Dunai "
            "since August 2023, with their AIS transponders switched off at times."
        ),
        "subjects": ["Angara", "Maria", "Rajin", "Dunai"],
        "tags": ["shipping", "AIS"],
        "quantity_amount": Decimal(5),
        "quantity_unit": "runs",
        "quantity_bound": "at_least",
        "first_appearance_source": "RUSI imagery analysis",
        "first_appearance_entity": "Royal United Services Institute",
        "first_appearance_at": RUSI_DAY,
        "at": RUSI_DAY,
    },
    {
        "key": "claim-5",
        "slug": "tikhoretsk-storage-pits",
        "text": (
            "The Tikhoretsk depot grew to more than 100 newly dug munitions storage "
            "pits by late September 2023."
        ),
        "subjects": ["Tikhoretsk ammunition depot"],
        "tags": ["imagery"],
        "quantity_amount": Decimal(100),
        "quantity_unit": "storage pits",
        "quantity_bound": "at_least",
        "first_appearance_source": "RUSI imagery analysis",
        "first_appearance_entity": "Royal United Services Institute",
        "first_appearance_at": RUSI_DAY,
        "at": RUSI_DAY,
    },
    {
        "key": "claim-6",
        "slug": "russia-sent-empty-containers-to-rajin",
        "text": "Russia sent empty containers to Rajin to be filled with weapons.",
        "summary": "A suspicion voiced by James Byrne of RUSI; not established.",
        "subjects": ["Russian Federation", "Rajin"],
        "tags": ["shipping"],
        "first_appearance_source": "James Byrne (RUSI), remarks to the press",
        "first_appearance_entity": "James Byrne",
        "first_appearance_at": RUSI_DAY,
        "at": RUSI_DAY,
    },
    {
        "key": "claim-7",
        "slug": "shipments-violate-un-sanctions",
        "text": (
            "The shipments of North Korean arms to Russia violate UN sanctions on "
            "North Korea's arms trade."
        ),
        "subjects": [
            "Democratic People's Republic of Korea",
            "Russian Federation",
            "United States",
        ],
        "tags": ["sanctions"],
        "first_appearance_source": "US officials, White House statement",
        "first_appearance_entity": "United States",
        "first_appearance_at": WHITE_HOUSE_DAY,
        "at": WHITE_HOUSE_DAY,
    },
]

CLAIM_1_SHARPENED = {
    "text": (
        "North Korea has shipped more than 1,000 containers of military equipment and "
        "munitions to Russia."
    ),
    "quantity_amount": Decimal(1000),
    "quantity_unit": "containers",
    "quantity_bound": "at_least",
    "first_appearance_source": "The White House",
    "first_appearance_at": WHITE_HOUSE_DAY,
}


def ensure_users_and_team() -> Demo:
    team, _ = Team.objects.get_or_create(
        slug=DEMO_TEAM_SLUG, defaults={"name": "Demo newsroom"}
    )
    users = {}
    user_model = get_user_model()
    for username, (password, role) in DEMO_USERS.items():
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(
                username=username,
                password=password,
                email=f"{username}@example.org",
                is_staff=role == Role.EDITOR,
            )
            if role == Role.EDITOR:
                user.user_permissions.set(editor_admin_permissions())
        Membership.objects.get_or_create(user=user, team=team, defaults={"role": role})
        users[role] = user
    return Demo(team=team, reporter=users[Role.REPORTER], editor=users[Role.EDITOR])


def editor_admin_permissions() -> list[Permission]:
    """What an editor may do in the Django admin: view everything, change records."""
    return list(
        Permission.objects.filter(
            content_type__app_label__in=["provenance", "evidence"],
            codename__regex=r"^(view|change)_",
        )
    )


def ensure_entities(demo: Demo) -> None:
    for spec in ENTITIES:
        spec = dict(spec)
        existing = Entity.objects.filter(team=demo.team, name=spec["name"]).first()
        if existing is None:
            existing = entity_services.entity_create(
                team=demo.team,
                actor=demo.reporter,
                at=SEPT,
                **spec,
            )
            demo.created += 1
        demo.entities[existing.name] = existing
    shoigu = demo.entities["Sergei K. Shoigu"]
    if shoigu.description.startswith("Defence Minister of Ukraine"):
        entity_services.entity_update(
            entity_id=shoigu.pk,
            actor=demo.editor,
            description=(
                "Russia's Defence Minister at the time of the story. (Corrected: one "
                "report of the story wrongly called him Ukraine's defence minister.)"
            ),
        )
        demo.created += 1


def ensure_claims(demo: Demo) -> None:
    for spec in CLAIMS:
        spec = dict(spec)
        key = spec.pop("key")
        slug = spec.pop("slug")
        claim = Claim.objects.filter(team=demo.team, slug=slug).first()
        if claim is None:
            subjects = [demo.entities[name] for name in spec.pop("subjects")]
            tags = spec.pop("tags")
            at = spec.pop("at")
            if "first_appearance_entity" in spec:
                spec["first_appearance_entity"] = demo.entities[
                    spec["first_appearance_entity"]
                ]
            claim = services.claim_create(
                team=demo.team,
                actor=demo.reporter,
                subjects=subjects,
                tag_names=tags,
                at=at,
                **spec,
            )
            if claim.slug != slug:
                Claim.objects.filter(pk=claim.pk).update(slug=slug)
                claim.slug = slug
            demo.created += 1
        demo.claims[key] = claim


def sharpen_claim_1(demo: Demo) -> None:
    """13 Oct: the White House figure arrives; the claim is rewritten around it."""
    claim = demo.claims["claim-1"]
    if claim.quantity_amount is not None:
        return
    fields = dict(CLAIM_1_SHARPENED)
    fields["first_appearance_entity"] = demo.entities["United States"]
    demo.claims["claim-1"] = services.claim_update(
        claim_id=claim.pk,
        actor=demo.reporter,
        expected_version=claim.version,
        at=WHITE_HOUSE_DAY,
        reason="White House statement gives a figure",
        **fields,
    )
    demo.created += 1


# --- Evidence ------------------------------------------------------------------------

PARAPHRASE = (
    "Paraphrased from public reporting of the statement; see the original source for "
    "the exact wording."
)
SYNTHETIC_IMAGE_NOTE = (
    "SYNTHETIC DEMO DATA: a drawn stand-in for the commercial satellite imagery RUSI "
    "analysed; it shows no real place and proves nothing."
)

STATEMENTS: list[dict[str, Any]] = [
    {
        "key": "nk-denial",
        "on_behalf_of": "Democratic People's Republic of Korea",
        "speaker": None,
        "stated_at": when("2022-09-22"),
        "venue": "Korean Central News Agency (state media)",
        "quote": "North Korea has never exported weapons or ammunition to Russia.",
        "title": "North Korea denies sending weapons to Russia",
        "description": PARAPHRASE
        + " North Korea had denied the accusation before the story broke; the date "
        "is approximate.",
    },
    {
        "key": "white-house",
        "on_behalf_of": "United States",
        "speaker": None,
        "stated_at": WHITE_HOUSE_DAY,
        "venue": "White House press briefing",
        "quote": (
            "North Korea has shipped more than 1,000 containers of military equipment "
            "and munitions to Russia, in violation of UN sanctions."
        ),
        "title": "White House: more than 1,000 containers shipped to Russia",
        "description": PARAPHRASE,
    },
    {
        "key": "burmistrov",
        "speaker": "Oleg Burmistrov",
        "on_behalf_of": "Russian Federation",
        "stated_at": when("2023-10-15"),
        "venue": "Russian state media",
        "quote": "Moscow has not violated UN sanctions on North Korea.",
        "title": "Burmistrov denies that Russia violated UN sanctions",
        "description": PARAPHRASE,
    },
    {
        "key": "byrne",
        "speaker": "James Byrne",
        "on_behalf_of": "Royal United Services Institute",
        "stated_at": RUSI_DAY,
        "venue": "Remarks to the press on the RUSI analysis",
        "quote": (
            "Stopping the shipments would be hard without escalatory 'kinetic action'; "
            "Russia may have sent empty containers to Rajin to be filled."
        ),
        "title": "James Byrne (RUSI) on stopping the shipments",
        "description": PARAPHRASE,
    },
]

IMAGES: list[dict[str, Any]] = [
    {
        "key": "rajin-aug",
        "site": "rajin",
        "variant": 1,
        "captured_at": when("2023-08-24", 2),
        "title": "Rajin harbour, late August 2023 (synthetic stand-in)",
    },
    {
        "key": "rajin-oct",
        "site": "rajin",
        "variant": 2,
        "captured_at": when("2023-10-14", 2),
        "title": "Rajin harbour, 14 October 2023 (synthetic stand-in)",
    },
    {
        "key": "dunai-oct",
        "site": "dunai",
        "variant": 1,
        "captured_at": when("2023-10-07", 2),
        "title": "Dunai port with rail wagons, October 2023 (synthetic stand-in)",
    },
    {
        "key": "tikhoretsk-aug",
        "site": "tikhoretsk",
        "variant": 1,
        "count": 24,
        "captured_at": when("2023-08-10", 8),
        "title": "Tikhoretsk depot, August 2023 (synthetic stand-in)",
    },
    {
        "key": "tikhoretsk-sep",
        "site": "tikhoretsk",
        "variant": 2,
        "count": 110,
        "captured_at": when("2023-09-28", 8),
        "title": "Tikhoretsk depot, late September 2023 (synthetic stand-in)",
    },
]

DOCUMENTS: list[dict[str, Any]] = [
    {
        "key": "rusi",
        "title": "RUSI analysis of satellite imagery: Rajin, Dunai, Tikhoretsk",
        "url": "https://www.rusi.org/",
        "source": "Royal United Services Institute",
        "observed_at": RUSI_DAY,
        "description": (
            "RUSI's October 2023 analysis: hundreds of containers loaded at Rajin onto "
            "the Angara and the Maria; containers of the same size and colour loaded "
            "onto trains at Dunai and seen arriving at Tikhoretsk. The link goes to "
            "the "
            "publisher's site; the demo does not reproduce the report."
        ),
        "source_reliability": "B",
        "information_credibility": "2",
    },
    {
        "key": "rand",
        "title": "RAND (2020): North Korea's Soviet-era artillery",
        "url": "https://www.rand.org/",
        "source": "RAND Corporation",
        "observed_at": when("2020-06-01"),
        "description": (
            "Background: a 2020 RAND study of North Korea's Soviet-era artillery, "
            "whose "
            "munitions fit Russian guns. The link goes to the publisher's site."
        ),
        "source_reliability": "B",
        "information_credibility": "3",
    },
    {
        "key": "angara-sanctions",
        "title": "Sanctions on the Angara and its owners (2022)",
        "url": "https://home.treasury.gov/",
        "source": "US government",
        "observed_at": when("2022-05-08"),
        "description": (
            "The Angara and its owners were sanctioned the year before the story; the "
            "ship was earlier alleged to have delivered arms to Syria, South Sudan and "
            "Iraq. The listing date here is approximate; check the authority's list."
        ),
        "source_reliability": "A",
        "information_credibility": "2",
    },
    {
        "key": "maria-ownership",
        "title": "The Maria: Cyprus ownership and a Moscow logistics link",
        "url": "https://www.rusi.org/",
        "source": "Royal United Services Institute",
        "observed_at": RUSI_DAY,
        "description": (
            "The Maria is owned by Azia Shipping Holdings of Cyprus, linked, RUSI "
            "says, to a Moscow firm that handles logistics for Russia's Ministry of "
            "Defence."
        ),
        "source_reliability": "B",
        "information_credibility": "3",
    },
]

# (claim, item, relation, stance, linked at)
LINKS: list[tuple[str, str, str, str, datetime]] = [
    ("claim-1", "nk-denial", "contradicts", "denies", SEPT),
    ("claim-1", "rand", "context", "", SEPT),
    ("claim-1", "white-house", "supports", "asserts", WHITE_HOUSE_DAY),
    ("claim-1", "burmistrov", "contradicts", "denies", when("2023-10-15", 14)),
    ("claim-1", "rusi", "supports", "", RUSI_DAY),
    ("claim-1", "rajin-oct", "supports", "", RUSI_DAY),
    ("claim-1", "tikhoretsk-sep", "supports", "", RUSI_DAY),
    ("claim-2", "rusi", "supports", "", RUSI_DAY),
    ("claim-2", "rajin-aug", "supports", "", RUSI_DAY),
    ("claim-2", "rajin-oct", "supports", "", RUSI_DAY),
    ("claim-2", "dunai-oct", "supports", "", RUSI_DAY),
    ("claim-2", "maria-ownership", "context", "", RUSI_DAY),
    ("claim-2", "angara-sanctions", "context", "", RUSI_DAY),
    ("claim-3", "rusi", "supports", "", RUSI_DAY),
    ("claim-3", "dunai-oct", "supports", "", RUSI_DAY),
    ("claim-3", "tikhoretsk-sep", "supports", "", RUSI_DAY),
    ("claim-4", "rusi", "supports", "", RUSI_DAY),
    ("claim-4", "ais-angara", "supports", "", RUSI_DAY),
    ("claim-4", "ais-maria", "supports", "", RUSI_DAY),
    ("claim-2", "ais-angara", "supports", "", RUSI_DAY),
    ("claim-5", "tikhoretsk-aug", "context", "", RUSI_DAY),
    ("claim-5", "tikhoretsk-sep", "supports", "", RUSI_DAY),
    ("claim-5", "rusi", "supports", "", RUSI_DAY),
    ("claim-6", "byrne", "supports", "asserts", RUSI_DAY),
    ("claim-7", "white-house", "supports", "asserts", WHITE_HOUSE_DAY),
    ("claim-7", "burmistrov", "contradicts", "denies", when("2023-10-15", 14)),
    ("claim-7", "nk-denial", "contradicts", "denies", WHITE_HOUSE_DAY),
]

# (claim, level, rationale, cited items, at)
ASSESSMENTS: list[tuple[str, str, str, list[str], datetime]] = [
    (
        "claim-1",
        "roughly_even_chance",
        "US officials have accused Russia for over a year of buying North Korean "
        "weapons, and Shoigu visited an arms exhibition with Kim Jong-un in July; "
        "North Korea denies it. No direct evidence of shipments yet.",
        ["nk-denial"],
        SEPT,
    ),
    (
        "claim-1",
        "likely",
        "The White House gives a figure (more than 1,000 containers) and says US "
        "intelligence backs it; the evidence itself is not public.",
        ["white-house"],
        WHITE_HOUSE_DAY,
    ),
    (
        "claim-1",
        "very_likely",
        "RUSI's imagery shows containers loaded at Rajin onto the Angara and the "
        "Maria and containers of the same size and colour reaching Tikhoretsk by rail; "
        "independent of the US account. Russia and North Korea deny it.",
        ["rusi", "rajin-oct", "tikhoretsk-sep"],
        RUSI_DAY,
    ),
    ("claim-2", "likely", "RUSI imagery of both ports.", ["rusi"], RUSI_DAY),
    ("claim-3", "likely", "RUSI imagery, Dunai and Tikhoretsk.", ["rusi"], RUSI_DAY),
    (
        "claim-4",
        "likely",
        "RUSI's count of runs from imagery and AIS.",
        ["rusi"],
        RUSI_DAY,
    ),
    (
        "claim-5",
        "very_likely",
        "Imagery shows the pit count rising from a modest number to over 100.",
        ["tikhoretsk-sep"],
        RUSI_DAY,
    ),
    (
        "claim-6",
        "roughly_even_chance",
        "A suspicion voiced by one analyst; no direct evidence.",
        ["byrne"],
        RUSI_DAY,
    ),
    (
        "claim-7",
        "likely",
        "UN resolutions ban arms trade with North Korea; the shipments, if real, "
        "breach them. Russia denies any violation.",
        ["white-house"],
        WHITE_HOUSE_DAY,
    ),
]


def _evidence() -> tuple[Any, Any]:
    from evidence import services as evidence_services
    from evidence.models import EvidenceItem

    return evidence_services, EvidenceItem


def ensure_evidence(demo: Demo) -> dict[str, Any]:
    evidence_services, EvidenceItem = _evidence()
    items: dict[str, Any] = {}

    def existing(title: str) -> Any:
        return EvidenceItem.objects.filter(team=demo.team, title=title).first()

    for spec in STATEMENTS:
        spec = dict(spec)
        key = spec.pop("key")
        item = existing(spec["title"])
        if item is None:
            speaker = spec.pop("speaker")
            item = evidence_services.evidence_add_statement(
                team=demo.team,
                actor=demo.reporter,
                speaker=demo.entities[speaker] if speaker else None,
                on_behalf_of=demo.entities[spec.pop("on_behalf_of")],
                source="Public reporting",
                source_reliability="B",
                information_credibility="2",
                **spec,
            )
            demo.created += 1
        items[key] = item
    from evidence.images.demo import synthetic_site_image

    for spec in IMAGES:
        item = existing(spec["title"])
        if item is None:
            data = synthetic_site_image(
                spec["site"],
                captured_at=spec["captured_at"],
                variant=spec["variant"],
                count=spec.get("count"),
            )
            item = evidence_services.evidence_add_image(
                team=demo.team,
                actor=demo.reporter,
                upload=io.BytesIO(data),
                filename=f"{spec['key']}.jpg",
                title=spec["title"],
                description=SYNTHETIC_IMAGE_NOTE,
                source="Synthetic demo imagery (stand-in for commercial satellite "
                "imagery)",
                credit="Provenance demo — synthetic image",
                licence="CC0 (synthetic)",
                observed_at=spec["captured_at"],
                is_synthetic=True,
                source_reliability="F",
                information_credibility="6",
            )
            demo.created += 1
        items[spec["key"]] = item
    for spec in DOCUMENTS:
        spec = dict(spec)
        key = spec.pop("key")
        item = existing(spec["title"])
        if item is None:
            item = evidence_services.evidence_add_link(
                team=demo.team, actor=demo.reporter, **spec
            )
            demo.created += 1
        items[key] = item
    return items


def ensure_links_and_assessments(demo: Demo, items: dict[str, Any]) -> None:
    from provenance.claims.models import ClaimEvidence

    for claim_key, item_key, relation, stance, at in LINKS:
        claim = demo.claims[claim_key]
        item = items[item_key]
        if not ClaimEvidence.objects.filter(claim=claim, item=item).exists():
            services.evidence_attach(
                claim_id=claim.pk,
                item_id=item.pk,
                actor=demo.reporter,
                relation=relation,
                stance=stance,
                at=at,
            )
            demo.created += 1
    for claim_key, level, rationale, cited, at in ASSESSMENTS:
        claim = demo.claims[claim_key]
        if claim.assessments.filter(effective_at=at, level=level).exists():
            continue
        services.confidence_assess(
            claim_id=claim.pk,
            actor=demo.editor if level == "very_likely" else demo.reporter,
            level=level,
            rationale=rationale,
            evidence_ids=[items[key].pk for key in cited],
            effective_at=at,
            at=at,
        )
        demo.created += 1


def ensure_sanctions(demo: Demo) -> None:
    angara = demo.entities["Angara"]
    if not angara.sanctions.exists():
        entity_services.sanctions_designation_add(
            entity=angara,
            actor=demo.reporter,
            authority="United States",
            programme="Russia-related sanctions",
            reason=(
                "Sanctioned with its owners the year before the story (2022); "
                "earlier alleged arms deliveries to Syria, South Sudan and Iraq."
            ),
        )
        demo.created += 1


# --- AIS, review and publication ----------------------------------------------------


def ensure_ais(demo: Demo) -> dict[str, Any]:
    """Synthetic AIS tracks for both ships; the analysis finds runs and gaps itself."""
    from evidence.ais.demo import demo_ais_extracts
    from evidence.ais.services import evidence_add_ais
    from evidence.models import EvidenceItem

    items = {}
    for extract in demo_ais_extracts(SYNTHETIC_IDS):
        item = EvidenceItem.objects.filter(team=demo.team, title=extract.title).first()
        if item is None:
            item = evidence_add_ais(
                team=demo.team,
                actor=demo.reporter,
                upload=io.BytesIO(extract.content),
                filename=extract.filename,
                title=extract.title,
                description=extract.description,
                observed_at=extract.observed_at,
                source="Synthetic demo data (stand-in for a commercial AIS provider)",
                credit="Provenance demo — synthetic AIS",
                is_synthetic=True,
                source_reliability="F",
                information_credibility="6",
            )
            demo.created += 1
        items[f"ais-{extract.vessel_name.lower()}"] = item
    return items


PUBLISHED = ["claim-1", "claim-2", "claim-3", "claim-5", "claim-7"]
REVIEW_DAY = when("2023-10-17", 9)


def ensure_reviews(demo: Demo) -> None:
    """Submitted by the reporter on 16 Oct, approved and published by the editor on
    17 Oct; claim 4 waits in the review queue, claim 6 stays a draft."""
    for key in [*PUBLISHED, "claim-4"]:
        claim = Claim.objects.get(pk=demo.claims[key].pk)
        if claim.status == "draft":
            services.claim_submit(
                claim_id=claim.pk, actor=demo.reporter, at=RUSI_DAY + timedelta(hours=3)
            )
            demo.created += 1
        if key not in PUBLISHED:
            continue
        claim.refresh_from_db()
        if claim.status == "in_review":
            services.claim_approve(
                claim_id=claim.pk,
                actor=demo.editor,
                comment="Sources and denials are on the page.",
                at=REVIEW_DAY,
            )
            demo.created += 1
        claim.refresh_from_db()
        if claim.status == "approved":
            services.claim_publish(
                claim_id=claim.pk, actor=demo.editor, at=REVIEW_DAY + timedelta(hours=1)
            )
            demo.created += 1


def correct_claim_1(demo: Demo) -> None:
    """18 Oct: the Shoigu error in the published summary is corrected in public."""
    claim = Claim.objects.get(pk=demo.claims["claim-1"].pk)
    if claim.summary != WRONG_SUMMARY or claim.status != "published":
        return
    services.claim_correct(
        claim_id=claim.pk,
        actor=demo.editor,
        expected_version=claim.version,
        correction_note=CORRECTION_NOTE,
        changes={"summary": CORRECT_SUMMARY},
        at=when("2023-10-18", 8),
    )
    demo.created += 1


@transaction.atomic
def load_demo() -> Demo:
    demo = ensure_users_and_team()
    ensure_entities(demo)
    ensure_sanctions(demo)
    ensure_claims(demo)
    # Claim 1's history in order: opened in September, sharpened on 13 October.
    items = ensure_evidence(demo)
    items.update(ensure_ais(demo))
    sharpen_claim_1(demo)
    ensure_links_and_assessments(demo, items)
    ensure_reviews(demo)
    correct_claim_1(demo)
    return demo
