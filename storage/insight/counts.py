"""Counts per tag and period over time: threads and distinct customers, with each period's
spike test and the tag's trend (:func:`build_report`, the ``report`` insight).

The service hands it :class:`storage.models.ReportThread` rows (from ``Cache.report_rows``); a
thread counts once per tag, in the period of its first message (``storage.insight.periods``);
the tests are those of ``storage.insight.stats``.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from supportmail.storage.insight.people import Team, customer_keys, customers
from supportmail.storage.insight.periods import period_start, period_starts, shift_period
from supportmail.storage.insight.stats import SPIKE_HISTORY, spike_test, trend
from supportmail.storage.models import (
    Granularity,
    PeriodCount,
    Report,
    ReportThread,
    SpikeTest,
    TagKind,
    TagReport,
)
from supportmail.storage.tags import KIND_ORDER, tag_kind


@dataclass(slots=True)
class _Window:
    """The periods of a report: history periods (for the baseline) then the shown ones."""

    starts: list[datetime]
    shown_from: int
    until: datetime
    by: Granularity
    data_from: int
    """First period index at or after the first thread in the cache."""

    def index(self, when: datetime) -> int:
        return bisect.bisect_right(self.starts, when) - 1

    def end(self, i: int) -> datetime:
        return (
            self.starts[i + 1]
            if i + 1 < len(self.starts)
            else shift_period(self.starts[i], self.by)
        )

    @property
    def partial(self) -> bool:
        return self.until < self.end(len(self.starts) - 1)


@dataclass(slots=True)
class _TagCounts:
    threads: dict[int, int] = field(default_factory=dict)
    addrs: dict[int, set[str]] = field(default_factory=dict)
    companies: dict[int, set[str]] = field(default_factory=dict)
    offsets: dict[int, list[timedelta]] = field(default_factory=dict)
    """Per period: how far into the period each thread started (for like-for-like tests)."""

    def add(self, i: int, offset: timedelta, addrs: set[str], companies: set[str]) -> None:
        self.threads[i] = self.threads.get(i, 0) + 1
        self.addrs.setdefault(i, set()).update(addrs)
        self.companies.setdefault(i, set()).update(companies)
        self.offsets.setdefault(i, []).append(offset)


def _window(
    since: datetime, until: datetime, by: Granularity, data_start: datetime | None
) -> _Window:
    shown = period_starts(since, until, by)
    history = [shift_period(shown[0], by, -n) for n in range(SPIKE_HISTORY, 0, -1)]
    starts = history + shown
    data_from = 0
    if data_start is not None:
        first = period_start(data_start, by, until.tzinfo)
        data_from = bisect.bisect_left(starts, first)
    return _Window(starts, len(history), until, by, data_from)


def _period_test(counts: _TagCounts, win: _Window, i: int) -> SpikeTest | None:
    lo = max(i - SPIKE_HISTORY, win.data_from)
    previous = range(lo, i)
    last = i == len(win.starts) - 1
    if last and win.partial:
        elapsed = win.until - win.starts[i]
        history = [sum(1 for o in counts.offsets.get(j, ()) if o < elapsed) for j in previous]
        return spike_test(counts.threads.get(i, 0), history, partial=True)
    history = [counts.threads.get(j, 0) for j in previous]
    return spike_test(counts.threads.get(i, 0), history)


def _tag_report(tag: str, counts: _TagCounts, win: _Window) -> TagReport:
    periods: list[PeriodCount] = []
    tests: list[SpikeTest | None] = []
    addrs: set[str] = set()
    companies: set[str] = set()
    for i in range(win.shown_from, len(win.starts)):
        test = _period_test(counts, win, i) if i >= win.data_from else None
        tests.append(test)
        addrs |= counts.addrs.get(i, set())
        companies |= counts.companies.get(i, set())
        periods.append(
            PeriodCount(
                start=win.starts[i],
                threads=counts.threads.get(i, 0),
                customers=len(counts.addrs.get(i, ())),
                companies=len(counts.companies.get(i, ())),
                spike=test is not None and test.flagged,
            )
        )
    complete = len(win.starts) - (1 if win.partial else 0)
    series = [counts.threads.get(i, 0) for i in range(max(win.shown_from, win.data_from), complete)]
    return TagReport(
        tag=tag,
        kind=tag_kind(tag),
        threads=sum(p.threads for p in periods),
        customers=len(addrs),
        companies=len(companies),
        periods=tuple(periods),
        latest=tests[-1],
        trend=trend(series),
    )


def build_report(
    threads: Iterable[ReportThread],
    team: Team,
    *,
    since: datetime,
    until: datetime,
    by: Granularity = "week",
    kind: TagKind | None = None,
    data_start: datetime | None = None,
) -> Report:
    """Per tag (of ``kind``, or all) and period: threads and distinct customers, spike tests
    per period against the previous 8, and the trend. ``threads`` should cover the 8 periods
    before ``since`` too (for the baselines); ``data_start`` is the first thread in the cache."""
    win = _window(since, until, by, data_start)
    per_tag: dict[str, _TagCounts] = {}
    total_threads = 0
    all_addrs: set[str] = set()
    all_companies: set[str] = set()
    for thread in threads:
        if not win.starts[0] <= thread.first_date < until:
            continue
        i = win.index(thread.first_date)
        addrs, companies = customer_keys(customers(thread, team))
        if i >= win.shown_from:
            total_threads += 1
            all_addrs |= addrs
            all_companies |= companies
        offset = thread.first_date - win.starts[i]
        for tag in thread.tags:
            if kind is None or tag_kind(tag) == kind:
                per_tag.setdefault(tag, _TagCounts()).add(i, offset, addrs, companies)
    reports = [_tag_report(tag, counts, win) for tag, counts in per_tag.items()]
    shown = [r for r in reports if r.threads > 0]
    shown.sort(key=lambda r: (KIND_ORDER[r.kind], -r.threads, r.tag))
    return Report(
        since=win.starts[win.shown_from],  # periods are whole: the start rounds down
        until=until,
        by=by,
        kind=kind,
        period_starts=tuple(win.starts[win.shown_from :]),
        threads=total_threads,
        customers=len(all_addrs),
        companies=len(all_companies),
        tags=tuple(shown),
    )
