"""Pilot: moving through the list, opening a thread, the narrow layout, and virtual paging."""

from __future__ import annotations

from supportmail.tui.widgets.thread_pages import PAGE_SIZE
from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.fakes import FakeService


async def test_cursor_moves_and_the_thread_follows(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        threads = screen.thread_list
        assert threads.cursor == 0
        await pilot.press("j", "j", "down")
        await settle(pilot)
        assert threads.cursor == 3
        assert screen.message_view.detail is not None
        assert screen.message_view.detail.summary.id == threads.current.id  # type: ignore[union-attr]
        await pilot.press("k")
        assert threads.cursor == 2
        await pilot.press("end")
        assert threads.cursor == threads.count - 1
        await pilot.press("home")
        assert threads.cursor == 0
        await pilot.press("pagedown")
        assert threads.cursor > 10
        await pilot.press("pageup")
        assert threads.cursor == 0


async def test_open_focuses_the_thread_and_escape_returns(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is screen.message_view
        detail = screen.message_view.detail
        assert detail is not None and len(detail.messages) >= 1
        await pilot.press("escape")
        assert app.focused is screen.thread_list


async def test_narrow_terminal_collapses_to_list_then_thread(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.has_class("-narrow")
        assert screen.query_one("#reading").display is False
        assert screen.message_view.detail is None  # nothing fetched while only the list shows
        await pilot.press("j", "enter")
        await settle(pilot)
        assert screen.has_class("-reading")
        assert screen.query_one("#list-pane").display is False
        assert screen.message_view.detail is not None
        assert screen.message_view.detail.summary.id == screen.thread_list.current.id
        await pilot.press("escape")
        assert not screen.has_class("-reading")
        assert screen.query_one("#list-pane").display is True


async def test_widening_a_narrow_terminal_shows_the_cursors_thread(make_app: AppFactory) -> None:
    """The thread pane was left empty (and the note unloaded) until the cursor moved."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("j")
        await settle(pilot)
        assert screen.message_view.detail is None
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert not screen.has_class("-narrow")
        current = screen.thread_list.current
        assert current is not None
        assert screen.message_view.detail is not None
        assert screen.message_view.detail.summary.id == current.id


async def test_quote_folding_toggles(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.message_view.fold_quotes is True
        await pilot.press("f")
        await settle(pilot)
        assert screen.message_view.fold_quotes is False


async def test_list_is_virtual_and_pages_on_demand() -> None:
    service = FakeService(threads=5000)
    from supportmail.keymaps import load_keymap
    from supportmail.tui.app import SupportMailApp
    from tests.tui.conftest import NOW

    app = SupportMailApp(service, load_keymap(), now=NOW, preview_delay=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        threads = main_screen(app).thread_list
        assert threads.count == 5001
        pages = {q.offset for q in service.called("list_threads")}  # type: ignore[attr-defined]
        assert pages == {0}
        assert all(q.limit == PAGE_SIZE for q in service.called("list_threads"))  # type: ignore[attr-defined]
        await pilot.press("end")
        await settle(pilot)
        assert threads.cursor == 5000
        offsets = {q.offset for q in service.called("list_threads")}  # type: ignore[attr-defined]
        assert offsets <= {0, 4900, 5000}
        assert threads.current is not None and threads.current.id == "ffffabcd"
