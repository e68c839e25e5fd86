"""``InsightFake``: the ``FakeService`` plus ``report``/``skim``/``remember_skim`` with hand-made,
hostile values, gates that hold a call until the test releases it, and failure switches.

The report and skim tests run mostly against the real demo service; this fake covers what the
demo cannot produce: tag names and digest text with ESC bytes and markup (the real service
refuses control characters in tag names), a slow report (the loading indicator), and failures.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from supportmail.storage.models import (
    Address,
    Digest,
    DigestGroup,
    DigestItem,
    Granularity,
    PeriodCount,
    Report,
    SpikeTest,
    TagKind,
    TagReport,
)
from tests.tui.fakes import NOW, FakeService, FakeServiceError

ESC_TAG = "team:\x1b[2Jwipe"
MARKUP_TAG = "category:[bold]loud[/]"
ACTION_TAG = "[@click=app.quit]quit[/]"


def _periods(counts: list[int], spike_last: bool) -> tuple[PeriodCount, ...]:
    start = NOW - timedelta(weeks=len(counts))
    return tuple(
        PeriodCount(
            start=start + timedelta(weeks=n),
            threads=c,
            customers=c,
            companies=c,
            spike=spike_last and n == len(counts) - 1,
        )
        for n, c in enumerate(counts)
    )


def _tag(name: str, kind: TagKind, counts: list[int], *, spike: bool = False) -> TagReport:
    test = SpikeTest(
        latest=counts[-1], baseline=0.75, p=1e-6 if spike else 0.4, flagged=spike, history=8,
        partial=True,
    )  # fmt: skip
    return TagReport(
        tag=name,
        kind=kind,
        threads=sum(counts),
        customers=sum(counts),
        companies=sum(counts),
        periods=_periods(counts, spike),
        latest=test,
        trend="rising" if spike else "steady",
    )


def hostile_report(by: Granularity, kind: TagKind | None) -> Report:
    """Three tags with hostile names, one of them spiking; raw (not sanitised) on purpose."""
    tags = [
        _tag(ESC_TAG, "team", [1, 0, 2, 1, 0, 1, 0, 1, 0, 1, 1, 11], spike=True),
        _tag(MARKUP_TAG, "category", [0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1]),
        _tag(ACTION_TAG, "label", [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]),
    ]
    chosen = tuple(t for t in tags if kind is None or t.kind == kind)
    starts = tuple(p.start for p in tags[0].periods)
    return Report(
        since=starts[0], until=NOW, by=by, kind=kind, period_starts=starts, threads=40,
        customers=38, companies=30, tags=chosen,
    )  # fmt: skip


def hostile_digest(since: datetime, until: datetime) -> Digest:
    """A digest whose every string is hostile."""
    item = DigestItem(
        thread_id="0000abcd",
        subject="[bold]x[/] \x1b[31mred\x1b[0m subject",
        customer=Address("[@click=app.quit]Eve[/]", "eve@evil.example"),
        company="evil.example",
        date=until - timedelta(hours=1),
        new=True,
        text="please [/] help \x1b]0;title\x07 now",
        tags=(MARKUP_TAG, ACTION_TAG),
    )
    other = DigestItem(
        thread_id="0001abcd",
        subject="Plain follow-up",
        customer=Address("Grace Hopper", "grace@navy.example"),
        company="navy.example",
        date=until - timedelta(hours=2),
        new=False,
        text="",
        tags=(),
    )
    groups = (DigestGroup(MARKUP_TAG, (item,)), DigestGroup(None, (other,)))
    return Digest(since=since, until=until, threads=2, groups=groups)


class InsightFake(FakeService):
    """``FakeService`` with the insight calls; ``*_gate`` holds a call until set."""

    def __init__(self) -> None:
        super().__init__()
        self.report_gate: threading.Event | None = None
        self.skim_gate: threading.Event | None = None
        self.fail_report = False
        self.fail_remember = False
        self.skimmed: datetime | None = None

    def report(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        by: Granularity = "week",
        kind: TagKind | None = None,
        *,
        raw: bool = False,
    ) -> Report:
        self.calls.append(("report", (by, kind)))
        if self.report_gate is not None:
            self.report_gate.wait(10)
        if self.fail_report:
            raise FakeServiceError("the cache is \x1b[31mbroken[/]")
        return hostile_report(by, kind)

    def last_skim(self) -> datetime | None:
        return self.skimmed

    def skim(self, *, remember: bool = True, raw: bool = False) -> Digest:
        self.calls.append(("skim", remember))
        if self.skim_gate is not None:
            self.skim_gate.wait(10)
        since = self.skimmed or NOW - timedelta(days=1)
        if remember:
            self.skimmed = NOW
        return hostile_digest(since, NOW)

    def remember_skim(self, until: datetime) -> None:
        self.calls.append(("remember_skim", until))
        if self.fail_remember:
            raise FakeServiceError("userdb.json is locked by another supportmail")
        self.skimmed = until
