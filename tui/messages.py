"""App-level messages: what the thread workers report back to the main screen, and the note
editor's two requests (the screen handles them before the editor's module is imported).

Workers never touch widgets; they call ``storage.service`` and post one of these (``post_message``
is thread-safe). High-rate ones (``SyncProgressed``) replace an unprocessed predecessor in the
queue (``can_replace``), so a long sync cannot flood the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from supportmail.storage.models import (
        DayProgress,
        DaySummary,
        SavedQuote,
        SyncProgress,
        SyncResult,
        TagEditResult,
        TagInfo,
        ThreadDetail,
    )
    from supportmail.tui.triage import EditBatch, ReadBatch


class ThreadLoaded(Message):
    """A thread's messages are ready (``complete``: every body that can be had is in)."""

    def __init__(self, detail: ThreadDetail, *, complete: bool = True) -> None:
        super().__init__()
        self.detail = detail
        self.complete = complete


class ThreadLoadFailed(Message):
    """Opening a thread failed."""

    def __init__(self, thread_id: str, error: str) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.error = error


class TagsStored(Message):
    """Every edit of ``batch`` is stored (in the cache and, unless demo, the outbox)."""

    def __init__(
        self, batch: EditBatch, results: Sequence[TagEditResult], pending: int, *, undo: bool
    ) -> None:
        super().__init__()
        self.batch = batch
        self.results = list(results)
        self.pending = pending
        self.undo = undo


class TagsFailed(Message):
    """Storing ``batch`` stopped at an error; ``results`` are the edits stored before it."""

    def __init__(
        self, batch: EditBatch, results: Sequence[TagEditResult], error: str, *, undo: bool
    ) -> None:
        super().__init__()
        self.batch = batch
        self.results = list(results)
        self.error = error
        self.undo = undo


class ReadStored(Message):
    """Every thread of ``batch`` is marked (in the cache and, unless demo, the outbox)."""

    def __init__(self, batch: ReadBatch, pending: int) -> None:
        super().__init__()
        self.batch = batch
        self.pending = pending


class ReadFailed(Message):
    """Marking ``batch`` stopped at an error; ``stored`` are the threads marked before it."""

    def __init__(self, batch: ReadBatch, stored: Sequence[str], error: str) -> None:
        super().__init__()
        self.batch = batch
        self.stored = list(stored)
        self.error = error


class CatalogLoaded(Message):
    """The tag catalog with thread counts and shortcuts."""

    def __init__(self, tags: Sequence[TagInfo]) -> None:
        super().__init__()
        self.tags = list(tags)


class NoteStored(Message):
    """``text`` is now the note of ``thread_id``."""

    def __init__(self, thread_id: str, text: str) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.text = text


class NoteFailed(Message):
    """Saving a note failed; the editor keeps the text and tries again."""

    def __init__(self, thread_id: str, error: str) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.error = error


def _lists_threads(progress: SyncProgress) -> bool:
    """A first sync threaded its first chunk: the newest threads can be listed now."""
    return progress.phase == "threads" and bool(progress.folder)


class SyncProgressed(Message):
    """How far the running sync is. Replaces an older one still in the queue."""

    def __init__(self, progress: SyncProgress) -> None:
        super().__init__()
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        # Textual asks the queued message whether the one behind it supersedes it (True drops
        # this one). "threads" of a folder means new threads are listable: never dropped.
        return isinstance(message, SyncProgressed) and not _lists_threads(self.progress)


class SyncStarted(Message):
    """A sync started (the live mirror's: on start, a change heard, a key, a retry)."""


class ConnectionChanged(Message):
    """The live watcher is online (``detail``: ``idle`` or ``polling``) or offline (``detail``:
    why, one line; it reconnects with backoff)."""

    def __init__(self, *, online: bool, detail: str) -> None:
        super().__init__()
        self.online = online
        self.detail = detail


class SyncFinished(Message):
    """A sync completed."""

    def __init__(self, result: SyncResult) -> None:
        super().__init__()
        self.result = result


class PushFinished(Message):
    """A background push of the outbox (after tag edits) completed."""

    def __init__(self, result: SyncResult) -> None:
        super().__init__()
        self.result = result


class PushFailed(Message):
    """A background push failed: the edits wait in the outbox for the next try."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class SyncFailed(Message):
    """A sync failed (the server is unreachable, a login failed...)."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class ParagraphsLoaded(Message):
    """The customer-written paragraphs of a thread: ``(message_id, text)`` in reading order."""

    def __init__(self, thread_id: str, paragraphs: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.paragraphs = tuple(paragraphs)


class QuotesLoaded(Message):
    """The saved quotes of a thread (for the side panel)."""

    def __init__(self, thread_id: str, quotes: Sequence[SavedQuote]) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.quotes = tuple(quotes)


class QuoteSaved(Message):
    """A paragraph is kept as a quote; ``copy_text`` is its attributed line when a copy was
    asked for too."""

    def __init__(self, quote: SavedQuote, copy_text: str | None) -> None:
        super().__init__()
        self.quote = quote
        self.copy_text = copy_text


class QuoteFailed(Message):
    """Finding paragraphs, saving or copying a quote failed."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class DayUpdated(Message):
    """Where the customer-day shift stands; ``open_next``: open its next thread now."""

    def __init__(self, progress: DayProgress, *, open_next: bool, started: bool = False) -> None:
        super().__init__()
        self.progress = progress
        self.open_next = open_next
        self.started = started


class DayEnded(Message):
    """The shift is ended; its day's summary."""

    def __init__(self, summary: DaySummary) -> None:
        super().__init__()
        self.summary = summary


class DayFailed(Message):
    """A customer-day call failed."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class NoteSaveRequested(Message):
    """The note editor asks to store ``text`` as the note of ``thread_id``."""

    def __init__(self, thread_id: str, text: str) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.text = text


class NoteLeft(Message):
    """The user left the note editor with escape."""
