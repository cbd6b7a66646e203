"""A claim export as schema.org ClaimReview JSON-LD."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from provenance.claims.selectors import plain_correction
from provenance.entities.models import EntityKind
from provenance.publishing.exports.shapes import Assessment, ClaimExport, EntityRef


def _date(value: datetime | None) -> str | None:
    return value.astimezone(UTC).date().isoformat() if value else None


def _schema_agent(entity: EntityRef | None, name: str) -> dict[str, Any]:
    kind = "Person" if entity and entity.kind == EntityKind.PERSON else "Organization"
    return {"@type": kind, "name": entity.name if entity else name}


def _item_reviewed(export: ClaimExport) -> dict[str, Any]:
    first = export.first_appearance
    item: dict[str, Any] = {"@type": "Claim"}
    if first.entity or first.source:
        item["author"] = _schema_agent(first.entity, first.source)
    if first.at:
        item["datePublished"] = _date(first.at)
    if first.url:
        work = {"@type": "CreativeWork", "url": first.url}
        item["firstAppearance"] = work
        item["appearance"] = [work]
    return item


def _rating(confidence: Assessment | None) -> dict[str, Any]:
    """The ICD-203 confidence in force as a 1-7 rating."""
    if confidence is None:
        return {"@type": "Rating", "alternateName": "Not assessed"}
    return {
        "@type": "Rating",
        "ratingValue": confidence.rank,
        "worstRating": 1,
        "bestRating": 7,
        "alternateName": confidence.label,
        "ratingExplanation": (
            f"ICD-203 likelihood: {confidence.label.lower()} "
            f"({confidence.probability_low}–{confidence.probability_high}%)."
        ),
    }


def claim_review(export: ClaimExport, *, url: str | None = None) -> dict[str, Any]:
    """schema.org ClaimReview JSON-LD; the rating is the ICD-203 current confidence.

    `url` is the page that carries the review (a publisher's, from its claim URL
    template); without one, the claim's API URL."""
    review: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url or export.url,
        "claimReviewed": export.text,
        "author": {"@type": "Organization", "name": export.team_name},
        "datePublished": _date(export.review.published_at),
        "reviewRating": _rating(export.confidence),
        "itemReviewed": _item_reviewed(export),
    }
    if export.review.status == "retracted":
        review["reviewBody"] = f"Retracted: {export.review.retraction_reason}".strip()
    elif export.review.correction_note:
        note = plain_correction(export.review.correction_note)
        review["reviewBody"] = f"Correction: {note}"
    return review
