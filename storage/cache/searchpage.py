"""The first pages of a search for a common word, without mapping every hit to its thread.

A search lists the threads holding a match, newest activity first. ``Cache._search_hits`` maps
every matching message to its thread row (``thread_members``) and takes the distinct rows; that
costs a fraction of a microsecond per match at each step (the FTS5 match, the map lookup, the
distinct rows), which a rare word never notices but a common one does: with every body of 250k
messages indexed, a word in 150k messages takes ~75 ms to match and map (measured with
``tests/bench/bench_search.py``; the figures are in ``docs/search.md``).

A common word is also the cheap case for the first page: most of the newest threads hold it. So
when at least ``DENSE`` of the newest ``RECENT`` messages match (one range of the index, about a
millisecond; counting the first 20,000 matches anywhere took 22 ms for two words), the page
walks the threads in list order (the view's filters applied in SQL), ``BATCH`` at a time, and
asks the index which of their messages match, each run of consecutive row ids as one ``rowid
BETWEEN`` range (FTS5 seeks those; an ``IN`` list or ``rowid = ?`` made it scan the whole
match). It stops as soon as the page is full, or gives up after ``MAX_WALK`` threads (a word
common lately but rare among these threads, or a view filter few threads pass), and the caller
maps every hit instead. The order is exactly the list's: threads are walked in it. A thread's
messages are found by their ``thread_root``, which is what the map says once the thread rows
are rebuilt (a sync does both, one after the other).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

__all__ = ["BATCH", "DENSE", "MAX_WALK", "RECENT", "is_dense", "matching_roots", "newest_page"]

DENSE = 500
"""Matches among the newest ``RECENT`` messages from which the walk is tried (below, the newest
threads hold too few matches, and mapping every hit is cheaper)."""
RECENT = 10_000
BATCH = 200
"""Threads looked at per step of the walk."""
MAX_WALK = 2_000
"""Threads walked at most before giving up (the caller then maps every hit)."""


def is_dense(db: sqlite3.Connection, match: str) -> bool:
    """At least ``DENSE`` of the newest ``RECENT`` messages match (stops counting there)."""
    top = db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
    row = db.execute(
        "SELECT count(*) FROM (SELECT rowid FROM fts WHERE fts MATCH ? AND rowid > ? LIMIT ?)",
        (match, top - RECENT, DENSE),
    ).fetchone()
    return int(row[0]) >= DENSE


def _runs(ids: Sequence[int]) -> list[tuple[int, int]]:
    runs: list[tuple[int, int]] = []
    for rowid in sorted(ids):
        if runs and rowid == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], rowid)
        else:
            runs.append((rowid, rowid))
    return runs


def matching_roots(
    db: sqlite3.Connection, account: str, match: str, roots: Sequence[str]
) -> set[str]:
    """Which of these threads have a message matching ``match``."""
    marks = ",".join("?" * len(roots))
    root_of = dict(
        db.execute(
            "SELECT id, thread_root FROM messages INDEXED BY messages_thread"
            f" WHERE account=? AND thread_root IN ({marks})",
            (account, *roots),
        ).fetchall()
    )
    found: set[str] = set()
    for low, high in _runs(list(root_of)):
        for (rowid,) in db.execute(
            "SELECT rowid FROM fts WHERE fts MATCH ? AND rowid BETWEEN ? AND ?", (match, low, high)
        ):
            found.add(root_of[rowid])
    return found


def newest_page(
    db: sqlite3.Connection,
    account: str,
    match: str,
    columns: str,
    where: str,
    params: Sequence[object],
    limit: int,
    offset: int,
) -> list[tuple[object, ...]] | None:
    """Rows ``offset`` to ``offset + limit`` of the threads matching ``match`` and ``where``
    (over ``threads t``), newest activity first; None when ``MAX_WALK`` threads did not fill
    them (the caller maps every hit instead). ``columns`` must start with ``t.root``."""
    wanted = offset + limit
    found: list[tuple[object, ...]] = []
    walked = 0
    cursor = db.execute(
        f"SELECT {columns} FROM threads t WHERE {where} ORDER BY t.last_date DESC, t.root", params
    )
    while len(found) < wanted:
        batch = cursor.fetchmany(BATCH)
        if not batch:
            break  # every thread walked: the page is what there is
        if walked >= MAX_WALK:
            return None
        walked += len(batch)
        hit = matching_roots(db, account, match, [str(r[0]) for r in batch])
        found += [r for r in batch if r[0] in hit]
    return found[offset:wanted]
