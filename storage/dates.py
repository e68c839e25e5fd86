"""Human dates: what people type for ``--since``/``--until``, and the thread list's date column.

``parse_when(text, now)`` understands (case-insensitive, extra spaces ignored):

========================================== ===================================================
input                                      meaning
========================================== ===================================================
``2026-11-01``                             the start of that day
``2026-11-01 14:00``, ``2026-11-01T14:00`` that time, in ``now``'s time zone
``2026-11-01T14:00:00+02:00``, ``...Z``    that instant, converted to ``now``'s time zone
``now``                                    ``now``
``today``, ``yesterday``, ``tomorrow``     the start of that day
``monday`` .. ``sunday``, ``mon`` .. ``sun`` the start of the most recent such day strictly
                                           before today (on a Monday, ``monday`` is a week ago)
``3 days ago``, ``a week ago``             ``now`` minus that much; units: minute(s), min(s),
                                           hour(s), day(s), week(s), month(s), year(s)
``this week``, ``last week``               Monday 00:00 of this / the previous ISO week
``this month``, ``last month``             the first day of this / the previous month
``this year``, ``last year``               1 January of this / the previous year
``12 Nov``, ``Nov 12``, ``12th November``  that day this year, or last year if it would be in
                                           the future
``12 Nov 2025``, ``Nov 12, 2025``          that day
========================================== ===================================================

Anything else raises ``ValueError`` with one line saying what was not understood and what to try.
Results are timezone-aware, in ``now``'s time zone; calendar arithmetic is wall-clock arithmetic
(dateutil's ``relativedelta``), so "1 month ago" on 31 March is 28/29 February.

``relative_label(dt, now)`` gives the thread list's short date: ``14:02`` today, ``Mon`` within the
last six days, ``12 Nov`` earlier this year, ``12 Nov 2025`` before that. Month and day names are
always English (never the process locale), so output is stable in tests and snapshots.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from supportmail.storage.sanitize import sanitize_line

if TYPE_CHECKING:
    from dateutil import parser as date_parser
    from dateutil.relativedelta import relativedelta

__all__ = ["parse_when", "relative_label", "to_iso"]

_MAX_INPUT = 64
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = (
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
)  # fmt: skip
_AGO = re.compile(
    r"(?P<n>[0-9]{1,6}|an?|one)\s(?P<unit>minute|min|hour|day|week|month|year)s?\sago",
    re.ASCII,
)
_ISO_START = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DAY_MONTH = re.compile(
    r"(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?\s(?P<month>[a-z]{3,9})\.?(?:,?\s(?P<year>[0-9]{4}))?",
    re.ASCII,
)
_MONTH_DAY = re.compile(
    r"(?P<month>[a-z]{3,9})\.?\s(?P<day>[0-9]{1,2})(?:st|nd|rd|th)?(?:,?\s(?P<year>[0-9]{4}))?",
    re.ASCII,
)


@cache
def _units() -> dict[str, relativedelta]:
    """One of each unit "N units ago" understands (dateutil is imported on first use)."""
    from dateutil.relativedelta import relativedelta

    return {
        "minute": relativedelta(minutes=1),
        "min": relativedelta(minutes=1),
        "hour": relativedelta(hours=1),
        "day": relativedelta(days=1),
        "week": relativedelta(weeks=1),
        "month": relativedelta(months=1),
        "year": relativedelta(years=1),
    }


@cache
def _parser_info() -> date_parser.parserinfo:
    """dateutil's month names (dateutil is imported on first use: the TUI starts without it)."""
    from dateutil import parser as date_parser

    return date_parser.parserinfo()


def parse_when(text: str, now: datetime) -> datetime:
    """The moment ``text`` names, relative to the timezone-aware ``now``; ValueError otherwise."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("parse_when needs a timezone-aware 'now'")
    words = _normalise(text)
    if words is None:
        raise _not_understood(text)
    try:
        result = _parse(words, now)
    except (ValueError, OverflowError):
        raise _not_understood(text) from None
    if result is None:
        raise _not_understood(text)
    return result


def to_iso(dt: datetime) -> str:
    """ISO 8601 with the UTC offset, to the second: ``2026-11-24T10:30:00+01:00``."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("to_iso needs a timezone-aware datetime")
    return dt.isoformat(timespec="seconds")


