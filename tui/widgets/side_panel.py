"""The side panel: the selected thread's tags, the private note editor and your saved quotes.

The note editor (``tui.widgets.note_editor``) is made and mounted just after the first frame, or
when first asked for (``SidePanel.note``): it is the costliest widget of the first screen (a
``TextArea``: its module and document classes, its CSS) and shows nothing until a thread's note
loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from supportmail.tui.render import RowStyles, safe, tag_chip

if TYPE_CHECKING:
    from supportmail.storage.models import SavedQuote, ThreadSummary
    from supportmail.tui.widgets.note_editor import NoteEditor

QUOTE_CHARS = 70
"""How much of a saved quote the panel shows."""


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
        self._note: NoteEditor | None = None

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
        """The note editor, made and mounted on first use (or just after the first frame)."""
        if self._note is None:
            from supportmail.tui.widgets.note_editor import NoteEditor

            self._note = NoteEditor(id="note")
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
