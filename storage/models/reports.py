"""The insight values built by ``storage.insight`` (and returned by ``Service.report``,
``voice``, ``bugs``, ``digest``): per-tag periods with spike tests, voice quotes, bug reach,
digests, and the coverage of the mirrored text."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from supportmail.storage.models.mail import Address
from supportmail.storage.models.tags import TagKind
from supportmail.storage.sanitize import sanitize_line

Granularity = Literal["day", "week", "month"]
"""How a report cuts time: calendar days, ISO weeks (Monday 00:00) or calendar months."""
Trend = Literal["rising", "falling", "steady"]


@dataclass(frozen=True, slots=True)
class ReportMessage:
    """One message of a thread as the reports see it (``Cache.report_rows``)."""

    rowid: int
    """The cache row (for the body lookup)."""
    sender: Address
    date: datetime


@dataclass(frozen=True, slots=True)
class ReportThread:
    """One thread: when it started, its tags, and who wrote each message (oldest first)."""

    root: str
    id: str
    subject: str
    first_date: datetime
    tags: tuple[str, ...]
    messages: tuple[ReportMessage, ...]


@dataclass(frozen=True, slots=True)
class SpikeTest:
    """One period of a tag against the tag's own previous periods (one-sided Poisson test)."""

    latest: int
    """Threads of the tag that started in the tested period (so far, if it is still running)."""
    baseline: float
    """Mean threads per previous period: the rate the test assumes (before the 0.5 floor)."""
    p: float
    """P(X >= latest) for X ~ Poisson(max(baseline, 0.5)): how surprising ``latest`` is."""
    flagged: bool
    """``p < 0.01`` and ``latest >= 3``."""
    history: int
    """How many previous periods the baseline averages (at most 8; at least 4 or no test)."""
    partial: bool
    """The tested period is still running; previous periods were counted to the same point."""


@dataclass(frozen=True, slots=True)
class PeriodCount:
    """One tag in one period."""

    start: datetime
    threads: int
    """Threads whose first message falls in the period."""
    customers: int
    """Distinct customer addresses of those threads."""
    companies: int
    """Distinct customer companies: the domain, or the address for free-mail senders."""
    spike: bool
    """The period was flagged against the tag's previous periods (see ``SpikeTest``)."""


@dataclass(frozen=True, slots=True)
class TagReport:
    """One tag over a report's window: counts per period, totals, spike test and trend."""

    tag: str
    kind: TagKind
    threads: int
    customers: int
    companies: int
    periods: tuple[PeriodCount, ...]
    latest: SpikeTest | None
    """The test of the latest period, or None with fewer than 4 previous periods of data."""
    trend: Trend | None
    """Mann-Kendall over the complete periods; None with fewer than 6 of them."""

    @property
    def spike(self) -> SpikeTest | None:
        """The latest period's test when it flagged a spike, else None."""
        return self.latest if self.latest is not None and self.latest.flagged else None

    def sanitized(self) -> TagReport:
        return dataclasses.replace(self, tag=sanitize_line(self.tag))


@dataclass(frozen=True, slots=True)
class Report:
    """Per tag and period: threads and distinct customers, with spikes and trends."""

    since: datetime
    until: datetime
    by: Granularity
    kind: TagKind | None
    """Only tags of this kind, or every tag."""
    period_starts: tuple[datetime, ...]
    threads: int
    """Threads that started in the window (tagged or not)."""
    customers: int
    companies: int
    tags: tuple[TagReport, ...]
    """Teams, then categories, then labels; each kind by threads (most first)."""

    def sanitized(self) -> Report:
        return dataclasses.replace(self, tags=tuple(t.sanitized() for t in self.tags))


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many of an insight's threads have their text in the local cache
    (``storage.insight.coverage`` says which message counts). ``voice``, ``bugs_by_reach``,
    ``digest`` and ``skim`` carry one."""

    threads: int = 0
    """Threads the insight is about (its window and its filter)."""
    with_text: int = 0
    """Of those, threads whose speaking message has a row in the cache's ``bodies``."""

    @property
    def not_mirrored(self) -> int:
        """Threads whose text is not local yet (the body mirror has not reached them)."""
        return self.threads - self.with_text

    def note(self, what: str) -> str | None:
        """``quotes from 812 of 830 threads; 18 not mirrored yet`` (``what`` = "quotes from"),
        or None when nothing is missing."""
        if self.not_mirrored <= 0:
            return None
        missing = self.not_mirrored
        return f"{what} {self.with_text} of {self.threads} threads; {missing} not mirrored yet"


