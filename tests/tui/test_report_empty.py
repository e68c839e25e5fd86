"""Pilot: an empty report says why, in the words the CLI uses (``tui.report_words``)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from textual.widgets import Static

from supportmail.keymaps import load_keymap
from supportmail.storage.models import Granularity, Report, TagKind
from supportmail.tui.app import SupportMailApp
from supportmail.tui.report_words import empty_report_reason
from supportmail.tui.screens.report import ReportScreen
from tests.tui.conftest import settle, wait_until
from tests.tui.insight_fakes import InsightFake, hostile_report


class EmptyFake(InsightFake):
    """Reports without tags: ``threads`` threads in the window."""

    def __init__(self, threads: int) -> None:
        super().__init__()
        self.window_threads = threads

    def report(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        by: Granularity = "week",
        kind: TagKind | None = None,
        *,
        raw: bool = False,
    ) -> Report:
        full = hostile_report(by, kind)
        return dataclasses.replace(full, tags=(), threads=self.window_threads)


async def _detail(service: EmptyFake, *keys: str, kind: TagKind | None = None) -> str:
    app = SupportMailApp(service, load_keymap(), now=None, preview_delay=0, search_delay=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("I", *keys)
        await wait_until(pilot, lambda: isinstance(app.screen, ReportScreen), "report open")
        screen = app.screen
        assert isinstance(screen, ReportScreen)
        await wait_until(
            pilot,
            lambda: (
                screen.report is not None
                and screen.report.kind == kind
                and not screen.table.loading
            ),
            "report shown",
        )
        assert screen.report is not None
        detail = str(screen.query_one("#report-detail", Static).render())
        reason = empty_report_reason(screen.report)
        assert detail == reason[:1].upper() + reason[1:] + "."
        return detail


async def test_no_threads_in_the_window() -> None:
    detail = await _detail(EmptyFake(0))
    assert detail.startswith("No threads started in this window (")
    assert detail.endswith("sync, or choose longer periods.")


async def test_threads_but_no_tags() -> None:
    detail = await _detail(EmptyFake(7))
    assert detail == "No tagged threads in this window: none of its 7 threads has a tag yet."


async def test_no_tags_of_the_chosen_kind() -> None:
    detail = await _detail(EmptyFake(1), "t", kind="team")
    assert detail.startswith("No team tags on the 1 thread of this window (")
