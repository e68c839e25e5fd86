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
saved note): ``set_override`` replaces the row's summary until the next ``reload``. The pages
and overrides live in ``tui.widgets.thread_pages``, the drawing of a row in
``tui.widgets.thread_rows``, a search's count worker in ``tui.widgets.thread_count``; this module
holds the widget: cursor, selection, workers, messages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, ClassVar

from textual import events, on
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from supportmail.tui.widgets.thread_count import CountRead, count_in_worker
from supportmail.tui.widgets.thread_pages import PAGE_SIZE, ThreadPages
from supportmail.tui.widgets.thread_rows import RowPainter

if TYPE_CHECKING:
    from supportmail.storage.models import ThreadQuery, ThreadSummary
    from supportmail.storage.service.api import ServiceApi

COUNT_PREVIEW = 1000
"""A search's count first stops at this many threads: more are shown as ``(1000+)`` within
milliseconds, while the exact count (every match mapped to its thread) runs on
(``tui.widgets.thread_count``)."""


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
        """The view's thread count is known (after a reload that counted later); ``more``:
        only that more than ``count`` threads match (a search still counting)."""

        def __init__(self, count: int, *, more: bool = False) -> None:
            super().__init__()
            self.count = count
            self.more = more

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
        service: ServiceApi,
        *,
        now: Callable[[], datetime],
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._service = service
        self._rows = ThreadPages(service, lambda error: self.post_message(self.LoadFailed(error)))
        self._painter = RowPainter(self, now=now, is_team=service.is_team_address)
        self._counting = False
        self._width = 0
        """Width of the rows being rendered (set once per frame by ``render_lines``)."""
        self._selected: dict[str, ThreadSummary] = {}
        self._announced: str | None = None

    @property
    def thread_query(self) -> ThreadQuery:
        """What the list shows (``query`` is Textual's DOM query, so not that name)."""
        return self._rows.query

    @property
    def count(self) -> int:
        return self._rows.count

    @property
    def count_known(self) -> bool:
        """False while a reload with ``count_later`` has not counted yet (``count`` is then
        the first page's rows)."""
        return not self._counting

    def set_query(self, query: ThreadQuery, *, count_later: bool = False) -> None:
        """Show another view; the cursor goes to the top. ``count_later``: see ``reload``."""
        self._rows.query = query
        self.reload(keep=None, count_later=count_later)

    def reload(self, keep: str | None = "cursor", *, count_later: bool = False) -> None:
        """Re-count and drop cached pages; keep the cursor on the same thread when possible.

        ``count_later`` (the first screen, a search): read the first page now and count the
        view after the next frame (7-16 ms at 143k threads; a search in a thread worker), then
        post ``Counted``; meanwhile the list holds the first page's rows."""
        previous = self.current if keep == "cursor" else None
        rows = self._rows
        rows.clear()
        self._painter.forget()
        self._counting = False
        if count_later:
            rows.count = len(rows.fetch(0))
            if rows.count == PAGE_SIZE:
                self._counting = True
                self.call_after_refresh(self._count_later, rows.generation)
        else:
            rows.count = rows.count_threads()
        self.virtual_size = Size(0, rows.count)
        target = 0
        if previous is not None:
            target = rows.find(previous.id, self.cursor)
        self._announced = None
        self._set_cursor(min(target, max(0, rows.count - 1)), force=True)
        self.refresh()

    def _count_later(self, generation: int) -> None:
        rows = self._rows
        if generation != rows.generation or not self._counting:
            return  # reloaded meanwhile: that reload counted
        if rows.query.search:
            # A search's count maps every hit (tui.widgets.thread_count): in a thread worker,
            # so the first page shows and keys work meanwhile.
            service, post = self._service, self.post_message
            count = partial(count_in_worker, service, post, generation, rows.query, COUNT_PREVIEW)
            self.run_worker(count, thread=True, group="thread-list-count", exit_on_error=False)
            return
        self._counting = False
        self._counted(rows.count_threads())

    def _counted(self, count: int) -> None:
        self._rows.count = count
        self.virtual_size = Size(0, count)
        self.refresh()
        self.post_message(self.Counted(count))

    @on(CountRead)
    def _count_read(self, message: CountRead) -> None:
        if message.generation != self._rows.generation or not self._counting:
            return  # reloaded meanwhile
        if message.more and message.count is not None:
            self.post_message(self.Counted(message.count, more=True))
            return  # the exact count follows
        self._counting = False
        if message.count is None:
            self.post_message(self.LoadFailed(message.error or "counting failed"))
            return
        self._counted(message.count)

    def _prefetch(self, direction: int) -> None:
        """Read the pages ahead of the cursor in a thread worker (``ThreadPages.read_ahead``)."""
        height = self.scrollable_content_region.height
        pages = self._rows.read_ahead(round(self.scroll_y), height, direction)
        if pages is None:
            return
        query = self._rows.page_query(pages.start, len(pages))
        read = partial(self._read_pages, self._rows.generation, pages, query)
        self.run_worker(read, thread=True, group="thread-list-pages", exit_on_error=False)

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
        self._rows.store(message.generation, message.pages, message.rows)

    def summary_at(self, index: int) -> ThreadSummary | None:
        return self._rows.row(index)

    @property
    def current(self) -> ThreadSummary | None:
        return self.summary_at(self.cursor)

    def set_override(self, summary: ThreadSummary) -> None:
        """Show ``summary`` for its thread until the next reload (optimistic edits); only the
        rows on screen that show the thread are drawn again."""
        self._rows.overrides[summary.id] = summary
        if summary.id in self._selected:
            self._selected[summary.id] = summary
        top = round(self.scroll_y)
        for index in range(top, min(self.count, top + self.scrollable_content_region.height)):
            shown = self.summary_at(index)
            if shown is not None and shown.id == summary.id:
                self.refresh_line(index)

    def known_summary(self, thread_id: str) -> ThreadSummary | None:
        """The summary shown for ``thread_id`` if it is cached (override first)."""
        if thread_id in self._rows.overrides:
            return self._rows.overrides[thread_id]
        if thread_id in self._selected:
            return self._selected[thread_id]
        return self._rows.in_pages(thread_id)

    # -- cursor and selection ----------------------------------------------------------------

    def _set_cursor(self, index: int, *, force: bool = False) -> None:
        count = self.count
        index = max(0, min(index, count - 1)) if count else 0
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
        self._painter.restyle()

    def _on_focus(self, event: events.Focus) -> None:
        self._painter.forget()
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self._painter.forget()
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        self._width = self.scrollable_content_region.width  # once per frame, not per row
        return super().render_lines(crop)

    def render_line(self, y: int) -> Strip:
        width = self._width or self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        if self.count == 0 and y == 0:
            return self._painter.empty(width, search=bool(self._rows.query.search))
        summary = self.summary_at(index)
        if summary is None:
            return Strip.blank(width, self.get_visual_style().rich_style)
        return self._painter.row(
            summary,
            width,
            is_cursor=index == self.cursor,
            selected=summary.id in self._selected,
            focused=self.has_focus,
        )

    # -- mouse -------------------------------------------------------------------------------

    async def _on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y
        if not 0 <= index < self.count:
            return
        if index == self.cursor or event.chain > 1:
            self._set_cursor(index)
            self.open_current()
        else:
            self._set_cursor(index)
