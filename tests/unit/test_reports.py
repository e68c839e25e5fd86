"""Reports: exact counts, customers, spikes, trends, voice of the customer, bugs, digest.

Two levels. Most tests build :class:`ReportThread` rows by hand and call the pure functions of
``storage.insight``; the ``mailbox`` tests build a real cache from generated RFC 5322 mail whose
distribution is fixed here (how many threads per tag and week, from whom) and go through
``Service.report`` / ``voice`` / ``bugs_by_reach`` / ``digest``, so the cache query is covered too.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from supportmail.storage import insight
from supportmail.storage.cache import FolderState
from supportmail.storage.insight import Team
from supportmail.storage.insight.digest import digest as build_digest
from supportmail.storage.insight.voice import voice as build_voice
from supportmail.storage.mime import parse_body, parse_envelope
from supportmail.storage.models import Address, Report, ReportMessage, ReportThread, TagReport
from supportmail.storage.service import Service
from supportmail.storage.tags import encode_keyword
from tests.mailgen import message

# Friday 6 November 2026, 17:00 UTC: the current ISO week started Monday 2 November.
NOW = datetime(2026, 11, 6, 17, 0, tzinfo=UTC)
WEEK0 = datetime(2026, 11, 2, tzinfo=UTC)
TEAM = Team.from_addresses(["support@plotline.example", "alice@gmail.com"])

_serial = itertools.count(1)


def _thread(
    start: datetime,
    tags: Sequence[str],
    senders: Sequence[str] = ("anna@acme.example",),
    *,
    subject: str = "Help",
    spacing: timedelta = timedelta(hours=1),
) -> ReportThread:
    n = next(_serial)
    msgs = tuple(
        ReportMessage(n * 100 + k, Address(addr.split("@")[0].title(), addr), start + k * spacing)
        for k, addr in enumerate(senders)
    )
    return ReportThread(f"root{n}@x", f"{n:012x}", subject, start, tuple(sorted(tags)), msgs)


def _weekly(counts: Sequence[int], tag: str, *, day: int = 1, hour: int = 10) -> list[ReportThread]:
    """``counts[i]`` threads of ``tag`` in the week ``len(counts) - 1 - i`` weeks before WEEK0,
    each from a different customer of a different company."""
    out = []
    last = len(counts) - 1
    for i, count in enumerate(counts):
        monday = WEEK0 - timedelta(weeks=last - i)
        for j in range(count):
            when = monday + timedelta(days=day, hours=hour, minutes=j)
            out.append(_thread(when, [tag], [f"c{i}x{j}@firm{i}x{j}.example"]))
    return out


def _report(threads: Sequence[ReportThread], **kw: object) -> Report:
    args: dict[str, object] = {
        "since": WEEK0 - timedelta(weeks=11),
        "until": NOW,
        "by": "week",
        "data_start": WEEK0 - timedelta(weeks=11),  # the first week the tests generate
    }
    args.update(kw)
    return insight.build_report(threads, TEAM, **args)  # type: ignore[arg-type]


def _tag(report: Report, name: str) -> TagReport:
    return next(t for t in report.tags if t.tag == name)


# --------------------------------------------------------------------------- customers


def test_customers_exclude_team_addresses_and_the_team_domain() -> None:
    thread = _thread(
        NOW - timedelta(days=1),
        ["team:billing"],
        [
            "Anna@ACME.example",
            "support@plotline.example",  # the account's own address
            "maya@plotline.example",  # an agent at the team's (company) domain
            "anna@acme.example",  # the same customer again, other case
            "bob@acme.example",
            "alice@gmail.com",  # a team member with a free-mail address
            "carl@gmail.com",  # ... does not make every gmail user the team
            "eve@yahoo.co.uk",
        ],
    )
    people = insight.customers(thread, TEAM)
    assert [p.addr.lower() for p in people] == [
        "anna@acme.example",
        "bob@acme.example",
        "carl@gmail.com",
        "eve@yahoo.co.uk",
    ]
    tag = _tag(_report([thread]), "team:billing")
    assert (tag.threads, tag.customers, tag.companies) == (1, 4, 3)


@pytest.mark.parametrize(
    ("domain", "free"),
    [
        ("gmail.com", True),
        ("googlemail.com", True),
        ("web.de", True),
        ("qq.com", True),
        ("163.com", True),
        ("proton.me", True),
        ("yahoo.co.uk", True),
        ("hotmail.de", True),
        ("outlook.com.br", True),
        ("gmx.com", True),
        ("acme.example", False),
        ("outlook.acme.example", False),
        ("liveperson.com", False),
        ("mail.acme.com", False),
    ],
)
def test_freemail_domains(domain: str, free: bool) -> None:
    assert insight.is_freemail(domain) is free
    assert insight.company_domain(f"x@{domain}") == (None if free else domain)


def test_free_mail_customers_count_as_one_company_each() -> None:
    threads = [
        _thread(WEEK0 + timedelta(hours=9), ["category:bug"], [addr])
        for addr in ("a@gmail.com", "b@gmail.com", "c@web.de", "d@acme.example", "e@acme.example")
    ]
    tag = _tag(_report(threads), "category:bug")
    assert (tag.threads, tag.customers, tag.companies) == (5, 5, 4)


# --------------------------------------------------------------------------- periods


def test_exact_counts_per_week_and_the_period_of_the_first_message() -> None:
    counts = [1, 0, 2, 3, 1, 0, 0, 4, 2, 1, 0, 2]
    threads = _weekly(counts, "team:mobile")
    # Starts on Sunday 23:30 of the week before last; the replies on Monday do not move it.
    late = _thread(
        WEEK0 - timedelta(weeks=1, minutes=30),
        ["team:mobile"],
        ["z@zeta.example", "support@plotline.example", "z@zeta.example"],
    )
    report = _report([*threads, late])
    tag = _tag(report, "team:mobile")
    expected = counts.copy()
    expected[-3] += 1
    assert [p.threads for p in tag.periods] == expected
    assert [p.customers for p in tag.periods] == expected
    assert [p.start for p in tag.periods] == [WEEK0 - timedelta(weeks=11 - i) for i in range(12)]
    assert tag.threads == sum(expected) == report.threads
    assert report.period_starts[0] == report.since == WEEK0 - timedelta(weeks=11)


def test_days_and_months() -> None:
    threads = [
        _thread(datetime(2026, 9, 30, 23, 59, tzinfo=UTC), ["x"]),
        _thread(datetime(2026, 10, 1, 0, 0, tzinfo=UTC), ["x"]),
        _thread(datetime(2026, 10, 31, 12, 0, tzinfo=UTC), ["x"]),
        _thread(datetime(2026, 11, 6, 8, 0, tzinfo=UTC), ["x"]),
    ]
    month = _report(threads, since=datetime(2026, 9, 1, tzinfo=UTC), by="month")
    assert [p.threads for p in _tag(month, "x").periods] == [1, 2, 1]
    assert [p.month for p in month.period_starts] == [9, 10, 11]
    day = _report(threads, since=datetime(2026, 10, 31, tzinfo=UTC), by="day")
    assert [p.threads for p in _tag(day, "x").periods] == [1, 0, 0, 0, 0, 0, 1]


def test_period_boundaries_follow_the_report_time_zone() -> None:
    # Monday 00:30 in Berlin (+01:00) is Sunday 23:30 UTC.
    berlin = timezone(timedelta(hours=1))
    thread = _thread(datetime(2026, 11, 2, 0, 30, tzinfo=berlin), ["x"])
    in_utc = _report([thread])
    assert [p.threads for p in _tag(in_utc, "x").periods][-2:] == [1, 0]
    in_berlin = _report([thread], until=NOW.astimezone(berlin))
    assert [p.threads for p in _tag(in_berlin, "x").periods][-2:] == [0, 1]


def test_month_arithmetic_wraps_the_year() -> None:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    assert insight.shift_period(start, "month") == datetime(2027, 1, 1, tzinfo=UTC)
    assert insight.shift_period(start, "month", -12) == datetime(2025, 12, 1, tzinfo=UTC)
    until = datetime(2027, 1, 1, tzinfo=UTC)
    assert insight.period_starts(datetime(2026, 11, 15, tzinfo=UTC), until, "month") == [
        datetime(2026, 11, 1, tzinfo=UTC),
        start,
    ]


def test_kind_filter_and_ordering() -> None:
    threads = [
        _thread(WEEK0 + timedelta(hours=1), ["team:billing", "category:bug", "invoices"]),
        _thread(WEEK0 + timedelta(hours=2), ["team:editor", "category:bug"]),
        _thread(WEEK0 + timedelta(hours=3), ["team:editor"]),
    ]
    assert [t.tag for t in _report(threads).tags] == [
        "team:editor",
        "team:billing",
        "category:bug",
        "invoices",
    ]
    assert [t.tag for t in _report(threads, kind="category").tags] == ["category:bug"]
    assert [t.tag for t in _report(threads, kind="label").tags] == ["invoices"]


# --------------------------------------------------------------------------- spikes


def test_poisson_tail_is_exact() -> None:
    def brute(k: int, lam: float) -> float:
        return 1.0 - sum(math.exp(-lam) * lam**i / math.factorial(i) for i in range(k))

    for k, lam in itertools.product(range(0, 15), (0.1, 0.5, 1.0, 2.5, 7.0)):
        assert insight.poisson_sf(k, lam) == pytest.approx(brute(k, lam), rel=1e-9, abs=1e-15)
    assert insight.poisson_sf(3, 0.5) == pytest.approx(0.014388, rel=1e-4)
    assert insight.poisson_sf(4, 0.5) == pytest.approx(0.001752, rel=1e-3)
    tiny = insight.poisson_sf(60, 2.0)
    assert 0 < tiny < 1e-50
    big = sum(math.exp(-1000 + i * math.log(1000) - math.lgamma(i + 1)) for i in range(1000, 3000))
    assert insight.poisson_sf(1000, 1000.0) == pytest.approx(big, rel=1e-9)
    assert insight.poisson_sf(5, 0.0) == 0.0


def test_a_burst_is_flagged_with_its_numbers() -> None:
    history = [1, 2, 1, 1, 2, 1, 1, 2]
    report = _report(
        _weekly([*history, 0, 1, 2, 9], "team:billing"), until=WEEK0 + timedelta(weeks=1)
    )
    tag = _tag(report, "team:billing")
    spike = tag.spike
    assert spike is not None and spike.flagged and not spike.partial
    assert spike.latest == 9 and spike.history == 8
    assert spike.baseline == (1 + 2 + 1 + 1 + 2 + 0 + 1 + 2) / 8
    assert spike.p == pytest.approx(insight.poisson_sf(9, spike.baseline))
    assert [p.spike for p in tag.periods] == [False] * 11 + [True]


def test_steady_noise_is_not_flagged() -> None:
    counts = [5, 6, 4, 5, 5, 6, 4, 5, 6, 4, 5, 6]
    report = _report(_weekly(counts, "team:editor"), until=WEEK0 + timedelta(weeks=1))
    tag = _tag(report, "team:editor")
    assert tag.spike is None and tag.latest is not None and not tag.latest.flagged
    assert not any(p.spike for p in tag.periods)
    assert tag.trend == "steady"


@pytest.mark.parametrize(("latest", "flagged"), [(1, False), (2, False), (3, False), (4, True)])
def test_small_counts_from_zero(latest: int, flagged: bool) -> None:
    """0 -> 1, 2 or 3 is noise (the 0.5 floor: p = 0.39, 0.09, 0.014); 0 -> 4 is a spike."""
    report = _report(_weekly([0] * 11 + [latest], "sso"), until=WEEK0 + timedelta(weeks=1))
    test = _tag(report, "sso").latest
    assert test is not None and test.baseline == 0 and test.flagged is flagged


def test_too_little_history_means_no_test() -> None:
    threads = _weekly([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 9], "x")
    recent = WEEK0 - timedelta(weeks=2)  # the cache only goes back to here
    report = _report(threads, data_start=recent, until=WEEK0 + timedelta(weeks=1))
    tag = _tag(report, "x")
    assert tag.latest is None and tag.trend is None
    assert not any(p.spike for p in tag.periods)
    assert insight.spike_test(9, [1, 1, 1]) is None
    assert insight.spike_test(9, [1, 1, 1, 1]) is not None


def test_a_running_week_is_compared_like_for_like() -> None:
    """On Friday 17:00, earlier weeks count only up to Friday 17:00 too."""
    # Every earlier week: 3 threads on Saturday (after the cut-off), none before it.
    late_week = _weekly([3] * 11 + [0], "x", day=5)
    this_week = [_thread(WEEK0 + timedelta(days=1, minutes=m), ["x"]) for m in range(4)]
    test = _tag(_report([*late_week, *this_week]), "x").latest
    assert test is not None and test.partial
    assert (test.latest, test.baseline, test.flagged) == (4, 0.0, True)
    # The same four threads against weeks whose threads come on Tuesdays: no spike.
    early_week = _weekly([3] * 11 + [0], "x", day=1)
    test = _tag(_report([*early_week, *this_week]), "x").latest
    assert test is not None and (test.baseline, test.flagged) == (3.0, False)


def test_the_spike_also_stands_in_a_month_report() -> None:
    threads = [
        _thread(datetime(2026, m, 10, tzinfo=UTC) + timedelta(hours=k), ["billing"])
        for m in range(1, 11)
        for k in range(2 if m < 10 else 12)
    ]
    report = _report(
        threads,
        since=datetime(2026, 5, 1, tzinfo=UTC),
        until=datetime(2026, 11, 1, tzinfo=UTC),
        by="month",
        data_start=datetime(2026, 1, 10, tzinfo=UTC),
    )
    tag = _tag(report, "billing")
    assert [p.threads for p in tag.periods] == [2, 2, 2, 2, 2, 12]
    assert tag.spike is not None and tag.spike.history == 8


# --------------------------------------------------------------------------- trend


def test_mann_kendall_known_values() -> None:
    s, p = insight.mann_kendall([1, 2, 3, 4, 5, 6])
    assert s == 15
    assert p == pytest.approx(math.erfc(14 / math.sqrt(6 * 5 * 17 / 18) / math.sqrt(2)))
    assert p == pytest.approx(0.00854, abs=1e-4)
    s, p = insight.mann_kendall([2, 2, 2, 2, 2, 2])
    assert (s, p) == (0, 1.0)
    # Ties reduce the variance: [0, 0, 1, 1, 2, 2] has S = 12 and ties of 2, 2, 2.
    s, p = insight.mann_kendall([0, 0, 1, 1, 2, 2])
    variance = (6 * 5 * 17 - 3 * 2 * 1 * 9) / 18
    assert s == 12 and p == pytest.approx(math.erfc(11 / math.sqrt(variance) / math.sqrt(2)))


def test_trend_labels() -> None:
    assert insight.trend([1, 1, 2, 2, 3, 4, 4, 5]) == "rising"
    assert insight.trend([6, 5, 5, 3, 2, 2, 1, 0]) == "falling"
    assert insight.trend([3, 4, 3, 4, 3, 4, 3, 4]) == "steady"
    assert insight.trend([1, 2, 3, 4, 5]) is None  # too few periods
    assert insight.trend([0, 0, 0, 0, 0, 9]) == "steady"  # one outlier is not a trend


def test_trend_in_a_report_leaves_out_the_running_week() -> None:
    counts = [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 0]  # the running week has no threads yet
    tag = _tag(_report(_weekly(counts, "rising-tag")), "rising-tag")
    assert tag.trend == "rising"


# --------------------------------------------------------------------------- quotes


def test_quote_english_reply_signature_and_greeting() -> None:
    text = (
        "Hi team,\n\nThe export to CSV drops the last column when a task has a due date.\n"
        "It started yesterday.\n\nThanks,\nAnna\n-- \nAnna Schmidt\nHead of Ops | Acme\n\n"
        "On Mon, 2 Nov 2026 at 09:14, Plotline Support <support@plotline.example> wrote:\n"
        "> Hi Anna,\n> what do you see?\n"
    )
    assert insight.customer_paragraph(text) == (
        "The export to CSV drops the last column when a task has a due date. It started yesterday."
    )


def test_quote_with_greeting_on_the_same_paragraph_and_wrapped_attribution() -> None:
    text = (
        "Hello Plotline team,\nwe would love a dark mode.\n\n"
        "On Mon, 2 Nov 2026 at 09:14, Maya Okafor (Plotline) <\n"
        "maya@plotline.example> wrote:\n> earlier text\n"
    )
    assert insight.customer_paragraph(text) == "we would love a dark mode."
    top_posted = "Sounds good, thanks.\nOn Mon, 2 Nov 2026, Maya\nOkafor wrote:\n> old\n"
    assert insight.customer_paragraph(top_posted) == "Sounds good, thanks."


def test_quote_german() -> None:
    text = (
        "Sehr geehrte Damen und Herren,\n\n"
        "wir haben zwei Rechnungen erhalten. Bitte erstatten Sie den doppelten Betrag.\n\n"
        "Mit freundlichen Grüßen\nJörg Schwarz\n\n"
        "Am 26.08.26 um 10:13 schrieb Jonas Brandt:\n> Guten Tag,\n"
    )
    assert insight.customer_paragraph(text) == (
        "wir haben zwei Rechnungen erhalten. Bitte erstatten Sie den doppelten Betrag."
    )
    reply_first = (
        "Danke, es geht jetzt!\n\nAm Di., 25. Aug. 2026 um 21:21 Uhr schrieb X <x@y.de>:\n"
    )
    assert insight.customer_paragraph(reply_first) == "Danke, es geht jetzt!"


def test_quote_chinese() -> None:
    text = (
        "你好，\n\n我们团队经常加班到很晚，晚上打开 Plotline 白色的界面特别刺眼。"
        "希望能加上深色模式。\n\n谢谢！\n王芳\n\n"
        "在 2026年11月2日 09:14，Plotline Support <support@plotline.example> 写道：\n"
        "> 您好\n"
    )
    assert insight.customer_paragraph(text) == (
        "我们团队经常加班到很晚，晚上打开 Plotline 白色的界面特别刺眼。希望能加上深色模式。"
    )
    qq = (
        "退款已经收到了，谢谢处理。\n\n------------------ 原始邮件 ------------------\n"
        '发件人: "Plotline"<support@plotline.example>;\n发送时间: 2026年11月2日\n主题: 回复\n'
    )
    assert insight.customer_paragraph(qq) == "退款已经收到了，谢谢处理。"
    long_zh = "深" * 400
    assert insight.customer_paragraph(long_zh) == "深" * 280 + "…"


def test_quote_outlook_blocks_and_mobile_footers() -> None:
    original = (
        "Any update on this?\n\n-----Original Message-----\nFrom: Support\nSent: Monday\n"
        "Subject: Re: x\n\nHi,\n"
    )
    assert insight.customer_paragraph(original) == "Any update on this?"
    underscores = (
        "Still broken.\n\n________________________________\nFrom: Maya <maya@plotline.example>\n"
        "Sent: Monday, June 15, 2026 08:05\nSubject: Re: x\n\nHi Freya,\n"
    )
    assert insight.customer_paragraph(underscores) == "Still broken."
    von = "Geht wieder.\n\nVon: Support <s@p.example>\nGesendet: Montag\nBetreff: AW: x\n"
    assert insight.customer_paragraph(von) == "Geht wieder."
    assert insight.customer_paragraph("Can't log in.\n\nSent from my iPhone\n") == "Can't log in."
    assert insight.customer_paragraph("Danke!\n") == ""  # only a sign-off
    assert insight.customer_paragraph("Hi,\n\nThanks,\nAnna\n") == ""
    assert insight.customer_paragraph("> all quoted\n> text\n") == ""


def test_quote_is_trimmed_at_a_word_boundary() -> None:
    words = " ".join(f"word{i}" for i in range(100))
    quote = insight.customer_paragraph(words)
    assert quote.endswith("…") and len(quote) <= 281
    assert words.startswith(quote[:-1]) and words[len(quote) - 1] == " "
    # A short first paragraph that reads like a greeting but is content is kept.
    assert (
        insight.customer_paragraph("Please add dark mode!\n\nBest,\nA") == "Please add dark mode!"
    )
    wrapped = "Our design team works in dimmed rooms,\nand the white UI hurts.\n"
    assert insight.customer_paragraph(wrapped) == (
        "Our design team works in dimmed rooms, and the white UI hurts."
    )


# --------------------------------------------------------------------------- voice


def _voice_fixture() -> tuple[list[ReportThread], dict[int, str]]:
    feature = "category:feature-request"
    day = WEEK0 - timedelta(days=20)
    rows = [
        # dark-mode: 4 customers at 3 companies (two at acme), one thread tagged by team only.
        (["dark-mode", "team:editor"], "anna@acme.example", "Hi,\n\nPlease add a dark mode.\n"),
        (["dark-mode"], "bob@acme.example", "Dark mode would help our night shift.\n"),
        (["dark-mode"], "carl@gmail.com", "Is a dark theme planned?\n\n-- \nCarl\n"),
        (["dark-mode"], "dora@beta.example", "Dark mode please, my eyes hurt.\n"),
        (["dark-mode"], "anna@acme.example", "Me again: still want dark mode.\n"),
        # csv-export: 3 customers, one without a cached body.
        (["csv-export"], "erik@gamma.example", "We need to export tasks as CSV.\n"),
        (["csv-export"], "fay@delta.example", None),
        (["csv-export"], "gus@web.de", "Bitte einen CSV-Export.\n"),
        # Only a team tag: falls back to it.
        (["team:mobile"], "hal@eps.example", "The app should work offline.\n"),
        # No label, no team: counted, in no request.
        ([], "ivy@zeta.example", "Some idea.\n"),
    ]
    threads: list[ReportThread] = []
    bodies: dict[int, str] = {}
    for k, (tags, sender, body) in enumerate(rows):
        t = _thread(
            day + timedelta(hours=k),
            [feature, *tags],
            [sender, "maya@plotline.example"],
            subject=f"request {k}",
        )
        threads.append(t)
        if body is not None:
            bodies[t.messages[0].rowid] = body
    old = _thread(day - timedelta(days=200), [feature, "gantt-view"], ["old@old.example"])
    not_a_request = _thread(day, ["category:bug", "dark-mode"], ["zed@zeta.example"])
    return [*threads, old, not_a_request], bodies


def test_voice_ranks_requests_by_distinct_customers_with_quotes() -> None:
    threads, bodies = _voice_fixture()
    result = build_voice(threads, TEAM, bodies.get, since=WEEK0 - timedelta(days=90), until=NOW)
    assert [(r.tag, r.customers, r.companies, r.threads) for r in result.requests] == [
        ("dark-mode", 4, 3, 5),
        ("csv-export", 3, 3, 3),
        ("team:mobile", 1, 1, 1),
    ]
    assert result.threads == 10 and result.unlabelled == 1
    dark = result.requests[0]
    assert [q.text for q in dark.quotes] == [
        "Me again: still want dark mode.",  # newest first, one quote per customer
        "Dark mode please, my eyes hurt.",
        "Is a dark theme planned?",
    ]
    assert [(q.sender.addr, q.company) for q in dark.quotes] == [
        ("anna@acme.example", "acme.example"),
        ("dora@beta.example", "beta.example"),
        ("carl@gmail.com", None),
    ]
    assert dark.thread_ids[0] == dark.quotes[0].thread_id
    csv = result.requests[1]
    assert [q.text for q in csv.quotes] == [
        "Bitte einen CSV-Export.",
        "We need to export tasks as CSV.",
    ]
    assert result.requests[2].kind == "team"


def test_voice_top_and_window() -> None:
    threads, bodies = _voice_fixture()
    top1 = build_voice(
        threads, TEAM, bodies.get, since=WEEK0 - timedelta(days=90), until=NOW, top=1
    )
    assert [r.tag for r in top1.requests] == ["dark-mode"]
    empty = build_voice(threads, TEAM, bodies.get, since=NOW - timedelta(days=1), until=NOW)
    assert empty.requests == () and empty.threads == 0


def test_parse_quarter() -> None:
    assert insight.parse_quarter("2026Q3", UTC) == (
        datetime(2026, 7, 1, tzinfo=UTC),
        datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert insight.parse_quarter(" q4 2026 ", UTC) == (
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert insight.parse_quarter("2026-q1", UTC)[0] == datetime(2026, 1, 1, tzinfo=UTC)
    for bad in ("2026Q5", "Q3", "2026", "last quarter"):
        with pytest.raises(ValueError, match="2026Q3"):
            insight.parse_quarter(bad, UTC)


# --------------------------------------------------------------------------- bugs and digest


def test_bugs_by_reach() -> None:
    day = WEEK0 - timedelta(days=3)
    threads = [
        _thread(day, ["category:bug", "team:billing", "invoices"], ["a@one.example"]),
        _thread(day, ["category:bug", "team:billing"], ["b@one.example"]),
        _thread(day, ["category:bug", "team:billing"], ["c@gmail.com", "d@gmail.com"]),
        _thread(day, ["category:bug", "team:editor"], ["e@two.example"]),
        _thread(day, ["category:bug", "team:editor"], ["e@two.example"]),
        _thread(day, ["category:bug"], ["f@three.example"]),
        _thread(day, ["category:how-to", "team:editor"], ["g@four.example"]),
    ]
    reach = insight.bugs_by_reach(threads, TEAM, since=day - timedelta(days=1), until=NOW)
    assert reach.threads == 6
    assert [(g.tag, g.customers, g.companies, g.threads) for g in reach.groups] == [
        ("team:billing", 4, 3, 3),
        ("team:editor", 1, 1, 2),
        ("invoices", 1, 1, 1),
        (None, 1, 1, 1),
    ]


def test_digest_groups_by_category_with_customer_lines() -> None:
    since = NOW - timedelta(days=1)
    old_start = NOW - timedelta(days=5)
    fresh = _thread(
        NOW - timedelta(hours=3), ["category:bug", "category:billing"], ["a@one.example"]
    )
    follow_up = ReportThread(
        "root-old@x",
        "0000000000aa",
        "Old thread",
        old_start,
        ("category:how-to",),
        (
            ReportMessage(1, Address("A", "b@two.example"), old_start),
            ReportMessage(2, Address("S", "support@plotline.example"), NOW - timedelta(hours=5)),
            ReportMessage(3, Address("B", "b@two.example"), NOW - timedelta(hours=2)),
        ),
    )
    team_only = ReportThread(
        "root-team@x",
        "0000000000bb",
        "Team reply only",
        old_start,
        (),
        (
            ReportMessage(4, Address("C", "c@three.example"), old_start),
            ReportMessage(5, Address("S", "support@plotline.example"), NOW - timedelta(hours=1)),
        ),
    )
    untagged = _thread(NOW - timedelta(hours=1), [], ["d@gmail.com"], subject="New")
    bodies = {
        fresh.messages[0].rowid: "Hi,\n\nCharged twice.\n",
        3: "Thanks, that worked.\n\nOn Mon, S wrote:\n> try this\n",
        1: "Old question.\n",
    }
    result = build_digest(
        [fresh, follow_up, team_only, untagged], TEAM, bodies.get, since=since, until=NOW
    )
    assert result.threads == 3
    assert [(g.category, [i.subject for i in g.items]) for g in result.groups] == [
        ("category:billing", ["Help"]),
        ("category:bug", ["Help"]),
        ("category:how-to", ["Old thread"]),
        (None, ["New"]),
    ]
    how_to = result.groups[2].items[0]
    assert (how_to.new, how_to.text, how_to.customer) == (
        False,
        "Thanks, that worked.",
        Address("B", "b@two.example"),
    )
    new = result.groups[3].items[0]
    assert (new.new, new.text, new.company) == (True, "", None)  # body not cached


# --------------------------------------------------------------------------- through the cache


def _load(service: Service, mail: Sequence[tuple[str, bytes, tuple[str, ...]]]) -> None:
    """Fill the service's cache the way sync does: envelopes, flags, bodies, thread roots."""
    by_folder: dict[str, list[tuple[int, object, tuple[str, ...], int, None, None]]] = {}
    bodies = []
    for folder, raw, flags in mail:
        items = by_folder.setdefault(folder, [])
        uid = len(items) + 1
        items.append((uid, parse_envelope(raw), flags, len(raw), None, None))
        bodies.append((folder, uid, parse_body(raw)))
    for folder, items in by_folder.items():
        service.cache.save_folder(FolderState(service.account, folder, 1, 0, False))
        service.cache.add_messages(service.account, folder, items)  # type: ignore[arg-type]
    rowids = service.cache.rowids(service.account)
    for folder, uid, body in bodies:
        service.cache.save_body(rowids[(folder, uid)], body)
    service.cache.thread_pending(service.account)
    service.cache.rebuild_threads(service.account)


