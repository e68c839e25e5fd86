"""Tests for storage.dates: --since/--until parsing, ISO output and the thread-list date label."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportmail.storage.dates import parse_when, relative_label, to_iso

CET = timezone(timedelta(hours=1))
# Tuesday 24 November 2026, 10:30 in UTC+01:00.
NOW = datetime(2026, 11, 24, 10, 30, 15, tzinfo=CET)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CET)


def test_fixed_now_is_a_tuesday() -> None:
    assert NOW.strftime("%A") == "Tuesday"


# --------------------------------------------------------------------------- absolute dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", at(2026, 11, 1)),
        ("2026-11-01 14:00", at(2026, 11, 1, 14)),
        ("2026-11-01T14:00", at(2026, 11, 1, 14)),
        ("2026-11-01t14:00:05", at(2026, 11, 1, 14, 0, 5)),
        ("2026-11-01T14:00:00+02:00", at(2026, 11, 1, 13)),
        ("2026-11-01T14:00:00Z", at(2026, 11, 1, 15)),
        ("  2026-11-01  ", at(2026, 11, 1)),
    ],
)
def test_iso_dates(text: str, expected: datetime) -> None:
    result = parse_when(text, NOW)
    assert result == expected
    assert result.utcoffset() == timedelta(hours=1)


def test_a_bare_date_means_the_start_of_that_day() -> None:
    assert parse_when("2026-11-01", NOW).time().isoformat() == "00:00:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 Nov", at(2026, 11, 12)),
        ("Nov 12", at(2026, 11, 12)),
        ("12th November", at(2026, 11, 12)),
        ("nov. 3", at(2026, 11, 3)),
        ("24 Nov", at(2026, 11, 24)),
        ("sept 3", at(2026, 9, 3)),
    ],
)
def test_day_and_month_mean_this_year(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("25 Nov", at(2025, 11, 25)), ("Dec 25", at(2025, 12, 25))]
)
def test_day_and_month_in_the_future_mean_last_year(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize("text", ["12 Nov 2025", "Nov 12, 2025", "nov 12 2025"])
def test_day_month_and_year(text: str) -> None:
    assert parse_when(text, NOW) == at(2025, 11, 12)


def test_explicit_year_may_be_in_the_future() -> None:
    assert parse_when("25 Dec 2026", NOW) == at(2026, 12, 25)


# --------------------------------------------------------------------------- named days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("today", at(2026, 11, 24)),
        ("yesterday", at(2026, 11, 23)),
        ("tomorrow", at(2026, 11, 25)),
        ("this week", at(2026, 11, 23)),
        ("last week", at(2026, 11, 16)),
        ("this month", at(2026, 11, 1)),
        ("last month", at(2026, 10, 1)),
        ("this year", at(2026, 1, 1)),
        ("last year", at(2025, 1, 1)),
        ("  Last   WEEK ", at(2026, 11, 16)),
    ],
)
def test_named_days(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("monday", 23),
        ("mon", 23),
        ("sunday", 22),
        ("sat", 21),
        ("friday", 20),
        ("thu", 19),
        ("wednesday", 18),
        ("tuesday", 17),
        ("Tue", 17),
    ],
)
def test_weekday_is_the_most_recent_one_before_today(text: str, day: int) -> None:
    assert parse_when(text, NOW) == at(2026, 11, day)


def test_on_a_monday_monday_means_a_week_ago() -> None:
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=CET)
    assert parse_when("monday", monday) == at(2026, 11, 16)


def test_on_a_monday_this_week_is_today() -> None:
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=CET)
    assert parse_when("this week", monday) == at(2026, 11, 23)
    assert parse_when("last week", monday) == at(2026, 11, 16)


def test_last_month_in_january_is_december_last_year() -> None:
    january = datetime(2027, 1, 15, 12, 0, tzinfo=CET)
    assert parse_when("last month", january) == at(2026, 12, 1)


def test_last_week_across_a_year_boundary() -> None:
    assert parse_when("last week", datetime(2027, 1, 1, tzinfo=CET)) == at(2026, 12, 21)


# --------------------------------------------------------------------------- "N units ago"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5 minutes ago", NOW - timedelta(minutes=5)),
        ("1 minute ago", NOW - timedelta(minutes=1)),
        ("10 mins ago", NOW - timedelta(minutes=10)),
        ("2 hours ago", NOW - timedelta(hours=2)),
        ("an hour ago", NOW - timedelta(hours=1)),
        ("3 days ago", NOW - timedelta(days=3)),
        ("a day ago", NOW - timedelta(days=1)),
        ("a week ago", NOW - timedelta(weeks=1)),
        ("2 weeks ago", NOW - timedelta(weeks=2)),
        ("one month ago", datetime(2026, 10, 24, 10, 30, 15, tzinfo=CET)),
        ("3 months ago", datetime(2026, 8, 24, 10, 30, 15, tzinfo=CET)),
        ("1 year ago", datetime(2025, 11, 24, 10, 30, 15, tzinfo=CET)),
        ("0 days ago", NOW),
        ("3 Days Ago", NOW - timedelta(days=3)),
    ],
)
def test_units_ago(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


def test_a_month_ago_at_the_end_of_march_clamps_to_february() -> None:
    end_of_march = datetime(2026, 3, 31, 8, 0, tzinfo=CET)
    assert parse_when("1 month ago", end_of_march) == datetime(2026, 2, 28, 8, 0, tzinfo=CET)


# --------------------------------------------------------------------------- time zones


def test_result_keeps_the_time_zone_object_of_now() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    now = datetime(2026, 7, 1, 12, 0, tzinfo=berlin)
    for text in ("today", "monday", "3 days ago", "2026-06-01", "12 Jun", "2026-06-01T00:00Z"):
        assert parse_when(text, now).tzinfo is berlin


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_when("today", datetime(2026, 11, 24))


# --------------------------------------------------------------------------- hostile input


HOSTILE = [
    "",
    "   ",
    "blah",
    "3 days",
    "-5 days ago",
    "+5 days ago",
    "5.5 days ago",
    "99999 years ago",
    "999999 days ago",
    "9999999 minutes ago",
    "ago",
    "days ago",
    "a a week ago",
    "today\x00",
    "\x00",
    "to\x1bday",
    "today\n",
    "yesterday\x1f",
    "mon 12",
    "monday 12",
    "12 blah",
    "29 Feb",
    "31 Nov",
    "0 Nov",
    "2026-13-01",
    "2026-02-30",
    "2026-11-01T25:00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "2026-11-01 garbage",
    "1",
    "2026",
    "next week",
    "last",
    "this",
    "a" * 10_000,
    "3 days ago " * 1000,
    "٣ days ago",
    "１２ Nov",
    "\u202etoday",
    "[/]",
    "\ud800",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_a_one_line_value_error(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_when(text, NOW)
    message = str(caught.value)
    assert message.startswith("can't understand date '")
    assert message.endswith("try 2026-11-01, yesterday, monday, '3 days ago' or 'last week'")
    assert "\n" not in message
    assert len(message) < 200


def test_error_message_makes_control_characters_visible() -> None:
    with pytest.raises(ValueError) as caught:
        parse_when("to\x1b[2Jday", NOW)
    assert "\x1b" not in str(caught.value)


def test_day_and_month_on_a_leap_day() -> None:
    leap = datetime(2028, 3, 1, tzinfo=CET)
    assert parse_when("29 Feb", leap) == datetime(2028, 2, 29, tzinfo=CET)


VOCABULARY = [
    "ago", "a", "an", "one", "0", "3", "12", "99999", "-1", "day", "days", "week", "months",
    "year", "min", "last", "this", "week", "month", "nov", "sept", "monday", "mon", "today",
    "2026-11-01", "14:00", "T", "Z", "+01:00", "12th", ",", ".", " ", "\x00", "\t",
]  # fmt: skip

NOWS = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, CET, timezone(timedelta(hours=-12)), ZoneInfo("Asia/Tokyo")]),
)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80), now=NOWS)
def test_any_text_gives_an_aware_datetime_or_value_error(text: str, now: datetime) -> None:
    try:
        result = parse_when(text, now)
    except ValueError:
        return
    assert result.tzinfo is now.tzinfo


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=5),
    now=NOWS,
)
def test_near_miss_phrases_give_an_aware_datetime_or_value_error(
    words: list[str], now: datetime
) -> None:
    try:
        result = parse_when(" ".join(words), now)
    except ValueError:
        return
    assert result.tzinfo is now.tzinfo


# --------------------------------------------------------------------------- to_iso


def test_to_iso_has_offset_and_second_precision() -> None:
    dt = datetime(2026, 11, 24, 10, 30, 15, 123456, tzinfo=CET)
    assert to_iso(dt) == "2026-11-24T10:30:15+01:00"


def test_to_iso_in_utc() -> None:
    assert to_iso(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05+00:00"


def test_to_iso_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_iso(datetime(2026, 1, 2))


def test_to_iso_round_trips_through_parse_when() -> None:
    assert parse_when(to_iso(NOW), NOW) == NOW


# --------------------------------------------------------------------------- relative_label


@pytest.mark.parametrize(
    ("dt", "label"),
    [
        (at(2026, 11, 24, 14, 2), "14:02"),
        (at(2026, 11, 24, 0, 0), "00:00"),
        (datetime(2026, 11, 24, 13, 2, tzinfo=UTC), "14:02"),
        (datetime(2026, 11, 23, 23, 30, tzinfo=UTC), "00:30"),
        (at(2026, 11, 23, 23, 59), "Mon"),
        (at(2026, 11, 18, 9, 0), "Wed"),
        (at(2026, 11, 17, 23, 0), "17 Nov"),
        (at(2026, 3, 5), "5 Mar"),
        (at(2026, 12, 25), "25 Dec"),
        (at(2025, 11, 12), "12 Nov 2025"),
        (at(2027, 1, 1), "1 Jan 2027"),
    ],
)
def test_relative_label(dt: datetime, label: str) -> None:
    assert relative_label(dt, NOW) == label


def test_relative_label_uses_nows_time_zone() -> None:
    tokyo_now = NOW.astimezone(ZoneInfo("Asia/Tokyo"))  # 18:30 in Tokyo
    late_evening = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # 01:00 next day in Tokyo
    assert relative_label(late_evening, NOW) == "17:00"
    assert relative_label(late_evening, tokyo_now) == "25 Nov"
