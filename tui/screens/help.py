"""The help screen: the keys actually in force, read from the active bindings, plus pane notes.

``help_entries`` collects the main screen's bindings with the keys the active key map gives them
(``tui.keynames.binding_keys``) into ``HelpEntry`` rows before it pushes this screen, so remapped
keys show as remapped, tag toggles name their tag, and the help can never drift from the key map.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.style import Style
from textual.widgets import Static

from supportmail.keymaps import binding_catalog
from supportmail.tui.keynames import NO_KEY, binding_keys, describe

if TYPE_CHECKING:
    from supportmail.storage.models import TagInfo


@dataclass(frozen=True, slots=True)
class HelpEntry:
    """One action with every key that runs it."""

    binding_id: str
    keys: tuple[str, ...]
    description: str


def help_entries(
    app: App[object], bindings: Iterable[BindingType], catalog: Sequence[TagInfo]
) -> list[HelpEntry]:
    """Every binding's action with its keys in ``app``'s active keymap, in the reference order
    (tag toggles named by ``catalog``)."""
    bound = [b for b in bindings if isinstance(b, Binding)]
    keys = binding_keys(app, bound)
    descriptions = {b.id: describe(b.id, b.description, catalog) for b in bound if b.id}
    order = list(binding_catalog())
    ordered = [i for i in order if i in keys] + sorted(set(keys) - set(order))
    return [HelpEntry(i, keys[i], descriptions[i]) for i in ordered]


def help_content(entries: Sequence[HelpEntry], notes: Sequence[str], keymap_name: str) -> Content:
    """The help text: a key column, the description and (dim, for keymap files) the binding
    id. The pane notes come with their keys already filled in (``tui.keynames.speak``)."""
    width = max((len(", ".join(e.keys) or NO_KEY) for e in entries), default=4)
    lines: list[Content] = [
        Content.assemble((f"Keys in force (keymap: {keymap_name})", Style(bold=True))),
        Content(""),
    ]
    for entry in entries:
        lines.append(
            Content.assemble(
                ((", ".join(entry.keys) or NO_KEY).rjust(width), Style(bold=True)),
                "  ",
                entry.description,
                (f"  {entry.binding_id}", Style(dim=True)),
            )
        )
    if notes:
        lines += [Content(""), Content.assemble(("The panes", Style(bold=True)))]
        for note in notes:
            lines += [Content(""), Content(note)]
    return Content("\n").join(lines)


class HelpScreen(ModalScreen[None]):
    """Active keys and a paragraph per pane; any of escape, q or ? closes it."""

    CSS_PATH = "../styles/modals.tcss"  # loaded with the first modal screen; app-wide rules

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close help", show=False),
    ]

    def __init__(
        self, entries: Sequence[HelpEntry], notes: Sequence[str], keymap_name: str
    ) -> None:
        super().__init__()
        self.entries = list(entries)
        self.notes = list(notes)
        self.keymap_name = keymap_name

    def compose(self) -> ComposeResult:
        with Vertical(id="help"):
            with VerticalScroll(id="help-body"):
                yield Static(help_content(self.entries, self.notes, self.keymap_name))
            yield Static(Content("escape closes"), id="help-hint")

    def action_close(self) -> None:
        self.dismiss(None)
