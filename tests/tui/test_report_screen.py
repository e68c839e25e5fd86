"""Pilot: the report screen, on the real demo service (the billing/bug spike of the last week)
and on ``InsightFake`` (hostile tag names, a slow report, a failing one)."""

from __future__ import annotations

import threading

from textual.content import Content
from textual.pilot import Pilot

from supportmail.storage.models import ThreadQuery
from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from supportmail.tui.main.screen import MainScreen
from supportmail.tui.render_insight import SPARK_BLOCKS, InsightStyles, sparkline, spike_label
from supportmail.tui.screens.report import ReportScreen
from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.insight_fakes import ACTION_TAG, ESC_TAG, MARKUP_TAG, InsightFake
from tests.tui.screen_text import raw_escapes, screen_ansi, screen_text


async def _open_report(pilot: Pilot[object], app: SupportMailApp) -> ReportScreen:
    await settle(pilot)
    await pilot.press("I")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ReportScreen)
    assert not screen.table.loading
    return screen


def _rows(screen: ReportScreen) -> dict[str, str]:
    """Tag -> the row as shown (plain text)."""
    table = screen.table
    rows = {}
    for index in range(table.option_count):
        option = table.get_option_at_index(index)
        assert isinstance(option.prompt, Content)
        assert option.id is not None
        rows[option.id] = option.prompt.plain
    return rows


def _highlight(screen: ReportScreen, tag: str) -> None:
    report = screen.report
    assert report is not None
    screen.table.highlighted = [t.tag for t in report.tags].index(tag)


