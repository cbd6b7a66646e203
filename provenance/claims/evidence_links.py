"""Which claims an item of evidence is linked to: the claims room's read for the
evidence pages. Evidence sits below claims and never reads its links itself; its
templates load these through ``provenance.templatetags.evidence_links``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count

from evidence.models import EvidenceItem
from provenance.claims.models import ClaimEvidence


def links_of_item(item: EvidenceItem) -> list[ClaimEvidence]:
    """The item's claim links with their claim and linker, oldest first."""
    return list(
        ClaimEvidence.objects.current()
        .filter(item=item)
        .select_related("claim", "linked_by")
        .order_by("linked_at", "pk")
    )


def claim_counts(items: Iterable[EvidenceItem]) -> dict[int, int]:
    """item id -> number of claims it is linked to (one query for a page)."""
    ids = [item.pk for item in items]
    if not ids:
        return {}
    return dict(
        ClaimEvidence.objects.current()
        .filter(item_id__in=ids)
        .values("item_id")
        .annotate(n=Count("claim_id", distinct=True))
        .values_list("item_id", "n")
        .order_by()
    )
