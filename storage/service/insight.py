"""The insight facade (``InsightFacade``): reports over the cache (``storage.insight``,
``storage.insight.coverage``): counts and spikes per tag, bugs by reach, the voice of the
customer, the digest and the morning skim, quarters. The report code is imported by the
report that needs it: a first screen imports none of it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from supportmail.storage import insight, models
from supportmail.storage.service.errors import ServiceError
from supportmail.storage.service.quotes import QuotesFacade
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:
    from supportmail.storage.models import (
        BugReach,
        Digest,
        Granularity,
        Report,
        TagKind,
        VoiceReport,
    )

__all__ = ["InsightFacade"]


class InsightFacade(QuotesFacade):
    """Reports over the cache: counts and spikes, bugs by reach, voice, digest, the skim."""

    def _body_text(self, rowid: int) -> str | None:
        body = self.cache.body(rowid)
        return None if body is None else body.text

    def report_window(
        self,
        since: datetime | None,
        until: datetime | None,
        default: Callable[[datetime], datetime],
    ) -> tuple[datetime, datetime]:
        """A report's (start, end): ``until`` or now, ``since`` or ``default(end)``; a start
        not before the end raises ``ServiceError``."""
        end = until or self.now()
        begin = since or default(end)
        if begin >= end:
            raise ServiceError("the start of the report must be before its end (--since/--until)")
        return begin, end

    def report(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        by: Granularity = "week",
        kind: TagKind | None = None,
        *,
        raw: bool = False,
    ) -> Report:
        """Threads and distinct customers per tag and period (day, ISO week or month), with a
        spike test per period and a trend per tag (see ``storage.insight``). Periods are whole:
        ``since`` rounds down to the start of its period; the default is 12 periods up to
        ``until`` (default now). Threads from the 8 periods before feed the spike baselines."""
        if by not in insight.GRANULARITIES:
            raise ServiceError(f"unknown period '{by}': use day, week or month")

        def twelve_periods(end: datetime) -> datetime:
            last = insight.period_start(end - timedelta(microseconds=1), by, end.tzinfo)
            return insight.shift_period(last, by, 1 - insight.DEFAULT_PERIODS)

        start, end = self.report_window(since, until, twelve_periods)
        first = insight.period_start(start, by, end.tzinfo)
        history = insight.shift_period(first, by, -insight.SPIKE_HISTORY)
        result = insight.build_report(
            self.cache.report_rows(self.account, history, end),
            self.report_team(),
            since=start,
            until=end,
            by=by,
            kind=kind,
            data_start=self.cache.first_thread_date(self.account),
        )
        return result if raw else result.sanitized()

    def bugs_by_reach(
        self, since: datetime | None = None, until: datetime | None = None, *, raw: bool = False
    ) -> BugReach:
        """``category:bug`` threads that started in the window (default: the last 12 weeks),
        grouped by team and label tags, ranked by distinct customers."""
        start, end = self.report_window(since, until, lambda e: e - timedelta(weeks=12))
        rows = self.cache.report_rows(self.account, start, end)
        team = self.report_team()
        result = insight.bugs_by_reach(rows, team, since=start, until=end)
        mirrored = self.cache.rows_with_bodies
        from supportmail.storage.insight import coverage

        covered = coverage.bugs(rows, team, mirrored, since=start, until=end)
        result = dataclasses.replace(result, coverage=covered)
        return result if raw else result.sanitized()

    def voice(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        top: int = insight.VOICE_TOP,
        raw: bool = False,
    ) -> VoiceReport:
        """The top feature requests of the window (default: the last 3 months) with the
        customers' own words; quotes come from cached bodies only (never the network)."""
        from dateutil.relativedelta import relativedelta

        start, end = self.report_window(since, until, lambda e: e - relativedelta(months=3))
        rows = self.cache.report_rows(self.account, start, end)
        team = self.report_team()
        from supportmail.storage.insight import coverage
        from supportmail.storage.insight import quotes as saved_quotes
        from supportmail.storage.insight.voice import voice

        result = voice(rows, team, self._body_text, since=start, until=end, top=top)
        result = saved_quotes.prefer_saved(result, self._voice_quotes())  # saved quotes first
        mirrored = self.cache.rows_with_bodies
        covered = coverage.voice(rows, team, mirrored, since=start, until=end)
        result = dataclasses.replace(result, coverage=covered)
        return result if raw else result.sanitized()

    def digest(
        self, since: datetime | None = None, until: datetime | None = None, *, raw: bool = False
    ) -> Digest:
        """What customers wrote in the window (default: the last 24 hours), by category, with
        the first lines of each thread's customer message (cached bodies only)."""
        start, end = self.report_window(since, until, lambda e: e - timedelta(days=1))
        rows = self.cache.report_rows(self.account, start, end, active=True)
        team = self.report_team()
        from supportmail.storage.insight import coverage
        from supportmail.storage.insight.digest import digest

        result = digest(rows, team, self._body_text, since=start, until=end)
        mirrored = self.cache.rows_with_bodies
        covered = coverage.digest(rows, team, mirrored, since=start, until=end)
        result = dataclasses.replace(result, coverage=covered)
        return result if raw else result.sanitized()

    def quarter(self, text: str) -> tuple[datetime, datetime]:
        """The start and end of a quarter named like ``2026Q3``, in the local time zone."""
        try:
            return insight.parse_quarter(text, self.now().tzinfo)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc

    def last_skim(self) -> datetime | None:
        """When the morning skim last ran for this account (kept locally), or None."""
        stored = self.userdb.get_setting(f"last_skim:{self.account}")
        try:
            when = datetime.fromisoformat(stored) if isinstance(stored, str) else None
        except ValueError:
            return None
        return when if when is not None and when.tzinfo is not None else None

    def skim(self, *, remember: bool = True, raw: bool = False) -> Digest:
        """The digest of everything customers wrote since the last skim (the first time: the
        last 24 hours). Remembers this moment as the last skim (locally, unless ``remember`` is
        False); it marks nothing as read on the server."""
        end = self.now()
        since = self.last_skim() or end - timedelta(days=1)
        if since >= end:
            result = models.Digest(since=since, until=end, threads=0, groups=())
        else:
            result = self.digest(since, end, raw=True)
        if remember:
            self.remember_skim(end)
        return result if raw else result.sanitized()

    def remember_skim(self, until: datetime) -> None:
        """Remember ``until`` as the moment of the last skim (locally), e.g. the ``until`` of a
        ``skim(remember=False)`` the user has now read: mail that arrived while they read it
        stays new for the next skim. A moment earlier than the stored one is ignored."""
        if until.tzinfo is None:
            raise ServiceError("the skim moment needs a time zone")
        last = self.last_skim()
        if last is not None and until <= last:
            return
        try:
            self.userdb.set_setting(f"last_skim:{self.account}", until.isoformat())
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