def _conversation(
    n: int, start: datetime, tags: Sequence[str], customer: str, text: str
) -> Iterator[tuple[str, bytes, tuple[str, ...]]]:
    flags = tuple(encode_keyword(t) for t in tags)
    root = f"m{n}.0@customer.example"
    yield (
        "INBOX",
        message(
            message_id=root,
            subject=f"Ticket {n}",
            sender=customer,
            to="support@plotline.example",
            date=start,
            body=text,
        ),
        flags,
    )
    agent = "Maya (Plotline) <maya@plotline.example>" if n % 2 else "support@plotline.example"
    yield (
        "Sent",
        message(
            message_id=f"m{n}.1@plotline.example",
            subject=f"Re: Ticket {n}",
            sender=agent,
            to=customer,
            date=start + timedelta(hours=2),
            body=f"Hi,\n\nthanks.\n\nOn a day, someone wrote:\n> {text}",
            in_reply_to=root,
            references=[root],
        ),
        flags,
    )


@pytest.fixture
def mailbox(tmp_path: Path) -> Iterator[Service]:
    """20 weeks: team:billing has 1-2 bug threads a week and a burst of 8 this week; team:editor
    has 3 steady threads a week; 4 dark-mode requests (3 companies) and 2 csv-export ones."""
    service = Service(
        account="t",
        data_dir=tmp_path / "t",
        folders=("INBOX", "Sent"),
        connector=None,
        team_addresses=["alice@gmail.com"],
        own_address="support@plotline.example",
        clock=lambda: NOW,
    )
    mail: list[tuple[str, bytes, tuple[str, ...]]] = []
    n = itertools.count()
    billing = [1, 2] * 10
    billing[-1] = 8
    for w in range(20):
        monday = WEEK0 - timedelta(weeks=19 - w)
        for j in range(billing[w]):
            k = next(n)
            who = f"Cust {k} <c{k}@{'gmail.com' if j % 2 else f'firm{k}.example'}>"
            start = monday + timedelta(days=j % 4, hours=9 + j)
            mail += _conversation(k, start, ["team:billing", "category:bug"], who, "Charged twice.")
        for j in range(3):
            k = next(n)
            start = monday + timedelta(days=j, hours=11)
            mail += _conversation(k, start, ["team:editor"], f"E {k} <e{k}@ed{j}.example>", "Hm.")
    requests = [
        (
            "dark-mode",
            "Anna <anna@acme.example>",
            "Hi,\n\nPlease add a dark mode.\n\nThanks,\nAnna",
        ),
        ("dark-mode", "Bob <bob@acme.example>", "Our night shift wants dark mode.\n"),
        ("dark-mode", "Carl <carl@gmail.com>", "Dark theme?\n-- \nCarl"),
        ("dark-mode", "Dora <dora@beta.example>", "Dark mode please.\n"),
        ("csv-export", "Erik <erik@gamma.example>", "CSV export please.\n"),
        ("csv-export", "Fay <fay@delta.example>", "We need CSV.\n"),
    ]
    for i, (label, who, text) in enumerate(requests):
        start = WEEK0 - timedelta(days=30, hours=i)
        mail += _conversation(next(n), start, ["category:feature-request", label], who, text)
    _load(service, mail)
    yield service
    service.close()