def relative_label(dt: datetime, now: datetime) -> str:
    """The thread list's short date for ``dt`` as seen at ``now`` (in ``now``'s time zone)."""
    local = dt.astimezone(now.tzinfo)
    days_ago = (now.date() - local.date()).days
    if days_ago == 0:
        return f"{local.hour:02d}:{local.minute:02d}"
    if 0 < days_ago <= 6:
        return _DAY_ABBR[local.weekday()]
    month = _MONTH_ABBR[local.month - 1]
    if local.year == now.year:
        return f"{local.day} {month}"
    return f"{local.day} {month} {local.year}"


# --------------------------------------------------------------------------- internals


def _not_understood(text: str) -> ValueError:
    shown = sanitize_line(text.strip())
    if len(shown) > 40:
        shown = shown[:39] + "…"
    return ValueError(
        f"can't understand date '{shown}': "
        "try 2026-11-01, yesterday, monday, '3 days ago' or 'last week'"
    )


def _normalise(text: str) -> str | None:
    """Lower-case, single-spaced words; None for empty, overlong or control-character input."""
    if not text or len(text) > _MAX_INPUT * 2:
        return None
    if any((ord(c) < 0x20 and c != "\t") or 0x7F <= ord(c) <= 0x9F for c in text):
        return None
    words = " ".join(text.lower().split())
    if not words or len(words) > _MAX_INPUT:
        return None
    return words


def _parse(words: str, now: datetime) -> datetime | None:
    from dateutil.relativedelta import relativedelta

    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    fixed = _named(midnight)
    if words == "now":
        return now
    if words in fixed:
        return fixed[words]()
    weekday = _weekday(words)
    if weekday is not None:
        back = (midnight.weekday() - weekday) % 7 or 7
        return midnight - relativedelta(days=back)
    for attempt in (_ago, _iso, _day_and_month):
        result = attempt(words, now)
        if result is not None:
            return result
    return None


def _named(midnight: datetime) -> dict[str, Callable[[], datetime]]:
    from dateutil.relativedelta import MO, relativedelta

    week = midnight + relativedelta(weekday=MO(-1))
    month = midnight.replace(day=1)
    year = month.replace(month=1)
    return {
        "today": lambda: midnight,
        "yesterday": lambda: midnight - relativedelta(days=1),
        "tomorrow": lambda: midnight + relativedelta(days=1),
        "this week": lambda: week,
        "last week": lambda: week - relativedelta(weeks=1),
        "this month": lambda: month,
        "last month": lambda: month - relativedelta(months=1),
        "this year": lambda: year,
        "last year": lambda: year - relativedelta(years=1),
    }


def _weekday(words: str) -> int | None:
    for index, name in enumerate(_WEEKDAYS):
        if words in (name, name[:3]):
            return index
    return None


def _ago(words: str, now: datetime) -> datetime | None:
    match = _AGO.fullmatch(words)
    if match is None:
        return None
    raw = match["n"]
    count = int(raw) if raw.isdigit() else 1
    return now - _units()[match["unit"]] * count


def _iso(words: str, now: datetime) -> datetime | None:
    if not _ISO_START.match(words):
        return None
    parsed = datetime.fromisoformat(words.upper())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=now.tzinfo)
    return parsed.astimezone(now.tzinfo)


def _day_and_month(words: str, now: datetime) -> datetime | None:
    from dateutil import parser as date_parser

    match = _DAY_MONTH.fullmatch(words) or _MONTH_DAY.fullmatch(words)
    if match is None or _parser_info().month(match["month"]) is None:
        return None
    start_of_year = datetime(now.year, 1, 1)
    parsed = date_parser.parse(words, default=start_of_year)
    result = parsed.replace(tzinfo=now.tzinfo)
    if match["year"] is None and result.date() > now.date():
        result = _same_day_last_year(result)
    return result


def _same_day_last_year(when: datetime) -> datetime:
    """The same calendar day a year earlier; 29 February has none, which is not understood."""
    from dateutil.relativedelta import relativedelta

    earlier = when - relativedelta(years=1)
    if (earlier.month, earlier.day) != (when.month, when.day):
        raise ValueError("no such day last year")
    return earlier


def format_duration(seconds: float | None) -> str:
    """A short human duration: '45s', '12m', '3h 05m', '2d 4h'; '-' for None."""
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60:02d}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def waited(since: datetime, now: datetime) -> timedelta:
    """How long a customer has waited (never negative)."""
    return max(timedelta(0), now - since)
