"""Sync and push: the live mirror's news in the status bar, ``s``, and the outbox pushed soon.

The live mirror (``tui.controllers.live.LiveController``, owned here) posts its messages to
this controller: connection changes, sync start, progress and result. After a stored edit the
triage queue asks for ``push_soon``: a short timer (``push_delay``, so a burst goes together),
then ``_push`` (a thread worker: ``service.push``, on its own session, never behind a sync).
A failed sync or push turns the status bar offline with one line; the edits stay queued.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work

from supportmail.tui.controllers.base import Controller, error_text
from supportmail.tui.controllers.live import LiveController
from supportmail.tui.messages import (
    ConnectionChanged,
    PushFailed,
    PushFinished,
    SyncFailed,
    SyncFinished,
    SyncProgressed,
    SyncStarted,
)

if TYPE_CHECKING:
    from textual.timer import Timer

    from supportmail.tui.main.screen import MainScreen

__all__ = ["SyncController"]


class SyncController(Controller):
    """The live mirror, the sync key, the push after edits, and the connection state."""

    def __init__(self, main: MainScreen) -> None:
        super().__init__(main)
        poll_seconds = main.options.poll_seconds
        self.live = LiveController(
            self, main.service, poll_seconds=poll_seconds, after_sync=self._after_sync
        )
        self.syncing = False
        """A sync runs (the status bar says so until it ends)."""
        self._push_timer: Timer | None = None

    def sync(self) -> None:
        """Sync now: ask the live mirror (or start it again)."""
        if self.service.is_demo:
            self.hint("demo: nothing to sync, tags stay local")
            return
        if self.syncing:
            self.hint("a sync is already running")
            return
        if not self.live.sync_now():
            self.live.start()

    def _after_sync(self) -> None:
        """In the live mirror's thread, after a sync: the list reload then finds the awaiting
        view computed (a scan of every message), not on the UI thread."""
        if self.main.views.view == "awaiting":
            self.main.answering.warm()

    # -- push ----------------------------------------------------------------------------------

    def push_soon(self) -> None:
        """The sync runs behind: push stored edits shortly, without a key press."""
        if self.service.is_demo or self.main.status.pending == 0:
            return
        if self._push_timer is not None:
            self._push_timer.stop()
        # The edit is already durable locally; this only decides when the server hears of it.
        self._push_timer = self.set_timer(self.main.options.push_delay, self._push_now)

    def _push_now(self) -> None:
        self._push_timer = None
        if self.main.triage.storing:
            return  # a store in flight calls push_soon again
        self._push()  # on its own session: a running sync does not hold it up

    @work(thread=True, exclusive=True, group="push", exit_on_error=False)
    def _push(self) -> None:
        try:
            result = self.service.push()
        except Exception as exc:  # offline: the edits wait in the outbox
            self.post_message(PushFailed(error_text(exc)))
            return
        self.post_message(PushFinished(result))

    @on(PushFinished)
    def _push_finished(self, message: PushFinished) -> None:
        result = message.result
        status = self.main.status
        status.pending = result.pending
        if not self.service.is_demo:
            self.main.answering.refresh_unsent()
        if status.connection == "offline":
            status.connection = "online"
        if result.pushed:
            self.main.thread_list.reload()
        if result.local_only_folders:
            status.hint = "tags stay local: the server does not store keywords"

    @on(PushFailed)
    def _push_failed(self, message: PushFailed) -> None:
        self.main.status.connection = "offline"
        self.hint(f"{message.error} (edits kept; they go with the next sync)")

    # -- what the live mirror reports ----------------------------------------------------------

    @on(SyncStarted)
    def _sync_started(self) -> None:
        self.syncing = True
        self.main.status.connection = "syncing"
        self.main.status.progress = ""

    @on(ConnectionChanged)
    def _connection_changed(self, message: ConnectionChanged) -> None:
        status = self.main.status
        if not message.online:
            status.connection = "offline"
            status.hint = f"offline: {message.detail} (retrying; edits are kept)"
            return
        if status.connection == "offline":
            how = "IDLE" if message.detail == "idle" else "polling"
            status.hint = f"back online ({how}): new mail shows as it arrives"
        if not self.syncing:
            status.connection = "online"

    @on(SyncProgressed)
    def _sync_progressed(self, message: SyncProgressed) -> None:
        step = message.progress
        status = self.main.status
        if step.phase == "reconnect":
            # The sync keeps trying behind; say so now, not when the last retry gave up.
            status.connection = "offline"
            status.hint = (
                f"connection lost; reconnecting ({step.done}/{step.total}), edits are kept"
            )
            return
        if status.connection == "offline":
            status.connection = "syncing"
            status.hint = ""
        if step.total:
            status.progress = f"{step.folder} {step.phase} {step.done}/{step.total}"
        else:
            status.progress = f"{step.folder} {step.phase}"
        if step.phase == "threads" and step.folder:
            # A first sync made the newest threads listable: show them while the rest loads.
            self.main.thread_list.reload()
            status.count = self.main.thread_list.count

    @on(SyncFinished)
    def _sync_finished(self, message: SyncFinished) -> None:
        self.syncing = False
        result = message.result
        main = self.main
        status = main.status
        status.connection = "local" if self.service.is_demo else "online"
        status.pending = result.pending
        status.hint = (
            "demo: nothing to sync, tags stay local"
            if self.service.is_demo
            else f"synced: {result.new} new, {result.changed} changed, {result.pushed} pushed"
            + result.parked_text(where=False)
        )
        main.thread_list.reload()
        main.triage.redraw_queued()
        status.count = main.thread_list.count
        main.tag_catalog.load()

    @on(SyncFailed)
    def _sync_failed(self, message: SyncFailed) -> None:
        self.syncing = False
        if not self.service.is_demo:
            self.main.status.connection = "offline"
        self.hint(message.error)
