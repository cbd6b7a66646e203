"""The range of dates people may type, checked at every input (forms, serializers,
services) so an absurd date is a field error, never a 500 further down.

"When it happened / was said / was observed / speaks for" cannot be in the future;
a day's grace absorbs clock skew and a reporter typing local time into a UTC field.
1900 is before anything a newsroom checks, and keeps arithmetic on the dates (chart
padding, end of day) far from the limits of `datetime`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
GRACE = timedelta(days=1)
PAST_MESSAGE = "Enter a date between 1900-01-01 and now (UTC)."
AS_OF_MESSAGE = "Enter a date between 1900-01-01 and tomorrow (UTC)."


def latest_allowed(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) + GRACE


def is_sane_moment(value: datetime, *, now: datetime | None = None) -> bool:
    return EARLIEST <= value <= latest_allowed(now)


def validate_past_moment(value: datetime | None) -> None:
    """For happened/observed/stated/effective-at dates: 1900 up to now (+ grace)."""
    if value is not None and not is_sane_moment(value):
        raise ValidationError(PAST_MESSAGE, code="date_range")


def validate_as_of_day(value: date | None) -> None:
    """An as-of date: a day from 1900 up to tomorrow (UTC)."""
    if value is None:
        return
    if not EARLIEST.date() <= value <= latest_allowed().astimezone(UTC).date():
        raise ValidationError(AS_OF_MESSAGE, code="date_range")


def validate_as_of_moment(value: datetime) -> None:
    if not is_sane_moment(value):
        raise ValidationError(AS_OF_MESSAGE, code="date_range")
