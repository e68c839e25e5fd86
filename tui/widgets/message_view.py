"""The thread view: the selected thread's messages, oldest first, as ``Content`` (never markup).

Each message is one ``Static``: a compact header (sender, date, position, recipients), the body
with the customer's own words in full and quotes, attributions and signatures dimmed (long
quotes folded to one line until ``thread.quotes`` unfolds them), then its attachments with sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual.containers import VerticalScroll
from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from storage.models import Address, MessageView, ThreadDetail
from tui.render import (
    BodyStyles,
    HeaderStyles,
    attachments_content,
    body_content,
    message_header,
    safe,
)


class MessageCard(Static):
    """One message of the thread."""


class ThreadView(VerticalScroll, can_focus=True):
    """Scrollable column of the thread's messages."""

    HELP = (
        "The thread. Messages run oldest to newest. Quoted text, reply headers and signatures "
        "are dimmed; long quotes are folded (the thread.quotes key shows them)."
    )

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "thread-view--title",
        "thread-view--sender",
        "thread-view--team-sender",
        "thread-view--address",
        "thread-view--date",
        "thread-view--meta",
        "thread-view--unread",
        "thread-view--quote",
        "thread-view--attribution",
        "thread-view--signature",
        "thread-view--fold",
        "thread-view--attachment",
        "thread-view--notice",
    }

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        is_team: Callable[[Address], bool],
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._now = now
        self._is_team = is_team
        self.detail: ThreadDetail | None = None
        self.fold_quotes = True

    def _style(self, name: str) -> Style:
        return self.get_visual_style(f"thread-view--{name}", partial=True)

    async def show_notice(self, text: str) -> None:
        """Replace the view with one line of (plain) text, e.g. while loading."""
        self.detail = None
        await self.remove_children()
        await self.mount(Static(Content(text), classes="notice"))

    async def show(self, detail: ThreadDetail) -> None:
        """Show ``detail``; scroll to the top when it is another thread."""
        same = self.detail is not None and self.detail.summary.id == detail.summary.id
        self.detail = detail
        await self.remove_children()
        await self.mount_all(self._cards(detail))
        if not same:
            self.scroll_home(animate=False)

    async def toggle_quotes(self) -> None:
        self.fold_quotes = not self.fold_quotes
        if self.detail is not None:
            await self.show(self.detail)

    def _cards(self, detail: ThreadDetail) -> list[Static]:
        title = Content.assemble(
            (safe(detail.summary.subject) or "(no subject)", self._style("title")),
            (f"  {len(detail.messages)} message{'s' if len(detail.messages) != 1 else ''}",
             self._style("meta")),
        )  # fmt: skip
        cards: list[Static] = [Static(title, classes="thread-title")]
        total = len(detail.messages)
        for index, message in enumerate(detail.messages, 1):
            classes = "message -team" if self._is_team(message.sender) else "message"
            cards.append(MessageCard(self._message(message, index, total), classes=classes))
        return cards

    def _message(self, message: MessageView, index: int, total: int) -> Content:
        team = self._is_team(message.sender)
        header = message_header(
            message,
            now=self._now(),
            index=index,
            total=total,
            styles=HeaderStyles(
                sender=self._style("team-sender" if team else "sender"),
                address=self._style("address"),
                date=self._style("date"),
                meta=self._style("meta"),
                unread=self._style("unread"),
            ),
        )
        if message.body_loaded:
            body = body_content(
                message.text,
                BodyStyles(
                    quote=self._style("quote"),
                    attribution=self._style("attribution"),
                    signature=self._style("signature"),
                    fold=self._style("fold"),
                ),
                fold_quotes=self.fold_quotes,
            )
        else:
            body = Content.assemble(
                ("(body not available: not cached and the server could not be reached)",
                 self._style("notice")),
            )  # fmt: skip
        parts: list[Content] = [header, Content("\n\n"), body]
        if message.attachments:
            parts += [
                Content("\n\n"),
                attachments_content(message.attachments, self._style("attachment")),
            ]
        return Content.assemble(*parts)
