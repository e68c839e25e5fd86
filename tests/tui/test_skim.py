"""Pilot: the morning skim view, on the real demo service and on ``InsightFake`` (hostile text,
a slow digest, a failing save of the skim moment)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from textual.content import Content
from textual.pilot import Pilot

from supportmail.storage.models import ThreadQuery
from supportmail.storage.service import Service, ServiceError
from supportmail.tui.app import SupportMailApp
from supportmail.tui.main.screen import MainScreen
from supportmail.tui.screens.skim import SkimScreen
from tests.tui.conftest import DEMO_NOW, AppFactory, main_screen, settle
from tests.tui.insight_fakes import InsightFake
from tests.tui.screen_text import raw_escapes, screen_ansi, screen_text


async def _open_skim(pilot: Pilot[object], app: SupportMailApp) -> SkimScreen:
    await settle(pilot)
    await pilot.press("M")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, SkimScreen)
    assert not screen.items.loading
    return screen


def _prompts(screen: SkimScreen) -> list[tuple[str | None, bool, str]]:
    """(option id, disabled, plain text) of every row; separators left out."""
    items = screen.items
    out = []
    for index in range(items.option_count):
        option = items.get_option_at_index(index)
        assert isinstance(option.prompt, Content)
        out.append((option.id, option.disabled, option.prompt.plain))
    return out


def _highlight_thread(screen: SkimScreen, thread_id: str) -> None:
    ids = [option_id for option_id, _, _ in _prompts(screen)]
    screen.items.highlighted = next(
        i for i, option_id in enumerate(ids) if option_id and option_id.endswith(":" + thread_id)
    )


async def test_demo_skim_groups_by_category_with_the_customer_words_first(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    expected = demo_service.skim(remember=False)
    assert expected.threads > 0 and demo_service.last_skim() is None
    async with demo_app.run_test(size=(160, 48)) as pilot:
        screen = await _open_skim(pilot, demo_app)
        rows = _prompts(screen)
        headings = [text for _, disabled, text in rows if disabled]
        assert len(headings) == len(expected.groups)
        for heading, group in zip(headings, expected.groups, strict=True):
            name = (group.category or "not categorised").removeprefix("category:")
            assert name in heading and f"{len(group.items)} thread" in heading
        items = [(option_id, text) for option_id, disabled, text in rows if not disabled]
        flat = [item for group in expected.groups for item in group.items]
        assert [option_id.split(":", 1)[1] for option_id, _ in items if option_id] == [
            item.thread_id for item in flat
        ]
        for (_, text), item in zip(items, flat, strict=True):
            words, meta = text.split("\n", 1)
            if item.text:
                assert words == f"“{item.text}”"  # the customer's own words come first
            assert item.subject in meta
        for group in expected.groups:  # newest first within a category
            dates = [item.date for item in group.items]
            assert dates == sorted(dates, reverse=True)
        assert screen.items.highlighted == 1  # the first thread, not the heading
        assert "first skim: the last 24 hours" in screen_text(demo_app)
        assert demo_service.last_skim() is None  # nothing remembered while reading


async def test_enter_opens_the_thread_and_the_skim_resumes(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    unread = demo_service.count_threads(ThreadQuery(unread=True))
    digest = demo_service.skim(remember=False)
    # a billing bug: it has a team and a category, so the untagged view hides it
    target = next(
        item for group in digest.groups for item in group.items if "team:billing" in item.tags
    )
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("u")  # the untagged view
        screen = await _open_skim(pilot, demo_app)
        _highlight_thread(screen, target.thread_id)
        highlighted = screen.items.highlighted
        await pilot.press("enter")
        await settle(pilot)
        main = main_screen(demo_app)
        assert demo_app.screen is main
        assert main.views.view == "all"  # switched: the untagged view hid the thread
        current = main.thread_list.current
        assert current is not None and current.id == target.thread_id
        detail = main.message_view.detail
        assert detail is not None and detail.summary.id == target.thread_id
        assert "M goes back to the skim" in main.status.hint
        assert demo_service.last_skim() is None
        await pilot.press("M")
        await settle(pilot)
        again = demo_app.screen
        assert isinstance(again, SkimScreen)
        assert again.items.highlighted == highlighted  # resumed where it was left
        assert again.session is not None and again.session.digest == screen.session.digest  # type: ignore[union-attr]
    # reading through the skim marked nothing read
    assert demo_service.count_threads(ThreadQuery(unread=True)) == unread


async def test_escape_remembers_the_moment_of_the_digest(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    async with demo_app.run_test(size=(160, 48)) as pilot:
        screen = await _open_skim(pilot, demo_app)
        assert screen.session is not None
        until = screen.session.digest.until
        await pilot.press("escape")
        await settle(pilot)
        main = main_screen(demo_app)
        assert demo_app.screen is main
        assert demo_service.last_skim() == until == DEMO_NOW
        assert main.views.skim_session is None
        assert main.status.hint == "skim done: the next one starts from here"
        screen = await _open_skim(pilot, demo_app)  # a new skim: nothing new since then
        assert screen.session is not None and screen.session.digest.threads == 0
        assert "Nothing new from customers" in screen_text(demo_app)
        assert "your last skim" in screen_text(demo_app)
        await pilot.press("q")
        await settle(pilot)
        assert demo_app.screen is main


async def test_demo_hostile_threads_render_safely_in_the_skim(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    demo_service.remember_skim(DEMO_NOW - timedelta(days=400))  # skim the whole mailbox
    hostile = [
        s.id
        for s in demo_service.list_threads()
        if "[bold]Rich markup[/bold]" in s.subject or "wiped my terminal" in s.subject
    ]
    assert hostile
    async with demo_app.run_test(size=(160, 48)) as pilot:
        screen = await _open_skim(pilot, demo_app)
        for thread_id in hostile:
            _highlight_thread(screen, thread_id)
            await settle(pilot)
            assert demo_app.is_running
            text = screen_text(demo_app)
            assert "\x1b" not in text
            assert not raw_escapes(screen_ansi(demo_app))
        assert "[bold]Rich markup[/bold]" in "\n".join(text for _, _, text in _prompts(screen))


async def test_hostile_digest_text_renders_literally(make_app: AppFactory) -> None:
    app = make_app(service=InsightFake())
    async with app.run_test(size=(160, 48)) as pilot:
        await _open_skim(pilot, app)
        assert app.is_running
        text = screen_text(app)
        assert "loud[/]" in text  # the category heading
        assert "[@click=app.quit]Eve[/]" in text
        assert "[bold]x[/] ␛[31mred␛[0m subject" in text
        assert "please [/] help" in text
        assert "(not in the cache yet)" in text and "follow-up" in text
        assert "\x1b" not in text
        assert not raw_escapes(screen_ansi(app))


async def test_digest_is_made_in_a_worker_and_escape_while_loading_remembers_nothing(
    make_app: AppFactory,
) -> None:
    service = InsightFake()
    gate = service.skim_gate = threading.Event()
    app = make_app(service=service)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SkimScreen)
        assert screen.items.loading and screen.session is None
        await pilot.press("escape")  # leaving before anything was shown
        await pilot.pause()
        assert isinstance(app.screen, MainScreen)
        gate.set()
        await settle(pilot)
        assert service.called("remember_skim") == []
        assert service.called("skim") == [False]
        assert service.skimmed is None


async def test_a_failed_save_keeps_the_skim_to_retry(make_app: AppFactory) -> None:
    service = InsightFake()
    service.fail_remember = True
    app = make_app(service=service)
    async with app.run_test(size=(160, 48)) as pilot:
        await _open_skim(pilot, app)
        await pilot.press("escape")
        await settle(pilot)
        main = main_screen(app)
        assert app.screen is main
        assert "skim not remembered" in main.status.hint and main.views.skim_session is not None
        service.fail_remember = False
        await _open_skim(pilot, app)
        await pilot.press("escape")
        await settle(pilot)
        assert service.skimmed is not None and main.views.skim_session is None
        assert service.called("skim") == [False]  # the digest was made once


def test_remember_skim_never_moves_back_and_needs_a_time_zone(demo_service: Service) -> None:
    demo_service.remember_skim(DEMO_NOW)
    demo_service.remember_skim(DEMO_NOW - timedelta(hours=1))  # an older session ends later
    assert demo_service.last_skim() == DEMO_NOW
    with pytest.raises(ServiceError):
        demo_service.remember_skim(DEMO_NOW.replace(tzinfo=None))
    later = demo_service.skim(remember=False)
    assert later.since == DEMO_NOW and later.threads == 0
