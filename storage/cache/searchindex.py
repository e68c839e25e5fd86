"""The search index: FTS5 (trigram) over subject, people and fetched bodies, in a file of its own.

``search.sqlite3`` sits beside the cache and is attached to the cache's connection as ``search``,
so every query names ``fts`` as before. It has a file of its own because SQLite lets one
connection at a time write a database file, and indexing is the costliest part of storing a
header: 8.4 s of a 33.8 s first sync of 250k messages. With its own file an :class:`Indexer` (a
second connection on a thread of its own) writes it while the cache writer threads the next
chunk; SQLite tokenises without the GIL, so that runs on the other core.

The index follows the cache, never the other way round: a chunk reaches the indexer after the
cache committed it, chunks in ascending row ids. A run killed in between leaves messages above
the highest indexed row id unindexed; :func:`missing_rows` finds them and the next sync adds them
(``Cache.index_missing``). A body saved before its row was indexed writes the whole row, and the
indexer skips row ids that are already there.

A first sync that mirrors every body indexes each message once, with its body (one FTS5
``INSERT`` of subject, people and body, instead of an ``INSERT`` of subject and people and then
an ``UPDATE`` that deletes and re-inserts them: the costliest part of the body mirror). It marks
the index :func:`deferred` (a ``search.meta`` row, committed before the first unindexed row) and
stores the headers unindexed; each body chunk indexes its rows whole. While the mark is set the
rule above does not hold (bodies land newest first, not in row-id order), so every row without
an index row is found by :func:`unindexed_rows` instead; the sync that ends the mirror (or the
next one that does not mirror every body, or one after a kill) indexes them and clears the mark.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "FILE_NAME",
    "SCHEMA",
    "IndexRow",
    "Indexer",
    "IndexerError",
    "clear_deferred",
    "connect",
    "defer",
    "deferred",
    "insert_new",
    "missing_rows",
    "unindexed_rows",
]

FILE_NAME = "search.sqlite3"

SCHEMA = """
-- meta: also what a cache transaction writes (no row) to take this file's write lock first
CREATE TABLE IF NOT EXISTS search.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS search.fts USING fts5 (
    subject, people, body, tokenize = 'trigram case_sensitive 0'
);
"""

IndexRow = tuple[int, str, str]
"""message row id, subject, people (names and addresses)."""

_QUEUED = 4
"""Chunks waiting for the indexer at most (the cache writer waits beyond that)."""


class IndexerError(Exception):
    """The indexer failed; the rows it did not index are added by the next sync."""


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the search file alone (the indexer's)."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=10000")
    return db


def insert_new(db: sqlite3.Connection, rows: Sequence[IndexRow]) -> None:
    """Index ``rows`` but those already there (a body saved first wrote the whole row)."""
    if not rows:
        return
    first = min(r[0] for r in rows)
    last = max(r[0] for r in rows)
    there = {
        r[0] for r in db.execute("SELECT rowid FROM fts WHERE rowid BETWEEN ? AND ?", (first, last))
    }
    # One statement for the chunk: SQLite tokenises it in one call without the GIL. Row by row
    # (executemany) the indexer needed the GIL back between rows, and waited for it each time
    # while the cache writer ran Python: no overlap at all.
    db.execute(
        "INSERT INTO fts (rowid, subject, people, body)"
        " SELECT value->>0, value->>1, value->>2, '' FROM json_each(?)",
        (json.dumps([r for r in rows if r[0] not in there], ensure_ascii=False),),
    )


def missing_rows(db: sqlite3.Connection) -> list[int]:
    """Row ids of cached messages above the highest indexed one (a run killed between the
    cache's commit and the indexer's)."""
    top = db.execute("SELECT coalesce(max(rowid), 0) FROM fts").fetchone()[0]
    return [r[0] for r in db.execute("SELECT id FROM messages WHERE id > ? ORDER BY id", (top,))]


_DEFERRED = "deferred"
"""``search.meta`` key: rows without an index row may lie anywhere (a first sync's headers wait
for their bodies)."""


def defer(db: sqlite3.Connection) -> None:
    """Mark the index deferred (in the caller's transaction, which holds the search file's lock)."""
    db.execute("INSERT OR REPLACE INTO search.meta (key, value) VALUES (?, '1')", (_DEFERRED,))


def deferred(db: sqlite3.Connection) -> bool:
    """Whether a first sync's rows may still wait for their bodies to be indexed."""
    found = db.execute("SELECT 1 FROM search.meta WHERE key=?", (_DEFERRED,)).fetchone()
    return found is not None


def clear_deferred(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM search.meta WHERE key=?", (_DEFERRED,))


def unindexed_rows(db: sqlite3.Connection) -> list[int]:
    """Row ids of every cached message without an index row (one rowid lookup each)."""
    return [
        r[0]
        for r in db.execute(
            "SELECT id FROM messages AS m"
            " WHERE NOT EXISTS (SELECT 1 FROM fts WHERE fts.rowid = m.id) ORDER BY id"
        )
    ]


class Indexer:
    """Indexes chunks on a thread of its own, in the order submitted. ``close`` waits for the
    rest and re-raises the first failure as :class:`IndexerError`."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path)
        self._queue: queue.Queue[Sequence[IndexRow] | None] = queue.Queue(_QUEUED)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="search-indexer", daemon=True)
        self._thread.start()

    def submit(self, rows: Sequence[IndexRow]) -> None:
        if self._error is not None:
            raise IndexerError(f"indexing failed: {self._error}") from self._error
        if rows:
            self._queue.put(rows)

    def _run(self) -> None:
        while (rows := self._queue.get()) is not None:
            if self._error is not None:
                continue  # drain: the next sync indexes what is left
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    insert_new(self._db, rows)
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except BaseException as exc:  # handed to the thread that closes the indexer
                self._error = exc

    def close(self) -> None:
        """Index what was submitted, stop the thread, close the connection."""
        self._queue.put(None)
        self._thread.join()
        self._db.close()
        if self._error is not None:
            raise IndexerError(f"indexing failed: {self._error}") from self._error
