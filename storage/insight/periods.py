"""Report periods and quarters.

``day`` (local midnight), ``week`` (ISO: Monday 00:00) or ``month``, in the time zone of the
report's end. A thread counts once per tag, in the period of its first message.
:func:`parse_quarter` turns ``2026Q3`` into the quarter's start and end.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from supportmail.storage.models import (
    Granularity,
)

GRANULARITIES: tuple[Granularity, ...] = ("day", "week", "month")
DEFAULT_PERIODS = 12
"""Periods a report shows when no start is given."""


def period_start(when: datetime, by: Granularity, tz: tzinfo | None = None) -> datetime:
    """The start of the day / ISO week / month holding ``when`` (in ``tz``, default its own)."""
    local = when.astimezone(tz) if tz is not None else when
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if by == "day":
        return day
    if by == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def shift_period(start: datetime, by: Granularity, n: int = 1) -> datetime:
    """The period start ``n`` periods after (negative: before) the period start ``start``."""
    if by == "day":
        return start + timedelta(days=n)
    if by == "week":
        return start + timedelta(weeks=n)
    months = start.year * 12 + start.month - 1 + n
    return start.replace(year=months // 12, month=months % 12 + 1, day=1)


def period_starts(since: datetime, until: datetime, by: Granularity) -> list[datetime]:
    """Starts of every period from the one holding ``since`` to the one holding the last
    moment before ``until`` (at least one), in ``until``'s time zone."""
    tz = until.tzinfo
    start = period_start(since, by, tz)
    out = [start]
    while (start := shift_period(start, by)) < until:
        out.append(start)
    return out


_QUARTER = re.compile(r"^\s*(?:(\d{4})\s*[-/ ]?\s*q([1-4])|q([1-4])\s*[-/ ]?\s*(\d{4}))\s*$", re.I)


def parse_quarter(text: str, tz: tzinfo | None) -> tuple[datetime, datetime]:
    """``2026Q3`` (also ``2026-Q3``, ``Q3 2026``) -> (1 July 2026 00:00, 1 October 2026 00:00)
    in ``tz``; ValueError with one line otherwise."""
    match = _QUARTER.match(text)
    if match is None:
        shown = text.strip()[:20]
        raise ValueError(f"can't understand quarter '{shown}': try 2026Q3")
    year = int(match.group(1) or match.group(4))
    quarter = int(match.group(2) or match.group(3))
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
    return start, shift_period(start, "month", 3)
