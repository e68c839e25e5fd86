"""Pilot: scrolling a long thread list reads pages ahead in a worker and never shows stale rows.

The thread list reads the pages beyond the screen edge the cursor moves towards in a thread
worker (``PREFETCH_ROWS``, ``READ_AHEAD_PAGES`` in one query), so a held key does not wait for
page queries on the UI thread. These
tests check what that must not change: the rows shown are the service's rows in its order, a
page read for a view that was replaced meanwhile is dropped, a failed read ahead is silent, and
an optimistic override is drawn even though rendered rows are cached. No timing is asserted
(``tests/bench/bench_tui.py`` prints the figures).
"""

from __future__ import annotations

import dataclasses
import threading

import pytest

from supportmail.keymaps import load_keymap
from supportmail.storage.models import ThreadQuery, ThreadSummary
from supportmail.tui.app import SupportMailApp
from supportmail.tui.widgets import thread_list as thread_list_module
from supportmail.tui.widgets.thread_list import ThreadList
from supportmail.tui.widgets.thread_pages import PAGE_SIZE, PREFETCH_ROWS, READ_AHEAD_PAGES
from tests.tui.conftest import main_screen, settle, wait_until
from tests.tui.fakes import NOW, FakeService

SIZE = (120, 40)
CHIP = " bug "
"""How a list row shows ``category:bug``."""


class RecordingService(FakeService):
    """A fake that records which thread asked for each page and can hold or fail the reads
    made off the UI thread (the prefetch worker's)."""

    def __init__(self, threads: int) -> None:
        super().__init__(threads=threads)
        self.reads: list[tuple[int, bool, ThreadQuery]] = []
        """(offset, on the UI thread, query) of every ``list_threads`` call."""
        self.worker_gate: threading.Event | None = None
        self.fail_worker_reads = False

    def list_threads(
        self, query: ThreadQuery | None = None, *, raw: bool = False
    ) -> list[ThreadSummary]:
        q = query or ThreadQuery()
        ui = threading.current_thread() is threading.main_thread()
        self.reads.append((q.offset, ui, q))
        if not ui:
            if self.worker_gate is not None:
                self.worker_gate.wait(5)
            if self.fail_worker_reads:
                raise OSError("disk went away")
        return super().list_threads(q, raw=raw)

    def offsets(self, *, ui: bool) -> set[int]:
        return {offset for offset, on_ui, _q in self.reads if on_ui is ui}


def make_app(service: FakeService) -> SupportMailApp:
    return SupportMailApp(service, load_keymap(), now=NOW, preview_delay=0)


def expected_ids(service: FakeService, query: ThreadQuery | None = None) -> list[str]:
    return [s.id for s in service.list_threads(query or ThreadQuery())]


def shown_ids(threads: ThreadList) -> list[str]:
    return [s.id for i in range(threads.count) if (s := threads.summary_at(i)) is not None]


async def test_moving_down_reads_the_next_pages_in_a_worker() -> None:
    service = RecordingService(threads=1000)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        threads = main_screen(app).thread_list
        assert service.offsets(ui=True) == {0}
        await pilot.press("down")
        await settle(pilot)
        # one query read the rows up to PREFETCH_ROWS below the screen and some more
        height = threads.scrollable_content_region.height
        ahead = [q for _o, ui, q in service.reads if not ui]
        assert len(ahead) == 1
        assert ahead[0].offset == PAGE_SIZE
        assert ahead[0].limit == READ_AHEAD_PAGES * PAGE_SIZE >= height + PREFETCH_ROWS
        for _ in range(10):
            await pilot.press("pagedown")
            await settle(pilot)
        assert threads.cursor > 3 * PAGE_SIZE
        # every page the screen showed was read ahead: the UI thread read only the first
        assert service.offsets(ui=True) == {0}
        assert threads.current is not None
        assert threads.current.id == expected_ids(service)[threads.cursor]


