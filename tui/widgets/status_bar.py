"""The status bar: account, view, connection state, selected threads, pending tag edits and a
hint, on one line.

Each part takes its style from a component class the stylesheet colours (``status-bar--offline``,
``status-bar--syncing``, ``status-bar--pending``...); every value is plain text rendered as
``Content`` (a folder or error text is never markup).
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.content import Content
from textual.reactive import reactive
from textual.style import Style
from textual.widget import Widget

from supportmail.tui.render import safe

Connection = Literal["online", "offline", "syncing", "local"]


class StatusBar(Widget):
    """One line at the bottom of the main screen."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "status-bar--account",
        "status-bar--view",
        "status-bar--online",
        "status-bar--offline",
        "status-bar--syncing",
        "status-bar--local",
        "status-bar--pending",
        "status-bar--hint",
    }

    account: reactive[str] = reactive("")
    """The account name."""
    view: reactive[str] = reactive("all")
    """What the list shows: ``all``, ``untagged``, ``tag team:billing``, ``search "x"``..."""
    count: reactive[int | None] = reactive[int | None](0)
    """Threads in the view (None: not counted yet)."""
    count_more: reactive[bool] = reactive(False)
    """More than ``count`` threads are in the view (a search still counting); shown as
    ``(1000+)``. A new ``count`` clears it."""
    connection: reactive[Connection] = reactive[Connection]("online")
    """``online``, ``offline``, ``syncing`` or ``local`` (the demo: nothing to sync)."""
    progress: reactive[str] = reactive("")
    """Sync progress, e.g. ``INBOX 1200/5000``."""
    pending: reactive[int] = reactive(0)
    """Tag edits not yet on the server."""
    unsent: reactive[int] = reactive(0)
    """Replies and forwards the SMTP server has not accepted yet (the next sync retries)."""
    selected: reactive[int] = reactive(0)
    """Threads selected in the list (for a bulk edit)."""
    hint: reactive[str] = reactive("")
    """The last thing that happened, or how to get help."""

    def _style(self, name: str) -> Style:
        # A partial style drops an opaque background, which the account badge needs.
        return self.get_visual_style(f"status-bar--{name}", partial=name != "account")

    def watch_count(self) -> None:
        self.count_more = False

    def _count_text(self) -> str:
        return f"{self.count}+" if self.count_more else str(self.count)

    def render(self) -> Content:
        state = self.connection
        if state == "syncing" and self.progress:
            state_text = f"syncing {safe(self.progress)}"
        elif state == "local":
            state_text = "demo · tags stay local"
        else:
            state_text = state
        parts: list[tuple[str, Style] | str] = [
            (f" {safe(self.account)} ", self._style("account")),
            " ",
            (
                safe(self.view)
                if self.count is None
                else f"{safe(self.view)} ({self._count_text()})",
                self._style("view"),
            ),
            " · ",
            (state_text, self._style(self.connection)),
        ]
        if self.selected:
            parts += [" · ", (f"{self.selected} selected", self._style("view"))]
        if self.pending:
            parts += [" · ", (f"{self.pending} pending", self._style("pending"))]
        if self.unsent:
            parts += [" · ", (f"{self.unsent} unsent", self._style("pending"))]
        if self.hint:
            parts += [" · ", (safe(self.hint), self._style("hint"))]
        return Content.assemble(*parts)
