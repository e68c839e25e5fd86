"""Pilot: the note saves itself (pause, leaving, switching, quitting) and never loses text."""

from __future__ import annotations

import pytest

from supportmail.tui.widgets import note_editor
from tests.tui.conftest import AppFactory, main_screen, settle, wait_until
from tests.tui.fakes import FakeService


async def test_note_is_saved_when_leaving_the_editor(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.focused is screen.note_editor
        await pilot.press(*"Refund promised")
        assert service.called("set_note") == []
        await pilot.press("escape")
        await settle(pilot)
        assert app.focused is screen.thread_list
        assert service.note_texts["0000abcd"] == "Refund promised"
        assert screen.thread_list.current.has_note  # type: ignore[union-attr]


async def test_note_is_saved_after_typing_stops(
    make_app: AppFactory, service: FakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(note_editor, "AUTOSAVE_DELAY", 0.01)
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"abc")
        await wait_until(pilot, lambda: service.note_texts.get("0000abcd") == "abc", "the autosave")
        assert app.focused is screen.note_editor  # still typing: no blur was needed
        assert service.note_texts["0000abcd"] == "abc"
        assert not screen.note_editor.dirty


async def test_existing_note_loads_and_edits_keep_it(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("j", "j")  # thread 2 has a note
        await settle(pilot)
        assert screen.note_editor.text.startswith("Called her on Monday.")
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("end", "!", "tab")
        await settle(pilot)
        assert service.note_texts["0002abcd"] == "Called her on Monday.!\nWaiting for logs."


async def test_failed_save_keeps_the_text_and_quit_saves_it(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    original = service.set_note
    failures = {"left": 1}

    def flaky(ref: str, text: str) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise OSError("disk full")
        original(ref, text)

    service.set_note = flaky  # type: ignore[method-assign]
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"keep me", "escape")
        await settle(pilot)
        assert "0000abcd" not in service.note_texts
        assert "disk full" in screen.status.hint
        assert screen.note_editor.dirty  # still unsaved, still in the editor
        await pilot.press("j")  # switch threads: the text must survive
        await settle(pilot)
        await app.action_quit()
    assert service.note_texts["0000abcd"] == "keep me"


async def test_switching_threads_saves_the_note_of_the_old_one(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press(*"first", "tab")  # tab moves focus on (a blur): saved
        await settle(pilot)
        app.set_focus(screen.thread_list)
        await pilot.press("j")
        await settle(pilot)
        assert screen.note_editor.thread_id == "0001abcd"
        assert screen.note_editor.text == ""
        assert service.note_texts["0000abcd"] == "first"


@pytest.mark.parametrize(("how", "saved"), [("n", "oopsok"), ("click", "ok")])
async def test_typing_before_the_thread_loads_goes_into_its_note_only_after_n(
    make_app: AppFactory, service: FakeService, how: str, saved: str
) -> None:
    """After `n` what is typed while the note loads is kept for that thread's note; typed into
    the loading note otherwise (a click focused it), it goes nowhere."""
    import threading

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        service.thread_gate = threading.Event()  # the next thread load hangs until set
        await pilot.press("j")
        if how == "n":
            await pilot.press("n")
        else:
            app.set_focus(screen.note_editor)
        await pilot.press(*"oops")
        assert screen.note_editor.read_only
        assert screen.note_editor.text == ""  # nothing typed in while the note loads
        service.thread_gate.set()
        await settle(pilot)
        assert screen.note_editor.thread_id == "0001abcd"
        assert "0000abcd" not in service.note_texts
        await pilot.press(*"ok", "escape")
        await settle(pilot)
        assert service.note_texts["0001abcd"] == saved
        assert app.screen is screen  # `o` opened no attachments screen


async def test_the_note_editor_joins_the_panel_after_the_first_frame(
    make_app: AppFactory, service: FakeService
) -> None:
    """The editor is mounted just after the first frame, with nobody asking for it, and it
    stays one editor (asking for it again mounts nothing more)."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        screen = main_screen(app)
        await wait_until(pilot, lambda: bool(screen.query(note_editor.NoteEditor)))
        editor = screen.query_one(note_editor.NoteEditor)
        assert screen.note_editor is editor
        assert len(screen.query(note_editor.NoteEditor)) == 1
        await settle(pilot)
        assert screen.note_editor.thread_id == "0000abcd"  # the previewed thread's note


async def test_n_at_once_after_start_writes_into_the_first_threads_note(
    make_app: AppFactory, service: FakeService
) -> None:
    """``n`` and text typed before anything settled (the editor may not be mounted yet): the
    text is the first thread's note."""
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await pilot.press("n", *"first words")
        screen = main_screen(app)
        await wait_until(pilot, lambda: screen.note_editor.text == "first words")
        assert screen.note_editor.thread_id == "0000abcd"
        await pilot.press("escape")
        await settle(pilot)
        assert service.note_texts["0000abcd"] == "first words"
