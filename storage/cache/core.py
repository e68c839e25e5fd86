"""The cache's connections and transactions (:class:`CacheCore`), which every part builds on.

Writes take turns on one connection (:meth:`CacheCore.transaction`). Reads go through a
connection of the reading thread's own, so they see committed data only: on a shared connection
a read ran inside whatever transaction another thread had open, and a tag key pressed while a
worker rebuilt that thread's row found no thread at all. Inside its own transaction a thread
reads on the writing connection (it sees what it wrote). An in-memory cache (the tests') has one
connection only.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from supportmail.storage.cache.schema import (
    LOCK_CACHE,
    LOCK_SEARCH,
    is_corrupt,
    open_reader,
    open_writer,
    search_file,
)

CLOSE_CHECKPOINT_MS = 200
"""How long closing waits for readers before it leaves the write-ahead logs as they are."""


class CacheCore:
    """The connections of one cache file; the parts of :class:`storage.cache.Cache` add the
    queries. One instance per process, used by the UI thread and workers."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self._write_lock = threading.RLock()
        self._owner: int | None = None
        """The thread inside ``transaction`` (it reads on the writing connection)."""
        self._local = threading.local()
        """Per thread: its read connection (``db``) and its remembered search hits (``hits``)."""
        self._generation = 0
        """Bumped by every write transaction of this process."""
        if isinstance(path, Path):
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            self._writer = open_writer(path)
        except sqlite3.DatabaseError as exc:
            if not is_corrupt(exc):
                raise  # a full disk or a lock is not a reason to throw the cache away
            # A corrupt cache is rebuilt: it only holds what the server has.
            if isinstance(path, Path):
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        Path(str(path) + suffix).unlink()
            self._writer = open_writer(path)
        self._shared = search_file(path) is None
        """In memory: a second connection would open another, empty database."""

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection this thread reads on (see the module docstring)."""
        if self._shared or self._owner == threading.get_ident():
            return self._writer
        reader: sqlite3.Connection | None = getattr(self._local, "db", None)
        if reader is None:
            reader = self._local.db = open_reader(self.path)
        return reader

    def close(self) -> None:
        """Close the writing connection and this thread's reader (another thread's reader
        closes when that thread ends).

        First the write-ahead logs are folded into the files and emptied, if no reader is
        inside a read just then (waiting at most ``CLOSE_CHECKPOINT_MS``): SQLite does that
        itself only when the last connection closes, and a worker thread's idle reader may
        outlive this one, leaving logs of megabytes that the next start must read through
        before its first query (40 ms at 10k messages after a session of the window)."""
        reader: sqlite3.Connection | None = getattr(self._local, "db", None)
        self._local.db = None
        if not self._shared:
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute(f"PRAGMA busy_timeout={CLOSE_CHECKPOINT_MS}")
                self._writer.execute("PRAGMA main.wal_checkpoint(TRUNCATE)")
                self._writer.execute("PRAGMA search.wal_checkpoint(TRUNCATE)")
        for db in (reader, self._writer):
            if db is not None:
                with contextlib.suppress(sqlite3.Error):
                    db.close()

    @contextlib.contextmanager
    def transaction(self, *, search: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction; committed on success, rolled back on any exception.

        It write-locks the cache file at once (as BEGIN IMMEDIATE, which would also lock the
        attached search file and stall the indexer for every chunk: measured, no overlap at
        all); ``search``: the search file too, before anything in it is read (a read snapshot
        taken first could not be upgraded once the indexer committed)."""
        with self._write_lock:
            db = self._writer
            db.execute("BEGIN")
            self._owner = threading.get_ident()
            try:
                db.execute(LOCK_CACHE)
                if search:
                    db.execute(LOCK_SEARCH)
                yield db
            except BaseException:
                self._owner = None
                db.execute("ROLLBACK")
                self._generation += 1
                raise
            self._owner = None
            db.execute("COMMIT")
            self._generation += 1

    @property
    def search_path(self) -> Path | None:
        """The search index file (None for an in-memory cache: no second connection can
        reach it, so rows are indexed as they are inserted)."""
        return search_file(self.path)

    @staticmethod
    def _mark_dirty(db: sqlite3.Connection, account: str, roots: Iterable[str]) -> None:
        """Within the transaction that changes message rows: these threads' rows must be
        rebuilt. ``rebuild_threads`` clears the mark in its own transaction, so a kill between
        the two leaves the mark for the next sync instead of a stale thread row for good."""
        db.executemany(
            "INSERT OR IGNORE INTO dirty_threads VALUES (?, ?)", ((account, r) for r in roots)
        )

    @staticmethod
    def _delete_rows(db: sqlite3.Connection, ids: Sequence[int]) -> None:
        """Delete message rows with their bodies, search index rows and thread mapping."""
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM fts WHERE rowid IN ({marks})", chunk)
            db.execute(f"DELETE FROM bodies WHERE message IN ({marks})", chunk)
            db.execute(f"DELETE FROM thread_members WHERE message IN ({marks})", chunk)
            db.execute(f"DELETE FROM messages WHERE id IN ({marks})", chunk)
