"""First-reply math and the awaiting queue (storage.insight.responses): pure functions over rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportmail.storage.dates import format_duration
from supportmail.storage.insight.people import Team
from supportmail.storage.insight.responses import (
    awaiting,
    build_responses,
    first_reply,
    median,
    percentile,
    stats,
)
from supportmail.storage.models import Address, FirstReply, ReportMessage, ReportThread

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
TEAM = Team.from_addresses(["support@plotline.example", "maya@gmail.com"])
CUSTOMER = Address("Ann", "ann@customer.example")
OTHER = Address("Bob", "bob@gmail.com")
AGENT = Address("Maya", "maya@plotline.example")  # the team's domain, not a listed address
FREEMAIL_AGENT = Address("Maya", "maya@gmail.com")


def thread(
    tid: str, messages: list[tuple[Address, timedelta]], tags: tuple[str, ...] = ()
) -> ReportThread:
    msgs = tuple(
        ReportMessage(n, sender, T0 + offset) for n, (sender, offset) in enumerate(messages)
    )
    return ReportThread(f"<{tid}@x>", tid, "subject", msgs[0].date, tags, msgs)


def test_median_and_nearest_rank_p90() -> None:
    assert median([]) is None
    assert median([5.0]) == 5.0
    assert median([1.0, 3.0, 2.0]) == 2.0
    assert median([1.0, 2.0, 3.0, 10.0]) == 2.5
    assert percentile([], 90) is None
    values = [float(n) for n in range(1, 11)]  # 1..10: rank ceil(9) = 9
    assert percentile(values, 90) == 9.0
    assert percentile([float(n) for n in range(1, 21)], 90) == 18.0
    assert percentile([7.0], 90) == 7.0
    assert percentile([1.0, 100.0], 90) == 100.0  # ceil(1.8) = 2: a delay that happened


def test_first_reply_is_the_team_after_the_first_customer_message() -> None:
    t = thread(
        "a",
        [
            (AGENT, timedelta(0)),  # an outbound first message does not start the clock
            (CUSTOMER, timedelta(hours=1)),
            (OTHER, timedelta(hours=2)),
            (AGENT, timedelta(hours=3, minutes=30)),
            (CUSTOMER, timedelta(hours=4)),
        ],
    )
    reply = first_reply(t, TEAM)
    assert reply is not None
    assert reply.asked == T0 + timedelta(hours=1)
    assert reply.seconds == 2.5 * 3600
    # replies after `at` are not seen yet
    early = first_reply(t, TEAM, at=T0 + timedelta(hours=3))
    assert early is not None and early.replied is None and early.seconds is None
    assert first_reply(thread("b", [(AGENT, timedelta(0))]), TEAM) is None


def test_team_is_the_addresses_and_their_company_domain_not_freemail() -> None:
    t = thread("a", [(CUSTOMER, timedelta(0)), (FREEMAIL_AGENT, timedelta(minutes=20))])
    reply = first_reply(t, TEAM)
    assert reply is not None and reply.seconds == 1200
    # bob@gmail.com is a customer although a teammate uses gmail.com too
    t2 = thread("b", [(OTHER, timedelta(0))])
    assert [w.thread_id for w in awaiting([t2], TEAM)] == ["b"]


def test_stats_shares_count_unanswered_threads() -> None:
    replies = [
        FirstReply(T0, T0 + timedelta(minutes=30)),
        FirstReply(T0, T0 + timedelta(hours=1)),  # exactly an hour is within the hour
        FirstReply(T0, T0 + timedelta(hours=5)),
        FirstReply(T0, T0 + timedelta(hours=30)),
        FirstReply(T0, None),
    ]
    s = stats(replies)
    assert (s.threads, s.answered) == (5, 4)
    assert s.first_reply_median_s == (3600 + 5 * 3600) / 2
    assert s.first_reply_p90_s == 30 * 3600
    assert s.within_1h == pytest.approx(2 / 5)
    assert s.within_24h == pytest.approx(3 / 5)
    empty = stats([])
    assert empty.threads == 0 and empty.within_1h is None and empty.first_reply_median_s is None


def test_awaiting_longest_first_since_the_first_unanswered_message() -> None:
    answered = thread("done", [(CUSTOMER, timedelta(0)), (AGENT, timedelta(hours=1))])
    waits = thread(
        "late",
        [
            (CUSTOMER, timedelta(0)),
            (AGENT, timedelta(hours=1)),
            (CUSTOMER, timedelta(hours=2)),
            (CUSTOMER, timedelta(hours=3)),
            (Address("", ""), timedelta(hours=4)),  # no sender: neither side
        ],
    )
    older = thread("old", [(OTHER, timedelta(minutes=30))])
    found = awaiting([answered, waits, older], TEAM)
    assert [w.thread_id for w in found] == ["old", "late"]
    assert found[1].since == T0 + timedelta(hours=2)
    # at a moment before the team answered, "done" waited too
    before = awaiting([answered], TEAM, at=T0 + timedelta(minutes=10))
    assert [w.thread_id for w in before] == ["done"]


def test_build_responses_per_tag_and_period() -> None:
    week = timedelta(days=7)
    threads = [
        thread("a", [(CUSTOMER, timedelta(0)), (AGENT, timedelta(minutes=10))], ("team:billing",)),
        thread(
            "b",
            [(CUSTOMER, week), (AGENT, week + timedelta(hours=2))],
            ("team:billing", "category:bug"),
        ),
        thread("c", [(OTHER, week + timedelta(hours=1))], ("category:bug",)),
        thread("d", [(CUSTOMER, -week)], ("team:billing",)),  # before the window
        thread("e", [(CUSTOMER, timedelta(hours=2))]),  # untagged: in the total only
    ]
    start = T0.replace(hour=0)
    report = build_responses(threads, TEAM, since=start, until=start + 2 * week, by="week")
    assert [t.tag for t in report.tags] == ["team:billing", "category:bug"]
    billing = report.tags[0]
    assert (billing.stats.threads, billing.stats.answered) == (2, 2)
    assert billing.stats.first_reply_median_s == (600 + 7200) / 2
    assert billing.stats.within_1h == 0.5 and billing.stats.within_24h == 1.0
    assert [p[1].threads for p in billing.periods] == [1, 1]
    assert [p[0] for p in billing.periods] == [start, start + week]
    bug = report.tags[1]
    assert (bug.stats.threads, bug.stats.answered) == (2, 1)
    assert report.total.threads == 4
    assert {w.thread_id for w in report.waiting} == {"c", "d", "e"}
    only_teams = build_responses(threads, TEAM, since=start, until=start + 2 * week, kind="team")
    assert [t.tag for t in only_teams.tags] == ["team:billing"]


def test_format_duration() -> None:
    assert format_duration(None) == "-"
    assert format_duration(42) == "42s"
    assert format_duration(12 * 60 + 5) == "12m"
    assert format_duration(3 * 3600 + 5 * 60) == "3h 05m"
    assert format_duration(2 * 86400 + 4 * 3600) == "2d 4h"


def test_the_lean_timeline_agrees_with_the_report_rows() -> None:
    from supportmail.storage.insight.responses import awaiting_timeline

    threads = [
        thread("a", [(CUSTOMER, timedelta(0)), (AGENT, timedelta(hours=1))]),
        thread("b", [(CUSTOMER, timedelta(0)), (AGENT, timedelta(1)), (OTHER, timedelta(2))]),
        thread("c", [(AGENT, timedelta(0)), (Address("", ""), timedelta(hours=1))]),
        thread("d", [(OTHER, timedelta(minutes=5)), (CUSTOMER, timedelta(hours=9))]),
        thread("e", [(Address("", ""), timedelta(0))]),
    ]
    rows = [
        (t.root, m.sender.addr, int(m.date.timestamp()), 0) for t in threads for m in t.messages
    ]
    lean = awaiting_timeline(rows, TEAM)
    full = awaiting(threads, TEAM)
    assert [root for _, _, root in lean] == [w.root for w in full] == ["<d@x>", "<b@x>"]
    assert [epoch for epoch, _, _ in lean] == [int(w.since.timestamp()) for w in full]
