"""Importing fact-checks published elsewhere as draft claims (issue 20).

`factcheck_import` is the one writer, for the web form, the API and the command: it
parses the input (publishing.factcheck_parse: bounded, every refusal a reason),
then in one transaction creates one draft claim per fact-check through
claims.services.claim_create (its first appearance and claimant), records each
reviewer's rating through claims.verdicts.external_verdict_add, and lists the
team's existing claims that look the same (search, before anything is written, so
an import never proposes its own drafts). Any error rolls the whole import back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction

from evidence.models import CaptureFile, WebCapture
from provenance.claims import services as claim_services
from provenance.claims.models import Claim, ExternalVerdict
from provenance.claims.verdicts import external_verdict_add
from provenance.entities.models import Entity, EntityKind
from provenance.entities.services import entity_create
from provenance.publishing.factcheck_parse import (
    MAX_BYTES,
    FactCheck,
    FactCheckError,
    parse_factchecks,
)
from provenance.search.models import Audience, DocumentKind
from provenance.search.selectors import search
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member

SIMILAR_SHOWN = 5
SIMILAR_WORDS = 12
CLAIMANT_KINDS = (EntityKind.PERSON, EntityKind.ORGANIZATION, EntityKind.GOVERNMENT)
_WORD = re.compile(r"\w{4,}")
STOPWORDS = frozenset(
    [
        "about",
        "after",
        "also",
        "been",
        "before",
        "being",
        "could",
        "does",
        "from",
        "have",
        "into",
        "just",
        "more",
        "most",
        "much",
        "only",
        "other",
        "over",
        "said",
        "same",
        "since",
        "some",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "very",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "year",
        "years",
    ]
)


@dataclass(frozen=True)
class SimilarClaim:
    claim_id: int
    text: str
    url: str


@dataclass(frozen=True)
class ImportedClaim:
    claim: Claim
    claimant: Entity | None
    is_new_claimant: bool
    # The claimant named by the fact-check when no entity was found or created.
    claimant_name: str
    verdicts: tuple[ExternalVerdict, ...]
    similar: tuple[SimilarClaim, ...]


def significant_words(text: str) -> set[str]:
    """The words of four letters or more that say what a claim is about."""
    return set(_WORD.findall(text.lower())) - STOPWORDS


def looks_the_same(a: set[str], b: set[str]) -> bool:
    """Two claims look the same when they share at least two significant words and
    at least a third of the shorter one's (so "more than" alone is not enough)."""
    shared = len(a & b)
    return shared >= 2 and shared * 3 >= min(len(a), len(b))


def similar_claims(
    *, team: Team, text: str, exclude: frozenset[int] = frozenset()
) -> tuple[SimilarClaim, ...]:
    """The team's claims that look like `text`: the search service finds the
    candidates (any of the text's longest significant words, ranked), then
    looks_the_same keeps those that share enough of them."""
    words = significant_words(text)
    if not words:
        return ()
    longest = sorted(words, key=lambda w: (-len(w), w))[:SIMILAR_WORDS]
    results = search(
        audience=Audience.member(team),
        q=" or ".join(longest),
        kind=DocumentKind.CLAIM,
    )
    found = []
    for group in results.groups:
        for hit in group.hits:
            if (
                hit.object_id not in exclude
                and len(found) < SIMILAR_SHOWN
                and looks_the_same(words, significant_words(hit.plain_title))
            ):
                found.append(
                    SimilarClaim(
                        claim_id=hit.object_id, text=hit.plain_title, url=hit.url
                    )
                )
    return tuple(found)


def claimant_for(*, team: Team, name: str) -> Entity | None:
    """The team's person, organisation or government of that name or alias."""
    name = name.strip()
    if not name:
        return None
    candidates = Entity.objects.for_team(team).filter(kind__in=CLAIMANT_KINDS)
    exact = candidates.filter(name__iexact=name).order_by("pk").first()
    if exact is not None:
        return exact
    for entity in candidates.filter(aliases_text__icontains=name).order_by("pk")[:20]:
        if name.casefold() in {a.strip().casefold() for a in entity.aliases or []}:
            return entity
    return None


def capture_dom(*, team: Team, capture_id: int) -> bytes:
    """The rendered DOM of one of the team's web captures, at most MAX_BYTES + 1
    bytes read (so an over-long one is refused by the parser, not loaded)."""
    dom = (
        CaptureFile.objects.filter(
            capture_id=capture_id,
            capture__item__team=team,
            role=CaptureFile.Role.DOM,
        )
        .only("file")
        .first()
    )
    if dom is None:
        raise ValidationError({"capture": "No such capture with a DOM in this team."})
    with default_storage.open(dom.file.name, "rb") as handle:
        return handle.read(MAX_BYTES + 1)


def captures_with_dom(*, team: Team, limit: int = 50) -> list[WebCapture]:
    """The team's latest captures that have a rendered DOM (the form's choices)."""
    return list(
        WebCapture.objects.filter(
            item__team=team, files__role=CaptureFile.Role.DOM
        ).order_by("-requested_at", "-pk")[:limit]
    )


