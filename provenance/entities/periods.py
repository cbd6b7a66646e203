"""Dates of a relationship with their precision: a start or end known to the day,
the month or the year, perhaps approximate, perhaps open. Pure: no ORM.

A start is stored as the first day of its period and an end as the last day, so
"in force on a day" is one comparison whatever the precision (models.valid_on)."""

from __future__ import annotations

import calendar
from datetime import date

DAY, MONTH, YEAR = "day", "month", "year"
PRECISIONS = (DAY, MONTH, YEAR)


def period_start(day: date, precision: str) -> date:
    """The first day of the period `day` falls in at `precision`."""
    if precision == YEAR:
        return date(day.year, 1, 1)
    if precision == MONTH:
        return date(day.year, day.month, 1)
    return day


def period_end(day: date, precision: str) -> date:
    """The last day of the period `day` falls in at `precision`."""
    if precision == YEAR:
        return date(day.year, 12, 31)
    if precision == MONTH:
        return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])
    return day


def format_date(day: date | None, precision: str, *, approximate: bool = False) -> str:
    """'2022', 'March 2022', '14 October 2023'; 'about …' when approximate."""
    if day is None:
        return ""
    if precision == YEAR:
        text = f"{day.year}"
    elif precision == MONTH:
        text = f"{calendar.month_name[day.month]} {day.year}"
    else:
        text = f"{day.day} {calendar.month_name[day.month]} {day.year}"
    return f"about {text}" if approximate else text


def format_span(
    start: date | None,
    start_precision: str,
    start_approximate: bool,
    end: date | None,
    end_precision: str,
    end_approximate: bool,
) -> str:
    """A relationship's period: 'since 2022', '2019 – March 2022', 'until 2021',
    'dates unknown'."""
    begin = format_date(start, start_precision, approximate=start_approximate)
    finish = format_date(end, end_precision, approximate=end_approximate)
    if begin and finish:
        return f"{begin} – {finish}"
    if begin:
        return f"since {begin}"
    if finish:
        return f"until {finish}"
    return "dates unknown"
