"""Pieces every room's services use when they write: free slugs, JSON-safe audit
values and the date bounds as field errors. No model of any room is named here."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils.text import slugify

from provenance.common.dates import validate_past_moment


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
