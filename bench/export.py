"""Publisher export at 10,000 published claims, on PostgreSQL, against baselines
measured in the same run.

1. Bulk export (/api/v1/export/claims.jsonl, streamed) vs a hand-written baseline:
   `.values()` queries per chunk of 500 ids + orjson of the same fields.
   Targets (issue 19): throughput >= 0.8x the baseline; flat memory (tracemalloc
   peak at 10,000 claims about the same as at 2,000).
2. The publisher list endpoint (/api/v1/claims/, 50 per page, through the Django test
   Client and the full middleware stack) vs the baseline served as a bare Django
   view through the same Client. Target >= 0.5x.
3. Cursor pagination: the page at depth 9,000 within 1.3x of page 1 (issue 19),
   the two timed alternately so a change of machine load falls on both.

Creates (and drops first) its own database, `provenance_bench` (BENCH_DB_NAME), on
the server named by DATABASE_URL (default postgres://postgres@127.0.0.1:5432/).

    .venv/bin/python bench/export.py [--claims 10000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
import types
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# BENCH_DB_NAME lets two people on one server bench at once.
BENCH_DB = os.environ.get("BENCH_DB_NAME", "provenance_bench")
server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/x")
parts = urlsplit(server)
if not parts.scheme.startswith("postgres"):
    sys.exit("bench/export.py needs PostgreSQL: set DATABASE_URL to a postgres server")
os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
# Production-like: DEBUG off (no query log growing in memory), no HTTPS redirect.
os.environ.update(
    DEBUG="0",
    HTTPS="0",
    SECRET_KEY="bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz",  # noqa: S106
    ALLOWED_HOSTS="testserver",
    DJANGO_SETTINGS_MODULE="provenance.settings",
    SIGNING_KEY_PATH=str(ROOT / "var" / "bench_signing_key.pem"),
    LOG_LEVEL="WARNING",
    PROVENANCE_TESTING="1",  # plain static storage: no collectstatic manifest
    # Measure building the pages, not the publisher page cache (bench/load.py
    # reports both).
    CACHE_URL="dummy://",
)


def recreate_database() -> None:
    import psycopg

    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")


recreate_database()

import django  # noqa: E402

django.setup()

import orjson  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import clear_url_caches, path, reverse  # noqa: E402

from evidence.models import (  # noqa: E402
    AISExtract,
    AISGap,
    EvidenceItem,
    ImageAnnotation,
    PortCall,
    Statement,
    WebCapture,
)
from provenance.claims.confidence import BANDS, SCALE  # noqa: E402
from provenance.claims.models import (  # noqa: E402
    Claim,
    ClaimEvidence,
    ClaimRelationship,
    ConfidenceAssessment,
    QuantityEstimate,
    Review,
    Tag,
    format_quantity,
)
from provenance.entities.models import Entity  # noqa: E402
from provenance.publishing.api.throttling import PublisherKeyThrottle  # noqa: E402
from provenance.publishing.exports.queries import ITEM_COLUMNS  # noqa: E402
from provenance.publishing.keys import publisher_create  # noqa: E402
from provenance.teams.models import Team  # noqa: E402

CHUNK = 500
NOW = datetime(2025, 6, 1, tzinfo=UTC)


# --- Data -----------------------------------------------------------------------------


def generate(n_claims: int) -> tuple[Team, str]:
    User = get_user_model()
    user = User.objects.create_user("bench", password="x")  # noqa: S106
    team = Team.objects.create(name="Bench desk", slug="bench")
    other = Team.objects.create(name="Other desk", slug="other")
    kinds = ["vessel"] * 60 + ["port"] * 20 + ["person"] * 60 + ["organization"] * 60
    entities = Entity.objects.bulk_create(
        Entity(
            team=team,
            kind=kind,
            name=f"{kind.title()} {i}",
            slug=f"{kind}-{i}",
            locode=f"GB{i:03d}" if kind == "port" else "",
            mmsi=f"235{i:06d}" if kind == "vessel" else "",
        )
        for i, kind in enumerate(kinds)
    )
    vessels = [e for e in entities if e.kind == "vessel"]
    ports = [e for e in entities if e.kind == "port"]
    people = [e for e in entities if e.kind == "person"]
    orgs = [e for e in entities if e.kind == "organization"]
    tags = Tag.objects.bulk_create(
        Tag(team=team, name=f"Tag {i}", slug=f"tag-{i}") for i in range(20)
    )
    claims = []
    for i in range(n_claims):
        has_quantity = i % 2 == 0
        claims.append(
            Claim(
                team=team,
                text=f"Vessel {i % 60} delivered cargo to port {i % 20} (claim {i}).",
                slug=f"claim-{i}",
                summary="A bench claim. " * 5,
                quantity_amount=Decimal(1000 + i) if has_quantity else None,
                quantity_unit="tonnes" if has_quantity else "",
                quantity_bound="at_least" if has_quantity else "",
                first_appearance_source="Ministry statement",
                first_appearance_entity=orgs[i % len(orgs)],
                first_appearance_url=f"https://example.org/source/{i}",
                first_appearance_at=NOW - timedelta(days=400),
                status="published" if i % 25 else "retracted",
                retraction_reason="" if i % 25 else "Wrong vessel.",
                published_at=NOW - timedelta(days=100),
                # Everything below is recorded before the publication: all public.
                public_content_at=NOW - timedelta(days=100),
                correction_note="A figure was corrected." if i % 10 == 0 else "",
                author=user,
                last_edited_by=user,
                created_at=NOW - timedelta(days=200),
                # Distinct times, as in life: the cursor position is updated_at.
                updated_at=NOW - timedelta(seconds=i * 37),
            )
        )
    claims = Claim.objects.bulk_create(claims, batch_size=2000)
    # A few drafts and another team's claims the publisher must not see.
    Claim.objects.bulk_create(
        [
            Claim(team=team, text="draft", slug="draft-x", author=user),
            Claim(team=other, text="theirs", slug="theirs", author=user),
        ]
    )
    Subject = Claim.subjects.through
    Subject.objects.bulk_create(
        [
            Subject(claim_id=c.pk, entity_id=vessels[i % 60].pk)
            for i, c in enumerate(claims)
        ]
        + [
            Subject(claim_id=c.pk, entity_id=ports[i % 20].pk)
            for i, c in enumerate(claims)
            if i % 3 == 0
        ],
        batch_size=5000,
    )
    TagLink = Claim.tags.through
    TagLink.objects.bulk_create(
        [TagLink(claim_id=c.pk, tag_id=tags[i % 20].pk) for i, c in enumerate(claims)],
        batch_size=5000,
    )
    items = []
    for i in range(len(claims)):
        for j in range(2):
            kind = (
                "statement" if (i + j) % 4 == 0 else ("ais" if i % 50 == 0 else "link")
            )
            items.append(
                EvidenceItem(
                    team=team,
                    kind=kind,
                    title=f"Evidence {i}-{j}",
                    description="Bench evidence item.",
                    source="Bench wire",
                    url=f"https://example.org/evidence/{i}/{j}",
                    observed_at=NOW - timedelta(days=150, hours=i % 24),
                    sha256=f"{i:032x}{j:032x}",
                    size_bytes=1024 + i,
                    mime_type="text/html",
                    source_reliability="B",
                    information_credibility="2",
                    is_restricted=(i + j) % 10 == 3,
                )
            )
    items = EvidenceItem.objects.bulk_create(items, batch_size=5000)
    Statement.objects.bulk_create(
        [
            Statement(
                item=item,
                speaker=people[n % len(people)],
                on_behalf_of=orgs[n % len(orgs)],
                stated_at=NOW - timedelta(days=120),
                venue="Press conference",
                quote="We deny any such delivery.",
            )
            for n, item in enumerate(items)
            if item.kind == "statement"
        ],
        batch_size=5000,
    )
    extracts = AISExtract.objects.bulk_create(
        [
            AISExtract(item=item, source_format="nmea", rows_read=1000, rows_kept=990)
            for item in items
            if item.kind == "ais"
        ]
    )
    PortCall.objects.bulk_create(
        PortCall(
            extract=x,
            vessel=vessels[n % 60],
            mmsi=vessels[n % 60].mmsi,
            port=ports[n % 20],
            arrival_at=NOW - timedelta(days=130),
            departure_at=NOW - timedelta(days=129),
        )
        for n, x in enumerate(extracts)
    )
    AISGap.objects.bulk_create(
        AISGap(
            extract=x,
            vessel=vessels[n % 60],
            mmsi=vessels[n % 60].mmsi,
            start_at=NOW - timedelta(days=128),
            end_at=NOW - timedelta(days=127),
            start_latitude=50,
            start_longitude=0,
            end_latitude=51,
            end_longitude=1,
            distance_km=100,
            implied_speed_knots=2.2,
        )
        for n, x in enumerate(extracts)
    )
    links = []
    for n, item in enumerate(items):
        claim = claims[n // 2]
        links.append(
            ClaimEvidence(
                claim=claim,
                item=item,
                relation="contradicts" if item.kind == "statement" else "supports",
                stance="denies" if item.kind == "statement" else "",
                note="internal note",
                linked_by=user,
                linked_at=NOW - timedelta(days=140, minutes=n % 60),
            )
        )
    ClaimEvidence.objects.bulk_create(links, batch_size=5000)
    assessments = ConfidenceAssessment.objects.bulk_create(
        [
            ConfidenceAssessment(
                claim=c,
                level=SCALE[(i + k) % 7].key,
                rationale="Two sources agree; one denial.",
                assessed_by=user,
                recorded_at=NOW - timedelta(days=110 - k * 5),
                effective_at=NOW - timedelta(days=110 - k * 5),
            )
            for i, c in enumerate(claims)
            for k in range(2)
        ],
        batch_size=5000,
    )
    Cited = ConfidenceAssessment.evidence.through
    Cited.objects.bulk_create(
        [
            Cited(confidenceassessment_id=a.pk, evidenceitem_id=items[n].pk)
            for n, a in enumerate(assessments)
        ],
        batch_size=5000,
    )
    QuantityEstimate.objects.bulk_create(
        [
            QuantityEstimate(
                claim=c,
                amount=Decimal(900 + i),
                unit="tonnes",
                bound="about",
                source_label="Port authority",
                is_current=True,
                recorded_by=user,
                recorded_at=NOW - timedelta(days=105),
            )
            for i, c in enumerate(claims)
            if i % 2 == 0
        ],
        batch_size=5000,
    )
    Review.objects.bulk_create(
        [
            Review(
                claim=c,
                decision=decision,
                from_status=frm,
                to_status=to,
                comment="reviewer comment",
                by=user,
                at=NOW - timedelta(days=days),
            )
            for i, c in enumerate(claims)
            for decision, frm, to, days in (
                ("approve", "in_review", "approved", 101),
                ("publish", "approved", "published", 100),
            )
            + ((("correct", "published", "published", 90),) if i % 10 == 0 else ())
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    key = publisher_create(name="Bench paper", teams=[team]).key
    return team, key


# --- The hand-written baseline -------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


ENTITY = ("id", "slug", "name", "kind", "country", "imo", "mmsi", "locode")


def _entity(row: dict, prefix: str) -> dict | None:
    if row[f"{prefix}id"] is None:
        return None
    return {f: row[f"{prefix}{f}"] for f in ENTITY}


def baseline_rows(claim_ids: list[int], claims_url: str) -> list[dict]:
    """The same fields as the native export, built from .values() queries."""
    fa = "first_appearance_entity__"
    rows = list(
        Claim.objects.filter(pk__in=claim_ids)
        .order_by()
        .values(
            "id",
            "slug",
            "text",
            "summary",
            "status",
            "quantity_amount",
            "quantity_unit",
            "quantity_bound",
            "first_appearance_source",
            "first_appearance_url",
            "first_appearance_at",
            "published_at",
            "correction_note",
            "retraction_reason",
            "created_at",
            "updated_at",
            "team__slug",
            "team__name",
            *[fa + f for f in ENTITY],
        )
    )
    subjects = defaultdict(list)
    for r in (
        Claim.subjects.through.objects.filter(claim_id__in=claim_ids)
        .order_by("entity__name")
        .values("claim_id", *[f"entity__{f}" for f in ENTITY])
    ):
        subjects[r["claim_id"]].append(_entity(r, "entity__"))
    tags = defaultdict(list)
    for r in Claim.tags.through.objects.filter(claim_id__in=claim_ids).values(
        "claim_id", "tag__slug"
    ):
        tags[r["claim_id"]].append(r["tag__slug"])
    estimates = defaultdict(list)
    for r in QuantityEstimate.objects.filter(claim_id__in=claim_ids).values(
        "claim_id",
        "amount",
        "unit",
        "bound",
        "source_label",
        "source_url",
        "stated_at",
        "is_current",
        "annotation_id",
        *[f"source_entity__{f}" for f in ENTITY],
    ):
        _none_in_bench_data("an estimate from an annotation", r["annotation_id"])
        estimates[r["claim_id"]].append(
            {
                "amount": format(r["amount"].normalize(), "f"),
                "unit": r["unit"],
                "bound": r["bound"],
                "display": format_quantity(r["amount"], r["unit"], r["bound"]),
                "source_label": r["source_label"],
                "source_url": r["source_url"],
                "source_entity": _entity(r, "source_entity__"),
                "stated_at": _iso(r["stated_at"]),
                "is_current": r["is_current"],
                "annotation": None,
            }
        )
    assessments = list(
        ConfidenceAssessment.objects.filter(claim_id__in=claim_ids)
        .order_by("effective_at", "recorded_at", "pk")
        .values("id", "claim_id", "level", "rationale", "effective_at", "recorded_at")
    )
    cited = defaultdict(list)
    for r in ConfidenceAssessment.evidence.through.objects.filter(
        confidenceassessment_id__in=[a["id"] for a in assessments],
        evidenceitem__is_restricted=False,
    ).values("confidenceassessment_id", "evidenceitem_id"):
        cited[r["confidenceassessment_id"]].append(r["evidenceitem_id"])
    history = defaultdict(list)
    for a in assessments:
        band = BANDS[a["level"]]
        history[a["claim_id"]].append(
            {
                "id": a["id"],
                "level": a["level"],
                "label": band.label,
                "rank": band.rank,
                "probability_low": band.low,
                "probability_high": band.high,
                "rationale": a["rationale"],
                "effective_at": _iso(a["effective_at"]),
                "recorded_at": _iso(a["recorded_at"]),
                "evidence_ids": sorted(cited[a["id"]]),
            }
        )
    st = "item__statement__"
    link_rows = list(
        ClaimEvidence.objects.filter(claim_id__in=claim_ids, item__is_restricted=False)
        .order_by("linked_at", "pk")
        .values(
            "claim_id",
            "relation",
            "stance",
            "linked_at",
            "item_id",
            # The same item columns the export reads, so both sides fetch alike.
            *[f"item__{f}" for f in ITEM_COLUMNS],
            "item__image__thumbnail",
            # Whether an image has a footprint (a STAC Item, schema 1.2).
            "item__image__geo",
            "item__ais__id",
            "item__ais__source_format",
            "item__ais__rows_read",
            "item__ais__rows_kept",
            "item__ais__first_at",
            "item__ais__last_at",
            "item__ais__analysis_params",
            "item__ais__summary",
            f"{st}id",
            f"{st}stated_at",
            f"{st}venue",
            f"{st}quote",
            f"{st}original_text",
            f"{st}original_language",
            *[f"{st}speaker__{f}" for f in ENTITY],
            *[f"{st}on_behalf_of__{f}" for f in ENTITY],
        )
    )
    extract_ids = [r["item__ais__id"] for r in link_rows if r["item__ais__id"]]
    # What schema 1.1 added (captures, annotations, cited relationships): the
    # same one query each per chunk as the export pays; the bench data has none.
    item_ids = [r["item_id"] for r in link_rows]
    _none_in_bench_data(
        "a capture",
        WebCapture.objects.filter(item_id__in=item_ids, captured_at__isnull=False)
        .values_list("pk", flat=True)
        .first(),
    )
    _none_in_bench_data(
        "an annotation",
        ImageAnnotation.objects.live()
        .filter(item_id__in=item_ids)
        .values_list("pk", flat=True)
        .first(),
    )
    _none_in_bench_data(
        "a cited relationship",
        ClaimRelationship.objects.filter(claim_id__in=claim_ids)
        .values_list("pk", flat=True)
        .first(),
    )
    calls = defaultdict(list)
    for r in PortCall.objects.filter(extract_id__in=extract_ids).values(
        "extract_id",
        "mmsi",
        "vessel__slug",
        "port__name",
        "port__locode",
        "arrival_at",
        "departure_at",
    ):
        calls[r["extract_id"]].append(
            {
                "mmsi": r["mmsi"],
                "vessel": r["vessel__slug"],
                "port": r["port__name"],
                "port_locode": r["port__locode"],
                "arrival_at": _iso(r["arrival_at"]),
                "departure_at": _iso(r["departure_at"]),
            }
        )
    gaps = defaultdict(list)
    for r in AISGap.objects.filter(extract_id__in=extract_ids).values(
        "extract_id",
        "mmsi",
        "vessel__slug",
        "start_at",
        "end_at",
        "distance_km",
        "implied_speed_knots",
        "near_port__name",
    ):
        gaps[r["extract_id"]].append(
            {
                "mmsi": r["mmsi"],
                "vessel": r["vessel__slug"],
                "start_at": _iso(r["start_at"]),
                "end_at": _iso(r["end_at"]),
                "duration_hours": round(
                    (r["end_at"] - r["start_at"]).total_seconds() / 3600, 3
                ),
                "distance_km": r["distance_km"],
                "implied_speed_knots": r["implied_speed_knots"],
                "near_port": r["near_port__name"],
            }
        )
    links = defaultdict(list)
    denials = defaultdict(list)
    for r in link_rows:
        if (r["item__image__geo"] or {}).get("footprint"):
            _none_in_bench_data("a scene footprint", r["item_id"])
        ais = None
        if r["item__ais__id"]:
            summary = r["item__ais__summary"] or {}
            ais = {
                "source_format": r["item__ais__source_format"],
                "rows_read": r["item__ais__rows_read"],
                "rows_kept": r["item__ais__rows_kept"],
                "first_at": _iso(r["item__ais__first_at"]),
                "last_at": _iso(r["item__ais__last_at"]),
                "analysis_params": r["item__ais__analysis_params"],
                "port_calls": calls[r["item__ais__id"]],
                "voyages": summary.get("voyages", []),
                "dark_periods": gaps[r["item__ais__id"]],
            }
        statement = None
        if r[f"{st}id"]:
            statement = {
                "speaker": _entity(r, f"{st}speaker__"),
                "on_behalf_of": _entity(r, f"{st}on_behalf_of__"),
                "stated_at": _iso(r[f"{st}stated_at"]),
                "venue": r[f"{st}venue"],
                "quote": r[f"{st}quote"],
                "original_text": r[f"{st}original_text"],
                "original_language": r[f"{st}original_language"],
            }
        item = {
            "id": r["item_id"],
            **{
                f: r[f"item__{f}"]
                for f in (
                    "kind",
                    "title",
                    "description",
                    "source",
                    "credit",
                    "licence",
                    "url",
                    "archived_url",
                )
            },
            "observed_at": _iso(r["item__observed_at"]),
            "sha256": r["item__sha256"],
            "size_bytes": r["item__size_bytes"],
            "mime_type": r["item__mime_type"],
            "grade": {
                "code": r["item__source_reliability"]
                + r["item__information_credibility"],
                "source_reliability": r["item__source_reliability"],
                "information_credibility": r["item__information_credibility"],
            },
            "is_synthetic": r["item__is_synthetic"],
            "is_restricted": r["item__is_restricted"],
            "thumbnail_url": None,
            "statement": statement,
            "ais": ais,
            "captures": [],
            "stac_item": None,
        }
        links[r["claim_id"]].append(
            {
                "relation": r["relation"],
                "stance": r["stance"],
                "linked_at": _iso(r["linked_at"]),
                "evidence": item,
            }
        )
        if r["stance"] == "denies":
            denials[r["claim_id"]].append(r["item_id"])
    corrections = defaultdict(list)
    for r in (
        Review.objects.filter(claim_id__in=claim_ids, decision="correct")
        .order_by("at", "pk")
        .values("claim_id", "at", "comment")
    ):
        corrections[r["claim_id"]].append(
            {"corrected_at": _iso(r["at"]), "note": r["comment"]}
        )
    out = []
    for c in rows:
        cid = c["id"]
        quantity = None
        if c["quantity_amount"] is not None:
            quantity = {
                "amount": format(c["quantity_amount"].normalize(), "f"),
                "unit": c["quantity_unit"],
                "bound": c["quantity_bound"],
                "display": format_quantity(
                    c["quantity_amount"], c["quantity_unit"], c["quantity_bound"]
                ),
            }
        hist = history[cid]
        out.append(
            {
                "schema_version": "1.2",
                "id": cid,
                "url": f"{claims_url}{cid}/",
                "team": c["team__slug"],
                "team_name": c["team__name"],
                "slug": c["slug"],
                "text": c["text"],
                "summary": c["summary"],
                "subjects": subjects[cid],
                "tags": tags[cid],
                "quantity": quantity,
                "quantity_estimates": estimates[cid],
                "first_appearance": {
                    "source": c["first_appearance_source"],
                    "entity": _entity(c, fa),
                    "url": c["first_appearance_url"],
                    "at": _iso(c["first_appearance_at"]),
                },
                "confidence": hist[-1] if hist else None,
                "confidence_history": hist,
                "evidence": links[cid],
                "denials": denials[cid],
                "review": {
                    "status": c["status"],
                    "published_at": _iso(c["published_at"]),
                    "correction_note": c["correction_note"],
                    "corrections": corrections[cid],
                    "retraction_reason": c["retraction_reason"],
                },
                "created_at": _iso(c["created_at"]),
                "updated_at": _iso(c["updated_at"]),
                "as_of": None,
                "relationships": [],
                "annotations": [],
            }
        )
    return out


def _none_in_bench_data(what: str, found) -> None:
    """The baseline writes these parts only as the bench data has them: none."""
    if found is not None:
        raise SystemExit(f"The bench data has {what}: extend the baseline first.")


def readable_ids(team: Team):
    return Claim.objects.filter(team=team, status__in=["published", "retracted"])


def baseline_export(team: Team, claims_url: str, updated_since=None):
    ids = readable_ids(team)
    if updated_since:
        ids = ids.filter(updated_at__gte=updated_since)
    ids = list(ids.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = {r["id"]: r for r in baseline_rows(chunk, claims_url)}
        for cid in chunk:
            yield orjson.dumps(rows[cid], option=orjson.OPT_APPEND_NEWLINE)


def baseline_list_view(request: HttpRequest) -> HttpResponse:
    """The list page as a bare Django view: no DRF, no auth, no cursor."""
    team = Team.objects.get(slug="bench")
    ids = list(
        readable_ids(team)
        .order_by("-updated_at", "-id")
        .values_list("pk", flat=True)[:50]
    )
    rows = {r["id"]: r for r in baseline_rows(ids, "http://testserver/api/v1/claims/")}
    body = orjson.dumps({"next": None, "results": [rows[i] for i in ids]})
    return HttpResponse(body, content_type="application/json")


# --- Measuring ----------------------------------------------------------------------


def drain(chunks) -> tuple[int, int]:
    lines = size = 0
    for chunk in chunks:
        lines += chunk.count(b"\n")
        size += len(chunk)
    return lines, size


def _differences(a, b, path: str = "") -> list[str]:
    """Where two JSON values differ (paths), so a drifted baseline is mended."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(
                    f"{path}.{key} only in {'export' if key in a else 'baseline'}"
                )
            else:
                out += _differences(a[key], b[key], f"{path}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _differences(x, y, f"{path}[{i}]")
        ]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"[:300]]


def timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def peak_bytes(fn) -> int:
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claims", type=int, default=10_000)
    args = parser.parse_args()
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    team, key = generate(args.claims)
    print(
        f"PostgreSQL {connection.pg_version // 10000}, {args.claims:,} published "
        f"claims, 2 evidence items and 2 assessments each: set up in "
        f"{time.perf_counter() - started:.0f} s"
    )
    PublisherKeyThrottle.THROTTLE_RATES = {"publisher": None}  # not what we measure
    urlconf = types.ModuleType("bench_urls")
    urlconf.urlpatterns = [
        path("bench/baseline-list/", baseline_list_view),
        *__import__("provenance.urls", fromlist=["urlpatterns"]).urlpatterns,
    ]
    sys.modules["bench_urls"] = urlconf
    settings.ROOT_URLCONF = "bench_urls"
    clear_url_caches()
    client = Client(headers={"authorization": f"Api-Key {key}"})
    claims_url = "http://testserver" + reverse("api:claim-list")
    export_url = reverse("api:export-claims")

    def ours(since: str = "") -> tuple[int, int]:
        response = client.get(export_url, {"updated_since": since} if since else {})
        assert response.status_code == 200, response.status_code
        return drain(response.streaming_content)

    def theirs(since=None) -> tuple[int, int]:
        return drain(baseline_export(team, claims_url, since))

    # Same claims, same fields, same order.
    ours_lines, ours_bytes = ours()
    base_lines, base_bytes = theirs()
    assert ours_lines == base_lines == args.claims, (ours_lines, base_lines)
    sample = b"".join(
        client.get(
            export_url, {"updated_since": "2025-05-31T23:00:00Z"}
        ).streaming_content
    ).splitlines()[0]
    first = orjson.loads(sample)
    again = next(
        orjson.loads(line)
        for line in baseline_export(team, claims_url, NOW - timedelta(hours=1))
        if orjson.loads(line)["id"] == first["id"]
    )
    if first != again:
        diff = _differences(first, again)
        raise SystemExit(f"baseline and export differ: {diff[:20]}")

    t_ours = timed(ours)
    t_base = timed(theirs)
    print("\n1. Bulk export, JSON Lines (streamed)")
    print(
        f"   ours     {args.claims / t_ours:8,.0f} claims/s  ({t_ours:.2f} s, "
        f"{ours_bytes / 1e6:.1f} MB)"
    )
    print(
        f"   baseline {args.claims / t_base:8,.0f} claims/s  ({t_base:.2f} s, "
        f"{base_bytes / 1e6:.1f} MB)"
    )
    ratio = t_base / t_ours
    print(
        f"   throughput ratio ours/baseline: {ratio:.2f}x (target >= 0.8x: "
        f"{'meets' if ratio >= 0.8 else 'MISSES'})"
    )
    small_since = (NOW - timedelta(seconds=37 * (args.claims // 5) - 1)).isoformat()
    peak_small = peak_bytes(lambda: ours(small_since))
    peak_full = peak_bytes(ours)
    base_small = peak_bytes(lambda: theirs(datetime.fromisoformat(small_since)))
    base_full = peak_bytes(theirs)
    print(
        f"   tracemalloc peak, ours:     {peak_small / 1e6:5.1f} MB at "
        f"{args.claims // 5:,} claims, {peak_full / 1e6:5.1f} MB at {args.claims:,} "
        f"(ratio {peak_full / peak_small:.2f}; flat = about 1)"
    )
    print(
        f"   tracemalloc peak, baseline: {base_small / 1e6:5.1f} MB at "
        f"{args.claims // 5:,} claims, {base_full / 1e6:5.1f} MB at {args.claims:,} "
        f"(ratio {base_full / base_small:.2f})"
    )

    list_url = reverse("api:claim-list")
    for _ in range(3):  # warm both
        client.get(list_url)
        client.get("/bench/baseline-list/")
    page_ours = [timed(lambda: client.get(list_url), repeat=1) for _ in range(30)]
    page_base = [
        timed(lambda: client.get("/bench/baseline-list/"), repeat=1) for _ in range(30)
    ]
    m_ours, m_base = statistics.median(page_ours), statistics.median(page_base)
    print("\n2. Publisher list endpoint, 50 claims per page (median of 30)")
    print(f"   ours     {m_ours * 1000:6.1f} ms/page  ({1 / m_ours:5.0f} pages/s)")
    print(f"   baseline {m_base * 1000:6.1f} ms/page  ({1 / m_base:5.0f} pages/s)")
    print(f"   throughput ratio ours/baseline: {m_base / m_ours:.2f}x (target >= 0.5x)")

    url, depth, target = list_url, 0, min(9_000, args.claims - 100)
    while depth < target:
        page = client.get(url).json()
        depth += len(page["results"])
        url = page["next"]
    deep, first_page = [], []
    for _ in range(30):
        deep.append(timed(lambda: client.get(url), repeat=1))
        first_page.append(timed(lambda: client.get(list_url), repeat=1))
    m_deep, m_first = statistics.median(deep), statistics.median(first_page)
    print("\n3. Cursor pagination (median of 30)")
    print(f"   page 1           {m_first * 1000:6.1f} ms")
    print(f"   depth {depth:,}      {m_deep * 1000:6.1f} ms")
    ratio = m_deep / m_first
    print(
        f"   ratio deep/first: {ratio:.2f}x (target <= 1.3x: "
        f"{'meets' if ratio <= 1.3 else 'MISSES'})"
    )


if __name__ == "__main__":
    main()
