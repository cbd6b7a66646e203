"""The demo story's data (shared/SCENARIO.md): North Korean munitions shipped to
Russia, 2023. The loader (loader.py) writes it through the services.

What is real and what is not: the claims, statements and documents follow public
reporting of the story, paraphrased (each says so); the vessels' IMO and MMSI
numbers, the satellite images and the AIS tracks are SYNTHETIC stand-ins, labelled
as such in their records (`is_synthetic`, their descriptions, their sources).
Times are when a team following the story live would have recorded each step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from provenance.entities.models import EntityKind
from provenance.teams.models import Role


def when(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


DEMO_TEAM_SLUG = "demo"
DEMO_TEAM_NAME = "Demo newsroom"
DEMO_USERS = {
    # Fixed, printed credentials: this is a local demo, never a deployment.
    "demo-reporter": ("demo-reporter-pass", Role.REPORTER),
    "demo-editor": ("demo-editor-pass", Role.EDITOR),
}
# Obviously synthetic identifiers: no real ship carries an IMO number starting 00000.
# The MMSIs use MID 400, which the ITU has allocated to no country (the Asian block
# starts at 401, Afghanistan; no x00 MID is allocated in any region), so no real
# station transmits them; as nine digits starting 2-7 with a MID in 201-775 they
# still read as ship stations (ITU-R M.585), which the AIS import turns into vessel
# entities, noting "MID not allocated". 99xxxxxxx, used before, is the ITU-R M.585
# format of aids to navigation. See evidence/ais/stations.py and
# tests/data/real/ais_stations/SOURCES.md.
SYNTHETIC_IDS = {
    "Angara": {"imo": "0000012", "mmsi": "400000001", "flag": "RU"},
    "Maria": {"imo": "0000024", "mmsi": "400000002", "flag": "RU"},
}
SYNTHETIC_NOTE = (
    "IMO and MMSI shown here are synthetic demo values from a range no real ship "
    "uses; the real ship's identifiers are not recorded in this demo."
)


# The reporting leaves the Maria owner's Moscow partner unnamed: so does the demo.
MOSCOW_FIRM = "Moscow logistics firm (unnamed in the reporting)"

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
        "kind": EntityKind.ORGANIZATION,
        "name": MOSCOW_FIRM,
        "description": (
            "A firm in Moscow that, RUSI says, oversees logistics for Russia's "
            "Ministry of Defence. The reporting does not name it; nor does the demo."
        ),
        "country": "RU",
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

# The field of storage pits on the synthetic Tikhoretsk images (original pixels):
# 16 pits a row from x=90, rows 62 px apart from y=70 (evidence.images.demo).
PIT_FIELD = [[80, 60], [1120, 60], [1120, 500], [80, 500]]

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
    ("claim-2", "rajin-scene", "context", "", RUSI_DAY),
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


PUBLISHED = ["claim-1", "claim-2", "claim-3", "claim-5", "claim-7"]
REVIEW_DAY = when("2023-10-17", 9)


SUBMIT_DAY = RUSI_DAY + timedelta(hours=3)
APPROVAL_COMMENT = "Sources and denials are on the page."
PUBLISH_DAY = REVIEW_DAY + timedelta(hours=1)
CORRECTION_DAY = when("2023-10-18", 8)

SHOIGU_CORRECTED = (
    "Russia's Defence Minister at the time of the story. (Corrected: one report of "
    "the story wrongly called him Ukraine's defence minister.)"
)
ANGARA_SANCTIONS = {
    "authority": "United States",
    "programme": "Russia-related sanctions",
    "reason": (
        "Sanctioned with its owners the year before the story (2022); earlier "
        "alleged arms deliveries to Syria, South Sudan and Iraq."
    ),
}

# What every statement and every synthetic image or AIS extract says of its source.
STATEMENT_SOURCE = {
    "source": "Public reporting",
    "source_reliability": "B",
    "information_credibility": "2",
}
SYNTHETIC_IMAGE_SOURCE = {
    "description": SYNTHETIC_IMAGE_NOTE,
    "source": "Synthetic demo imagery (stand-in for commercial satellite imagery)",
    "credit": "Provenance demo — synthetic image",
    "licence": "CC0 (synthetic)",
    "is_synthetic": True,
    "source_reliability": "F",
    "information_credibility": "6",
}
# A synthetic georeferenced scene of Rajin (issue 21): a GeoTIFF whose footprint
# covers the harbour, described as a satellite scene with illustrative fields.
SCENE: dict[str, Any] = {
    "key": "rajin-scene",
    "site": "rajin",
    "acquired_at": when("2023-10-14", 2),
    "title": "Rajin harbour scene, 14 October 2023 (synthetic georeferenced stand-in)",
    "provider": "Synthetic demo imagery (no real provider)",
    "platform": "synthetic",
    "sensor": "synthetic RGB",
    "cloud_cover_percent": 5.0,
}
SYNTHETIC_AIS_SOURCE = {
    "source": "Synthetic demo data (stand-in for a commercial AIS provider)",
    "credit": "Provenance demo — synthetic AIS",
    "is_synthetic": True,
    "source_reliability": "F",
    "information_credibility": "6",
}


# A short comment thread on claim 1 (issue 16): demo content, labelled as such in
# every comment, written after the correction so the audit chain stays in order.
DEMO_COMMENT_LABEL = "[demo] "
COMMENT_THREAD: list[dict[str, Any]] = [
    {
        "by": "reporter",
        "at": when("2023-10-19", 9),
        "body": (
            "@demo-editor KCNA's denial is absolute. Should the summary say it "
            "predates the White House briefing?"
        ),
        "quote": ("nk-denial", "has never exported weapons or ammunition"),
    },
    {
        "by": "editor",
        "at": when("2023-10-19", 11),
        "body": (
            "Yes, and give its date as *approximate*. Keep the RUSI imagery as the "
            "**independent** source."
        ),
        "reply_to": 0,
    },
    {
        "by": "reporter",
        "at": when("2023-10-19", 14),
        "body": "Done. I watch the claim for new denials.",
        "reply_to": 1,
    },
]

# --- Who owns what (the entity graph) -----------------------------------------------
# Each edge as the reporting gives it: no start or end date, no share, no
# identifier it does not give; each backed by the demo's documents, recorded when a
# team following the story would have (the RUSI analysis, 16 October 2023).
OWNER_SANCTIONS = {
    "authority": "United States",
    "programme": "Russia-related sanctions",
    "reason": (
        "Sanctioned with the Angara the year before the story (2022), in connection "
        "with the war in Ukraine."
    ),
}
OWNERS_SANCTIONED = ["M Leasing", "Marine Trans Shipping"]

ANGARA_OWNER_NOTE = (
    "Reported as an owner of the Angara; the reporting does not say whether it is "
    "the registered or the beneficial owner."
)
RELATIONSHIPS: list[dict[str, Any]] = [
    {
        "key": "m-leasing-angara",
        "source": "M Leasing",
        "kind": "registered_owner",
        "target": "Angara",
        "description": ANGARA_OWNER_NOTE,
        "confidence": "likely",
        "confidence_rationale": (
            "Named with the ship in the 2022 sanctions and in the October 2023 "
            "reporting; the registry itself not checked."
        ),
        "evidence": [
            ("angara-sanctions", "supports", "Sanctioned with its owners (2022)."),
        ],
        "at": RUSI_DAY,
    },
    {
        "key": "marine-trans-angara",
        "source": "Marine Trans Shipping",
        "kind": "registered_owner",
        "target": "Angara",
        "description": ANGARA_OWNER_NOTE,
        "confidence": "likely",
        "confidence_rationale": (
            "Named with the ship in the 2022 sanctions and in the October 2023 "
            "reporting; the registry itself not checked."
        ),
        "evidence": [
            ("angara-sanctions", "supports", "Sanctioned with its owners (2022)."),
        ],
        "at": RUSI_DAY,
    },
    {
        "key": "azia-maria",
        "source": "Azia Shipping Holdings",
        "kind": "registered_owner",
        "target": "Maria",
        "description": "Cyprus-based owner of the Maria, as RUSI reports it.",
        "confidence": "likely",
        "confidence_rationale": "RUSI's analysis; the registry itself not checked.",
        "evidence": [
            ("maria-ownership", "supports", "Owned by Azia Shipping Holdings."),
            ("rusi", "context", ""),
        ],
        "at": RUSI_DAY,
    },
    {
        "key": "azia-moscow",
        "source": "Azia Shipping Holdings",
        "kind": "linked_to",
        "target": MOSCOW_FIRM,
        "description": (
            "Links, RUSI says, to a Moscow firm that oversees logistics for Russia's "
            "Ministry of Defence; the nature of the link is not given."
        ),
        "confidence": "roughly_even_chance",
        "confidence_rationale": (
            "RUSI's assessment alone; the firm is unnamed and the link undocumented "
            "in the reporting."
        ),
        "evidence": [
            ("maria-ownership", "supports", "RUSI: linked to a Moscow firm."),
            ("rusi", "supports", ""),
        ],
        "at": RUSI_DAY,
    },
]
# (claim, relationship, relation, note): claims citing edges as evidence.
RELATIONSHIP_CITATIONS: list[tuple[str, str, str, str]] = [
    ("claim-2", "m-leasing-angara", "context", "Who owns the Angara."),
    ("claim-2", "azia-maria", "context", "Who owns the Maria."),
]
