"""The side panel: the selected thread's tags, the private note editor and your saved quotes.

The note saves itself, with no save key: ``AUTOSAVE_DELAY`` seconds after typing stops, when the
editor loses focus, and before it switches to another thread. It only *asks* for a save
(``NoteEditor.SaveRequested`` with the thread id and the text at that moment); the main screen
stores it in a worker and answers with ``mark_saved``. Until that answer the text counts as
unsaved, so a failed save is retried on the next pause, blur or switch: typed text is not lost.

While a thread's note is loading the editor is read-only; after ``n`` on that thread
(``await_note``) it keeps what is typed meanwhile and adds it after the note's text once the note
is there (``add_typed_ahead``), so text typed right after ``n`` lands in that thread's note only.

The editor is mounted just after the first frame, or when first asked for (``SidePanel.note``):
it is the costliest widget of the first screen and shows nothing until a thread's note loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.style import Style
from textual.timer import Timer
from textual.widgets import Static, TextArea

from supportmail.tui.render import RowStyles, safe, tag_chip

if TYPE_CHECKING:
    from supportmail.storage.models import SavedQuote, ThreadSummary

QUOTE_CHARS = 70
"""How much of a saved quote the panel shows."""

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

    class SaveRequested(Message):
        """Store ``text`` as the note of ``thread_id``."""

        def __init__(self, thread_id: str, text: str) -> None:
            super().__init__()
            self.thread_id = thread_id
            self.text = text

    class Left(Message):
        """The user left the editor with escape."""

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
            self.post_message(self.SaveRequested(self.thread_id, self.text))

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
        self.post_message(self.Left())


class SidePanel(Vertical):
    """Tags, note and saved quotes of the selected thread."""

    HELP = (
        "The selected thread's tags (↑: not yet on the server), your private note and the "
        "quotes you saved from it ({quote.next} / {quote.prev} pick a paragraph, "
        "{quote.save} keeps it)."
    )

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "side-panel--team",
        "side-panel--category",
        "side-panel--label",
        "side-panel--heading",
        "side-panel--empty",
    }

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._note = NoteEditor(id="note")

    def compose(self) -> ComposeResult:
        yield Static(Content("Tags"), classes="heading")
        yield Static(Content(""), id="tags")
        yield Static(Content("Note · private"), classes="heading", id="note-heading")
        yield Static(Content("Quotes · private"), classes="heading", id="quotes-heading")
        yield Static(Content(""), id="quotes")

    def on_mount(self) -> None:
        # The editor (a TextArea: its CSS, eight component classes, its document) is the
        # costliest widget of the first screen and shows nothing until a thread's note loads:
        # it joins the panel just after the first frame, or as soon as something asks for it.
        self.call_after_refresh(lambda: self.note)

    @property
    def note(self) -> NoteEditor:
        """The note editor, mounted on first use (or just after the first frame)."""
        if self._note.parent is None:
            self.mount(self._note, after="#note-heading")
        return self._note

    def _style(self, name: str) -> Style:
        return self.get_visual_style(f"side-panel--{name}", partial=name == "empty")

    def show_tags(self, summary: ThreadSummary | None) -> None:
        """Show the chips of ``summary``'s tags (full names), pending ones marked."""
        tags = self.query_one("#tags", Static)
        if summary is None:
            tags.update(Content(""))
            return
        if not summary.tags:
            tags.update(Content.assemble(("no tags", self._style("empty"))))
            return
        styles = RowStyles(
            team=self._style("team"), category=self._style("category"), label=self._style("label")
        )
        chips = [
            Content.assemble(
                tag_chip(name, styles, pending=name in summary.pending_tags, full=True)
            )
            for name in summary.tags
        ]
        tags.update(Content("\n").join(chips))

    def show_quotes(self, quotes: Sequence[SavedQuote]) -> None:
        """List the thread's saved quotes (shortened), or hide the section when there are none."""
        lines = []
        for quote in quotes:
            text = safe(quote.text)
            if len(text) > QUOTE_CHARS:
                text = text[: QUOTE_CHARS - 1] + "…"
            who = safe(quote.sender.name or quote.sender.addr)
            lines.append(Content.assemble(f"“{text}”", (f" — {who}", self._style("empty"))))
        self.query_one("#quotes", Static).update(Content("\n").join(lines))
        self.set_class(bool(quotes), "-has-quotes")
