"""The live window: runs the service's live mirror (``Service.live``) in a thread worker of its
owner (the main screen's sync controller) and turns what it reports into the owner's messages.

=====================  ===========================================================================
mirror event           message posted to the owner
=====================  ===========================================================================
``online`` / offline   ``ConnectionChanged`` (online, and how: IDLE or polling; offline: why)
``syncing``            ``SyncStarted``
``progress``           ``SyncProgressed`` (coalesced in the queue)
``synced``             ``SyncFinished`` (the list reloads: new mail, teammates' tags)
``sync_failed``        ``SyncFailed`` (the mirror retries with backoff)
=====================  ===========================================================================

New mail and teammates' keyword changes reach the list within seconds with no key pressed: the
watcher hears them (IDLE), the mirror syncs, the list reloads. The demo has no server: no
mirror runs. ``stop()`` on unmount ends the worker promptly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.dom import DOMNode
from textual.message import Message

from supportmail.tui.messages import (
    ConnectionChanged,
    SyncFailed,
    SyncFinished,
    SyncProgressed,
    SyncStarted,
)

if TYPE_CHECKING:
    from supportmail.storage.models import LiveEvent, LiveHandle
    from supportmail.storage.service.api import ServiceApi

__all__ = ["LiveController"]


def event_message(event: LiveEvent) -> Message | None:
    """The screen message for a mirror event (None: nothing to show)."""
    if event.kind == "online":
        return ConnectionChanged(online=True, detail=event.detail)
    if event.kind == "offline":
        return ConnectionChanged(online=False, detail=event.detail)
    if event.kind == "syncing":
        return SyncStarted()
    if event.kind == "progress" and event.progress is not None:
        return SyncProgressed(event.progress)
    if event.kind == "synced" and event.result is not None:
        return SyncFinished(event.result)
    if event.kind == "sync_failed":
        return SyncFailed(event.detail)
    return None


class LiveController:
    """The live mirror of one screen's service: ``start`` on mount, ``stop`` on unmount."""

    def __init__(
        self,
        owner: DOMNode,
        service: ServiceApi,
        *,
        poll_seconds: float,
        after_sync: Callable[[], None] | None = None,
    ) -> None:
        """``owner`` runs the worker and hears the messages; ``after_sync`` runs in the mirror's
        thread after each sync, before the owner hears of it (e.g. warming what the list reload
        will read)."""
        self._owner = owner
        self._service = service
        self.poll_seconds = poll_seconds
        self._after_sync = after_sync
        self._mirror: LiveHandle | None = None

    @property
    def running(self) -> bool:
        return self._mirror is not None and not self._mirror.stopping

    def start(self) -> None:
        """Start watching and syncing (the first sync at once); nothing for the demo."""
        if self._service.is_demo or self._mirror is not None:
            return
        try:
            mirror = self._service.live(self._post, poll_seconds=self.poll_seconds)
        except Exception as exc:  # e.g. no socket pair left: say so, stay usable
            self._owner.post_message(SyncFailed(f"live sync not started: {exc}"))
            return
        self._mirror = mirror
        self._owner.run_worker(
            mirror.run, name="live sync", group="live", thread=True, exit_on_error=False
        )

    def sync_now(self) -> bool:
        """Ask for a sync now (coalesced with one already due); False when none runs."""
        if self._mirror is None or self._mirror.stopping:
            return False
        self._mirror.request_sync()
        return True

    def stop(self) -> None:
        if self._mirror is not None:
            self._mirror.stop()

    def _post(self, event: LiveEvent) -> None:
        """From the mirror's threads: ``post_message`` is thread-safe."""
        if event.kind == "synced" and self._after_sync is not None:
            self._after_sync()
        message = event_message(event)
        if message is not None:
            self._owner.post_message(message)
