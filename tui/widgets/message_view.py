"""The thread view: the selected thread's messages, oldest first, as ``Content`` (never markup).

Each message is one ``Static``: a compact header (sender, date, position, recipients), the body
with the customer's own words in full and quotes, attributions and signatures dimmed (long
quotes folded to one line until ``thread.quotes`` unfolds them), then its attachments with sizes.
The paragraph the quote keys selected (``select_paragraph``) is highlighted in its message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.containers import VerticalScroll
from textual.content import Content
from textual.style import Style
from textual.widgets import Static

from supportmail.tui.render import safe

if TYPE_CHECKING:
    from supportmail.storage.models import Address, MessageView, ThreadDetail


class MessageCard(Static):
    """One message of the thread."""

    def __init__(self, content: Content, message: MessageView, *, classes: str) -> None:
        super().__init__(content, classes=classes)
        self.message = message


def paragraph_span(plain: str, paragraph: str, start: int = 0) -> tuple[int, int] | None:
    """Where ``paragraph`` (its words joined on one line) sits in ``plain`` from ``start`` on
    (wrapped text: any whitespace between the words); None when it is not there."""
    words = paragraph.split()
    if not words:
        return None
    found = re.compile(r"\s+".join(map(re.escape, words))).search(plain, start)
    return None if found is None else found.span()


class ThreadView(VerticalScroll, can_focus=True):
    """Scrollable column of the thread's messages."""

    HELP = (
        "The thread. Messages run oldest to newest. Quoted text, reply headers and signatures "
        "are dimmed; long quotes are folded ({thread.quotes} shows them)."
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
        "thread-view--selected",
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
        self.selected: tuple[str, str] | None = None
        """The highlighted paragraph: (message id, its text on one line)."""

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
        if not same:
            self.selected = None
        await self.remove_children()
        await self.mount_all(self._cards(detail))
        if not same:
            self.scroll_home(animate=False)

    def select_paragraph(self, message_id: str, text: str) -> bool:
        """Highlight ``text`` in the message ``message_id`` and scroll to it; False when that
        message is not shown (then nothing is highlighted)."""
        self.selected = (message_id, text)
        shown = False
        for card in self.query(MessageCard):
            card.update(self._message(card.message))
            if card.message.message_id == message_id:
                self.scroll_to_widget(card, animate=False, top=True)
                shown = True
        return shown

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
        for message in detail.messages:
            classes = "message -team" if self._is_team(message.sender) else "message"
            content = self._message(message)
            cards.append(MessageCard(content, message, classes=classes))
        return cards

    def _message(self, message: MessageView) -> Content:
        detail = self.detail
        messages = detail.messages if detail is not None else (message,)
        index = next((i for i, m in enumerate(messages, 1) if m is message), 1)
        content = self._plain_message(message, index, len(messages))
        if self.selected is None or self.selected[0] != message.message_id:
            return content
        body_start = content.plain.find("\n\n")  # after the header
        span = paragraph_span(content.plain, self.selected[1], max(body_start, 0))
        if span is None:
            return content
        return content.stylize(self._style("selected"), *span)

    def _plain_message(self, message: MessageView, index: int, total: int) -> Content:
        # Imported with the first message shown, after the first frame (its patterns and
        # dataclasses are start-up time the thread list does not need).
        from supportmail.tui.render_body import (
            BodyStyles,
            HeaderStyles,
            attachments_content,
            body_content,
            message_header,
        )

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
