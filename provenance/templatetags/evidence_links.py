"""The claims an item of evidence is linked to, on the evidence pages: the read
belongs to the claims room (evidence sits below it), the pages load it here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from evidence.models import EvidenceItem
from provenance.claims.evidence_links import claim_counts, links_of_item

register = template.Library()


@register.inclusion_tag("evidence/_linked_claims.html")
def linked_claims(item: EvidenceItem, *, detailed: bool = True) -> dict[str, Any]:
    """The "Linked claims" section; ``detailed`` adds each link's stance and note."""
    return {"links": links_of_item(item), "detailed": detailed}


@register.simple_tag
def linked_claim_counts(items: Iterable[EvidenceItem]) -> dict[int, int]:
    """Claim counts of a page of items (pass the page: it keeps the list it read)."""
    return claim_counts(items)


@register.filter
def count_for(counts: dict[int, int], item: EvidenceItem) -> int:
    return counts.get(item.pk, 0)
