"""Pilot, end to end: the app over the real ``Service`` and the bundled demo mailbox.

This is what ``supportmail demo`` runs (``Service.open_demo`` with the demo's fixed clock), so
these tests cover the real cache, threading, search, tag and note storage under the UI. Every
assertion about stored state asks the service, after waiting for the workers (never a sleep).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from textual.pilot import Pilot

from supportmail.storage.models import ThreadQuery, ThreadSummary
from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from supportmail.tui.widgets.message_view import MessageCard
from tests.tui.conftest import main_screen, settle
from tests.tui.screen_text import raw_escapes, screen_ansi, screen_text

DEMO_THREADS = 345


def _index(service: Service, wanted: Callable[[ThreadSummary], bool]) -> int:
    """Position in the "all" view of the first thread ``wanted`` accepts."""
    return next(i for i, s in enumerate(service.list_threads()) if wanted(s))


async def _open(pilot: Pilot[object], app: SupportMailApp, index: int) -> ThreadSummary:
    screen = main_screen(app)
    screen.thread_list.cursor_to(index)
    await pilot.press("enter")
    await settle(pilot)
    current = screen.thread_list.current
    assert current is not None
    detail = screen.message_view.detail
    assert detail is not None and detail.summary.id == current.id
    return current


def _cards_text(app: SupportMailApp) -> str:
    return "\n".join(str(card.render()) for card in main_screen(app).query(MessageCard))


async def test_all_and_untagged_views_count_like_the_service(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        assert screen.thread_list.count == DEMO_THREADS
        assert screen.status.count == DEMO_THREADS
        assert screen.status.view == "all"
        await pilot.press("u")
        await settle(pilot)
        untagged = demo_service.count_threads(ThreadQuery(untagged=True))
        assert 0 < untagged < DEMO_THREADS
        assert screen.thread_list.count == untagged
        assert screen.status.count == untagged
        assert screen.status.view == "untagged"
        await pilot.press("a")
        assert screen.thread_list.count == DEMO_THREADS


async def test_german_and_chinese_threads_render(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    chinese = _index(demo_service, lambda s: bool(re.search(r"[\u4e00-\u9fff]", s.subject)))
    german = _index(demo_service, lambda s: bool(re.search(r"[äöüß]", s.subject)))
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        for index in (chinese, german):
            summary = await _open(pilot, demo_app, index)
            first_line = demo_service.thread(summary.id).messages[0].text.split("\n")[0]
            assert first_line and first_line in _cards_text(demo_app)
            assert summary.subject[:4] in screen_text(demo_app)


async def test_digit_tags_the_thread_and_undo_removes_it(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        thread = screen.thread_list.current
        assert thread is not None
        digit, tag = next(
            (t.shortcut, t.name)
            for t in demo_service.tags()
            if t.shortcut and t.name not in thread.tags
        )
        await pilot.press(digit)
        await settle(pilot)
        assert tag in demo_service.thread(thread.id).summary.tags
        assert tag in screen.thread_list.current.tags  # type: ignore[union-attr]
        await pilot.press("z")
        await settle(pilot)
        assert tag not in demo_service.thread(thread.id).summary.tags
        assert demo_service.thread(thread.id).summary.tags == thread.tags


async def test_note_typed_in_the_side_panel_is_saved(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    index = _index(demo_service, lambda s: not s.has_note)
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        screen.thread_list.cursor_to(index)
        await settle(pilot)
        thread = screen.thread_list.current
        assert thread is not None and demo_service.note(thread.id) is None
        await pilot.press("n", *"Refund promised, Müller 王", "enter", *"second line")
        await pilot.press("escape")  # leaving the editor saves
        await settle(pilot)
        assert demo_service.note(thread.id) == "Refund promised, Müller 王\nsecond line"
        assert screen.thread_list.current.has_note  # type: ignore[union-attr]


async def test_mark_read_and_unread_reach_the_cache(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    def stored(thread_id: str) -> ThreadSummary:
        return next(s for s in demo_service.list_threads() if s.id == thread_id)

    unread_before = demo_service.count_threads(ThreadQuery(unread=True))
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        await pilot.press("enter")  # reading alone never marks anything read
        await settle(pilot)
        thread = screen.thread_list.current
        assert thread is not None and stored(thread.id).unread > 0
        await pilot.press("r")
        assert screen.thread_list.current.unread == 0  # type: ignore[union-attr]
        await settle(pilot)
        assert stored(thread.id).unread == 0
        assert demo_service.count_threads(ThreadQuery(unread=True)) == unread_before - 1
        await pilot.press("R")
        await settle(pilot)
        assert stored(thread.id).unread == thread.messages


async def test_search_narrows_the_list(demo_app: SupportMailApp, demo_service: Service) -> None:
    expected = demo_service.count_threads(ThreadQuery(search="invoice"))
    assert 0 < expected < DEMO_THREADS
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        await pilot.press("slash", *"invoice", "enter")
        await settle(pilot)
        assert screen.thread_list.count == expected
        assert screen.status.view == 'all · search "invoice"'
        assert screen.thread_list.current is not None


async def test_hostile_demo_threads_open_safely(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    markup = _index(demo_service, lambda s: "[bold]Rich markup[/bold]" in s.subject)
    escapes = _index(demo_service, lambda s: "wiped my terminal" in s.subject)
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await _open(pilot, demo_app, markup)
        assert demo_app.is_running
        shown = _cards_text(demo_app)
        assert "[bold]Rich markup[/bold]" in shown and "[@click=app.quit]this[/]" in shown
        assert "[/]" in screen_text(demo_app)
        await _open(pilot, demo_app, escapes)
        assert demo_app.is_running
        text = screen_text(demo_app)
        assert "\x1b" not in text
        assert "␛[2J" in text  # made visible, not acted on
        assert not raw_escapes(screen_ansi(demo_app))
        assert "\x1b" not in demo_app.export_screenshot()
