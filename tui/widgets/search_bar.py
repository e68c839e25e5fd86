"""The search field above the thread list: results follow the typing; escape clears it."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input


class SearchBar(Input):
    """Search over subject, people and fetched bodies (the service decides how)."""

    HELP = (
        "Search: results update as you type (the local cache: subjects, people, mirrored "
        "bodies); enter goes back to the list, escape clears. The server-search key (S in the "
        "list, ctrl+s here, by default) runs the same words on the server."
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Clear the search", show=False),
    ]

    class Cancelled(Message):
        """The user cleared the search with escape."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="search subject, people, text", id=id)

    def action_cancel(self) -> None:
        self.value = ""
        self.post_message(self.Cancelled())
