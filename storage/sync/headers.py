"""The header half of a folder's pull: new mail into the cache, newest first, in chunks.

A folder's pull (:meth:`HeaderPull._pull_folder`): SELECT; on a UIDVALIDITY change drop the
folder's cache rows; drop UIDs that vanished; fetch the headers of UIDs the cache lacks newest
first in chunks (:data:`FIRST_CHUNK`, then :data:`CHUNK`), each committed (an interrupted first
sync resumes where it stopped) and threaded incrementally; then the flags
(``storage.sync.flags``). The cache writes run on a writer thread one chunk behind the fetch,
and the search index on an indexer thread of its own (``storage.cache.searchindex``).
"""

from __future__ import annotations

import contextlib
import logging
from array import array
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait

from supportmail.storage.cache import FolderState, PreparedRows, prepare_rows, searchindex
from supportmail.storage.imap import ImapConnection, ImapConnectionLost, ImapError, quirks
from supportmail.storage.mime import HEADER_FIELDS, parse_envelope, per_message
from supportmail.storage.models import SyncProgress
from supportmail.storage.sync.base import Tally
from supportmail.storage.sync.flags import FlagPull

__all__ = ["CHUNK", "FIRST_CHUNK", "HeaderPull"]

FIRST_CHUNK = 250
"""Headers in the first round trip of a folder: small, so the newest threads show at once."""
CHUNK = 2000
"""Headers fetched (and committed) per later round trip."""

log = logging.getLogger(__name__)


