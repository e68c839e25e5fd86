"""The Date header -> a timezone-aware datetime, or ``None`` when missing or absurd."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------

_FUZZY_DEFAULT = datetime(1900, 1, 1)  # a missing year lands here and is rejected as absurd
_DATE_CAP = 200
MONTHS = {
    month: number
    for number, month in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
"""Month abbreviations (lower-case) -> 1..12."""
RFC5322_DATE = re.compile(
    r"(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s+([+-])(\d{2})(\d{2})(?:\s*\([^()]*\))?"
)
"""The RFC 5322 form nearly every mailer writes: "Mon, 20 Nov 2023 10:15:00 +0100"."""


@lru_cache(maxsize=128)
def zone_offset(sign: str, hours: str, minutes: str) -> timezone:
    """The fixed zone of ``+hhmm``/``-hhmm`` (cached: a mailbox has few)."""
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    return timezone(-delta if sign == "-" else delta)


def _quick_date(text: str) -> datetime | None:
    """Parse the common RFC 5322 date form without the general parsers, else ``None``."""
    match = RFC5322_DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second, sign, off_h, off_m = match.groups()
    month_number = MONTHS.get(month.lower())
    if month_number is None or (sign == "-" and off_h == "00" and off_m == "00"):
        return None  # "-0000" means "no zone information": let the general parser decide
    try:
        return datetime(
            int(year),
            month_number,
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=zone_offset(sign, off_h, off_m),
        )
    except ValueError:
        return None


YEAR_AHEAD = timedelta(days=366)
"""A Date further ahead than this is absurd."""


def _sane_date(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    if value.year < 1970 or value > datetime.now(UTC) + YEAR_AHEAD:
        return None
    return value


def parse_date(raw: str) -> datetime | None:
    """A Date header value as a timezone-aware datetime; None when empty, unparseable or absurd
    (before 1970, more than :data:`YEAR_AHEAD` ahead)."""
    text = raw.strip()
    if not text:
        return None
    parsed = _quick_date(text)
    if parsed is None:
        try:
            parsed = parsedate_to_datetime(text)
        except Exception:
            parsed = None
    if parsed is None:
        from dateutil import parser as date_parser  # rare: imported when first needed

        try:
            parsed = date_parser.parse(text[:_DATE_CAP], fuzzy=True, default=_FUZZY_DEFAULT)
        except Exception:
            parsed = None
    try:
        return _sane_date(parsed)
    except Exception:
        return None
