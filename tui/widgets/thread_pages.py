"""The thread list's rows: one view's threads read a page at a time and kept in an LRU.

``ThreadPages`` holds what ``ThreadList`` shows, with no drawing and no Textual messages: the
view's ``ThreadQuery`` and count, the pages of ``ThreadSummary`` (``PAGE_SIZE`` threads each,
read once on the UI thread when a row needs them, or ahead of the cursor by a worker), and the
overrides (optimistic rows) that replace a thread's row until the next reload. ``generation``
changes at each reload so a page read before it is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.cache import LRUCache

from supportmail.storage.models import ThreadQuery

if TYPE_CHECKING:
    from supportmail.storage.models import ThreadSummary
    from supportmail.storage.service.api import ServiceApi

__all__ = ["PAGE_SIZE", "PREFETCH_ROWS", "READ_AHEAD_PAGES", "ThreadPages"]

PAGE_SIZE = 100
"""Threads fetched per query; a screenful is at most a page or two."""
PREFETCH_ROWS = 3 * PAGE_SIZE
"""How far beyond the screen edge the cursor moves towards every page must be cached or
being read."""
READ_AHEAD_PAGES = 5
"""Pages read ahead in one query (a held ``pagedown`` crosses 15 pages a second)."""


class ThreadPages:
    """The current view's count, cached pages, pages being read and overrides."""

    def __init__(self, service: ServiceApi, on_error: Callable[[str], object]) -> None:
        """``on_error`` gets the one line of a failed count or page read (on the UI thread)."""
        self._service = service
        self._on_error = on_error
        self.query = ThreadQuery()
        self.count = 0
        self._pages: LRUCache[int, list[ThreadSummary]] = LRUCache(64)
        self.generation = 0
        """Bumped by ``clear``: a page read before it is stale."""
        self._loading: set[int] = set()
        """Pages a read-ahead worker is reading now."""
        self.overrides: dict[str, ThreadSummary] = {}
        self.fetches = 0
        """How many page queries ran on the UI thread (for tests and benchmarks)."""

    def clear(self) -> None:
        """Forget every page and override (a reload)."""
        self._pages.clear()
        self.generation += 1
        self._loading.clear()
        self.overrides.clear()

    def count_threads(self) -> int:
        try:
            return self._service.count_threads(self.query)
        except Exception as exc:  # any backend failure becomes one status line
            self._on_error(str(exc) or type(exc).__name__)
            return 0

    def page_query(self, page: int, pages: int = 1) -> ThreadQuery:
        query = self.query
        return ThreadQuery(
            tags=query.tags,
            untagged=query.untagged,
            unread=query.unread,
            since=query.since,
            search=query.search,
            awaiting=query.awaiting,
            roots=query.roots,
            limit=pages * PAGE_SIZE,
            offset=page * PAGE_SIZE,
        )

    def fetch(self, page: int) -> list[ThreadSummary]:
        """The rows of ``page``, read now on the UI thread when no one read them yet."""
        cached = self._pages.get(page)
        if cached is not None:
            return cached
        self.fetches += 1
        try:
            rows = self._service.list_threads(self.page_query(page))
        except Exception as exc:  # any backend failure becomes one status line
            self._on_error(str(exc) or type(exc).__name__)
            rows = []
        self._pages.set(page, rows)
        return rows

    def row(self, index: int) -> ThreadSummary | None:
        """The summary shown at ``index`` (its override if there is one)."""
        if not 0 <= index < self.count:
            return None
        rows = self.fetch(index // PAGE_SIZE)
        offset = index % PAGE_SIZE
        if offset >= len(rows):
            return None
        row = rows[offset]
        return self.overrides.get(row.id, row)

    def find(self, thread_id: str, near: int) -> int:
        """Index of ``thread_id`` in the pages around ``near`` (``near`` if not found)."""
        first = max(0, near // PAGE_SIZE - 1)
        last = min((self.count - 1) // PAGE_SIZE if self.count else 0, near // PAGE_SIZE + 1)
        for page in range(first, last + 1):
            for offset, row in enumerate(self.fetch(page)):
                if row.id == thread_id:
                    return page * PAGE_SIZE + offset
        return near

    def in_pages(self, thread_id: str) -> ThreadSummary | None:
        """The row of ``thread_id`` in a cached page, as read (None: not read)."""
        for page in self._pages.keys():  # noqa: SIM118 - LRUCache has no __iter__
            for row in self._pages.get(page) or ():
                if row.id == thread_id:
                    return row
        return None

    def read_ahead(self, top: int, height: int, direction: int) -> range | None:
        """The pages to read in a worker when a page within ``PREFETCH_ROWS`` beyond the screen
        edge (rows ``top`` .. ``top + height``) the cursor moves towards is missing: it and the
        next ones that way (``READ_AHEAD_PAGES`` in all, in one query: a deep ``OFFSET`` costs
        its skip once). They count as being read until ``store`` gets them."""
        if height <= 0 or direction == 0 or self.count == 0:
            return None
        if direction > 0:
            first, last = top + height, top + height - 1 + PREFETCH_ROWS
        else:
            first, last = top - PREFETCH_ROWS, top - 1
        first, last = max(0, first), min(self.count - 1, last)
        if first > last:
            return None
        window = range(first // PAGE_SIZE, last // PAGE_SIZE + 1)
        missing = [page for page in window if self._unread(page)]
        if not missing:
            return None
        step = 1 if direction > 0 else -1
        start = missing[0] if direction > 0 else missing[-1]
        end = start
        pages_in_list = (self.count - 1) // PAGE_SIZE + 1
        while (
            abs(end + step - start) < READ_AHEAD_PAGES
            and 0 <= end + step < pages_in_list
            and self._unread(end + step)
        ):
            end += step
        pages = range(min(start, end), max(start, end) + 1)
        self._loading.update(pages)
        return pages

    def _unread(self, page: int) -> bool:
        """Neither cached nor being read."""
        return page not in self._loading and self._pages.get(page) is None

    def store(self, generation: int, pages: range, rows: list[ThreadSummary] | None) -> None:
        """Keep the ``pages`` a worker read (``rows`` None: it failed; they are read again on
        the UI thread when they show); dropped when the view was reloaded meanwhile."""
        if generation != self.generation:
            return
        self._loading.difference_update(pages)
        if rows is None:
            return
        for n, page in enumerate(pages):
            if self._pages.get(page) is None:
                self._pages.set(page, rows[n * PAGE_SIZE : (n + 1) * PAGE_SIZE])
