"""The service's answering side: the awaiting-reply view and first-reply times over the cache.

``Service.answers`` is one :class:`Answers` per service. It reads the cache through the service
(same connection, same team rule) and hands rows to the pure functions of
``storage.insight.responses``.
Replying and the mail outbox live in ``storage.service.replying`` (``Service.replies``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from supportmail.storage import insight, models
from supportmail.storage.models import ThreadQuery
from supportmail.storage.threads import thread_id

if TYPE_CHECKING:
    from supportmail.storage.models import (
        Granularity,
        ResponseReport,
        TagKind,
        ThreadSummary,
        Waiting,
    )
    from supportmail.storage.service import Service


def _moment(epoch: int, tz_minutes: int) -> datetime:
    try:
        return datetime.fromtimestamp(epoch, timezone(timedelta(minutes=tz_minutes)))
    except (OverflowError, OSError, ValueError):
        return datetime.fromtimestamp(0, UTC)


__all__ = ["AWAITING_TTL", "Answers"]

AWAITING_TTL = 30.0
"""Seconds the awaiting list is reused while the cache's message count stays the same (the TUI
reads it page by page; a reply or a sync invalidates it at once)."""


class Answers:
    """Awaiting-reply queue and first-reply report for one service's account."""

    def __init__(self, service: Service, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._service = service
        self._monotonic = monotonic
        self._memo: tuple[int, float, list[Waiting]] | None = None

    def invalidate(self) -> None:
        """Forget the awaiting list (messages were added or removed)."""
        self._memo = None

    def waiting(self) -> list[Waiting]:
        """Every thread that waits for the team now, longest waiting first."""
        service = self._service
        count = service.cache.message_count(service.account)
        now = self._monotonic()
        if self._memo is not None:
            known, made, found = self._memo
            if known == count and now - made < AWAITING_TTL:
                return found
        found = self._waiting_at(None)
        self._memo = (count, now, found)
        return found

    def _waiting_at(self, until: datetime | None) -> list[Waiting]:
        """The threads waiting at ``until`` (None: now, every message), longest first."""
        service = self._service
        timeline = service.cache.sender_timeline(service.account)
        if until is not None:
            end = until.timestamp()
            timeline = [row for row in timeline if row[2] < end]
        from supportmail.storage.insight import responses

        found = [
            models.Waiting(thread_id(root), root, _moment(epoch, tz))
            for epoch, tz, root in responses.awaiting_timeline(timeline, service.report_team())
        ]
        found.sort(key=lambda w: (w.since, w.thread_id))
        return found

    def _selected(self, query: ThreadQuery) -> list[Waiting]:
        waits = self.waiting()
        plain = dataclasses.replace(query, awaiting=False, limit=None, offset=0, oldest_first=False)
        if plain == ThreadQuery():
            return waits
        service = self._service
        rows = service.cache.list_threads(service.account, plain, service.tag_keywords(plain.tags))
        allowed = {row.root for row in rows}
        return [w for w in waits if w.root in allowed]

    def list_awaiting(self, query: ThreadQuery, *, raw: bool = False) -> list[ThreadSummary]:
        """The awaiting threads matching the rest of ``query``, longest waiting first, each with
        ``waiting_since``; ``limit``/``offset`` page through them."""
        chosen = self._selected(query)
        end = None if query.limit is None else query.offset + query.limit
        service = self._service
        found = [
            (wait, row)
            for wait in chosen[query.offset : end]
            if (row := service.cache.thread(service.account, wait.root)) is not None
        ]
        summaries = service.summaries([row for _wait, row in found], raw=True)
        out = [
            dataclasses.replace(summary, waiting_since=wait.since)
            for (wait, _row), summary in zip(found, summaries, strict=True)
        ]
        return out if raw else [s.sanitized() for s in out]

    def count_awaiting(self, query: ThreadQuery) -> int:
        return len(self._selected(query))

    def responses(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        by: Granularity = "week",
        kind: TagKind | None = None,
    ) -> ResponseReport:
        """First-reply times per tag and period (see ``storage.insight.responses``): threads
        whose first customer message is in the window, default 12 periods up to ``until``
        (default now)."""
        from supportmail.storage.service import ServiceError

        if by not in insight.GRANULARITIES:
            raise ServiceError(f"unknown period '{by}': use day, week or month")
        service = self._service

        def twelve_periods(end: datetime) -> datetime:
            last = insight.period_start(end - timedelta(microseconds=1), by, end.tzinfo)
            return insight.shift_period(last, by, 1 - insight.DEFAULT_PERIODS)

        start, end = service.report_window(since, until, twelve_periods)
        start = insight.period_start(start, by, end.tzinfo)
        cache, account = service.cache, service.account
        from supportmail.storage.insight import responses

        return responses.build_responses(
            cache.report_rows(account, start, end, active=True),
            service.report_team(),
            since=start,
            until=end,
            by=by,
            kind=kind,
            waiting=self._waiting_at(end),
        )
