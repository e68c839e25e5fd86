"""Replying and forwarding from the main screen: the keys ``reply``, ``reply.all``, ``forward``.

One answer, step by step (the UI thread never waits on the network):

1. a thread worker asks ``service.replies.compose_reply`` / ``compose_forward`` (it may read the
   answered message from the server, for its Reply-To and body);
2. on the UI thread, ``$VISUAL``/``$EDITOR`` edits the draft with the app suspended (like
   ``note.external``); a text with nothing written sends nothing; anything else is saved as a
   draft in the outbox before the question;
3. :class:`ConfirmSend` asks ``Send to ...?`` (``y`` sends; ``n``/``escape`` keep the draft);
4. a thread worker queues and sends it. The status bar says what happened and counts the
   messages not sent yet (``N unsent``); every sync retries them. The thread shows the answer
   at once and leaves the awaiting view.

Results come back with ``app.call_from_thread``; errors are one status-bar line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar, Literal

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.logfile import log_failure
from tui.render import safe

if TYPE_CHECKING:
    from storage.replying import Composed, Replies
    from storage.user.mail_outbox import OutboxMail
    from tui.screens.main import MainScreen

AnswerKind = Literal["reply", "reply_all", "forward"]


class ConfirmSend(ModalScreen[bool]):
    """``Send to ...?``: ``y`` sends, ``n`` or ``escape`` keeps the draft."""

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


class Answering:
    """The reply/forward flow of one main screen."""

    def __init__(self, screen: MainScreen) -> None:
        self.screen = screen

    @property
    def _replies(self) -> Replies:
        return self.screen.service.replies

    def _hint(self, text: str) -> None:
        self.screen.status.hint = text

    def _later(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the UI thread (from a worker)."""
        self.screen.app.call_from_thread(callback)

    def refresh_unsent(self) -> None:
        try:
            self.screen.status.unsent = self._replies.unsent()
        except Exception as exc:  # an unreadable outbox: say so, do not crash
            self._hint(f"outbox: {exc}")

    # -- the awaiting view ------------------------------------------------------------------------

    def show_awaiting(self) -> None:
        """Switch to the awaiting view once its list is computed in a worker (a scan of every
        message: ~0.3 s at 50,000), so the page reads on the UI thread find it ready."""
        self._hint("finding the threads that wait for us…")
        self.screen.run_worker(
            self._warm_then_show, thread=True, group="awaiting", exclusive=True, exit_on_error=False
        )

    def warm(self) -> None:
        """In a worker: compute the awaiting list now (after a sync, while the view shows)."""
        try:
            self.screen.service.answers.waiting()
        except Exception as exc:  # the page read reports it again, on the UI thread
            log_failure(str(exc) or type(exc).__name__, exc)

    def _warm_then_show(self) -> None:
        self.warm()
        self._later(self._show_awaiting)

    def _show_awaiting(self) -> None:
        screen = self.screen
        if screen.views.view == "awaiting":
            screen.views.apply()
            self._hint("")

    # -- 1. compose in a worker ------------------------------------------------------------------

    def start(self, kind: AnswerKind) -> None:
        screen = self.screen
        current = screen.thread_list.current
        if current is None:
            self._hint("no thread to answer")
            return
        if screen.service.is_demo or not self._replies.can_send():
            self._hint(
                "this account cannot send: add [accounts.NAME.smtp] to the config "
                "(see docs/answering.md)"
            )
            return
        self._hint("preparing the draft…" if kind != "forward" else "preparing the forward…")
        screen.run_worker(
            partial(self._compose, current.id, kind),
            thread=True,
            group="answer",
            exclusive=True,
            exit_on_error=False,
        )

    def _compose(self, thread_id: str, kind: AnswerKind) -> None:
        try:
            if kind == "forward":
                composed = self._replies.compose_forward(thread_id, "")
            else:
                composed = self._replies.compose_reply(thread_id, reply_all=kind == "reply_all")
        except Exception as exc:
            text = str(exc) or type(exc).__name__
            log_failure(text, exc)
            self._later(lambda: self._hint(f"cannot answer: {text}"))
            return
        self._later(lambda: self._edit(composed))

    # -- 2. the editor, on the UI thread ---------------------------------------------------------

    def _edit(self, composed: Composed) -> None:
        from tui.editor import EditorError, editor_command, run_editor

        replies = self._replies
        try:
            argv = editor_command(os.environ)
            with replies.editing(composed.text) as file:
                run_editor(self.screen.app, argv, file.path)
                text = file.read()
                if not replies.written(composed, text):
                    self._hint("nothing written: not sent")
                    return
                draft = replies.save_draft(composed, text)  # on disk before anything else
        except EditorError as exc:
            self._hint(f"{exc}: not sent")
            return
        except Exception as exc:  # the service could not write: one line
            self._hint(f"not saved: {exc}")
            return
        try:
            recipients = replies.recipients(text)
        except Exception as exc:
            self._hint(f"{exc} (kept as draft {draft.id}: `supportmail drafts`)")
            return
        self.screen.app.push_screen(
            ConfirmSend(recipients, draft.subject),
            lambda send: self._confirmed(bool(send), draft, composed),
        )

    # -- 3./4. confirm and send ------------------------------------------------------------------

    def _confirmed(self, send: bool, draft: OutboxMail, composed: Composed) -> None:
        if not send:
            self._hint(f"kept as draft {draft.id} (send it: supportmail drafts --send {draft.id})")
            return
        self._hint("sending…")
        self.screen.run_worker(
            partial(self._send, draft.id, composed.refs),
            thread=True,
            group="answer-send",
            exit_on_error=False,
        )

    def _send(self, mail_id: str, refs: tuple[str, ...]) -> None:
        try:
            self._replies.queue_draft(mail_id, refs=refs)
            mail = self._replies.send(mail_id)
        except Exception as exc:
            text = str(exc) or type(exc).__name__
            log_failure(text, exc)
            self._later(lambda: self._failed(text))
            return
        self._later(lambda: self._sent(mail))

    def _failed(self, error: str) -> None:
        self._hint(f"{error}; the next sync tries again")
        self.refresh_unsent()

    def _sent(self, mail: OutboxMail) -> None:
        screen = self.screen
        filed = "filed in Sent" if mail.state == "filed" else "Sent copy at the next sync"
        self._hint(f"sent to {', '.join(mail.to)} ({filed})")
        self.refresh_unsent()
        screen.thread_list.reload()
        screen.status.count = screen.thread_list.count
        screen.reader.reload(mail.thread_id)