def test_service_report_on_a_generated_mailbox(mailbox: Service) -> None:
    report = mailbox.report(by="week", raw=True)
    assert report.since == WEEK0 - timedelta(weeks=11) and report.until == NOW
    billing = _tag(report, "team:billing")
    assert [p.threads for p in billing.periods] == [1, 2] * 5 + [1, 8]
    # Every other billing customer writes from gmail.com: one company per address there.
    assert [p.customers for p in billing.periods] == [p.threads for p in billing.periods]
    assert billing.periods[-1].companies == 8
    assert billing.spike is not None and billing.periods[-1].spike
    assert billing.spike.partial and billing.spike.latest == 8
    editor = _tag(report, "team:editor")
    assert [p.threads for p in editor.periods] == [3] * 12
    assert editor.spike is None and not any(p.spike for p in editor.periods)
    assert editor.trend == "steady"
    # maya@plotline.example (the team's domain) and support@ never count as customers.
    assert editor.customers == 36 and editor.companies == 3
    category = mailbox.report(kind="category", raw=True)
    assert [t.tag for t in category.tags] == ["category:bug", "category:feature-request"]


def test_service_voice_bugs_and_digest(mailbox: Service) -> None:
    voice = mailbox.voice()
    assert [(r.tag, r.customers, r.companies) for r in voice.requests] == [
        ("dark-mode", 4, 3),
        ("csv-export", 2, 2),
    ]
    assert {q.text for q in voice.requests[0].quotes} <= {
        "Please add a dark mode.",
        "Our night shift wants dark mode.",
        "Dark theme?",
        "Dark mode please.",
    }
    assert len(voice.requests[0].quotes) == 3
    start, end = mailbox.quarter("2026Q4")
    assert mailbox.voice(start, end).threads == 6
    bugs = mailbox.bugs_by_reach()
    assert [g.tag for g in bugs.groups] == ["team:billing"]
    assert bugs.groups[0].threads == sum([1, 2] * 5 + [1, 8])
    # Since Wednesday 17:00: two billing bugs started on Thursday; editor threads and the
    # team's replies do not count.
    digest = mailbox.digest(NOW - timedelta(days=2))
    assert digest.threads == 2
    assert [(g.category, len(g.items)) for g in digest.groups] == [("category:bug", 2)]
    assert [i.text for i in digest.groups[0].items] == ["Charged twice.", "Charged twice."]