def _appearance_source(factcheck: FactCheck) -> str:
    parts = [p for p in (factcheck.claimant_name, factcheck.appearance_source) if p]
    return " — ".join(parts)[:300]


def _summary(factcheck: FactCheck, origin: str) -> str:
    lines = [f"Imported from a fact-check ({origin})."]
    if factcheck.other_appearance_urls:
        lines.append("Also appeared at:")
        lines.extend(f"- {url}" for url in factcheck.other_appearance_urls)
    return "\n".join(lines)


@transaction.atomic
def factcheck_import(
    *,
    team: Team,
    actor: Any,
    data: bytes | str,
    create_claimants: bool = False,
) -> list[ImportedClaim]:
    """Create one draft claim per fact-check in `data` (ClaimReview JSON-LD, an HTML
    page with ld+json blocks, or a Fact Check Tools response). Members only. A
    claimant is the team's entity of that name; when none exists and
    `create_claimants` is set and the fact-check says whether it is a person or an
    organisation, one is created; otherwise the name is kept in the first
    appearance's source. Raises ValidationError (the reason) with nothing written."""
    ensure_member(user=actor, team=team)
    try:
        factchecks = parse_factchecks(data)
    except FactCheckError as exc:
        raise ValidationError({"document": str(exc)}) from None
    proposals = [similar_claims(team=team, text=f.text) for f in factchecks]
    imported = []
    created: dict[str, Entity] = {}
    for factcheck, similar in zip(factchecks, proposals, strict=True):
        claimant = claimant_for(team=team, name=factcheck.claimant_name)
        is_new = False
        key = factcheck.claimant_name.casefold()
        if claimant is None and key in created:
            claimant, is_new = created[key], True
        elif claimant is None and create_claimants and factcheck.claimant_kind:
            claimant = entity_create(
                team=team,
                actor=actor,
                kind=factcheck.claimant_kind,
                name=factcheck.claimant_name,
            )
            created[key], is_new = claimant, True
        origin = (
            "Google Fact Check Tools"
            if factcheck.verdicts
            and factcheck.verdicts[0].source_format
            == ExternalVerdict.SourceFormat.FACTCHECK_TOOLS
            else "schema.org ClaimReview"
        )
        claim = claim_services.claim_create(
            team=team,
            actor=actor,
            text=factcheck.text,
            subjects=[claimant] if claimant else [],
            summary=_summary(factcheck, origin),
            first_appearance_source=_appearance_source(factcheck),
            first_appearance_entity=claimant,
            first_appearance_url=factcheck.first_appearance_url,
            first_appearance_at=factcheck.first_appearance_at,
        )
        verdicts = tuple(
            external_verdict_add(
                team=team,
                actor=actor,
                claim_id=claim.pk,
                reviewer_name=v.reviewer_name,
                reviewer_url=v.reviewer_url,
                rating_text=v.rating_text,
                rating_value=v.rating_value,
                best_rating=v.best_rating,
                worst_rating=v.worst_rating,
                review_title=v.review_title,
                review_url=v.review_url,
                reviewed_at=v.reviewed_at,
                language=v.language,
                source_format=v.source_format,
            )
            for v in factcheck.verdicts
        )
        imported.append(
            ImportedClaim(
                claim=claim,
                claimant=claimant,
                is_new_claimant=is_new,
                claimant_name=factcheck.claimant_name,
                verdicts=verdicts,
                similar=similar,
            )
        )
    return imported


def import_summary(imported: list[ImportedClaim]) -> dict[str, Any]:
    """The import as JSON (the API's answer and the command's --json), stable keys."""
    return {
        "claims": [
            {
                "id": entry.claim.pk,
                "url": entry.claim.get_absolute_url(),
                "text": entry.claim.text,
                "status": entry.claim.status,
                "first_appearance_url": entry.claim.first_appearance_url,
                "first_appearance_at": _iso(entry.claim.first_appearance_at),
                "first_appearance_source": entry.claim.first_appearance_source,
                "claimant": (
                    {
                        "id": entry.claimant.pk,
                        "name": entry.claimant.name,
                        "kind": entry.claimant.kind,
                        "is_new": entry.is_new_claimant,
                    }
                    if entry.claimant
                    else None
                ),
                "claimant_name": entry.claimant_name,
                "external_verdicts": [
                    {
                        "reviewer_name": v.reviewer_name,
                        "reviewer_url": v.reviewer_url,
                        "rating_text": v.rating_text,
                        "rating_value": v.rating_value,
                        "best_rating": v.best_rating,
                        "worst_rating": v.worst_rating,
                        "review_title": v.review_title,
                        "review_url": v.review_url,
                        "reviewed_at": _iso(v.reviewed_at),
                        "language": v.language,
                        "source_format": v.source_format,
                    }
                    for v in entry.verdicts
                ],
                "similar": [
                    {"id": s.claim_id, "text": s.text, "url": s.url}
                    for s in entry.similar
                ],
            }
            for entry in imported
        ]
    }


def _iso(moment: Any) -> str | None:
    # UTC as "Z", like the rest of the API's times.
    return moment.isoformat().replace("+00:00", "Z") if moment else None