@dataclass(frozen=True, slots=True)
class Quote:
    """A customer's own words: the first paragraph they wrote, trimmed."""

    text: str
    sender: Address
    company: str | None
    """The sender's company domain; None for free-mail addresses."""
    date: datetime
    thread_id: str
    saved: bool = False
    """Saved by a person (``Service.save_quote``) rather than extracted from the message."""

    def sanitized(self) -> Quote:
        return dataclasses.replace(
            self,
            text=sanitize_line(self.text),
            sender=self.sender.sanitized(),
            company=None if self.company is None else sanitize_line(self.company),
        )


@dataclass(frozen=True, slots=True)
class FeatureRequest:
    """Threads asking for one thing (a label tag, or a team tag when unlabelled)."""

    tag: str
    kind: TagKind
    threads: int
    customers: int
    companies: int
    thread_ids: tuple[str, ...]
    """Newest first."""
    quotes: tuple[Quote, ...]

    def sanitized(self) -> FeatureRequest:
        return dataclasses.replace(
            self, tag=sanitize_line(self.tag), quotes=tuple(q.sanitized() for q in self.quotes)
        )


@dataclass(frozen=True, slots=True)
class VoiceReport:
    """The top feature requests of a window, ranked by distinct customers."""

    since: datetime
    until: datetime
    requests: tuple[FeatureRequest, ...]
    threads: int
    """Feature-request threads in the window."""
    unlabelled: int
    """Feature-request threads with neither a label nor a team tag (in no request)."""
    coverage: Coverage = Coverage()
    """Of the feature-request threads, those whose customer words are local."""

    def sanitized(self) -> VoiceReport:
        return dataclasses.replace(self, requests=tuple(r.sanitized() for r in self.requests))


@dataclass(frozen=True, slots=True)
class BugGroup:
    """``category:bug`` threads sharing one team or label tag."""

    tag: str | None
    """None: bugs with neither a team nor a label tag."""
    kind: TagKind | None
    threads: int
    customers: int
    companies: int
    last_date: datetime
    thread_ids: tuple[str, ...]
    """Newest first."""

    def sanitized(self) -> BugGroup:
        return dataclasses.replace(self, tag=None if self.tag is None else sanitize_line(self.tag))


@dataclass(frozen=True, slots=True)
class BugReach:
    """Bugs grouped by team and label, ranked by how many customers reported them."""

    since: datetime
    until: datetime
    threads: int
    groups: tuple[BugGroup, ...]
    coverage: Coverage = Coverage()
    """Of the bug threads, those whose customer words are local."""

    def sanitized(self) -> BugReach:
        return dataclasses.replace(self, groups=tuple(g.sanitized() for g in self.groups))


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One thread in a digest: who wrote, when, and the first lines they wrote."""

    thread_id: str
    subject: str
    customer: Address | None
    company: str | None
    date: datetime
    """When the customer's first message in the digest's window was sent."""
    new: bool
    """The thread started in the window (else a customer wrote again in an older thread)."""
    text: str
    """The first paragraph the customer wrote in that message; empty if its body is not cached."""
    tags: tuple[str, ...]

    def sanitized(self) -> DigestItem:
        return dataclasses.replace(
            self,
            subject=sanitize_line(self.subject),
            customer=None if self.customer is None else self.customer.sanitized(),
            company=None if self.company is None else sanitize_line(self.company),
            text=sanitize_line(self.text),
            tags=tuple(sanitize_line(t) for t in self.tags),
        )


@dataclass(frozen=True, slots=True)
class DigestGroup:
    """The digest's threads of one category (None: not categorised yet), newest first."""

    category: str | None
    items: tuple[DigestItem, ...]

    def sanitized(self) -> DigestGroup:
        return DigestGroup(
            category=None if self.category is None else sanitize_line(self.category),
            items=tuple(i.sanitized() for i in self.items),
        )


@dataclass(frozen=True, slots=True)
class Digest:
    """What customers wrote since a moment, grouped by category (largest group first)."""

    since: datetime
    until: datetime
    threads: int
    groups: tuple[DigestGroup, ...]
    coverage: Coverage = Coverage()
    """Of the digest's threads, those whose excerpted message is local."""

    def sanitized(self) -> Digest:
        return dataclasses.replace(self, groups=tuple(g.sanitized() for g in self.groups))
