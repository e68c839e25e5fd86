"""The base of the main screen's feature controllers, and the one-line text of a failed worker.

A controller is a hidden widget (``display: none``) that ``MainScreen`` composes, one per
feature (see docs/architecture.md, "Where a feature goes"). Being a node of the DOM it runs its
own thread workers and receives the messages they post to it (``self.post_message``) in its own
``@on`` handlers; it reaches the screen's widgets and the other controllers through ``main``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.widget import Widget
from textual.worker import Worker, WorkerState

from supportmail.tui.logfile import log_failure

if TYPE_CHECKING:
    from supportmail.storage.service.api import ServiceApi
    from supportmail.tui.main.screen import MainScreen

__all__ = ["Controller", "error_text"]


def error_text(exc: BaseException) -> str:
    """The one line the status bar shows for a failed worker; its traceback goes to the log."""
    text = str(exc) or type(exc).__name__
    log_failure(text, exc)
    return text


class Controller(Widget):
    """One feature of the main screen: its state, actions, workers and message handlers."""

    DEFAULT_CSS = "Controller { display: none; }"

    def __init__(self, main: MainScreen) -> None:
        super().__init__()
        self.main = main

    @property
    def service(self) -> ServiceApi:
        return self.main.service

    def hint(self, text: str) -> None:
        """Say ``text`` in the status bar's hint."""
        self.main.status.hint = text

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """A worker that raised past its own handler: one line (its state messages do not
        bubble, so each controller hears its own)."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.hint(f"{event.worker.name}: {error_text(event.worker.error)}")
