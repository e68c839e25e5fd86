"""Pilot: the selection is counted in the status bar and escape in the list clears it."""

from __future__ import annotations

from tests.tui.conftest import AppFactory, main_screen, settle, wait_until


async def test_status_bar_counts_the_selection_and_escape_clears_it(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        threads, status = screen.thread_list, screen.status
        await pilot.press("x", "x", "x")
        await wait_until(pilot, lambda: status.selected == 3, "three selected")
        assert "3 selected" in str(status.render())
        await pilot.press("k", "x")  # unselect the third again
        await wait_until(pilot, lambda: status.selected == 2, "two selected")
        assert threads.has_focus
        await pilot.press("escape")
        await wait_until(pilot, lambda: status.selected == 0, "selection cleared")
        assert threads.selected == []
        assert "selected" not in str(status.render()).replace("selection cleared", "")
        assert status.hint == "selection cleared"


async def test_escape_in_the_thread_keeps_the_selection(make_app: AppFactory) -> None:
    """From the open thread, escape only goes back to the list; a second one clears."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("x", "enter")
        await wait_until(pilot, lambda: screen.message_view.has_focus, "thread open")
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.thread_list.has_focus, "back in the list")
        assert len(screen.thread_list.selected) == 1 and screen.status.selected == 1
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.status.selected == 0, "selection cleared")
