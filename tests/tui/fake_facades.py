"""The facades of ``FakeService`` beyond threads, tags and notes: quotes, insight, the customer
day, and the parts ``answers`` and ``attachments``, kept in memory with plain, empty or fixed
values (the flows that need real data run on the demo service). With them the fake implements
``storage.service.api.ServiceApi`` whole, which mypy checks (``tests/tui/typecheck.py``).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from supportmail.storage.models import (
    Address,
    AttachmentFile,
    BugReach,
    DayProgress,
    DayShift,
    DaySummary,
    Digest,
    Granularity,
    Link,
    Quote,
    Report,
    ResponseReport,
    ResponseStats,
    SavedFile,
    SavedQuote,
    TagKind,
    ThreadSummary,
    VoiceReport,
    Waiting,
)

NO_STATS = ResponseStats(0, 0, None, None, None, None)
CUSTOMER_WORDS = "the export stops at 80% every time."
"""The customer's paragraph of every fake thread's first message (``fakes.BODY``)."""


NOW = datetime(2026, 11, 24, 10, 30, tzinfo=timezone(timedelta(hours=1)))
"""The fakes' clock."""


class FakeServiceError(Exception):
    """What the fakes raise where the real service raises ``ServiceError``."""


def _untagged(s: ThreadSummary) -> bool:
    return not (
        any(t.startswith("team:") for t in s.tags)
        and any(t.startswith("category:") for t in s.tags)
    )


