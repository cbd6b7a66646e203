"""Pieces every room's services use when they write: free slugs, JSON-safe audit
values, the date bounds as field errors and the steps of changing or ending a
versioned link (common.versioned_links). No model of any room is named here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.text import slugify

from provenance.common.dates import validate_past_moment

if TYPE_CHECKING:
    # Typing only: this module stays importable before the app registry is ready.
    from provenance.common.versioned_links import VersionedLink

Link = TypeVar("Link", bound="VersionedLink")


def unique_slug(model: type[Model], *, team: Model, text: str, max_length: int) -> str:
    base = slugify(text)[: max_length - 8].strip("-") or "item"
    taken = set(
        model.objects.filter(team=team, slug__startswith=base).values_list(
            "slug", flat=True
        )
    )
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def insert_with_unique_slug(
    obj: Model, *, text: str, max_length: int, attempts: int = 5
) -> None:
    """Insert a new claim or entity under a slug free in its team.

    unique_slug reads the taken slugs and the row is inserted after: a concurrent
    creation with the same name may take the slug in between (an IntegrityError,
    once a 500). The insert runs in a savepoint; if the slug is what clashed, the
    next free one is chosen and the insert tried again. Other errors are raised.
    """
    model = type(obj)
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                obj.save()
            return
        except IntegrityError:
            taken = model.objects.filter(team=obj.team, slug=obj.slug).exists()
            if not taken or attempt == attempts:
                raise
            obj.slug = unique_slug(
                model, team=obj.team, text=text, max_length=max_length
            )


def audit_value(value: Any) -> Any:
    """JSON-safe form of a field value for the audit payload."""
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, list | tuple):
        return [audit_value(v) for v in value]
    return value


def check_dates(**moments: datetime | None) -> None:
    """Happened/said/speaks-for dates in the sane range (dates.py), as field errors."""
    errors = {}
    for name, value in moments.items():
        try:
            validate_past_moment(value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)


# --- Versioned links ------------------------------------------------------------------
# The steps every link service shares once it has locked the link's owner and the
# link and checked the actor may write (its own rules): each service keeps its
# permission checks, side effects and audit row. `noun` is the word its messages use.


def required_reason(reason: str) -> str:
    """A change or unlink says why: the reason stripped, a field error when blank."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why: a reason is required."})
    return reason


def link_version(
    link: Link,
    *,
    ends: dict[str, Any],
    says: dict[str, Any],
    actor: Any,
    reason: str,
    noun: str = "link",
) -> Link:
    """The unsaved version that replaces `link`: between `ends` (the locked owner
    and the other end), saying `says` where a value is given (None keeps what `link`
    says), recorded by `actor` for `reason`. Refused when it says what `link` says."""
    new = type(link)(
        **ends,
        **{
            name: getattr(link, name) if value is None else value
            for name, value in says.items()
        },
        linked_by=actor,
        replaces=link,
        reason=reason,
    )
    if all(getattr(new, name) == getattr(link, name) for name in says):
        raise ValidationError(f"Nothing to change: the {noun} already says this.")
    return new


def end_link(
    link: VersionedLink, *, actor: Any, at: datetime, reason: str, noun: str = "link"
) -> None:
    """End the locked `link` at `at` (an unlink, or the first half of a change)."""
    if at < link.linked_at:
        raise ValidationError(f"A {noun} cannot end before it was made.")
    link.unlinked_at = at
    link.unlinked_by = actor
    link.unlink_reason = reason
    link.save(update_fields=["unlinked_at", "unlinked_by", "unlink_reason"])


def replace_link(
    link: VersionedLink,
    new: Link,
    *,
    actor: Any,
    at: datetime,
    reason: str,
    noun: str = "link",
) -> Link:
    """End the locked `link` and save `new` (link_version) in its place from `at`.
    The old row is ended first: the one-current constraint holds at every step."""
    end_link(link, actor=actor, at=at, reason=reason, noun=noun)
    new.linked_at = at
    new.full_clean()
    new.save()
    return new
