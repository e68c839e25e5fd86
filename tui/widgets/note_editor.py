"""The private note editor of the side panel (``NoteEditor``, a ``TextArea``).

The note saves itself, with no save key: ``AUTOSAVE_DELAY`` seconds after typing stops, when the
editor loses focus, and before it switches to another thread. It only *asks* for a save
(``NoteSaveRequested`` with the thread id and the text at that moment); the main screen stores it
in a worker and answers with ``mark_saved``. Until that answer the text counts as unsaved, so a
failed save is retried on the next pause, blur or switch: typed text is not lost.

While a thread's note is loading the editor is read-only; after ``n`` on that thread
(``await_note``) it keeps what is typed meanwhile and adds it after the note's text once the note
is there (``add_typed_ahead``), so text typed right after ``n`` lands in that thread's note only.

This module is imported when the side panel first mounts the editor, after the first frame
(``SidePanel.note``); the screen handles its messages, which live in ``tui.messages``.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import TextArea

from supportmail.tui.messages import NoteLeft, NoteSaveRequested

AUTOSAVE_DELAY = 1.0
"""Seconds of quiet after the last keystroke before the note is saved."""


class NoteEditor(TextArea):
    """A multi-line private note for one thread, saved automatically."""

    HELP = (
        "Your private note on this thread: it never leaves this machine. It is saved a moment "
        "after you stop typing and when you leave the editor (escape or {focus.next}). "
        "{note.external} opens it in $VISUAL or $EDITOR instead."
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back to the list", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            "",
            soft_wrap=True,
            tab_behavior="focus",
            show_line_numbers=False,
            placeholder="Private note (saved automatically)",
            read_only=True,  # no thread yet: nothing to type into
            id=id,
        )
        self.thread_id: str | None = None
        self.saved_text = ""
        self._timer: Timer | None = None
        self._awaited: str | None = None
        """The thread whose note is loading after ``n``: what is typed meanwhile is for it."""
        self._held = ""
        """Text typed for ``_awaited`` before its note arrived."""

    @property
    def dirty(self) -> bool:
        return self.thread_id is not None and self.text != self.saved_text

    def load_note(self, thread_id: str | None, text: str) -> None:
        """Show the note of another thread, asking to save the current one first if needed."""
        if thread_id is not None and thread_id != self._awaited:
            self._awaited, self._held = None, ""  # typed for another thread's note: not this one
        if thread_id == self.thread_id and self.dirty:
            return  # the same thread came back (a reload): keep what is being typed
        if thread_id is None and self.thread_id is None and self.read_only and self.text == text:
            return  # already blank and locked: scrolling the list must not redraw the editor
        self.flush()
        self.thread_id = thread_id
        self.saved_text = text
        self.load_text(text)
        self.read_only = thread_id is None

    def await_note(self, thread_id: str) -> None:
        """``n`` on ``thread_id`` before its note is here: keep what is typed until it is."""
        self._awaited, self._held = thread_id, ""

    def add_typed_ahead(self, thread_id: str) -> None:
        """``thread_id``'s note is shown: add what was typed for it meanwhile after its text."""
        if self._awaited != thread_id or self.thread_id != thread_id:
            return
        held, self._awaited, self._held = self._held, None, ""
        if held:
            self.move_cursor(self.document.end)
            self.insert(held, maintain_selection_offset=False)

    def _hold(self, event: events.Key) -> bool:
        """Keep a key typed for the awaited note: text, enter, backspace. True when kept."""
        if event.key == "backspace":
            self._held = self._held[:-1]
        elif event.key == "enter":
            self._held += "\n"
        elif event.is_printable and event.character is not None:
            self._held += event.character
        else:
            return False
        return True

    def flush(self) -> None:
        """Ask for a save now if the text changed."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if self.dirty and self.thread_id is not None:
            self.post_message(NoteSaveRequested(self.thread_id, self.text))

    def mark_saved(self, thread_id: str, text: str) -> None:
        """The main screen stored ``text`` for ``thread_id``."""
        if thread_id == self.thread_id:
            self.saved_text = text

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        if not self.dirty:
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(AUTOSAVE_DELAY, self.flush, name="note-autosave")

    def _on_blur(self, event: events.Blur) -> None:
        self.flush()

    async def _on_key(self, event: events.Key) -> None:
        """While the note is read-only (its thread still loading), typed characters never reach
        the screen, where a letter is a command (``o`` opens the attachments, ``r`` marks read):
        after ``n`` they are kept for the awaited note, else they go nowhere."""
        if self.read_only and self._awaited is not None and self._hold(event):
            event.stop()
            event.prevent_default()
            return
        if self.read_only and event.is_printable:
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)

    def action_leave(self) -> None:
        self.post_message(NoteLeft())