def _minus(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """The values of ascending ``a`` that are not in ascending ``b``, ascending; one merge pass,
    no sets (a folder of 180k UIDs as two sets of ints costs ~25 MB)."""
    out: list[int] = []
    j, n = 0, len(b)
    for value in a:
        while j < n and b[j] < value:
            j += 1
        if j == n or b[j] != value:
            out.append(value)
    return out


def _chunks(items: Sequence[int], first: int, size: int) -> Iterator[Sequence[int]]:
    """``items`` in slices: one of ``first`` items, then slices of ``size``."""
    if items:
        yield items[:first]
    for start in range(first, len(items), size):
        yield items[start : start + size]


class _Writer:
    """One background thread that runs cache writes in order, at most one at a time; the caller
    collects each result (or its exception) with :meth:`wait` before it submits the next."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-writer")
        self._pending: Future[int] | None = None

    def submit(self, write: Callable[..., int], *args: object) -> None:
        if self._pending is not None:
            raise RuntimeError("a cache write is still in flight")
        self._pending = self._pool.submit(write, *args)

    def wait(self) -> int:
        """The pending write's result (0 when none); re-raises its exception."""
        pending, self._pending = self._pending, None
        return pending.result() if pending is not None else 0

    def __enter__(self) -> _Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        # Even when the fetch failed: the write in flight finishes before anything else runs.
        try:
            if self._pending is not None:
                futures_wait([self._pending])
        finally:
            self._pool.shutdown(wait=True)


class HeaderPull(FlagPull):
    """Pulls folders: new messages' headers (here) and flag changes (``FlagPull``)."""

    def _pull_folder(self, folder: str, tally: Tally) -> None:
        """One folder: new and vanished messages, then flag changes."""
        imap = self._conn()
        self._selected = None  # a failed SELECT leaves no folder selected
        try:
            status = imap.select(folder)
        except ImapConnectionLost:
            raise
        except ImapError:
            if folder not in tally.missing:
                tally.missing.append(folder)
                hint = self._folder_hint(imap, folder)
                if hint:
                    tally.hints.append(hint)
            return
        self._selected = folder
        self._uidvalidity = status.uidvalidity  # part of a synthetic id (mime.ids.per_message)
        state = self.cache.folder(self.account, folder)
        if state is not None and state.uidvalidity != status.uidvalidity:
            # reset_folder marks the dropped messages' threads dirty: _rethread rebuilds them.
            self.cache.reset_folder(self.account, folder)
            tally.reset.append(folder)
            state = None
        if state is None:
            # Remember the folder at once so a resumed first sync keeps what it committed.
            self.cache.save_folder(
                FolderState(
                    self.account, folder, status.uidvalidity, None, status.permanent_keywords
                )
            )
        if not status.permanent_keywords and folder not in tally.local_only:
            tally.local_only.append(folder)

        known = self.cache.folder_uids(self.account, folder)
        server = array("q", sorted(imap.uids()))
        vanished = _minus(known, server)
        if vanished:
            tally.roots |= self.cache.remove_uids(self.account, folder, vanished)
            tally.vanished += len(vanished)
        missing = _minus(server, known)
        del known, server
        if missing:
            missing.reverse()  # newest first
            self._fetch_missing(folder, missing, tally)
            # Another client may have expunged some of them while we fetched (the server can
            # still answer a FETCH for them from its own cache).
            server = array("q", sorted(imap.uids()))
            gone = _minus(self.cache.folder_uids(self.account, folder), server)
            if gone:
                tally.roots |= self.cache.remove_uids(self.account, folder, gone)
                tally.vanished += len(gone)
        self._pull_flags(imap, folder, status, state, tally)

    @staticmethod
    def _folder_hint(imap: ImapConnection, folder: str) -> str | None:
        """What the server probably calls a configured folder it does not have (NAMESPACE)."""
        try:
            return quirks.folder_hint(folder, imap.personal_namespaces(), imap.list_folders())
        except ImapConnectionLost:
            raise
        except ImapError:
            log.info("no folder hint for %s", folder, exc_info=True)
            return None

    def _fetch_missing(self, folder: str, missing: Sequence[int], tally: Tally) -> None:
        """Fetch, parse and store the headers of ``missing`` (newest first), in chunks.

        The cache writes run on a writer thread, one chunk behind: SQLite does its part (the
        B-tree and FTS5 work, the commit) without the GIL, so it overlaps the next chunk's
        network wait and parsing. At most one chunk is in flight, and it is always finished
        (stored or failed) before this returns, so nothing after it sees a half-written cache.
        The search index is written by an indexer thread on its own file (one more core: see
        ``storage.cache.searchindex``); it has indexed every stored chunk when this returns."""
        imap = self._conn()
        search = self.cache.search_path
        # A deferred index (a first sync that mirrors every body) indexes each row with its body.
        index = search is not None and not self._defer_index
        indexer = searchindex.Indexer(search) if index and search is not None else None
        try:
            self._fetch_chunks(imap, folder, missing, tally, indexer)
        except BaseException:
            if indexer is not None:
                with contextlib.suppress(searchindex.IndexerError):  # the first failure counts
                    indexer.close()
            raise
        if indexer is not None:
            indexer.close()  # the rest of the index; its failure is raised here

    def _fetch_chunks(
        self,
        imap: ImapConnection,
        folder: str,
        missing: Sequence[int],
        tally: Tally,
        indexer: searchindex.Indexer | None,
    ) -> None:
        done = 0
        with _Writer() as writer:
            for n, chunk in enumerate(_chunks(missing, FIRST_CHUNK, CHUNK)):
                prepared = prepare_rows(
                    self.account,
                    folder,
                    [
                        (
                            r.uid,
                            per_message(
                                parse_envelope(r.header), folder, self._uidvalidity, r.uid, r.size
                            ),
                            r.flags,
                            r.size,
                            r.modseq,
                            r.internaldate,
                        )
                        for r in imap.fetch_headers(chunk, HEADER_FIELDS)
                    ],
                    index=not self._defer_index,
                )
                tally.new += writer.wait()
                if n == 0:
                    tally.new += self._store(prepared, indexer)
                    if self._bulk and not self._listed:
                        # The newest threads are listable now, not after the last chunk.
                        self._listed = True
                        self._progress(SyncProgress(folder=folder, phase="threads"))
                else:
                    writer.submit(self._store, prepared, indexer, not self._bulk)
                done += len(chunk)
                self._progress(
                    SyncProgress(folder=folder, phase="headers", done=done, total=len(missing))
                )
            tally.new += writer.wait()

    def _store(
        self,
        prepared: PreparedRows,
        indexer: searchindex.Indexer | None = None,
        rebuild: bool = True,
    ) -> int:
        """Store one chunk of new messages, thread them into what is cached (incrementally:
        only the threads they touch) and rebuild those thread rows (``rebuild`` False: leave
        them marked dirty for ``_rethread``); the ``indexer`` indexes them meanwhile. Returns
        rows added."""
        added = self.cache.insert_rows(prepared, indexer, index=not self._defer_index)
        roots = self.cache.thread_pending(self.account)
        if roots and rebuild:
            self.cache.rebuild_threads(self.account, roots)
        return added