class FakeFacades:
    """Quotes, insight and the customer day over ``FakeService``'s threads (a mixin)."""

    threads: dict[str, ThreadSummary]
    calls: list[tuple[str, object]]
    saved: list[SavedQuote]
    skimmed: datetime | None
    shift: tuple[datetime, int, list[str]] | None
    """The running customer day: its start, its queue size, the skipped thread ids."""

    def now(self) -> datetime:
        return NOW

    def _resolve(self, ref: str) -> str:
        if ref not in self.threads:
            raise FakeServiceError(f"no thread matches '{ref}'")
        return ref

    def _customer(self, s: ThreadSummary) -> Address:
        team = "@acme.example"
        return next((p for p in s.participants if not p.addr.endswith(team)), s.participants[0])

    # -- quotes ------------------------------------------------------------------------------

    def quoted_message(self, ref: str, message: str | None = None) -> tuple[int, Address]:
        return 1, self._customer(self.threads[self._resolve(ref)])

    def customer_paragraphs(
        self, ref: str, message: str | None = None, *, raw: bool = False
    ) -> tuple[str, ...]:
        self._resolve(ref)
        return (CUSTOMER_WORDS,)

    def first_customer_words(self, ref: str, *, raw: bool = False) -> Quote | None:
        s = self.threads[self._resolve(ref)]
        customer = self._customer(s)
        company = customer.addr.rpartition("@")[2] or None
        return Quote(CUSTOMER_WORDS, customer, company, s.first_date, s.id)

    def save_quote(
        self, ref: str, message_id: str | None, text: str, *, raw: bool = False
    ) -> SavedQuote:
        self.calls.append(("save_quote", (ref, message_id, text)))
        s = self.threads[self._resolve(ref)]
        if not text.strip():
            raise FakeServiceError("a quote needs some text")
        customer = self._customer(s)
        quote = SavedQuote(
            id=len(self.saved) + 1,
            thread_id=s.id,
            root_message_id=s.root_message_id,
            message_id=f"<m0.{s.id}@example>",
            text=" ".join(text.split()),
            sender=customer,
            company=customer.addr.rpartition("@")[2] or None,
            date=s.first_date,
            saved=self.now(),
        )
        self.saved.append(quote)
        return quote if raw else quote.sanitized()

    def quotes(self, ref: str | None = None, *, raw: bool = False) -> list[SavedQuote]:
        found = [q for q in self.saved if ref is None or q.thread_id == self._resolve(ref)]
        return found if raw else [q.sanitized() for q in found]

    def remove_quote(self, quote_id: int) -> None:
        kept = [q for q in self.saved if q.id != quote_id]
        if len(kept) == len(self.saved):
            raise FakeServiceError(f"no saved quote {quote_id}")
        self.saved = kept

    def quote_with_attribution(self, quote: SavedQuote) -> str:
        who = quote.sender.name or quote.sender.addr
        return f'"{quote.text}" — {who} (thread {quote.thread_id})'

    # -- insight: empty reports over the fake's window ---------------------------------------

    def _window(self, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
        end = until or self.now()
        return since or end - timedelta(weeks=12), end

    def report(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        by: Granularity = "week",
        kind: TagKind | None = None,
        *,
        raw: bool = False,
    ) -> Report:
        start, end = self._window(since, until)
        return Report(start, end, by, kind, (), 0, 0, 0, ())

    def bugs_by_reach(
        self, since: datetime | None = None, until: datetime | None = None, *, raw: bool = False
    ) -> BugReach:
        start, end = self._window(since, until)
        return BugReach(start, end, 0, ())

    def voice(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        top: int = 10,
        raw: bool = False,
    ) -> VoiceReport:
        start, end = self._window(since, until)
        return VoiceReport(start, end, (), 0, 0)

    def digest(
        self, since: datetime | None = None, until: datetime | None = None, *, raw: bool = False
    ) -> Digest:
        start, end = self._window(since, until)
        return Digest(start, end, 0, ())

    def quarter(self, text: str) -> tuple[datetime, datetime]:
        raise FakeServiceError(f"the fake knows no quarter '{text}'")

    def last_skim(self) -> datetime | None:
        return self.skimmed

    def skim(self, *, remember: bool = True, raw: bool = False) -> Digest:
        end = self.now()
        since = self.skimmed or end - timedelta(days=1)
        if remember:
            self.skimmed = end
        return Digest(since, end, 0, ())

    def remember_skim(self, until: datetime) -> None:
        self.skimmed = until

    # -- the customer day over the untagged threads ------------------------------------------

    def _queue(self) -> list[ThreadSummary]:
        rows = [s for s in self.threads.values() if _untagged(s)]
        return sorted(rows, key=lambda s: s.first_date)

    def _running(self) -> tuple[datetime, int, list[str]]:
        if self.shift is None:
            raise FakeServiceError("no customer day is running: start one with `supportmail day`")
        return self.shift

    def day_start(self) -> DayShift:
        if self.shift is not None:
            return DayShift(self.shift[0], self.shift[1], resumed=True)
        self.shift = (self.now(), len(self._queue()), [])
        return DayShift(self.shift[0], self.shift[1], resumed=False)

    def day_status(self) -> DayProgress:
        start, size, skipped = self._running()
        remaining = len(self._queue())
        following = self.day_next()
        return DayProgress(
            started=start,
            done=max(0, size - remaining),
            queue_size=size,
            remaining=remaining,
            skipped=len(skipped),
            elapsed=self.now() - start,
            next_thread_id=None if following is None else following.id,
        )

    def day_queue(self, limit: int | None = None) -> list[ThreadSummary]:
        self._running()
        return self._queue()[:limit]

    def day_next(self) -> ThreadSummary | None:
        skipped = self._running()[2]
        return next((s for s in self._queue() if s.id not in skipped), None)

    def day_skip(self, ref: str) -> ThreadSummary | None:
        self._running()[2].append(self._resolve(ref))
        return self.day_next()

    def day_end(self) -> DaySummary:
        start, _size, _skipped = self._running()
        summary = self.day_summary(start.date())
        self.shift = None
        return dataclasses.replace(summary, ended=self.now())

    def day_summary(self, on: date | None = None, *, raw: bool = False) -> DaySummary:
        start, size, skipped = self._running()
        if on is not None and on != start.date():
            raise FakeServiceError(f"no customer day on {on.isoformat()}")
        return DaySummary(
            day=start.date(),
            started=start,
            ended=None,
            elapsed=self.now() - start,
            shifts=1,
            queue_size=size,
            done=max(0, size - len(self._queue())),
            skipped=len(skipped),
            threads=(),
            tags=(),
            notes=(),
            quotes=tuple(self.saved),
            marked_read=0,
        )


class FakeAnswers:
    """``Service.answers`` as the TUI calls it (the fake lists awaiting threads itself)."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.warmed = 0
        self._now = now

    def waiting(self) -> list[Waiting]:
        self.warmed += 1
        return []

    def responses(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        by: Granularity = "week",
        kind: TagKind | None = None,
    ) -> ResponseReport:
        end = until or self._now()
        return ResponseReport(end - timedelta(weeks=12), end, by, (), NO_STATS, (), ())


class FakeAttachments:
    """``Service.attachments``: the one attachment of each fake thread's first message. Opened
    copies and downloads go under ``directory`` (made on first use; a test passes a path under
    its ``tmp_path``, so nothing outlives pytest's temp handling); a fake built without one
    refuses to write files."""

    def __init__(self, threads: dict[str, ThreadSummary], directory: Path | None = None) -> None:
        self._threads = threads
        self._dir = directory

    def files(self, ref: str, message: int | None = None) -> list[AttachmentFile]:
        if ref not in self._threads:
            raise FakeServiceError(f"no thread matches '{ref}'")
        if message not in (None, 1):
            return []
        return [AttachmentFile(1, 1, "export.log", "text/plain", 48_213)]

    def save(
        self, ref: str, directory: Path, message: int | None = None, only: int | None = None
    ) -> list[SavedFile]:
        out = []
        for item in self.files(ref, message):
            if only in (None, item.index):
                path = directory / item.filename
                path.write_text("log\n", encoding="utf-8")
                out.append(SavedFile(path, item))
        return out

    def open_copy(self, ref: str, message: int, index: int) -> SavedFile:
        return self.save(ref, Path(tempfile.mkdtemp(dir=self.download_dir())), message, index)[0]

    def download_dir(self) -> Path:
        if self._dir is None:
            raise FakeServiceError("this fake was built without a directory for files")
        self._dir.mkdir(parents=True, exist_ok=True)
        return self._dir

    def thread_links(self, ref: str) -> list[tuple[int, Link]]:
        self.files(ref)
        return [(1, Link("the log", "https://acme.example/logs"))]
