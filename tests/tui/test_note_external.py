"""Pilot: note.external hands the note to $EDITOR (app suspended) and shows what was saved.

The headless test driver cannot suspend, so most tests replace ``App.suspend`` with a no-op
context and let the real ``subprocess.run`` start a small shell script as the editor. One test
keeps the real ``suspend`` to check the headless case is reported, not raised.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from supportmail.tui.editor import EditorError, editor_command
from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.fakes import FakeService


def _script(folder: Path, body: str) -> Path:
    path = folder / "editor.sh"
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def appending_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$EDITOR appends one line to the file it is given ($VISUAL unset)."""
    script = _script(tmp_path, "printf 'added in the editor\\n' >> \"$1\"")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    return script


def _no_suspend(app: SupportMailApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)


async def test_editor_line_is_saved_and_shown(
    make_app: AppFactory,
    service: FakeService,
    appending_editor: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    _no_suspend(app, monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert not screen.thread_list.current.has_note  # type: ignore[union-attr]
        await pilot.press("E")
        await settle(pilot)
        assert service.note_texts["0000abcd"] == "added in the editor"
        assert screen.note_editor.text == "added in the editor"
        assert not screen.note_editor.dirty
        assert screen.thread_list.current.has_note  # type: ignore[union-attr]
        assert screen.status.hint == "note saved (private)"


async def test_text_typed_in_the_panel_goes_to_the_editor_first(
    make_app: AppFactory,
    service: FakeService,
    appending_editor: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    _no_suspend(app, monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("n", *"typed here")
        app.set_focus(screen.thread_list)  # (a blur saves too; E must not depend on it)
        screen.note_editor.load_text("typed here, unsaved")
        await pilot.press("E")
        await settle(pilot)
        assert service.note_texts["0000abcd"] == "typed here, unsaved\nadded in the editor"
        assert screen.note_editor.text == service.note_texts["0000abcd"]


async def test_failing_editor_saves_nothing(
    make_app: AppFactory,
    service: FakeService,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _script(tmp_path, "printf 'half\\n' >> \"$1\"\nexit 3")
    monkeypatch.setenv("VISUAL", f"sh {script}")  # $VISUAL wins, split like a shell would
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    app = make_app()
    _no_suspend(app, monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("j", "j")  # thread 2 has a note
        await settle(pilot)
        before = service.note_texts["0002abcd"]
        await pilot.press("E")
        await settle(pilot)
        assert service.note_texts["0002abcd"] == before
        assert screen.status.hint == "the editor sh exited with status 3: note not changed"
        assert screen.note_editor.text == before


async def test_missing_editor_is_one_line(
    make_app: AppFactory, service: FakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "/nonexistent/editor --wait")
    app = make_app()
    _no_suspend(app, monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        assert main_screen(app).status.hint == (
            "editor not found: /nonexistent/editor (set $EDITOR)"
        )
        assert "0000abcd" not in service.note_texts
        assert app.is_running


async def test_headless_terminal_cannot_suspend(
    make_app: AppFactory, service: FakeService, appending_editor: Path
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        assert "suspend is not supported" in main_screen(app).status.hint
        assert "0000abcd" not in service.note_texts


async def test_real_service_round_trip(
    demo_app: SupportMailApp,
    demo_service: Service,
    appending_editor: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_suspend(demo_app, monkeypatch)
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        thread = screen.thread_list.current
        assert thread is not None
        before = demo_service.note(thread.id)
        await pilot.press("E")
        await settle(pilot)
        expected = "added in the editor" if before is None else f"{before}\nadded in the editor"
        assert demo_service.note(thread.id) == expected
        assert screen.note_editor.text == expected
        assert list(demo_service.data_dir.glob("*.txt")) == []


def test_editor_choice_order() -> None:
    def found(*names: str) -> object:
        return lambda name: f"/usr/bin/{name}" if name in names else None

    assert editor_command({"VISUAL": "code --wait", "EDITOR": "vim"}) == ["code", "--wait"]
    assert editor_command({"VISUAL": "  ", "EDITOR": "'my editor' -n"}) == ["my editor", "-n"]
    assert editor_command({}, found("vi", "nano")) == ["vi"]  # type: ignore[arg-type]
    assert editor_command({}, found("nano")) == ["nano"]  # type: ignore[arg-type]
    with pytest.raises(EditorError, match="no editor found"):
        editor_command({}, found())  # type: ignore[arg-type]
    with pytest.raises(EditorError, match="cannot be split"):
        editor_command({"EDITOR": "vim 'unclosed"})
