"""A one-screen form to edit a catalog tag's description and shortcut, from the tag picker.

``TagEditForm`` is a ``ModalScreen[TagEdit | None]``: enter (in either field) saves, escape
cancels, tab moves between the two fields. The shortcut field takes one digit (empty clears it).
The picker hands the result to the main screen, which saves it in a thread worker
(``Service.tag_catalog.set``) and shares it through the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from supportmail.tui.render import safe

if TYPE_CHECKING:
    from supportmail.storage.models import TagInfo

__all__ = ["TagEdit", "TagEditForm"]

DESCRIPTION_MAX = 300


@dataclass(frozen=True, slots=True)
class TagEdit:
    """What the form returns: the tag and its new description and shortcut ("" clears)."""

    name: str
    description: str
    shortcut: str


class TagEditForm(ModalScreen[TagEdit | None]):
    """Edit one tag's description and shortcut."""

    DEFAULT_CSS = """
    TagEditForm { align: center middle; }
    #tag-edit {
        width: 64; max-width: 100%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    #tag-edit-title, #tag-edit-hint { color: $text-muted; }
    #tag-edit-shortcut { width: 12; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", show=False),
    ]

    def __init__(self, tag: TagInfo) -> None:
        super().__init__()
        self.tag = tag

    def compose(self) -> ComposeResult:
        with Vertical(id="tag-edit"):
            yield Static(Content.assemble("Edit ", safe(self.tag.name)), id="tag-edit-title")
            yield Input(
                self.tag.description or "",
                placeholder="what the tag means",
                max_length=DESCRIPTION_MAX,
                id="tag-edit-description",
            )
            yield Input(
                self.tag.shortcut or "",
                placeholder="key 0-9",
                max_length=1,
                restrict=r"[0-9]?",
                id="tag-edit-shortcut",
            )
            yield Static(
                Content("enter: save (shared with the team) · tab: next field · escape: cancel"),
                id="tag-edit-hint",
            )

    def on_mount(self) -> None:
        self.query_one("#tag-edit-description", Input).focus()

    @on(Input.Submitted)
    def _save(self, _event: Input.Submitted) -> None:
        description = self.query_one("#tag-edit-description", Input).value
        shortcut = self.query_one("#tag-edit-shortcut", Input).value.strip()
        self.dismiss(TagEdit(self.tag.name, " ".join(description.split()), shortcut))

    def action_cancel(self) -> None:
        self.dismiss(None)
