"""Replying and forwarding from the main screen: the keys ``reply``, ``reply.all``, ``forward``.

One answer, step by step (the UI thread never waits on the network):

1. a thread worker asks ``service.replies.compose_reply`` / ``compose_forward`` (it may read the
   answered message from the server, for its Reply-To and body);
2. on the UI thread, ``$VISUAL``/``$EDITOR`` edits the draft with the app suspended (like
   ``note.external``); a text with nothing written sends nothing; anything else is saved as a
   draft in the outbox before the question;
3. ``tui.screens.answer.ConfirmSend`` asks ``Send to ...?`` (``y`` sends; ``n``/``escape`` keep
   the draft);
4. a thread worker queues and sends it. The status bar says what happened and counts the
   messages not sent yet (``N unsent``); every sync retries them. The thread shows the answer
   at once and leaves the awaiting view.

Results come back with ``app.call_from_thread``; errors are one status-bar line. The awaiting
view's list (a scan of every message) is computed here too, in a worker, before it shows.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from supportmail.tui.controllers.base import Controller, error_text
from supportmail.tui.logfile import log_failure

if TYPE_CHECKING:
    from supportmail.storage.service.api import Composed, OutboxMail, RepliesApi
    from supportmail.tui.screens.answer import AnswerKind

__all__ = ["Answering"]


class Answering(Controller):
    """The reply/forward flow of one main screen, and the awaiting view's worker."""

    @property
    def _replies(self) -> RepliesApi:
        return self.main.service.replies

    def _later(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the UI thread (from a worker)."""
        self.app.call_from_thread(callback)

    def refresh_unsent(self) -> None:
        try:
            self.main.status.unsent = self._replies.unsent()
        except Exception as exc:  # an unreadable outbox: say so, do not crash
            self.hint(f"outbox: {exc}")

    # -- the awaiting view ------------------------------------------------------------------------

    def show_awaiting(self) -> None:
        """Switch to the awaiting view once its list is computed in a worker (a scan of every
        message: ~0.3 s at 50,000), so the page reads on the UI thread find it ready."""
        self.hint("finding the threads that wait for us…")
        self.run_worker(
            self._warm_then_show, thread=True, group="awaiting", exclusive=True, exit_on_error=False
        )

    def warm(self) -> None:
        """In a worker: compute the awaiting list now (after a sync, while the view shows)."""
        try:
            self.main.service.answers.waiting()
        except Exception as exc:  # the page read reports it again, on the UI thread
            log_failure(str(exc) or type(exc).__name__, exc)

    def _warm_then_show(self) -> None:
        self.warm()
        self._later(self._show_awaiting)

    def _show_awaiting(self) -> None:
        main = self.main
        if main.views.view == "awaiting":
            main.views.apply()
            self.hint("")

    # -- 1. compose in a worker ------------------------------------------------------------------

    def start(self, kind: AnswerKind) -> None:
        main = self.main
        current = main.thread_list.current
        if current is None:
            self.hint("no thread to answer")
            return
        if main.service.is_demo or not self._replies.can_send():
            self.hint(
                "this account cannot send: add [accounts.NAME.smtp] to the config "
                "(see docs/answering.md)"
            )
            return
        self.hint("preparing the draft…" if kind != "forward" else "preparing the forward…")
        self.run_worker(
            partial(self._compose_answer, current.id, kind),
            thread=True,
            group="answer",
            exclusive=True,
            exit_on_error=False,
        )

    def _compose_answer(self, thread_id: str, kind: AnswerKind) -> None:
        try:
            if kind == "forward":
                composed = self._replies.compose_forward(thread_id, "")
            else:
                composed = self._replies.compose_reply(thread_id, reply_all=kind == "reply_all")
        except Exception as exc:
            text = error_text(exc)
            self._later(lambda: self.hint(f"cannot answer: {text}"))
            return
        self._later(lambda: self._edit(composed))

    # -- 2. the editor, on the UI thread ---------------------------------------------------------

    def _edit(self, composed: Composed) -> None:
        from supportmail.tui.editor import EditorError, editor_command, run_editor

        replies = self._replies
        try:
            argv = editor_command(os.environ)
            with replies.editing(composed.text) as file:
                run_editor(self.main.app, argv, file.path)
                text = file.read()
                if not replies.written(composed, text):
                    self.hint("nothing written: not sent")
                    return
                draft = replies.save_draft(composed, text)  # on disk before anything else
        except EditorError as exc:
            self.hint(f"{exc}: not sent")
            return
        except Exception as exc:  # the service could not write: one line
            self.hint(f"not saved: {exc}")
            return
        try:
            recipients = replies.recipients(text)
        except Exception as exc:
            self.hint(f"{exc} (kept as draft {draft.id}: `supportmail drafts`)")
            return
        from supportmail.tui.screens.answer import ConfirmSend

        self.app.push_screen(
            ConfirmSend(recipients, draft.subject),
            lambda send: self._confirmed(bool(send), draft, composed),
        )

    # -- 3./4. confirm and send ------------------------------------------------------------------

    def _confirmed(self, send: bool, draft: OutboxMail, composed: Composed) -> None:
        if not send:
            self.hint(f"kept as draft {draft.id} (send it: supportmail drafts --send {draft.id})")
            return
        self.hint("sending…")
        self.run_worker(
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
            text = error_text(exc)
            self._later(lambda: self._failed(text))
            return
        self._later(lambda: self._sent(mail))

    def _failed(self, error: str) -> None:
        self.hint(f"{error}; the next sync tries again")
        self.refresh_unsent()

    def _sent(self, mail: OutboxMail) -> None:
        main = self.main
        filed = "filed in Sent" if mail.state == "filed" else "Sent copy at the next sync"
        self.hint(f"sent to {', '.join(mail.to)} ({filed})")
        self.refresh_unsent()
        main.thread_list.reload()
        main.status.count = main.thread_list.count
        main.reader.reload(mail.thread_id)
