"""First-reply times and the awaiting queue as plain values (computed by ``insight.responses``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supportmail.storage.models.reports import Granularity
    from supportmail.storage.models.tags import TagKind


@dataclass(frozen=True, slots=True)
class Waiting:
    """A thread whose newest message is a customer's: waiting for the team since ``since``."""

    thread_id: str
    root: str
    since: datetime


@dataclass(frozen=True, slots=True)
class FirstReply:
    """A thread's first customer message and the team's first reply after it (None: none yet)."""

    asked: datetime
    replied: datetime | None

    @property
    def seconds(self) -> float | None:
        if self.replied is None:
            return None
        return max(0.0, (self.replied - self.asked).total_seconds())


@dataclass(frozen=True, slots=True)
class ResponseStats:
    """First-reply statistics of a set of threads (one tag, one period, or all)."""

    threads: int
    answered: int
    first_reply_median_s: float | None
    first_reply_p90_s: float | None
    within_1h: float | None
    """Share of the threads answered within an hour (None when there are no threads)."""
    within_24h: float | None


@dataclass(frozen=True, slots=True)
class TagResponses:
    """One tag: its statistics over the window and per period (oldest first)."""

    tag: str
    kind: TagKind
    stats: ResponseStats
    periods: tuple[tuple[datetime, ResponseStats], ...]


@dataclass(frozen=True, slots=True)
class ResponseReport:
    """``supportmail responses``: per tag and period, all threads together, and who waits."""

    since: datetime
    until: datetime
    by: Granularity
    tags: tuple[TagResponses, ...]
    total: ResponseStats
    total_periods: tuple[tuple[datetime, ResponseStats], ...]
    waiting: tuple[Waiting, ...]
