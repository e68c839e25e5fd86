"""Hostile mail text through every pane: no markup parsed, no action run, no ESC to the terminal."""

from __future__ import annotations

from textual.markup import MarkupError

from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.fakes import HOSTILE_SUBJECTS, FakeService
from tests.tui.screen_text import raw_escapes, screen_ansi, screen_text


async def test_hostile_subjects_render_literally_everywhere(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        for index in range(len(HOSTILE_SUBJECTS)):
            screen.thread_list.cursor_to(index)
            await pilot.press("enter")
            await settle(pilot)
            await pilot.press("escape", "t")  # the picker shows the thread's tags too
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
            assert app.is_running  # [@click=app.quit] did not quit
            text = screen_text(app)
            assert "\x1b" not in text
            assert not raw_escapes(screen_ansi(app))
        text = screen_text(app)
        assert "[bold]x[/] not bold" in text
        assert "[@click=app.quit]" in text
        assert "␛[2J" in text  # the ESC shows as a visible symbol, not acted on
        assert "closing [/] and [/foo] tags" in text or "closing [/] and [/foo]" in text


async def test_hostile_tag_and_note_text(make_app: AppFactory, service: FakeService) -> None:
    service.catalog.append("[@click=app.quit]evil[/]")
    service.note_texts["0000abcd"] = "[/] note \x1b[2J with escape"
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"evil", "enter")
        await settle(pilot)
        assert app.is_running
        assert "[@click=app.quit]evil[/]" in service.threads["0000abcd"].tags
        await settle(pilot)
        text = screen_text(app)
        assert "@click=app.quit]evil" in text
        assert not raw_escapes(screen_ansi(app))
        try:
            await pilot.press("question_mark")
            await settle(pilot)
        except MarkupError as exc:  # pragma: no cover - the failure this test guards against
            raise AssertionError(exc) from exc


def test_the_escape_check_would_catch_a_raw_sequence() -> None:
    assert raw_escapes("\x1b[1;1H\x1b[31mok\x1b[0m\x1b[2J\x1b]0;t\x07") == ["\x1b[2J", "\x1b]0;t"]