@pytest.mark.parametrize(
    "closing",
    [
        "Thanks,\nAnna",
        "Best regards, Anna Schmidt",
        "Thanks in advance!\nAnna",
        "Mit freundlichen Grüßen\nJörg Schwarz",
        "LG Jörg",
        "- Anna",
        "谢谢！\n王芳",
    ],
)
def test_a_message_of_only_greeting_and_closing_has_no_quote(closing: str) -> None:
    assert insight.customer_paragraph(f"Hi,\n\n{closing}\n") == ""
    assert insight.customer_paragraph(f"Hi,\n\nReal words here.\n\n{closing}\n") == (
        "Real words here."
    )


def test_the_start_rounds_down_to_whole_periods() -> None:
    wednesday = WEEK0 - timedelta(weeks=2) + timedelta(days=2, hours=5)
    threads = [_thread(wednesday - timedelta(days=1), ["x"]), _thread(wednesday, ["x"])]
    report = _report(threads, since=wednesday)
    assert report.since == WEEK0 - timedelta(weeks=2) == report.period_starts[0]
    assert [p.threads for p in _tag(report, "x").periods] == [2, 0, 0]


def test_display_copies_are_sanitised() -> None:
    from supportmail.storage.sanitize import has_unsafe

    evil = "\x1b]52;c;cm0gLXJmIH4=\x07 dark\u202emode \x1b[2J"
    thread = _thread(
        WEEK0 - timedelta(days=2),
        ["category:feature-request", "evil\x1blabel"],
        ["Evil\x1b <e@x.example>"],
        subject=evil,
    )
    bodies = {thread.messages[0].rowid: evil + "\n"}
    result = build_voice([thread], TEAM, bodies.get, since=WEEK0 - timedelta(days=9), until=NOW)
    assert result.requests[0].quotes[0].text == evil.strip()  # the decoded original
    shown = result.sanitized()
    quote = shown.requests[0].quotes[0]
    for text in (shown.requests[0].tag, quote.text, quote.sender.name, quote.sender.addr):
        assert not has_unsafe(text)
    report = _report([thread]).sanitized()
    assert not any(has_unsafe(t.tag) for t in report.tags)
    digest = build_digest([thread], TEAM, bodies.get, since=WEEK0 - timedelta(days=9), until=NOW)
    item = digest.sanitized().groups[0].items[0]
    assert not has_unsafe(item.subject) and not has_unsafe(item.text)


def test_skim_remembers_where_it_stopped_and_marks_nothing_read(mailbox: Service) -> None:
    from supportmail.storage.models import ThreadQuery

    thursday = WEEK0 + timedelta(days=3, hours=18)
    mailbox.clock = lambda: thursday
    unread = mailbox.count_threads(ThreadQuery(unread=True))
    assert mailbox.last_skim() is None
    peek = mailbox.skim(remember=False)
    assert mailbox.last_skim() is None and peek.since == thursday - timedelta(days=1)
    first = mailbox.skim()
    assert first.threads == peek.threads == 2  # the two billing bugs of Thursday
    assert mailbox.last_skim() == thursday
    assert mailbox.skim().threads == 0  # nothing new at the same moment
    mailbox.clock = lambda: NOW
    again = mailbox.skim()
    assert (again.since, again.until, again.threads) == (thursday, NOW, 0)
    assert mailbox.last_skim() == NOW
    assert mailbox.count_threads(ThreadQuery(unread=True)) == unread
