"""The live mirror: keeps an account's cache current while it runs (what ``Service.live`` hands
out to the TUI and to ``supportmail watch``). UI-free; it reports through one callback.

``run()`` (blocking, in the caller's thread) starts the watcher (``storage.imap.watcher``) in a
thread of its own and runs the syncs itself:

* an initial sync at once (``initial_sync``);
* a sync when the watcher hears a change, **debounced**: the first change waits ``debounce``
  seconds for the rest of its burst, so a teammate tagging twenty threads makes one sync; a
  change heard while a sync runs makes exactly one more after it;
* a sync whenever the watcher starts listening (at start and back online after being offline):
  what changed before it listened would otherwise be missed;
* a sync on ``request_sync()`` (the ``s`` key), coalesced the same way;
* after a failed sync, another one after a backoff (``RETRY``), until one succeeds;
* when the watcher's ``probe`` (the shared tag catalog's fingerprint) changed, or the watcher
  starts listening: ``on_probe_change()`` first (the service makes that sync share the catalog
  even if it shared it a moment ago), then a sync.

Every step is reported as a ``LiveEvent``: ``online``/``offline`` from the watcher, ``syncing``,
``progress``, ``synced`` or ``sync_failed`` from the syncs. ``stop()`` (any thread) ends ``run``:
the watcher is woken at once; a sync in flight finishes (``Service.close`` interrupts it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from supportmail.storage.imap.connection import ImapConnection
from supportmail.storage.imap.sessions import Session
from supportmail.storage.imap.watcher import (
    BACKOFF,
    CHECK_SECONDS,
    IDLE_SECONDS,
    PROBE,
    Watcher,
    error_line,
)
from supportmail.storage.models import LiveEvent, SyncProgress, SyncResult

__all__ = ["DEBOUNCE", "RETRY", "LiveMirror"]

log = logging.getLogger(__name__)

DEBOUNCE = 0.1
"""Seconds a change waits for the rest of its burst before the sync starts."""
RETRY = (2.0, 5.0, 10.0, 30.0, 60.0)
"""Seconds before the next sync after one failed; the last one repeats."""
JOIN_SECONDS = 2.0
"""How long ``run`` waits at its end for the watcher thread before interrupting its session."""

SyncFunction = Callable[[Callable[[SyncProgress], None]], SyncResult]


class LiveMirror:
    """Watcher + debounced syncs for one account, until ``stop()``."""

    def __init__(
        self,
        *,
        sync: SyncFunction,
        session: Session,
        folders: Sequence[str],
        on_event: Callable[[LiveEvent], None],
        poll_seconds: float = 60.0,
        initial_sync: bool = True,
        debounce: float = DEBOUNCE,
        retry: Sequence[float] = RETRY,
        check_seconds: float = CHECK_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
        backoff: Sequence[float] = BACKOFF,
        probe: Callable[[ImapConnection], object] | None = None,
        on_probe_change: Callable[[], None] | None = None,
    ) -> None:
        self._sync = sync
        self._on_probe_change = on_probe_change or (lambda: None)
        self._session = session
        self._on_event = on_event
        self._initial = initial_sync
        self.debounce = max(debounce, 0.0)
        self._retry = tuple(retry) or (5.0,)
        self._cond = threading.Condition()
        self._wanted = False
        self._stopping = False
        self._was_offline = False
        self._failures = 0
        self._retry_at: float | None = None
        self._syncing = False
        self.syncs = 0
        """Syncs run so far (tests and the benchmark count them)."""
        self.started = False
        """``run`` was called."""
        self.done = threading.Event()
        """Set when ``run`` has returned."""
        self.watcher = Watcher(
            session,
            folders,
            on_change=self._changed,
            on_online=self._online,
            on_offline=self._offline,
            poll_seconds=poll_seconds,
            check_seconds=check_seconds,
            idle_seconds=idle_seconds,
            backoff=backoff,
            probe=probe,
        )

    # -- from any thread ---------------------------------------------------------------------

    def request_sync(self) -> None:
        """Sync soon (coalesced with any sync already wanted)."""
        with self._cond:
            self._wanted = True
            self._cond.notify_all()

    def stop(self) -> None:
        """End ``run`` (thread-safe, idempotent). Nothing is reported after this."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self.watcher.stop()

    @property
    def stopping(self) -> bool:
        return self._stopping

    @property
    def idle(self) -> bool:
        """No sync runs and none is due (tests wait for it)."""
        with self._cond:
            return not self._wanted and not self._syncing

    # -- the watcher's callbacks (its thread) -----------------------------------------------

    def _emit(self, event: LiveEvent) -> None:
        if not self._stopping:
            self._on_event(event)

    def _changed(self, folder: str) -> None:
        if folder == PROBE:
            self._on_probe_change()
        self.request_sync()

    def _online(self, mode: str) -> None:
        if self._was_offline:
            log.info("back online (%s)", mode)
        self._emit(LiveEvent("online", detail=mode))
        self._was_offline = False
        self._on_probe_change()  # what changed before the probe's first answer
        # What changed before the watcher listened (while away, or between the first sync's
        # pull and the watcher's EXAMINE) is heard by no one: one sync after it (coalesced
        # with one already due).
        self.request_sync()

    def _offline(self, reason: str) -> None:
        log.warning("offline: %s", reason)  # the watcher says so once per offline period
        self._was_offline = True
        self._emit(LiveEvent("offline", detail=reason))

    # -- the sync loop (the caller's thread) -------------------------------------------------

    def run(self) -> None:
        """Watch and sync until ``stop()``."""
        self.started = True
        watching = threading.Thread(target=self.watcher.run, name="imap-watch", daemon=True)
        watching.start()
        try:
            if self._initial:
                self.request_sync()
            while self._next_sync():
                self._run_sync()
        finally:
            self.watcher.stop()
            watching.join(JOIN_SECONDS)
            if watching.is_alive():  # stuck on a silent server outside IDLE
                self._session.interrupt()
                watching.join(JOIN_SECONDS)
            self.done.set()

    def _next_sync(self) -> bool:
        """Wait until a sync is due (True) or ``stop()`` (False); debounces a burst."""
        with self._cond:
            while not self._stopping:
                now = time.monotonic()
                if self._retry_at is not None and now >= self._retry_at:
                    self._retry_at = None
                    self._wanted = True
                if self._wanted:
                    break
                timeout = None if self._retry_at is None else self._retry_at - now
                self._cond.wait(timeout)
            if self._stopping:
                return False
            if self.syncs > 0 and self.debounce > 0:
                # The rest of the burst: more changes in this window join this sync.
                self._cond.wait_for(lambda: self._stopping, self.debounce)
                if self._stopping:
                    return False
            self._wanted = False
            self._syncing = True
            return True

    def _run_sync(self) -> None:
        try:
            self._sync_once()
        finally:
            with self._cond:
                self._syncing = False

    def _sync_once(self) -> None:
        self._emit(LiveEvent("syncing"))
        self.syncs += 1

        def progress(step: SyncProgress) -> None:
            self._emit(LiveEvent("progress", progress=step))

        try:
            result = self._sync(progress)
        except Exception as exc:  # offline, a lock, a full disk: reported, retried
            # The traceback of the first failure in a row only: offline for hours, a retry a
            # minute would fill the log with the same one.
            log.warning(
                "live sync failed (retrying): %s", error_line(exc), exc_info=self._failures == 0
            )
            delay = self._retry[min(self._failures, len(self._retry) - 1)]
            self._failures += 1
            with self._cond:
                self._retry_at = time.monotonic() + delay
            self._emit(LiveEvent("sync_failed", detail=error_line(exc)))
            return
        self._failures = 0
        with self._cond:
            self._retry_at = None
        self._emit(LiveEvent("synced", result=result))
