"""The sync engine: pull new mail and flag changes, keep pending edits on top, push the outbox.

One sync of an account, in order:

1. **Pull** every configured folder: SELECT; on a UIDVALIDITY change drop the folder's cache
   rows (notes and outbox edits are keyed by Message-ID, so nothing the user wrote is lost); drop
   UIDs that vanished; fetch the headers of UIDs the cache lacks **newest first** in chunks,
   committing each chunk (an interrupted first sync resumes where it stopped); fetch flag changes
   with CONDSTORE (``CHANGEDSINCE``) when the server has it, else diff all flags.
2. **Pending wins**: every edit still in the outbox is applied to the cache again, so a pulled
   keyword never overrides a local edit the server has not confirmed.
3. **Thread** the account again when messages came or went, and refresh the changed threads' rows.
4. **Push** the outbox: per edit and folder ``UID STORE +FLAGS.SILENT`` / ``-FLAGS.SILENT`` with
   the one keyword (never a full flag replace, so teammates' tags survive); an edit leaves the
   outbox only after the server said OK for every folder that holds the thread. Folders whose
   server cannot store keywords keep their edits local.
5. **Bodies**: the body mirror (:mod:`storage.bodymirror`) fetches the readable text of every
   message that has none yet within the ``bodies`` window, newest first, in chunks (after the
   push, so tag edits go out first; not with ``bodies_since=None``).

A dropped connection is retried with backoff; every step is idempotent, so a retry resumes.
Progress is reported through a plain callback; this module knows nothing of the UI.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field

from storage.bodymirror import BodyMirror
from storage.cache import Cache, FolderState, PreparedRows, prepare_rows, searchindex
from storage.foreground import Foreground
from storage.imap import ImapConnection, ImapConnectionLost, ImapError, quirks
from storage.message import HEADER_FIELDS, parse_envelope, per_message
from storage.models import SyncProgress, SyncResult, ThreadQuery
from storage.replying import LOCAL_FOLDER
from storage.tags import SEEN
from storage.user.db import UserDB
from storage.user.records import OutboxEdit

log = logging.getLogger(__name__)

FIRST_CHUNK = 250
"""Headers in the first round trip of a folder: small, so the newest threads show at once."""
CHUNK = 2000
"""Headers fetched (and committed) per later round trip."""

BACKOFF = (0.5, 1.0, 2.0, 4.0)
"""Seconds to wait before each reconnect attempt after a dropped connection."""

ProgressCallback = Callable[[SyncProgress], None]
Connector = Callable[[], ImapConnection]

log = logging.getLogger(__name__)


@dataclass
class _Tally:
    new: int = 0
    changed: int = 0
    vanished: int = 0
    pushed: int = 0
    roots: set[str] = field(default_factory=set)
    local_only: list[str] = field(default_factory=list)
    reset: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bodies: int | None = None
    unreadable: int = 0


_ALL = ThreadQuery()


def _overlay(flags: Sequence[str], edits: Mapping[str, bool]) -> tuple[str, ...]:
    """``flags`` with pending keyword edits (keyword -> add?) applied, case-insensitively."""
    if not edits:
        return tuple(flags)
    lowered = {kw.lower() for kw in edits}
    kept = [f for f in flags if f.lower() not in lowered]
    return (*kept, *(kw for kw, add in edits.items() if add))


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


class SyncEngine:
    """Syncs one account between its IMAP server, the cache and the outbox."""

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
        self._listed = False
        """A first sync announced that its first chunk's threads are listable."""
        self._bodies_since = bodies_since
        self._foreground = foreground
        """Whom the body mirror yields to (the TUI's key presses); None: nobody."""
        """Mirror the bodies of messages dated from this epoch second (None: no mirror)."""

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

    # -- the whole sync ----------------------------------------------------------------------

    def run(self, *, pull: bool = True, push: bool = True) -> SyncResult:
        started = time.monotonic()
        tally = _Tally()
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

    # -- pull --------------------------------------------------------------------------------

    def _select(self, folder: str) -> None:
        if self._selected != folder:
            self._selected = None  # a failed SELECT leaves no folder selected
            self._conn().select(folder)
            self._selected = folder

    def _pull_folder(self, folder: str, tally: _Tally) -> None:
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
        first_time = state is None or state.highestmodseq is None
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
        self._progress(SyncProgress(folder=folder, phase="flags"))
        if state is not None and not first_time and imap.condstore:
            if status.highestmodseq is not None and status.highestmodseq != state.highestmodseq:
                records_f = imap.fetch_flags(changedsince=state.highestmodseq)
            else:
                records_f = []
        elif state is not None and (first_time or not imap.condstore):
            records_f = imap.fetch_flags()
        else:
            records_f = []
        if records_f:
            current = self.cache.folder_flags_by_uid(
                self.account, folder, (r.uid for r in records_f)
            )
            pending = self.userdb.pending_keywords(self.account)
            changes = []
            for r in records_f:
                if r.uid not in current:
                    continue
                message_id, flags = current[r.uid]
                # What the cache should hold: the server's flags with pending local edits on top.
                effective = _overlay(r.flags, pending.get(message_id, {}))
                if {f.lower() for f in effective} != {f.lower() for f in flags}:
                    changes.append((r.uid, effective, r.modseq))
            if changes:
                tally.roots |= self.cache.set_flags(self.account, folder, changes)
                tally.changed += len(changes)
        self.cache.save_folder(
            FolderState(
                self.account,
                folder,
                status.uidvalidity,
                status.highestmodseq if imap.condstore else 0,
                status.permanent_keywords,
            )
        )

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

    def _fetch_missing(self, folder: str, missing: Sequence[int], tally: _Tally) -> None:
        """Fetch, parse and store the headers of ``missing`` (newest first), in chunks.

        The cache writes run on a writer thread, one chunk behind: SQLite does its part (the
        B-tree and FTS5 work, the commit) without the GIL, so it overlaps the next chunk's
        network wait and parsing. At most one chunk is in flight, and it is always finished
        (stored or failed) before this returns, so nothing after it sees a half-written cache.
        The search index is written by an indexer thread on its own file (one more core: see
        ``storage.searchindex``); it has indexed every stored chunk when this returns."""
        imap = self._conn()
        search = self.cache.search_path
        indexer = searchindex.Indexer(search) if search is not None else None
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
        tally: _Tally,
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
        added = self.cache.insert_rows(prepared, indexer)
        roots = self.cache.thread_pending(self.account)
        if roots and rebuild:
            self.cache.rebuild_threads(self.account, roots)
        return added

    def reapply_pending(self) -> set[str]:
        """Apply every outbox edit to the cache again: a pending local edit beats a pulled flag."""
        roots: set[str] = set()
        for edit in self.userdb.outbox(self.account):
            roots |= self.cache.apply_keyword(
                self.account, self._targets(edit), edit.keyword, edit.add
            )
        return roots

    def _rethread(self, tally: _Tally) -> None:
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

    # -- push --------------------------------------------------------------------------------

    def _targets(self, edit: OutboxEdit) -> set[str]:
        """The messages an edit applies to: those it named plus the thread's current messages."""
        targets = set(edit.message_ids)
        targets.update(self.cache.thread_message_ids(self.account, edit.thread_root))
        return targets

    def _first_pull_done(self, tally: _Tally) -> bool:
        """Every configured folder (that the server has) finished its first pull. Until then
        the cache may know a thread only in part, and an edit must stay in the outbox so the
        next complete sync reaches the rest of the thread."""
        for folder in self.folders:
            if folder in tally.missing:
                continue
            state = self.cache.folder(self.account, folder)
            if state is None or state.highestmodseq is None:
                return False
        # Messages stored but not threaded yet (a killed sync) may belong to the edited thread.
        return not self.cache.has_unthreaded(self.account)

    def _nobody_carries(self, uids: Iterable[int], keyword: str) -> bool:
        """Whether no message of ``uids`` (selected folder) carries ``keyword`` on the server."""
        try:
            return not self._conn().keyword_carriers(sorted(uids), keyword)
        except ImapConnectionLost:
            raise
        except ImapError:
            return False

    def _push(self, tally: _Tally) -> None:
        edits = self.userdb.outbox(self.account)
        complete = self._first_pull_done(tally)
        for n, edit in enumerate(edits, 1):
            self._progress(SyncProgress(folder="", phase="push", done=n - 1, total=len(edits)))
            locations = self.cache.locations(self.account, self._targets(edit))
            if not locations:
                continue  # not on the server (yet): the edit waits in the outbox
            local_only = False
            seen = edit.keyword.lower() == SEEN.lower()
            for folder, uids in sorted(locations.items()):
                if folder == LOCAL_FOLDER:
                    continue  # a sent reply not synced yet: only in the cache, nothing to push
                state = self.cache.folder(self.account, folder)
                if state is None or not (seen or state.permanent_keywords):
                    local_only = True
                    if state is not None and folder not in tally.local_only:
                        tally.local_only.append(folder)
                    continue
                try:
                    self._select(folder)
                    if seen:
                        self._conn().set_seen(sorted(uids), edit.add)
                    else:
                        self._conn().store_keyword(sorted(uids), edit.keyword, edit.add)
                except ImapConnectionLost:
                    raise
                except ImapError as exc:
                    if not (seen or edit.add) and self._nobody_carries(uids, edit.keyword):
                        # Already true; Cyrus refuses even this past its keyword limit.
                        log.info("dropped removal of %s in %s: %s", edit.keyword, folder, exc)
                        continue
                    local_only = True
                    tally.errors.append(quirks.refusal(edit.keyword, folder, str(exc)))
            if not local_only and complete and self.userdb.outbox_ack(edit):
                tally.pushed += 1
