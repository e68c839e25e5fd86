"""What every part of the sync engine shares: the run's tally, the connection (opened on first
use, reconnected with backoff after a drop) and the selected folder.

:class:`EngineBase` holds one account's sync state; the pull (``storage.sync.headers``,
``storage.sync.flags``) and the push (``storage.sync.pushes``) build on it, and
``storage.sync.engine`` puts them together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from supportmail.storage.cache import Cache
from supportmail.storage.imap import ImapConnection, ImapConnectionLost
from supportmail.storage.models import SyncProgress
from supportmail.storage.sync.foreground import Foreground
from supportmail.storage.user.db import UserDB

__all__ = ["BACKOFF", "Connector", "EngineBase", "ProgressCallback", "Tally"]

BACKOFF = (0.5, 1.0, 2.0, 4.0)
"""Seconds to wait before each reconnect attempt after a dropped connection."""

ProgressCallback = Callable[[SyncProgress], None]
Connector = Callable[[], ImapConnection]

log = logging.getLogger(__name__)


@dataclass
class Tally:
    """What one run did, summed over its steps (becomes the ``SyncResult``)."""

    new: int = 0
    changed: int = 0
    vanished: int = 0
    pushed: int = 0
    parked: int = 0
    """Edits parked in this run: none of their messages is on the server any more."""
    unparked: int = 0
    """Parked edits pushed in this run: a message of theirs came back."""
    pulled: bool = False
    """Every configured folder was pulled and threaded in this run."""
    roots: set[str] = field(default_factory=set)
    local_only: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bodies: int | None = None
    unreadable: int = 0


class EngineBase:
    """One account's sync state: cache, outbox, folders and the IMAP connection."""

    def __init__(
        self,
        cache: Cache,
        userdb: UserDB,
        account: str,
        folders: Sequence[str],
        connect: Connector,
        *,
        progress: ProgressCallback | None = None,
        sleep: Callable[[float], None] = time.sleep,
        bodies_since: int | None = None,
        keep_connection: bool = False,
        foreground: Foreground | None = None,
    ) -> None:
        """``keep_connection``: ``connect`` hands out a persistent session's connection
        (``storage.imap.sessions``); the run leaves it logged in instead of logging out."""
        self.cache = cache
        self.userdb = userdb
        self.account = account
        self.folders = tuple(folders)
        self._connect = connect
        self._progress = progress or (lambda _p: None)
        self._sleep = sleep
        self._imap: ImapConnection | None = None
        self._keep = keep_connection
        self._selected: str | None = None
        self._uidvalidity = 0
        self._bulk = False
        """This run is a first sync: thread rows are rebuilt at the end (see ``run``)."""
        self._defer_index = False
        """Store new rows unindexed: the body mirror indexes each with its body (a first sync)."""
        self._listed = False
        """A first sync announced that its first chunk's threads are listable."""
        self._bodies_since = bodies_since
        """Mirror the bodies of messages dated from this epoch second (None: no mirror)."""
        self._foreground = foreground
        """Whom the body mirror yields to (the TUI's key presses); None: nobody."""

    # -- connection --------------------------------------------------------------------------

    def _conn(self) -> ImapConnection:
        if self._imap is None:
            self._progress(SyncProgress(folder="", phase="connect"))
            self._imap = self._connect()
            self._selected = None
        return self._imap

    def close(self) -> None:
        """Log out (or, with ``keep_connection``, only let go: a dropped connection is
        reconnected by the session on the next ``connect``)."""
        if self._imap is not None:
            if not self._keep:
                self._imap.close()
            self._imap = None
            self._selected = None

    def _retrying(self, step: Callable[[], None]) -> None:
        """Run ``step``; on a dropped connection reconnect with backoff and run it again."""
        for attempt in range(len(BACKOFF) + 1):
            try:
                step()
                return
            except ImapConnectionLost:
                self.close()
                if attempt == len(BACKOFF):
                    raise
                self._progress(
                    SyncProgress(folder="", phase="reconnect", done=attempt + 1, total=len(BACKOFF))
                )
                self._sleep(BACKOFF[attempt])

    def _select(self, folder: str) -> None:
        if self._selected != folder:
            self._selected = None  # a failed SELECT leaves no folder selected
            self._conn().select(folder)
            self._selected = folder
