"""Pilot: the awaiting view (w) lists threads whose newest message is a customer's, longest
waiting first, with the waiting time in the date column."""

from __future__ import annotations

from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from tests.tui.conftest import DEMO_NOW, AppFactory, main_screen, settle
from tests.tui.fakes import FakeService


async def test_awaiting_view_longest_first(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        threads = screen.thread_list
        total = threads.count
        await pilot.press("w")
        await settle(pilot)
        assert threads.thread_query.awaiting
        assert screen.status.view == "awaiting"
        assert 0 < threads.count < total
        rows = [threads.summary_at(i) for i in range(threads.count)]
        since = [r.waiting_since for r in rows if r is not None]
        assert len(since) == threads.count and since == sorted(since)  # type: ignore[type-var]
        await pilot.press("a")
        assert not threads.thread_query.awaiting and threads.count == total


async def test_awaiting_view_on_the_demo_mailbox(demo_app: SupportMailApp) -> None:
    service = demo_app.service
    assert isinstance(service, Service)
    expected = service.answers.waiting()
    async with demo_app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        await pilot.press("w")
        await settle(pilot)
        threads = screen.thread_list
        assert threads.count == len(expected) > 0
        first = threads.summary_at(0)
        assert first is not None and first.id == expected[0].thread_id
        line = threads.render_line(0).text
        days = (DEMO_NOW - expected[0].since).days
        assert f"{days}d" in line  # the waiting time, not the date


async def test_report_screen_toggles_first_reply_times(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    from textual.content import Content

    from supportmail.storage.dates import format_duration
    from supportmail.tui.screens.report import ReportScreen

    expected = demo_service.answers.responses(by="week")
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("I")
        await settle(pilot)
        screen = demo_app.screen
        assert isinstance(screen, ReportScreen)
        await pilot.press("r")
        await settle(pilot)
        assert screen.replies is not None and screen.state.replies
        table = screen.table
        ids = [table.get_option_at_index(i).id for i in range(table.option_count)]
        assert ids == ["(all threads)", *(t.tag for t in expected.tags)]
        first = table.get_option_at_index(0).prompt
        assert isinstance(first, Content)
        assert format_duration(expected.total.first_reply_median_s) in first.plain
        table.highlighted = 0
        await pilot.press("down", "enter")  # the first tag's threads in the main list
        await settle(pilot)
        main = main_screen(demo_app)
        assert demo_app.screen is main
        assert main.thread_list.thread_query.tags == (expected.tags[0].tag,)
        await pilot.press("I")  # opens as it was left: first replies
        await settle(pilot)
        again = demo_app.screen
        assert isinstance(again, ReportScreen) and again.replies is not None
        await pilot.press("r")
        await settle(pilot)
        assert again.report is not None and again.replies is None
