"""The customer-day facade (``DayFacade``): shifts over the threads missing a team or a category
tag, oldest first (``storage.insight.day``): start or resume, progress, the queue, skip, end,
summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from supportmail.storage import models
from supportmail.storage.models import ThreadQuery
from supportmail.storage.service.core import thread_tags
from supportmail.storage.service.errors import ServiceError
from supportmail.storage.service.quotes import QuotesFacade
from supportmail.storage.tags import tag_kind
from supportmail.storage.threads import thread_id
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:
    from supportmail.storage.cache import ThreadRow
    from supportmail.storage.insight import day
    from supportmail.storage.models import DayProgress, DayShift, DaySummary, ThreadSummary

__all__ = ["DayFacade"]


class DayFacade(QuotesFacade):
    """The customer day: a shift over the threads missing a tag, oldest first."""

    def _day_key(self) -> str:
        return f"day:{self.account}"

    def _shifts(self) -> list[day.Shift]:
        from supportmail.storage.insight import day

        return day.load_shifts(self.userdb.get_setting(self._day_key()))

    def _change_shifts(self, change: Callable[[list[day.Shift]], list[day.Shift]]) -> None:
        from supportmail.storage.insight import day

        now = self.now()

        def apply(value: object) -> object:
            return day.dump_shifts(change(day.load_shifts(value)), now)

        try:
            self.userdb.update_setting(self._day_key(), apply)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc

    def _running_shift(self) -> day.Shift:
        from supportmail.storage.insight import day

        shift = day.current_shift(self._shifts(), self.now())
        if shift is None:
            raise ServiceError("no customer day is running: start one with `supportmail day`")
        return shift

    def _queue_remaining(self, start: datetime) -> int:
        """Threads missing a team or a category tag whose first message is not after ``start``."""
        total = self.cache.count_threads(self.account, ThreadQuery(untagged=True))
        later = self.cache.list_threads(self.account, ThreadQuery(untagged=True, since=start))
        return total - sum(1 for row in later if row.first_date > start)

    def _needs_tags(self, root: str) -> bool:
        row = self.cache.thread(self.account, root)
        if row is None:
            return False
        kinds = {tag_kind(t) for t in thread_tags(row.keywords)}
        return not {"team", "category"} <= kinds

    def _queue_rows(self, shift: day.Shift, limit: int | None) -> list[ThreadRow]:
        query = ThreadQuery(untagged=True, oldest_first=True, limit=limit)
        rows = self.cache.list_threads(self.account, query)
        return [row for row in rows if row.first_date <= shift.start]

    def _next_row(self, shift: day.Shift) -> ThreadRow | None:
        skipped = set(shift.skipped)
        rows = self._queue_rows(shift, len(skipped) + 1)
        return next((row for row in rows if row.root not in skipped), None)

    def _done(self, shift: day.Shift) -> int:
        return min(shift.queue, max(0, shift.queue - self._queue_remaining(shift.start)))

    def day_start(self) -> DayShift:
        """Start a customer-day shift over the threads missing a team or a category tag (oldest
        first), or resume today's unfinished one. Kept in the userdb settings."""
        from supportmail.storage.insight import day

        now = self.now()
        shifts = self._shifts()
        running = day.current_shift(shifts, now)
        if running is not None:
            return models.DayShift(started=running.start, queue_size=running.queue, resumed=True)
        since = shifts[-1].start.timestamp() if shifts else now.timestamp()
        times = [a.at for a in self.userdb.activity(self.account, since=since)]
        new = day.Shift(start=now, queue=self._queue_remaining(now))
        chosen: list[day.Shift] = []

        def change(stored: list[day.Shift]) -> list[day.Shift]:
            other = day.current_shift(stored, now)  # another process started one meanwhile
            if other is not None:
                chosen.append(other)
                return stored
            chosen.append(new)
            return [*day.close_abandoned(stored, times, now), new]

        self._change_shifts(change)
        shift = chosen[0]
        return models.DayShift(
            started=shift.start, queue_size=shift.queue, resumed=shift is not new
        )

    def day_status(self) -> DayProgress:
        """Progress of today's running shift (``ServiceError`` when none is running)."""
        shift = self._running_shift()
        remaining = self._queue_remaining(shift.start)
        row = self._next_row(shift)
        return models.DayProgress(
            started=shift.start,
            done=min(shift.queue, max(0, shift.queue - remaining)),
            queue_size=shift.queue,
            remaining=remaining,
            skipped=sum(1 for root in shift.skipped if self._needs_tags(root)),
            elapsed=max(self.now() - shift.start, timedelta()),
            next_thread_id=None if row is None else row.id,
        )

    def day_queue(self, limit: int | None = None) -> list[ThreadSummary]:
        """The running shift's threads still missing a tag, oldest first (skipped ones too)."""
        return self.summaries(self._queue_rows(self._running_shift(), limit))

    def day_next(self) -> ThreadSummary | None:
        """The oldest thread of the running shift's queue still missing a tag and not skipped;
        None when the queue is through."""
        row = self._next_row(self._running_shift())
        return None if row is None else self.summaries([row])[0]

    def day_skip(self, ref: str) -> ThreadSummary | None:
        """Skip a thread for the rest of today's shift; returns the next one (``day_next``)."""
        root = self.resolve(ref)
        start = self._running_shift().start

        def change(stored: list[day.Shift]) -> list[day.Shift]:
            return [
                dataclasses.replace(s, skipped=(*s.skipped, root))
                if s.start == start and root not in s.skipped
                else s
                for s in stored
            ]

        self._change_shifts(change)
        return self.day_next()

    def day_end(self) -> DaySummary:
        """End today's running shift (its progress is recorded) and return the day's summary."""
        from supportmail.storage.insight import day

        now = self.now()
        shift = self._running_shift()
        done = self._done(shift)

        def change(stored: list[day.Shift]) -> list[day.Shift]:
            return [
                dataclasses.replace(s, end=max(now, s.start), done=done)
                if s.start == shift.start
                else s
                for s in stored
            ]

        self._change_shifts(change)
        return self.day_summary(day.shift_day(shift, now.tzinfo))

    def _thread_info(self, root: str) -> tuple[str, str, tuple[str, ...]]:
        row = self.cache.thread(self.account, root)
        if row is None:
            return thread_id(root), "", ()
        return row.id, row.subject, thread_tags(row.keywords)

    def day_summary(self, on: date | None = None, *, raw: bool = False) -> DaySummary:
        """The summary of the customer-day shifts of ``on`` (default today): threads handled,
        tags added and removed by kind, notes and quotes saved, time spent."""
        from supportmail.storage.insight import day

        now = self.now()
        wanted = on or now.date()
        shifts = [s for s in self._shifts() if day.shift_day(s, now.tzinfo) == wanted]
        if not shifts:
            raise ServiceError(f"no customer day on {wanted.isoformat()}")
        running = day.current_shift(shifts, now)
        summary = day.summarize(
            wanted,
            shifts,
            self.userdb.activity(self.account, since=shifts[0].start.timestamp()),
            notes=self.userdb.notes(self.account),
            quotes=self.quotes(raw=True),
            thread_info=self._thread_info,
            now=now,
            live_done=None if running is None else self._done(running),
        )
        return summary if raw else summary.sanitized()
