"""Pilot on the demo: the customer day from its start to its summary.

``D`` starts the shift and opens the oldest thread missing a tag; a team and a category tag (by
their digit shortcuts) finish it, which moves the progress and opens the next; ``N`` skips one;
``e`` (or ``q``) ends the day with the summary modal. Stored state is asked of the service.
"""

from __future__ import annotations

from datetime import timedelta

from textual.pilot import Pilot

from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from supportmail.tui.main.screen import MainScreen
from supportmail.tui.screens.day import (
    DaySummaryScreen,
    duration_text,
    progress_bar,
    summary_content,
)
from tests.tui.conftest import main_screen, settle
from tests.tui.screen_text import screen_text


def _keys_for(service: Service, prefix: str) -> list[str]:
    """The keys that add a ``prefix`` tag: its digit, else the tag picker with its name."""
    tags = [t for t in service.tags() if t.name.startswith(prefix)]
    digit = next((t.shortcut for t in tags if t.shortcut), None)
    return [digit] if digit else ["t", *tags[0].name, "enter"]


async def _finish(pilot: Pilot[object], screen: MainScreen, service: Service) -> str:
    """Give the open day thread the team and the category it lacks (a digit for the category,
    the picker for the team: the demo has no team shortcuts); returns its id."""
    current = screen.thread_list.current
    assert current is not None and current.id == screen.day.thread
    tags = current.tags
    for prefix in ("team:", "category:"):
        if not any(t.startswith(prefix) for t in tags):
            await pilot.press(*_keys_for(service, prefix))
            await settle(pilot)
    return current.id


def test_bar_and_duration_texts() -> None:
    assert progress_bar(0, 4, 8) == "░" * 8
    assert progress_bar(2, 4, 8) == "████░░░░"
    assert progress_bar(5, 0, 4) == "░░░░"
    assert duration_text(timedelta(minutes=42, seconds=59)) == "42 min"
    assert duration_text(timedelta(hours=1, minutes=5)) == "1 h 05 min"


async def test_a_customer_day_from_start_to_summary(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        await pilot.press("D")
        await settle(pilot)
        status = demo_service.day_status()
        oldest = demo_service.day_queue()[0]
        assert screen.has_class("-day")
        assert screen.day.thread == oldest.id == status.next_thread_id
        assert screen.message_view.detail is not None
        assert screen.message_view.detail.summary.id == oldest.id
        assert f"0/{status.queue_size} done" in screen_text(demo_app)

        first = await _finish(pilot, screen, demo_service)
        after = demo_service.day_status()
        assert after.done == 1
        assert screen.day_bar.progress == after
        assert screen.day.thread == after.next_thread_id != first
        assert screen.message_view.detail.summary.id == screen.day.thread
        assert f"1/{status.queue_size} done" in screen_text(demo_app)

        skipped = screen.day.thread
        await pilot.press("N")
        await settle(pilot)
        assert demo_service.day_status().skipped == 1
        assert screen.day.thread not in (None, skipped)
        assert screen.message_view.detail.summary.id == screen.day.thread

        second = await _finish(pilot, screen, demo_service)
        assert demo_service.day_status().done == 2

        await pilot.press("q")  # in a day, quit ends the day first
        await settle(pilot)
        assert demo_app.is_running
        modal = demo_app.screen
        assert isinstance(modal, DaySummaryScreen)
        summary = modal.summary
        assert summary.done == 2 and summary.skipped == 1
        assert {first, second} <= {t.id for t in summary.threads}
        assert summary.added_by_kind()["team"] + summary.added_by_kind()["category"] >= 2
        text = screen_text(demo_app)
        assert "Threads handled" in text
        assert "supportmail day --summary --format md" in text
        assert not screen.has_class("-day")
        await pilot.press("escape")
        await settle(pilot)
        assert demo_app.screen is screen


async def test_end_key_and_nothing_to_skip_outside_a_day(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        await pilot.press("N")
        assert "no customer day" in screen.status.hint
        await pilot.press("D")
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(demo_app.screen, DaySummaryScreen)
        assert demo_app.screen.summary.done == 0
        assert str(summary_content(demo_app.screen.summary)).startswith("Customer day")
