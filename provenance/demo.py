"""The demo story (shared/SCENARIO.md): North Korean munitions shipped to Russia, 2023.

Every step is idempotent — objects are looked up by a natural key and only created when
missing — so running the loader twice changes nothing. Recorded times are back-dated to
when a team following the story live would have recorded them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import transaction

from . import services
from .models import Claim, Entity, EntityKind, Membership, Role, Team

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
WHITE_HOUSE_DAY = when("2023-10-13", 18)
RUSI_DAY = when("2023-10-16", 10)

CLAIMS: list[dict[str, Any]] = [
    {
        "key": "claim-1",
        "slug": "north-korea-is-supplying-munitions-to-russia",
        # Opened in September as an unquantified suspicion; sharpened on 13 Oct.
        "text": "North Korea is supplying munitions to Russia.",
        "summary": (
            "US officials have accused Russia for over a year of buying North Korean "
            "weapons; Shoigu's July visit to an arms exhibition with Kim Jong-un in "
            "Pyongyang sharpened the suspicion."
        ),
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
    "first_appearance_source": "The White House, 13 October 2023",
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
            existing = services.entity_create(
                team=demo.team,
                actor=demo.reporter,
                at=SEPT,
                **spec,
            )
            demo.created += 1
        demo.entities[existing.name] = existing
    shoigu = demo.entities["Sergei K. Shoigu"]
    if "Ukraine" in shoigu.description:
        services.entity_update(
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


@transaction.atomic
def load_demo() -> Demo:
    demo = ensure_users_and_team()
    ensure_entities(demo)
    ensure_claims(demo)
    sharpen_claim_1(demo)
    return demo