async def test_rows_are_the_services_rows_in_order_down_to_the_end_and_back() -> None:
    service = RecordingService(threads=400)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        threads = main_screen(app).thread_list
        expected = expected_ids(service)
        opened = len(service.reads)
        while threads.cursor < threads.count - 1:
            await pilot.press("pagedown")
            await settle(pilot)
            assert threads.current is not None
            assert threads.current.id == expected[threads.cursor]
        assert shown_ids(threads) == expected
        pages = [
            page
            for _o, _ui, q in service.reads[opened:]
            for page in range(q.offset // PAGE_SIZE, (q.offset + (q.limit or 0)) // PAGE_SIZE)
        ]
        assert len(pages) == len(set(pages)), "a page was read twice in one view"
        await pilot.press("up", "up", "home")
        assert threads.cursor == 0
        assert threads.current is not None and threads.current.id == expected[0]


async def test_a_page_read_for_a_replaced_view_is_dropped() -> None:
    service = RecordingService(threads=1000)
    app = make_app(service)
    gate = threading.Event()
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            threads = main_screen(app).thread_list
            service.worker_gate = gate
            await pilot.press("down")  # the read of the next pages now waits in the worker
            unread = ThreadQuery(unread=True)
            threads.set_query(unread)
            gate.set()
            await settle(pilot)
            assert threads.count == len(expected_ids(service, unread))
            assert shown_ids(threads) == expected_ids(service, unread)
            stale = [q for _o, ui, q in service.reads if not ui and not q.unread]
            assert stale, "the test did not hold a read of the old view"
    finally:
        gate.set()


async def test_a_failed_read_ahead_is_silent_and_the_row_is_read_when_shown() -> None:
    service = RecordingService(threads=600)
    service.fail_worker_reads = True
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        threads = screen.thread_list
        for _ in range(8):
            await pilot.press("pagedown")
            await settle(pilot)
        assert service.offsets(ui=False), "nothing was read ahead"
        assert "could not list threads" not in screen.status.hint
        assert threads.current is not None
        assert threads.current.id == expected_ids(service)[threads.cursor]


async def test_an_override_is_drawn_although_rows_are_cached() -> None:
    service = RecordingService(threads=40)
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        threads = main_screen(app).thread_list
        first = threads.current
        assert first is not None
        tagged = dataclasses.replace(first, tags=("category:bug",))
        for summary, chip in ((tagged, True), (dataclasses.replace(tagged, tags=()), False)) * 2:
            threads.set_override(summary)
            await settle(pilot)
            assert (CHIP in threads.render_line(0).text) is chip


async def test_the_first_screen_counts_the_view_after_its_first_frame() -> None:
    """The first page is read before the first frame, the count (a scan of every thread) after
    it; until then the status bar names the view without a number, never a wrong one."""
    service = RecordingService(threads=PAGE_SIZE * 3 + 7)
    total = service.count_threads()
    service.calls.clear()
    assert total > PAGE_SIZE
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        thread_list = screen.thread_list
        await settle(pilot)
        calls = [name for name, _q in service.calls]
        assert thread_list.count_known
        assert thread_list.count == total
        assert screen.status.count == total
        assert f"all ({total})" in str(screen.status.render())
    assert calls.index("list_threads") < calls.index("count_threads")


async def test_a_short_first_view_is_counted_from_its_only_page() -> None:
    service = RecordingService(threads=12)
    total = service.count_threads()
    service.calls.clear()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.thread_list.count == total
        assert screen.status.count == total
        assert all(q.offset == 0 for _o, _ui, q in service.reads)
    assert "count_threads" not in [name for name, _q in service.calls[:2]]


async def test_a_reload_before_the_late_count_makes_it_moot() -> None:
    service = RecordingService(threads=PAGE_SIZE * 2 + 1)
    total = service.count_threads()
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        thread_list = main_screen(app).thread_list
        thread_list.reload()  # counts at once; the pending late count must not run again
        assert thread_list.count_known
        counts = sum(1 for name, _q in service.calls if name == "count_threads")
        await settle(pilot)
        assert sum(1 for name, _q in service.calls if name == "count_threads") == counts
        assert thread_list.count == total


class SlowCountService(RecordingService):
    """Holds a worker's exact count of a search (``count_threads`` without ``at_most``) until
    released."""

    def __init__(self, threads: int) -> None:
        super().__init__(threads)
        self.count_gate = threading.Event()

    def count_threads(self, query: ThreadQuery | None = None, *, at_most: int | None = None) -> int:
        worker = threading.current_thread() is not threading.main_thread()
        if worker and query is not None and query.search and at_most is None:
            self.count_gate.wait(5)
        return super().count_threads(query, at_most=at_most)


async def test_a_search_shows_more_than_the_preview_then_its_exact_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A search matching more threads than ``COUNT_PREVIEW`` shows ``(N+)`` first (a count
    that stops there), then the exact count from the worker; the list keeps its first page
    meanwhile."""
    monkeypatch.setattr(thread_list_module, "COUNT_PREVIEW", PAGE_SIZE + 20)
    service = SlowCountService(threads=PAGE_SIZE * 3 + 7)
    total = service.count_threads(ThreadQuery(search="example"))
    assert total > PAGE_SIZE + 20
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        await pilot.press("slash", *"example", "enter")
        shown = f'search "example" ({PAGE_SIZE + 20}+)'
        await wait_until(
            pilot, lambda: shown in str(screen.status.render()), "the preview", then_settle=False
        )
        assert screen.status.count == PAGE_SIZE + 20
        assert not screen.thread_list.count_known
        service.count_gate.set()
        await wait_until(pilot, lambda: screen.status.count == total, "the exact count")
        assert screen.thread_list.count_known
        assert screen.thread_list.count == total
        assert screen.status.count == total
        assert not screen.status.count_more
        assert f'search "example" ({total})' in str(screen.status.render())


async def test_a_search_below_the_preview_is_counted_once() -> None:
    service = SlowCountService(threads=PAGE_SIZE * 3 + 7)
    service.count_gate.set()
    total = service.count_threads(ThreadQuery(search="example"))
    assert PAGE_SIZE < total <= thread_list_module.COUNT_PREVIEW
    app = make_app(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await settle(pilot)
        service.calls.clear()
        await pilot.press("slash", *"example", "enter")
        await wait_until(pilot, lambda: screen.thread_list.count_known, "the count")
        assert screen.status.count == total
        assert not screen.status.count_more
    counts = [q for name, q in service.calls if name == "count_threads" and q.search == "example"]
    assert len(counts) == 1  # the bounded count was exact: no second, full count
