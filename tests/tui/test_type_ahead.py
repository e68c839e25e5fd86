"""Pilot: keys typed ahead of a focus change go where the focus went (`/` and a word at once).

The terminal delivers `/refund` as seven keys in one read (a fast typist, a paste of keys, tmux
send-keys). Textual hands every one of them to the list before the list's `/` moves the focus,
so without care `r` marked a thread read and `u` switched the view instead of being typed into
the search field (``SupportMailApp._typed_ahead``).

`n` and a word at once: the word goes into the note of the thread `n` was pressed on, also when
that thread's note is still loading (the editor keeps what is typed until the note is there,
then adds it after the note's text), never into another thread's note and never to the list."""

from __future__ import annotations

import threading

import pytest
from textual import events

from supportmail.storage.models import ThreadQuery
from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from supportmail.tui.widgets.search_bar import SearchBar
from tests.tui.conftest import DEMO_NOW, AppFactory, main_screen, settle
from tests.tui.fakes import FakeService

_KEY_NAMES = {"/": "slash", " ": "space", "\n": "enter"}


def _type_at_once(app: object, text: str) -> None:
    """Post every key before the app handles the first, as one terminal read does."""
    for ch in text:
        app.post_message(events.Key(_KEY_NAMES.get(ch, ch), ch))  # type: ignore[attr-defined]


@pytest.mark.parametrize("starting", [False, True], ids=["list-focused", "window-starting"])
async def test_a_word_typed_right_after_slash_goes_into_the_search(
    make_app: AppFactory, service: FakeService, starting: bool
) -> None:
    """`/refund` at once, with the list focused or as the window starts: `/jake` typed as
    `supportmail` starts reaches the app before anything has the focus, and the word went to
    no widget and was lost (only `/` opened the field). Each key now follows the focus, also
    when it is sent on behind a `/` that has not moved the focus yet."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        if starting:
            app.set_focus(None)  # as before the first screen's list takes the focus
            await pilot.pause()
        _type_at_once(app, "/refund")
        await settle(pilot)
        assert isinstance(app.focused, SearchBar)
        assert screen.search_bar.value == "refund"
        assert not service.called("mark_read")  # `r` reached no list binding
        assert screen.thread_list.thread_query == ThreadQuery(search="refund")


async def test_a_note_typed_right_after_n_goes_into_the_note(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.note_editor.thread_id == "0000abcd"  # its note is loaded
        _type_at_once(app, "nread it")
        await settle(pilot)
        assert app.focused is screen.note_editor
        assert screen.note_editor.text == "read it"
        assert not service.called("mark_read")  # `r` reached no list binding
        await pilot.press("escape")
        await settle(pilot)
        assert service.note_texts["0000abcd"] == "read it"


async def test_a_note_typed_while_it_loads_lands_in_that_threads_note(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("j")
        await settle(pilot)
        service.thread_gate = threading.Event()  # the next thread load waits until set
        _type_at_once(app, "jnsent logs\nread")  # thread 2, which has a note
        await pilot.pause()
        assert app.focused is screen.note_editor
        assert screen.note_editor.read_only  # its note is not there yet: nothing is typed in
        service.thread_gate.set()
        await settle(pilot)
        assert screen.note_editor.thread_id == "0002abcd"
        assert screen.note_editor.text == "Called her on Monday.\nWaiting for logs.sent logs\nread"
        await pilot.press("escape")
        await settle(pilot)
        assert service.note_texts["0002abcd"].endswith("logs.sent logs\nread")
        assert "0001abcd" not in service.note_texts  # the thread shown before kept no text
        assert not service.called("mark_read")


async def test_a_note_typed_ahead_survives_a_restart(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        _type_at_once(demo_app, "jnasked for the export")  # the next thread's note loads
        await settle(pilot)
        thread_id = screen.thread_list.current.id  # type: ignore[union-attr]
        assert screen.note_editor.thread_id == thread_id
        assert screen.note_editor.text.endswith("asked for the export")
        await demo_app.action_quit()  # saves the note
    data_dir = demo_service.data_dir.parent
    demo_service.close()
    again = Service.open_demo(data_dir, now=DEMO_NOW)
    try:
        assert (again.note(thread_id) or "").endswith("asked for the export")
    finally:
        again.close()


async def test_list_keys_typed_while_the_window_starts_still_move_the_cursor(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        app.set_focus(None)
        await pilot.pause()
        _type_at_once(app, "jj")
        await settle(pilot)
        assert screen.thread_list.cursor == 2
