"""Private notes: the side panel's editor saved as it is typed, and ``$EDITOR`` for long ones.

The note editor asks for a save (``save_requested``); ``_save`` (a thread worker:
``service.set_note``) stores the newest text of each note (older versions queued behind are
skipped). A failed save is kept and retried every ``retry_seconds``, and ``flush`` saves what is
left on the UI thread at quit: a note once typed is never lost. ``external`` (``E``) edits the
cursor thread's note in ``$VISUAL``/``$EDITOR`` with the app suspended (``tui.editor``).
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import on, work

from supportmail.tui.controllers.base import Controller, error_text
from supportmail.tui.messages import NoteFailed, NoteStored
from supportmail.tui.render import safe_text

if TYPE_CHECKING:
    from supportmail.tui.main.screen import MainScreen

__all__ = ["NoteController"]


class NoteController(Controller):
    """Saving notes: versions, retries, the flush at quit and the external editor."""

    def __init__(self, main: MainScreen) -> None:
        super().__init__(main)
        self._versions: dict[str, int] = {}
        self._note_lock = threading.Lock()
        self._unsaved: dict[str, str] = {}
        self._edited: dict[str, str] = {}

    def on_mount(self) -> None:
        self.set_interval(self.main.options.retry_seconds, self._retry_unsaved)

    async def edit(self) -> None:
        """Focus the note editor on the cursor's thread (narrow: the thread pane shows). Focused
        now, not after the keys already queued (``focus()`` waits for them): text typed right
        after ``n`` goes into the note, not to the list's keys; while the note still loads, the
        editor keeps that text for this thread's note (``NoteEditor.await_note``)."""
        main = self.main
        current = main.thread_list.current
        if current is None:
            return
        if main.narrow:
            main.add_class("-reading")
        if current.id not in (main.reader.shown, main.reader.want):
            main.reader.schedule(current.id)
        editor = main.note_editor
        if editor.thread_id != current.id:
            editor.load_note(None, "")  # read-only until this thread's note is here
            editor.await_note(current.id)
        main.set_focus(editor)

    def thread_shown(self, thread_id: str, note: str | None) -> None:
        """The thread pane shows ``thread_id`` with its stored ``note``: fill the editor (with
        what is newer: a text saved from ``$EDITOR`` meanwhile, or one not saved yet)."""
        editor = self.main.note_editor
        saved = self._edited.pop(thread_id, note or "")
        text = self._unsaved.get(thread_id, saved)
        if editor.thread_id != thread_id:
            editor.load_note(thread_id, saved)
            if text != saved:
                editor.load_text(text)
        editor.add_typed_ahead(thread_id)

    def save_requested(self, thread_id: str, text: str) -> None:
        version = self._versions.get(thread_id, 0) + 1
        self._versions[thread_id] = version
        self._unsaved[thread_id] = text
        self._save(thread_id, text, version)

    @work(thread=True, group="note", exit_on_error=False)
    def _save(self, thread_id: str, text: str, version: int) -> None:
        with self._note_lock:
            if self._versions.get(thread_id) != version:
                return  # a newer text of this note is queued behind us
            try:
                self.service.set_note(thread_id, text)
            except Exception as exc:  # kept and retried, never lost
                self.post_message(NoteFailed(thread_id, error_text(exc)))
                return
        self.post_message(NoteStored(thread_id, text))

    @on(NoteStored)
    def _stored(self, message: NoteStored) -> None:
        if self._unsaved.get(message.thread_id) == message.text:
            del self._unsaved[message.thread_id]
        self.main.note_editor.mark_saved(message.thread_id, message.text)
        self._show_has_note(message.thread_id, message.text)
        self.hint("note saved (private)")

    @on(NoteFailed)
    def _failed(self, message: NoteFailed) -> None:
        self.hint(f"note not saved yet (will retry): {message.error}")

    def _retry_unsaved(self) -> None:
        for thread_id, text in list(self._unsaved.items()):
            version = self._versions.get(thread_id, 0) + 1
            self._versions[thread_id] = version
            self._save(thread_id, text, version)

    def flush(self) -> str | None:
        """Save every unsaved note now, on the UI thread (at quit). Returns an error or None."""
        editor = self.main.note_editor
        if editor.dirty and editor.thread_id is not None:
            self._unsaved[editor.thread_id] = editor.text
        with self._note_lock:
            for thread_id, text in list(self._unsaved.items()):
                try:
                    self.service.set_note(thread_id, text)
                except Exception as exc:  # the caller keeps the app open
                    return error_text(exc)
                del self._unsaved[thread_id]
                self._versions[thread_id] = self._versions.get(thread_id, 0) + 1
                editor.mark_saved(thread_id, text)
        return None

    def external(self) -> None:
        """Edit the cursor thread's note in ``$VISUAL``/``$EDITOR`` (the app is suspended)."""
        current = self.main.thread_list.current
        if current is None:
            self.hint("no thread to write a note on")
            return
        from supportmail.tui.editor import EditorError, editor_command, run_editor

        error = self.flush()  # the editor must start from what was typed here
        if error is not None:
            self.hint(f"editor not opened, the note is not saved yet: {error}")
            return
        try:
            argv = editor_command(os.environ)
            before = self.service.note(current.id) or ""
            with self._note_lock, self.service.note_file(current.id) as path:
                run_editor(self.app, argv, path)
            after = self.service.note(current.id) or ""
        except EditorError as exc:
            self.hint(str(exc))
            return
        except Exception as exc:  # a service error: one line, nothing lost
            self.hint(f"note not saved from the editor: {error_text(exc)}")
            return
        self._edited_outside(current.id, after)
        self.hint("note saved (private)" if after != before else "note unchanged")

    def _edited_outside(self, thread_id: str, text: str) -> None:
        """Show a note the service saved from ``$EDITOR``; drop older saves still queued."""
        shown = safe_text(text)
        self._versions[thread_id] = self._versions.get(thread_id, 0) + 1
        self._unsaved.pop(thread_id, None)
        editor = self.main.note_editor
        if editor.thread_id == thread_id:
            editor.load_note(thread_id, shown)
        else:
            self._edited[thread_id] = shown
        self._show_has_note(thread_id, text)

    def _show_has_note(self, thread_id: str, text: str) -> None:
        """The list row's note marker follows the note (empty: none)."""
        thread_list = self.main.thread_list
        summary = thread_list.known_summary(thread_id)
        has_note = bool(text.strip())
        if summary is not None and summary.has_note != has_note:
            thread_list.set_override(replace(summary, has_note=has_note))