async def test_demo_report_flags_the_bug_and_billing_spike(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    expected = demo_service.report()
    async with demo_app.run_test(size=(160, 48)) as pilot:
        screen = await _open_report(pilot, demo_app)
        rows = _rows(screen)
        assert list(rows) == [t.tag for t in expected.tags]
        bug = next(t for t in expected.tags if t.tag == "category:bug")
        assert bug.spike is not None
        assert (
            f"SPIKE {bug.spike.latest} vs {bug.spike.baseline:.1f}/wk p<0.001"
            in rows["category:bug"]
        )
        assert "SPIKE" in rows["team:billing"]
        assert "SPIKE" not in rows["team:editor"]
        for tag in expected.tags:  # threads, customers, companies, the trend
            row = rows[tag.tag]
            assert f"{tag.threads:>10}{tag.customers:>10}{tag.companies:>10}" in row
            assert (tag.trend or "") in row
        sparks = rows["category:bug"].split()[4]
        assert len(sparks) == len(bug.periods) and set(sparks) <= set(SPARK_BLOCKS)
        assert sparks[-2] == "█"  # the busiest week: last week, when the spike began
        text = screen_text(demo_app)
        assert "category:bug" in text and "SPIKE 9 vs 1.1/wk p<0.001" in text
        _highlight(screen, "category:bug")
        await settle(pilot)
        detail = str(screen.query_one("#report-detail").render())
        assert "this week so far: 9 vs 1.12/wk" in detail and "a SPIKE" in detail


async def test_period_and_kind_keys_recompute(demo_app: SupportMailApp) -> None:
    async with demo_app.run_test(size=(160, 48)) as pilot:
        screen = await _open_report(pilot, demo_app)
        await pilot.press("m")
        await settle(pilot)
        assert screen.report is not None and screen.report.by == "month"
        assert "by month" in str(screen.query_one("#report-title").render())
        await pilot.press("c")
        await settle(pilot)
        assert screen.report.kind == "category"
        assert _rows(screen) and all(t.startswith("category:") for t in _rows(screen))
        await pilot.press("t")
        await settle(pilot)
        assert all(t.startswith("team:") for t in _rows(screen))
        await pilot.press("l", "d")
        await settle(pilot)
        assert screen.report.by == "day" and screen.report.kind == "label"
        assert not any(":" in t for t in _rows(screen))
        await pilot.press("a", "w")
        await settle(pilot)
        assert screen.report.kind is None and screen.report.by == "week"
        # closing and opening again keeps the choices (the main screen keeps the state)
        await pilot.press("c", "escape")
        await settle(pilot)
        assert isinstance(demo_app.screen, MainScreen)
        screen = await _open_report(pilot, demo_app)
        assert screen.report is not None and screen.report.kind == "category"


async def test_enter_lists_the_tag_threads_in_the_main_screen(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    expected = demo_service.count_threads(ThreadQuery(tags=("category:bug",)))
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"invoice", "enter")  # a search must not narrow the tag view
        await settle(pilot)
        screen = await _open_report(pilot, demo_app)
        _highlight(screen, "category:bug")
        await pilot.press("enter")
        await settle(pilot)
        main = main_screen(demo_app)
        assert demo_app.screen is main
        assert main.views.view == "tag" and main.views.view_tag == "category:bug"
        assert main.thread_list.count == expected
        assert main.status.view == "tag category:bug"
        assert main.search_bar.value == ""
        current = main.thread_list.current
        assert current is not None and "category:bug" in current.tags


async def test_movement_follows_the_key_map(make_app: AppFactory) -> None:
    app = make_app("vim", service=InsightFake())
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open_report(pilot, app)
        assert screen.table.highlighted == 0
        await pilot.press("G")  # vim's thread.last
        assert screen.table.highlighted == 2
        await pilot.press("g", "j")
        assert screen.table.highlighted == 1
    app = make_app("emacs", service=InsightFake())
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open_report(pilot, app)
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+p")
        assert screen.table.highlighted == 1
        await pilot.press("q")
        assert isinstance(app.screen, MainScreen)


async def test_report_is_computed_in_a_worker_behind_a_loading_indicator(
    make_app: AppFactory,
) -> None:
    service = InsightFake()
    gate = service.report_gate = threading.Event()
    app = make_app(service=service)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("I")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        assert screen.table.loading and screen.report is None
        assert "computing" in str(screen.query_one("#report-title").render())
        await pilot.press("m")  # the UI answers while the worker waits
        assert screen.state.by == "month"
        gate.set()
        await settle(pilot)
        assert not screen.table.loading
        assert screen.report is not None and screen.report.by == "month"
        assert service.called("report")[-1] == ("month", None)


async def test_hostile_tag_names_render_literally(make_app: AppFactory) -> None:
    app = make_app(service=InsightFake())
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open_report(pilot, app)
        rows = _rows(screen)
        assert "SPIKE 11 vs 0.8/wk p<0.001" in rows[ESC_TAG]
        assert app.is_running  # [@click=app.quit] ran nothing
        text = screen_text(app)
        assert "\x1b" not in text and "␛[2Jwipe" in text
        assert MARKUP_TAG in text and ACTION_TAG in text
        assert not raw_escapes(screen_ansi(app))
        for tag in (ESC_TAG, MARKUP_TAG, ACTION_TAG):
            _highlight(screen, tag)
            await settle(pilot)
            assert not raw_escapes(screen_ansi(app))
        assert app.is_running


async def test_demo_tags_with_markup_in_their_names(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    thread = demo_service.list_threads()[0]
    demo_service.edit_tags(thread.id, ["[bold]x[/]", "category:[@click=app.quit]q[/]"])
    async with demo_app.run_test(size=(160, 48)) as pilot:
        screen = await _open_report(pilot, demo_app)
        rows = _rows(screen)
        assert "[bold]x[/]" in rows and "category:[@click=app.quit]q[/]" in rows
        await pilot.press("end")
        await settle(pilot)
        assert demo_app.is_running
        assert "[bold]x[/]" in screen_text(demo_app)


async def test_a_failing_report_is_one_line_not_a_crash(make_app: AppFactory) -> None:
    service = InsightFake()
    service.fail_report = True
    app = make_app(service=service)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_report(pilot, app)
        assert screen.report is None and screen.table.option_count == 0
        assert "could not make the report" in str(screen.query_one("#report-title").render())
        assert "broken[/]" in screen_text(app)
        assert not raw_escapes(screen_ansi(app))
        await pilot.press("enter", "escape")
        assert isinstance(app.screen, MainScreen)


async def test_report_and_skim_are_in_help_and_palette(make_app: AppFactory) -> None:
    from supportmail.tui.commands import ActionCommands

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        entries = {e.binding_id: e for e in main_screen(app).help_entries()}
        assert entries["report.open"].keys and entries["view.skim"].keys
        titles = {c.help: c.title for c in ActionCommands(main_screen(app))._commands()}
        assert titles["report.open"].endswith(" (I)")
        assert titles["view.skim"].endswith(" (M)")


def test_sparkline_and_spike_label() -> None:
    styles = InsightStyles()
    line = sparkline([0, 1, 2, 4, 8], [False] * 4 + [True], styles, width=7)
    assert line.plain == "  ▁▂▃▅█"
    assert sparkline([0, 0], [False, False], styles).plain == "▁▁"
    assert spike_label(None, "week") == ""
