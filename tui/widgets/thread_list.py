"""The thread list: a Line-API ``ScrollView`` that renders only the rows on screen.

No widget per row and no DataTable: ``virtual_size`` comes from ``count_threads``, each visible
row asks for its page of ``ThreadSummary`` (``PAGE_SIZE`` threads, fetched once, kept in an LRU),
and each rendered row is kept as a ``Strip`` in another LRU keyed by everything that changes its
look. So a 50k-thread mailbox costs one count and one page query to open.

Scrolling does not wait for page queries while the cursor moves on: when a page within
``PREFETCH_ROWS`` beyond the screen edge the cursor moves towards is missing, a thread worker
reads it and the next ones that way (``READ_AHEAD_PAGES`` pages in one query), so they are cached
before they show. A page query costs more the deeper it is (``OFFSET``: about 20 ms at row
250,000 on a 2-core machine, the skip paid once per query), and without this every hundredth row
of a held key waited for one. A jump (``home``/``end``, a click, a new view) still queries the
page it lands on at once.

Rows change without a reload when the main screen pushes an override (an optimistic tag edit, a
saved note): ``set_override`` replaces the row's summary until the next ``reload``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from textual import events, on
from textual.cache import LRUCache
from textual.content import Content
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.style import Style

from storage.models import Address, ThreadQuery, ThreadSummary
from tui.render import RowLayout, RowStyles, customer_name, thread_row

if TYPE_CHECKING:
    from storage.service import Service

PAGE_SIZE = 100
"""Threads fetched per query; a screenful is at most a page or two."""
PREFETCH_ROWS = 3 * PAGE_SIZE
"""How far beyond the screen edge the cursor moves towards every page must be cached or
being read."""
READ_AHEAD_PAGES = 5
"""Pages read ahead in one query (a held ``pagedown`` crosses 15 pages a second)."""


class _CachedRow(NamedTuple):
    """A rendered row and the summary it shows (compared by identity first: cheaper than
    hashing every field of the summary for each line of each frame)."""

    summary: ThreadSummary
    strip: Strip


class ThreadList(ScrollView, can_focus=True, inherit_bindings=False):
    """Virtual list of threads with a cursor and a multi-selection."""

    HELP = (
        "The thread list. Move with {thread.next} / {thread.prev}, open a thread with "
        "{thread.open} to read it, select several threads with {select.toggle} to tag them (or "
        "mark them read) at once, {thread.close} clears the selection. Markers: ● unread "
        "(opening a thread does not change it; {mark.read} does), ✎ note, ↑ tag edit not yet "
        "on the server."
    )

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "thread-list--cursor",
        "thread-list--selected",
        "thread-list--selected-row",
        "thread-list--date",
        "thread-list--customer",
        "thread-list--subject",
        "thread-list--unread",
        "thread-list--count",
        "thread-list--marker",
        "thread-list--pending",
        "thread-list--team",
        "thread-list--category",
        "thread-list--label",
        "thread-list--empty",
    }

    cursor: reactive[int] = reactive(0, repaint=False)
    """Index of the highlighted row in the current view."""

    class CursorMoved(Message):
        """The highlighted thread changed (``summary`` is None when the view is empty)."""

        def __init__(self, summary: ThreadSummary | None) -> None:
            super().__init__()
            self.summary = summary

    class Opened(Message):
        """The user asked to open the highlighted thread."""

        def __init__(self, summary: ThreadSummary) -> None:
            super().__init__()
            self.summary = summary

    class Counted(Message):
        """The view's thread count is known (after a reload that counted later)."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class SelectionChanged(Message):
        """Threads were selected or unselected (``count``: how many are selected now)."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class LoadFailed(Message):
        """Listing threads failed (one line for the status bar)."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class _CountRead(Message, bubble=False):
        """A count worker's result (``count`` None: it failed with ``error``)."""

        def __init__(self, generation: int, count: int | None, error: str | None) -> None:
            super().__init__()
            self.generation = generation
            self.count = count
            self.error = error

    class _PagesRead(Message, bubble=False):
        """Pages a read-ahead worker read, ``rows`` None when it failed (dropped when the view
        was reloaded meanwhile)."""

        def __init__(self, generation: int, pages: range, rows: list[ThreadSummary] | None) -> None:
            super().__init__()
            self.generation = generation
            self.pages = pages
            self.rows = rows

    def __init__(
        self,
        service: Service,
        *,
        now: Callable[[], datetime],
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._service = service
        self._now = now
        self._query = ThreadQuery()
        self._count = 0
        self._counting = False
        self._pages: LRUCache[int, list[ThreadSummary]] = LRUCache(64)
        self._generation = 0
        """Bumped by ``reload``: a page read before it is stale."""
        self._loading: set[int] = set()
        """Pages a prefetch worker is reading now."""
        self._strips: LRUCache[tuple[object, ...], _CachedRow] = LRUCache(1024)
        self._width = 0
        """Width of the rows being rendered (set once per frame by ``render_lines``)."""
        self._overrides: dict[str, ThreadSummary] = {}
        self._selected: dict[str, ThreadSummary] = {}
        self._customers: dict[tuple[Address, ...], str] = {}
        self._styles: RowStyles | None = None
        self._announced: str | None = None
        self.fetches = 0
        """How many page queries ran (for tests and benchmarks)."""

    # -- data --------------------------------------------------------------------------------

    @property
    def thread_query(self) -> ThreadQuery:
        """What the list shows (``query`` is Textual's DOM query, so not that name)."""
        return self._query

    @property
    def count(self) -> int:
        return self._count

    @property
    def count_known(self) -> bool:
        """False while a reload with ``count_later`` has not counted yet (``count`` is then
        the first page's rows)."""
        return not self._counting

    def set_query(self, query: ThreadQuery, *, count_later: bool = False) -> None:
        """Show another view; the cursor goes to the top. ``count_later``: see ``reload``."""
        self._query = query
        self.reload(keep=None, count_later=count_later)

    def reload(self, keep: str | None = "cursor", *, count_later: bool = False) -> None:
        """Re-count and drop cached pages; keep the cursor on the same thread when possible.

        ``count_later`` (the first screen, a search): read the first page now and count the
        view after the next frame (7-16 ms at 143k threads; a search in a thread worker), then
        post ``Counted``; meanwhile the list holds the first page's rows."""
        previous = self.current if keep == "cursor" else None
        self._pages.clear()
        self._generation += 1
        self._loading.clear()
        self._strips.clear()
        self._overrides.clear()
        self._counting = False
        if count_later:
            self._count = len(self._fetch_page(0))
            if self._count == PAGE_SIZE:
                self._counting = True
                self.call_after_refresh(self._count_later, self._generation)
        else:
            self._count = self._count_threads()
        self.virtual_size = Size(0, self._count)
        target = 0
        if previous is not None:
            target = self._find(previous.id, self.cursor)
        self._announced = None
        self._set_cursor(min(target, max(0, self._count - 1)), force=True)
        self.refresh()

    def _count_later(self, generation: int) -> None:
        if generation != self._generation or not self._counting:
            return  # reloaded meanwhile: that reload counted
        if self._query.search:
            # A search's count maps every hit (~0.45 s for a word in 150k of 250k bodies):
            # in a thread worker, so the first page shows and keys work meanwhile.
            count = partial(self._count_in_worker, generation, self._query)
            self.run_worker(count, thread=True, group="thread-list-count", exit_on_error=False)
            return
        self._counting = False
        self._count = self._count_threads()
        self.virtual_size = Size(0, self._count)
        self.refresh()
        self.post_message(self.Counted(self._count))

    def _count_in_worker(self, generation: int, query: ThreadQuery) -> None:
        try:
            count = self._service.count_threads(query)
        except Exception as exc:  # any backend failure becomes one status line
            self.post_message(self._CountRead(generation, None, str(exc) or type(exc).__name__))
            return
        self.post_message(self._CountRead(generation, count, None))

    @on(_CountRead)
    def _count_read(self, message: _CountRead) -> None:
        if message.generation != self._generation or not self._counting:
            return  # reloaded meanwhile
        self._counting = False
        if message.count is None:
            self.post_message(self.LoadFailed(message.error or "counting failed"))
            return
        self._count = message.count
        self.virtual_size = Size(0, self._count)
        self.refresh()
        self.post_message(self.Counted(self._count))

    def _count_threads(self) -> int:
        try:
            return self._service.count_threads(self._query)
        except Exception as exc:  # any backend failure becomes one status line
            self.post_message(self.LoadFailed(str(exc) or type(exc).__name__))
            return 0

    def _page_query(self, page: int, pages: int = 1) -> ThreadQuery:
        return ThreadQuery(
            tags=self._query.tags,
            untagged=self._query.untagged,
            unread=self._query.unread,
            since=self._query.since,
            search=self._query.search,
            awaiting=self._query.awaiting,
            roots=self._query.roots,
            limit=pages * PAGE_SIZE,
            offset=page * PAGE_SIZE,
        )

    def _fetch_page(self, page: int) -> list[ThreadSummary]:
        """The rows of ``page``, read now on the UI thread when no one read them yet."""
        cached = self._pages.get(page)
        if cached is not None:
            return cached
        self.fetches += 1
        try:
            rows = self._service.list_threads(self._page_query(page))
        except Exception as exc:  # any backend failure becomes one status line
            self.post_message(self.LoadFailed(str(exc) or type(exc).__name__))
            rows = []
        self._pages.set(page, rows)
        return rows

    def _prefetch(self, direction: int) -> None:
        """When a page within ``PREFETCH_ROWS`` beyond the screen edge the cursor moves towards
        is missing, read it and the next ones that way (``READ_AHEAD_PAGES`` in all, in one
        query: a deep ``OFFSET`` costs its skip once) in a thread worker."""
        height = self.scrollable_content_region.height
        if height <= 0 or direction == 0 or self._count == 0:
            return
        top = round(self.scroll_y)
        if direction > 0:
            first, last = top + height, top + height - 1 + PREFETCH_ROWS
        else:
            first, last = top - PREFETCH_ROWS, top - 1
        first, last = max(0, first), min(self._count - 1, last)
        if first > last:
            return
        window = range(first // PAGE_SIZE, last // PAGE_SIZE + 1)
        missing = [page for page in window if self._unread(page)]
        if not missing:
            return
        step = 1 if direction > 0 else -1
        start = missing[0] if direction > 0 else missing[-1]
        end = start
        pages_in_list = (self._count - 1) // PAGE_SIZE + 1
        while (
            abs(end + step - start) < READ_AHEAD_PAGES
            and 0 <= end + step < pages_in_list
            and self._unread(end + step)
        ):
            end += step
        pages = range(min(start, end), max(start, end) + 1)
        self._loading.update(pages)
        query = self._page_query(pages.start, len(pages))
        read = partial(self._read_pages, self._generation, pages, query)
        self.run_worker(read, thread=True, group="thread-list-pages", exit_on_error=False)

    def _unread(self, page: int) -> bool:
        """Neither cached nor being read."""
        return page not in self._loading and self._pages.get(page) is None

    def _read_pages(self, generation: int, pages: range, query: ThreadQuery) -> None:
        """In a thread worker: read ``pages`` and hand them to the UI thread."""
        rows: list[ThreadSummary] | None
        try:
            rows = self._service.list_threads(query)
        except Exception:  # the UI thread reads them again when they show, and reports then
            rows = None
        self.post_message(self._PagesRead(generation, pages, rows))

    @on(_PagesRead)
    def _pages_read(self, message: _PagesRead) -> None:
        if message.generation != self._generation:
            return
        self._loading.difference_update(message.pages)
        if message.rows is None:
            return
        for n, page in enumerate(message.pages):
            if self._pages.get(page) is None:
                self._pages.set(page, message.rows[n * PAGE_SIZE : (n + 1) * PAGE_SIZE])

    def summary_at(self, index: int) -> ThreadSummary | None:
        if not 0 <= index < self._count:
            return None
        rows = self._fetch_page(index // PAGE_SIZE)
        offset = index % PAGE_SIZE
        if offset >= len(rows):
            return None
        row = rows[offset]
        return self._overrides.get(row.id, row)

    def _find(self, thread_id: str, near: int) -> int:
        """Index of ``thread_id`` in the pages around ``near`` (``near`` if not found)."""
        first = max(0, near // PAGE_SIZE - 1)
        last = min((self._count - 1) // PAGE_SIZE if self._count else 0, near // PAGE_SIZE + 1)
        for page in range(first, last + 1):
            for offset, row in enumerate(self._fetch_page(page)):
                if row.id == thread_id:
                    return page * PAGE_SIZE + offset
        return near

    @property
    def current(self) -> ThreadSummary | None:
        return self.summary_at(self.cursor)

    def set_override(self, summary: ThreadSummary) -> None:
        """Show ``summary`` for its thread until the next reload (optimistic edits); only the
        rows on screen that show the thread are drawn again."""
        self._overrides[summary.id] = summary
        if summary.id in self._selected:
            self._selected[summary.id] = summary
        top = round(self.scroll_y)
        for index in range(top, min(self._count, top + self.scrollable_content_region.height)):
            shown = self.summary_at(index)
            if shown is not None and shown.id == summary.id:
                self.refresh_line(index)

    def known_summary(self, thread_id: str) -> ThreadSummary | None:
        """The summary shown for ``thread_id`` if it is cached (override first)."""
        if thread_id in self._overrides:
            return self._overrides[thread_id]
        if thread_id in self._selected:
            return self._selected[thread_id]
        for page in self._pages.keys():  # noqa: SIM118 - LRUCache has no __iter__
            for row in self._pages.get(page) or ():
                if row.id == thread_id:
                    return row
        return None

    # -- cursor and selection ----------------------------------------------------------------

    def _set_cursor(self, index: int, *, force: bool = False) -> None:
        index = max(0, min(index, self._count - 1)) if self._count else 0
        old = self.cursor
        self.cursor = index
        self._scroll_to_cursor()
        if old != index:
            self.refresh_line(old)
            self.refresh_line(index)
            self._prefetch(index - old)
        current = self.current
        key = current.id if current is not None else ""
        if force or key != self._announced:
            self._announced = key
            self.post_message(self.CursorMoved(current))

    def _scroll_to_cursor(self) -> None:
        height = self.scrollable_content_region.height
        top = round(self.scroll_y)
        if height <= 0:
            return
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def move_cursor(self, delta: int) -> None:
        self._set_cursor(self.cursor + delta)

    def cursor_to(self, index: int) -> None:
        self._set_cursor(index)

    def page(self, direction: int) -> None:
        step = max(1, self.scrollable_content_region.height - 1)
        self._set_cursor(self.cursor + direction * step)

    def open_current(self) -> None:
        current = self.current
        if current is not None:
            self.post_message(self.Opened(current))

    @property
    def selected(self) -> list[ThreadSummary]:
        return list(self._selected.values())

    def toggle_selected(self) -> None:
        current = self.current
        if current is None:
            return
        if current.id in self._selected:
            del self._selected[current.id]
        else:
            self._selected[current.id] = current
        self.refresh_line(self.cursor)
        self.post_message(self.SelectionChanged(len(self._selected)))

    def clear_selection(self) -> bool:
        """Unselect every thread; False when nothing was selected."""
        if not self._selected:
            return False
        self._selected.clear()
        self.refresh()
        self.post_message(self.SelectionChanged(0))
        return True

    def targets(self) -> list[ThreadSummary]:
        """What an edit applies to: the selection if there is one, else the cursor's thread."""
        if self._selected:
            return self.selected
        current = self.current
        return [current] if current is not None else []

    # -- rendering ---------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()

    def _on_focus(self, event: events.Focus) -> None:
        self._strips.clear()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._strips.clear()
        self.refresh()

    def _part(self, name: str) -> Style:
        # Text parts are partial (no background, so the cursor row shows through); chips are
        # full styles, since a partial style drops an opaque background.
        chip = name in ("team", "category", "label")
        return self.get_visual_style(f"thread-list--{name}", partial=not chip)

    def _row_styles(self) -> RowStyles:
        if self._styles is None:
            part = self._part
            self._styles = RowStyles(
                date=part("date"),
                customer=part("customer"),
                subject=part("subject"),
                unread=part("unread"),
                count=part("count"),
                marker=part("marker"),
                pending=part("pending"),
                selected=part("selected"),
                team=part("team"),
                category=part("category"),
                label=part("label"),
            )
        return self._styles

    def _customer(self, summary: ThreadSummary) -> str:
        key = summary.participants
        name = self._customers.get(key)
        if name is None:
            name = customer_name(summary, self._is_team)
            if len(self._customers) > 4096:
                self._customers.clear()
            self._customers[key] = name
        return name

    def _is_team(self, address: Address) -> bool:
        return self._service.is_team_address(address)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._width = self.scrollable_content_region.width  # once per frame, not per row
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._width or self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        if self._count == 0 and y == 0:
            return self._empty_line(width)
        summary = self.summary_at(index)
        if summary is None:
            return Strip.blank(width, self.get_visual_style().rich_style)
        is_cursor = index == self.cursor
        selected = summary.id in self._selected
        key = (summary.id, width, is_cursor, selected, self.has_focus)
        cached = self._strips.get(key)
        if cached is not None and (cached.summary is summary or cached.summary == summary):
            return cached.strip
        strip = self._render_row(summary, width, is_cursor=is_cursor, selected=selected)
        self._strips.set(key, _CachedRow(summary, strip))
        return strip

    def _render_row(
        self, summary: ThreadSummary, width: int, *, is_cursor: bool, selected: bool
    ) -> Strip:
        base = self.get_visual_style()
        if selected:
            base = self.get_visual_style("thread-list--selected-row")
        if is_cursor:
            base = self.get_visual_style("thread-list--cursor")
        content = thread_row(
            summary,
            now=self._now(),
            customer=self._customer(summary),
            layout=RowLayout.for_width(width),
            styles=self._row_styles(),
            selected=selected,
        )
        segments = content.render_segments(base)
        return Strip(segments).adjust_cell_length(width, base.rich_style)

    def _empty_line(self, width: int) -> Strip:
        style = self.get_visual_style("thread-list--empty")
        text = "  No threads in this view." if not self._query.search else "  No threads match."
        segments = Content(text).render_segments(style)
        return Strip(segments).adjust_cell_length(width, style.rich_style)

    # -- mouse -------------------------------------------------------------------------------

    async def _on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if not 0 <= index < self._count:
            return
        if index == self.cursor or event.chain > 1:
            self._set_cursor(index)
            self.open_current()
        else:
            self._set_cursor(index)
