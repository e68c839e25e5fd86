"""The exact count of a word's threads on two cores: the index's matches split by row id.

An exact count of a word in many bodies is the FTS5 match, each match mapped to its thread row
(``thread_members``) and the distinct rows counted (``ThreadSearch._count``): at 250k messages
with every body indexed, ``please`` (151k matches, 60k threads) takes ~60 ms of CPU, the match
alone ~34 ms, all of it inside SQLite, which releases the GIL. So :class:`Splitter` runs the
matches up to the middle row id on the calling thread's connection and the rest on a second
connection of its own, on a thread of its own; each half takes its distinct thread rows
(``json_group_array(DISTINCT ...)``), and the count is the size of their union (a thread whose
messages lie on both sides is in both halves, counted once). With a core free the count takes
about half the time; without one, the two halves take turns and cost a few ms more than one
query (the union of two JSON arrays in Python).

Both halves must read the same state of the cache. Each connection's ``data_version`` (of the
cache and of the search file) is read before its half and after both: unchanged means no other
connection committed in between, so both read the state of the same last commit. Otherwise the
caller counts in one query. A cache below :data:`SPLIT_FROM` messages is not split (the second
thread costs more than it saves), nor is a count while the machine's load average says no core
is free (:func:`core_free`): the halves would take turns and cost more than one query.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait

__all__ = ["SPLIT_FROM", "Splitter", "core_free"]

SPLIT_FROM = 20_000
"""Messages (highest row id) from which a count is split."""

_HALF = (
    "SELECT json_group_array(DISTINCT x.thread) FROM fts f"
    " JOIN thread_members x ON x.message = f.rowid WHERE fts MATCH ? AND f.rowid {} ?"
)
"""The distinct thread rows of the matches on one side of a row id (``<=`` or ``>``)."""


def core_free() -> bool:
    """Whether the machine seems to have a core to spare: a 1-minute load average half a
    core below the number of cores (measured at 250k messages: with a core free the split
    count of ``export failed`` took 31 against 53 ms; with none, ``please`` took 78 against 63 ms
    of CPU, the halves taking turns)."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # no load average here
        return cores > 1
    return cores > 1 and load < cores - 0.5


def _versions(db: sqlite3.Connection) -> tuple[int, int]:
    """This connection's view of the commits to the cache and to the search file."""
    main = db.execute("PRAGMA main.data_version").fetchone()[0]
    search = db.execute("PRAGMA search.data_version").fetchone()[0]
    return int(main), int(search)


def _half(db: sqlite3.Connection, match: str, side: str, middle: int) -> list[int]:
    """The distinct thread rows of the matches whose row id is ``side`` (``<=`` or ``>``)
    ``middle``."""
    found: list[int] = json.loads(db.execute(_HALF.format(side), (match, middle)).fetchone()[0])
    return found


class Splitter:
    """Second reading connections (one per count running at a time) and the thread that uses
    them. ``open`` makes a connection to the cache (``storage.cache.schema.open_reader``)."""

    def __init__(self, open_reader: Callable[[], sqlite3.Connection]) -> None:
        self._open = open_reader
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    def count(self, db: sqlite3.Connection, match: str) -> int | None:
        """How many distinct thread rows the matches of ``match`` map to, counted in two halves
        (``db`` is the calling thread's connection); None when the cache is too small to split
        or changed while counting, or when no core seems free (count in one query)."""
        top = int(db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0])
        if top < SPLIT_FROM or not core_free():
            return None
        helper, pool = self._take()
        if helper is None or pool is None:
            return None
        try:
            before = _versions(db), _versions(helper)
            try:
                upper = pool.submit(_half, helper, match, ">", top // 2)
            except RuntimeError:  # closed meanwhile
                return None
            try:
                lower = _half(db, match, "<=", top // 2)
            finally:
                wait([upper])  # the helper's connection is free only when its half ended
            # One set, the other half added to it: half the time of two sets and their union.
            threads = set(lower).union(upper.result())
            if (_versions(db), _versions(helper)) != before:
                return None
            return len(threads)
        finally:
            self._give(helper)

    def _take(self) -> tuple[sqlite3.Connection | None, ThreadPoolExecutor | None]:
        with self._lock:
            if self._closed:
                return None, None
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="search-split")
            pool = self._pool
        try:
            return self._idle.get_nowait(), pool
        except queue.Empty:
            return self._open(), pool

    def _give(self, helper: sqlite3.Connection) -> None:
        """Back to the idle ones (closed if the splitter was closed while it counted)."""
        with self._lock:
            if not self._closed:
                self._idle.put(helper)
                return
        helper.close()

    def close(self) -> None:
        """Stop the thread and close the idle connections (one in use is closed when its
        count ends)."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
