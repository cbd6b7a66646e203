"""A claim's version history for the web: each recorded version with who, when and
why, and what changed (text and summary as word diffs; quantity, status, first
appearance, subjects, tags), with the evidence links made in between.

Read from simple-history's rows: one query for the versions, one for each m2m copy
table and one for the links, whatever the number of versions. Rows written in one
step (the create, then its slug and labels) carry the same version number and are
shown once, as the last of them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from provenance.claims.models import Claim, ClaimStatus, format_quantity

_WORDS = re.compile(r"\S+|\s+")


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str
    diff: SafeString | None = None  # word diff, for long texts


@dataclass
class Version:
    number: int
    at: datetime
    by: str
    reason: str
    status: str
    changes: list[Change] = field(default_factory=list)
    links: list[Any] = field(default_factory=list)  # links made since the previous

    @property
    def status_label(self) -> str:
        return ClaimStatus(self.status).label if self.status else ""


def word_diff(before: str, after: str) -> SafeString:
    """Words removed in <del>, added in <ins>, the rest as is; every text escaped."""
    old, new = _WORDS.findall(before), _WORDS.findall(after)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape("".join(old[a0:a1])))
            continue
        if a1 > a0:
            out.append(f"<del>{escape(''.join(old[a0:a1]))}</del>")
        if b1 > b0:
            out.append(f"<ins>{escape(''.join(new[b0:b1]))}</ins>")
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


def _labels(model: Any, fk: str, history_ids: list[int]) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {hid: [] for hid in history_ids}
    rows = model.objects.filter(history_id__in=history_ids).select_related(fk)
    for row in rows:
        names[row.history_id].append(getattr(row, fk).name)
    return {hid: sorted(values) for hid, values in names.items()}


def _quantity(version: Any) -> str:
    return format_quantity(
        version.quantity_amount, version.quantity_unit, version.quantity_bound
    )


def _first_appearance(version: Any) -> str:
    parts = [version.first_appearance_source]
    if version.first_appearance_at:
        parts.append(f"{version.first_appearance_at:%d %b %Y}")
    if version.first_appearance_url:
        parts.append(version.first_appearance_url)
    return ", ".join(p for p in parts if p)


def _set_change(label: str, before: list[str], after: list[str]) -> Change | None:
    """Names removed (−) and added (+), in that order."""
    if before == after:
        return None
    removed = [f"− {name}" for name in before if name not in after]
    added = [f"+ {name}" for name in after if name not in before]
    return Change(
        label,
        ", ".join(before) or "—",
        ", ".join(after) or "—",
        mark_safe(escape("; ".join([*removed, *added]))),  # noqa: S308 - escaped
    )


def claim_versions(claim: Claim) -> list[Version]:
    """The claim's versions, newest first."""
    history = Claim.history.model
    rows = list(
        claim.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    )
    # One row per version number: the last row written for it.
    last: dict[int, Any] = {}
    for row in rows:
        last[row.version] = row
    kept = sorted(last.values(), key=lambda r: (r.history_date, r.history_id))
    ids = [row.history_id for row in kept]
    subjects = _labels(history.subjects.model, "entity", ids)
    tags = _labels(history.tags.model, "tag", ids)
    links = list(
        claim.evidence_links.select_related("item", "linked_by").order_by(
            "linked_at", "pk"
        )
    )
    versions: list[Version] = []
    previous = None
    for index, row in enumerate(kept):
        following = kept[index + 1].history_date if index + 1 < len(kept) else None
        version = Version(
            number=row.version,
            at=row.history_date,
            by=row.history_user.get_username() if row.history_user else "",
            # "Publish: " when the decision had no comment.
            reason=(row.history_change_reason or "").rstrip(": ")
            or ("Created" if previous is None else ""),
            status=row.status,
            links=[
                link
                for link in links
                if link.linked_at >= row.history_date
                and (following is None or link.linked_at < following)
            ],
        )
        if previous is not None:
            version.changes = _changes(previous, row, subjects, tags)
        versions.append(version)
        previous = row
    return list(reversed(versions))


def _changes(
    old: Any, new: Any, subjects: dict[int, list[str]], tags: dict[int, list[str]]
) -> list[Change]:
    changes: list[Change] = []
    for attr, label in (("text", "Text"), ("summary", "Summary")):
        before, after = getattr(old, attr), getattr(new, attr)
        if before != after:
            changes.append(Change(label, before, after, word_diff(before, after)))
    for label, read in (
        ("Quantity", _quantity),
        ("First appeared", _first_appearance),
    ):
        before, after = read(old), read(new)
        if before != after:
            changes.append(Change(label, before or "—", after or "—"))
    if old.status != new.status:
        changes.append(
            Change(
                "Status",
                ClaimStatus(old.status).label,
                ClaimStatus(new.status).label,
            )
        )
    for attr, label in (
        ("correction_note", "Correction note"),
        ("retraction_reason", "Retraction"),
    ):
        before, after = getattr(old, attr), getattr(new, attr)
        if before != after:
            changes.append(Change(label, before or "—", after or "—"))
    for label, table in (("Subjects", subjects), ("Tags", tags)):
        change = _set_change(label, table[old.history_id], table[new.history_id])
        if change:
            changes.append(change)
    return changes
