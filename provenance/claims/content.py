"""A claim's content fields as the services write them: which fields exist, how new
content is compared, set and described for the audit trail, and how the claim is
saved with its history record. Used by the content services and by the correct
decision (the only way a published claim's content changes)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.text import slugify

from provenance.claims.models import Claim, Tag
from provenance.common.writes import audit_value, check_dates
from provenance.entities.models import Entity
from provenance.teams.models import Team

CLAIM_FIELDS = (
    "text",
    "summary",
    "quantity_amount",
    "quantity_unit",
    "quantity_bound",
    "first_appearance_source",
    "first_appearance_entity",
    "first_appearance_url",
    "first_appearance_at",
)


def tags_from_names(*, team: Team, names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        slug = slugify(name)[:60] or "tag"
        tag, _ = Tag.objects.get_or_create(
            team=team, slug=slug, defaults={"name": name}
        )
        tags.append(tag)
    return tags


def check_same_team(team: Team, entities: Iterable[Entity]) -> None:
    for entity in entities:
        if entity.team_id != team.pk:
            raise ValueError("Subjects must belong to the claim's team.")


@dataclass(frozen=True)
class ContentChange:
    """New content for a (locked) claim: the claim fields given, which of them
    differ, and the subjects and tags when given and different."""

    fields: Mapping[str, Any]
    changed: list[str]
    subjects: Sequence[Entity] | None
    tag_names: Sequence[str] | None
    subjects_changed: bool
    tags_changed: bool

    @property
    def any(self) -> bool:
        return bool(self.changed) or self.subjects_changed or self.tags_changed


def check_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(CLAIM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown claim fields: {sorted(unknown)}")


def apply_content(
    claim: Claim,
    *,
    fields: Mapping[str, Any],
    subjects: Sequence[Entity] | None,
    tag_names: Sequence[str] | None,
) -> ContentChange:
    """Set the changed content fields on the (locked) claim; m2m are compared only."""
    check_fields(fields)
    if subjects is not None:
        check_same_team(claim.team, subjects)
    check_dates(first_appearance_at=fields.get("first_appearance_at"))
    changed = [name for name, value in fields.items() if getattr(claim, name) != value]
    for name in changed:
        setattr(claim, name, fields[name])
    old_subjects = set(claim.subjects.values_list("pk", flat=True))
    old_tags = set(claim.tags.values_list("name", flat=True))
    return ContentChange(
        fields=fields,
        changed=changed,
        subjects=subjects,
        tag_names=tag_names,
        subjects_changed=subjects is not None
        and {s.pk for s in subjects} != old_subjects,
        tags_changed=tag_names is not None
        and {n.strip() for n in tag_names if n.strip()} != old_tags,
    )


def write_content(claim: Claim, content: ContentChange) -> dict[str, Any]:
    """Write the m2m changes (after the claim's save) and describe them for audit."""
    if content.subjects_changed:
        claim.subjects.set(content.subjects)
    if content.tags_changed:
        claim.tags.set(tags_from_names(team=claim.team, names=content.tag_names))
    payload: dict[str, Any] = {
        k: audit_value(content.fields[k]) for k in content.changed
    }
    if content.subjects_changed:
        payload["subjects"] = [s.pk for s in content.subjects]
    if content.tags_changed:
        payload["tags"] = sorted(content.tag_names)
    return payload


def save_claim(
    claim: Claim, *, actor: Any, at: datetime, reason: str, update_fields: list[str]
) -> None:
    """Validate and save the named fields, with the history record's who, when and
    why."""
    claim.full_clean()
    claim._history_user = actor
    claim._history_date = at
    claim._change_reason = reason[:100]
    claim.save(update_fields=update_fields)
