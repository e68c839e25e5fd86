"""The sync engine: one whole sync of an account (:class:`SyncEngine`).

``run`` puts the steps together (see ``storage.sync``): pull every folder
(``storage.sync.headers``, ``storage.sync.flags``), thread what came or went, push the outbox
(``storage.sync.pushes``), then mirror the bodies (``storage.sync.bodies``), each step retried
after a dropped connection (``storage.sync.base``), and returns the run's ``SyncResult``.
"""

from __future__ import annotations

import functools
import time

from supportmail.storage.models import SyncProgress, SyncResult, ThreadQuery
from supportmail.storage.sync.base import Tally
from supportmail.storage.sync.bodies import BodyMirror
from supportmail.storage.sync.headers import HeaderPull
from supportmail.storage.sync.pushes import Pusher

__all__ = ["SyncEngine"]

_ALL = ThreadQuery()


class SyncEngine(HeaderPull, Pusher):
    """Syncs one account between its IMAP server, the cache and the outbox."""

    def run(self, *, pull: bool = True, push: bool = True) -> SyncResult:
        """One sync: pull and thread (``pull``), push the outbox (``push``), then the bodies
        (with ``pull``, when a ``bodies_since`` was given)."""
        started = time.monotonic()
        tally = Tally()
        try:
            if pull:
                self.cache.index_missing()  # what a killed run stored but never indexed
                # A first sync rebuilds the thread rows once at the end (the first chunk's at
                # once, for the first screen): per chunk it rebuilt 1.5 rows per thread, 3 s
                # of 27 at 250k. Meanwhile the rows are marked dirty, so a kill loses nothing.
                self._bulk = self.cache.count_threads(self.account, _ALL) == 0
                self._listed = False
                for folder in self.folders:
                    self._retrying(functools.partial(self._pull_folder, folder, tally))
                self._rethread(tally)
            if push:
                self._retrying(lambda: self._push(tally))
            if pull and self._bodies_since is not None:
                mirror = BodyMirror(
                    self.cache,
                    self.account,
                    self._conn,
                    self._select,
                    since=self._bodies_since,
                    progress=self._progress,
                    foreground=self._foreground,
                )
                self._retrying(mirror.run)
                tally.bodies, tally.unreadable = mirror.fetched, mirror.unreadable
        finally:
            self.close()
        self._progress(SyncProgress(folder="", phase="done"))
        return SyncResult(
            account=self.account,
            folders=len(self.folders),
            new=tally.new,
            changed=tally.changed,
            vanished=tally.vanished,
            pushed=tally.pushed,
            pending=len(self.userdb.outbox(self.account)),
            seconds=time.monotonic() - started,
            local_only_folders=tuple(dict.fromkeys(tally.local_only)),
            reset_folders=tuple(tally.reset),
            missing_folders=tuple(tally.missing),
            folder_hints=tuple(tally.hints),
            errors=tuple(tally.errors),
            bodies=tally.bodies,
            unreadable=tally.unreadable,
        )

    def _rethread(self, tally: Tally) -> None:
        """Thread what the pull left unthreaded and rebuild the thread rows it changed."""
        self._progress(SyncProgress(folder="", phase="threads"))
        roots = set(tally.roots)
        # New messages were threaded chunk by chunk; what is left: the rest of threads that
        # lost a message, and rows a killed sync stored but never threaded.
        roots |= self.cache.thread_pending(self.account)
        # After threading: a pending edit also reaches the messages that just joined its thread
        # (a reply in Sent fetched after the edit), as the push will on the server.
        roots |= self.reapply_pending()
        # What an earlier run changed but was killed before it rebuilt (see Cache._mark_dirty).
        roots |= self.cache.dirty_roots(self.account)
        if roots:
            self.cache.rebuild_threads(self.account, roots)
