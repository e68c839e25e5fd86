"""The confirmation of an answer (``ConfirmSend``) and the kinds of answer (``AnswerKind``).

The reply/forward flow itself is ``tui.controllers.answering``: the keys ``reply``,
``reply.all``, ``forward`` of the main screen.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from supportmail.tui.render import safe

__all__ = ["AnswerKind", "ConfirmSend"]

AnswerKind = Literal["reply", "reply_all", "forward"]


class ConfirmSend(ModalScreen[bool]):
    """``Send to ...?``: ``y`` sends, ``n`` or ``escape`` keeps the draft."""

    CSS_PATH = "../styles/modals.tcss"  # loaded with the first modal screen; app-wide rules

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Send", show=False),
        Binding("n,escape", "answer(False)", "Keep as draft", show=False),
    ]

    def __init__(self, recipients: list[str], subject: str) -> None:
        super().__init__()
        self.recipients = recipients
        self.subject = subject

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-send"):
            yield Static(Content(f"Send “{safe(self.subject)}”"), id="confirm-send-subject")
            yield Static(Content("to " + safe(", ".join(self.recipients)) + "?"))
            yield Static(Content("y send  ·  n keep as a draft"), classes="hint")

    def action_answer(self, send: bool) -> None:
        self.dismiss(send)
