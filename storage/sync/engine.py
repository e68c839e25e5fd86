"""The sync engine: one whole sync of an account (:class:`SyncEngine`).

``run`` puts the steps together (see ``storage.sync``): pull every folder
(``storage.sync.headers``, ``storage.sync.flags``), thread what came or went, push the outbox
(``storage.sync.pushes``), then mirror the bodies (``storage.sync.bodies``), each step retried
after a dropped connection (``storage.sync.base``), and returns the run's ``SyncResult``.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
import time

from supportmail.storage.cache.bodystore import ALL_DATES
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
        self._defer_index = False
        try:
            if pull:
                # A first sync rebuilds the thread rows once at the end (the first chunk's at
                # once, for the first screen): per chunk it rebuilt 1.5 rows per thread, 3 s
                # of 27 at 250k. Meanwhile the rows are marked dirty, so a kill loses nothing.
                self._bulk = self.cache.count_threads(self.account, _ALL) == 0
                # A first sync that mirrors every body (or resumes one) indexes each message
                # once, with its body (storage.cache.searchindex): 15 % of a first sync at 50k.
                self._defer_index = self._bodies_since == ALL_DATES and (
                    self._bulk or self.cache.index_deferred
                )
                # What a killed run stored but never indexed (a deferred index not kept: all),
                # and bodies whose index write it lost.
                self.cache.repair_body_index()
                self.cache.index_missing(keep_deferred=self._defer_index)
                if self._defer_index:
                    self.cache.defer_index()
                self._listed = False
                for folder in self.folders:
                    self._retrying(functools.partial(self._pull_folder, folder, tally))
                self._rethread(tally)
                tally.pulled = True
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
            self._end_deferred()
        except Exception:
            with contextlib.suppress(sqlite3.Error):  # the first failure is the one reported
                self._end_deferred()  # every row searchable by subject and people again
            raise
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
            parked=tally.parked,
            unparked=tally.unparked,
            seconds=time.monotonic() - started,
            local_only_folders=tuple(dict.fromkeys(tally.local_only)),
            reset_folders=tuple(tally.reset),
            missing_folders=tuple(tally.missing),
            folder_hints=tuple(tally.hints),
            errors=tuple(tally.errors),
            bodies=tally.bodies,
            unreadable=tally.unreadable,
        )

    def _end_deferred(self) -> None:
        """Index what a deferred index left out (rows the mirror did not reach) and end it."""
        if self._defer_index:
            self._defer_index = False
            self.cache.index_missing()

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
