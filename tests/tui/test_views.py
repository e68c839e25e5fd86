"""Pilot: the views (all, untagged, unread, by tag) and search as you type."""

from __future__ import annotations

from supportmail.tui.screens.tag_picker import TagPicker
from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.fakes import FakeService


async def test_views_switch_the_list(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        threads = screen.thread_list
        total = threads.count
        await pilot.press("u")
        untagged = threads.count
        assert 0 < untagged < total
        assert threads.thread_query.untagged
        assert screen.status.view == "untagged"
        await pilot.press("U")
        assert threads.thread_query.unread and not threads.thread_query.untagged
        assert 0 < threads.count < total
        assert all(threads.summary_at(i).unread for i in range(threads.count))
        await pilot.press("a")
        assert threads.count == total


async def test_view_by_tag_uses_the_picker(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, TagPicker)
        await pilot.press(*"team:tech", "enter")
        await settle(pilot)
        threads = screen.thread_list
        assert threads.thread_query.tags == ("team:tech",)
        assert threads.count > 0
        for index in range(threads.count):
            assert "team:tech" in threads.summary_at(index).tags  # type: ignore[union-attr]
        assert screen.status.view == "tag team:tech"


async def test_search_updates_as_you_type(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        threads = screen.thread_list
        total = threads.count
        await pilot.press("slash")
        assert app.focused is screen.search_bar
        await pilot.press(*"invoice")
        await settle(pilot)
        assert threads.thread_query.search == "invoice"
        assert 0 < threads.count < total
        for index in range(threads.count):
            assert "invoice" in threads.summary_at(index).subject.lower()  # type: ignore[union-attr]
        await pilot.press("enter")
        assert app.focused is threads
        await pilot.press("slash", "escape")
        assert threads.thread_query.search is None
        assert threads.count == total


async def test_search_with_no_result_says_so(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("slash", *"zzzz", "enter")
        await settle(pilot)
        assert screen.thread_list.count == 0
        line = screen.thread_list.render_line(0).text
        assert "No threads match" in line
        await pilot.press("1")  # nothing to tag: no crash, a hint
        assert screen.status.hint == "no thread to tag"
