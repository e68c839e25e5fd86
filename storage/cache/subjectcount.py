"""The exact count of a search whose words are in (nearly) every thread's subject, from its rows.

An exact count maps every match to its thread (``Cache.count_threads``). For a word in every
message that is most of the time: with every body of 250k messages indexed, the FTS5 match of
a 7-letter word (5 trigrams) takes ~65 ms and the distinct threads of its 250k matches ~45 ms
more (``docs/search.md``). Such a word is nearly always in the subjects: a subject is indexed
with its message, so a thread whose row's subject holds every word of three or more characters
(``LIKE``, which folds ASCII case only, so it never matches where the index does not) holds a
message that matches. When the view's threads are all such threads, or all but ``FEW``, the
count is the number of threads in the view (one pass over the thread rows, ~17 ms at 83k
threads), less those few that no message matches (asked of the index by row-id ranges,
:func:`storage.cache.searchpage.matching_roots`).

That holds only while the thread rows and the index describe the same messages, so it is tried
only when both are complete: no thread row waits to be rebuilt, no message to be threaded, no
message to be indexed (the index is not deferred and has one row per message). And it is tried
only when none of the newest ``SAMPLE`` threads of the account that are in the view lacks a
word in its subject (a fraction of a millisecond); otherwise, or when more than ``FEW`` threads
lack one, the caller counts as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from supportmail.storage.cache import searchindex, searchpage, threadstore

__all__ = ["FEW", "SAMPLE", "count_if_covered"]

SAMPLE = 200
"""The newest threads of the account looked at first."""
FEW = 8
"""Threads in the view without every word in their subject that are asked of the index at
most (each costs a few index lookups of about half a millisecond for a common word)."""


def _complete(db: sqlite3.Connection, account: str) -> bool:
    """Whether every threaded message has its thread row and its index row (see the module)."""
    if db.execute("SELECT 1 FROM dirty_threads WHERE account=? LIMIT 1", (account,)).fetchone():
        return False
    if threadstore.needs_threading(db, account) or searchindex.deferred(db):
        return False
    # Every index row is a message's (deleted together), so equal counts and equal highest row
    # ids mean every message is indexed (a body saved ahead of the indexer is not enough).
    indexed, top_indexed, messages, top = db.execute(
        "SELECT (SELECT count(*) FROM search.fts_docsize), (SELECT max(rowid) FROM fts),"
        " (SELECT count(*) FROM messages), (SELECT max(id) FROM messages)"
    ).fetchone()
    return bool(indexed == messages and top_indexed == top)


def count_if_covered(
    db: sqlite3.Connection,
    account: str,
    match: str,
    likes: Sequence[str],
    where: str,
    params: Sequence[object],
) -> int | None:
    """How many threads of ``account`` pass ``where`` (over ``threads t``, without the index:
    ``+t.account``) and hold a message matching ``match``; ``likes`` are the LIKE patterns
    (ESCAPE '\\') of its words of three or more characters. None when the subjects do not
    tell (count as usual)."""
    if not likes:
        return None
    lacking = " OR ".join(["t.subject NOT LIKE ? ESCAPE '\\'"] * len(likes))
    sample = db.execute(
        "SELECT 1 FROM (SELECT * FROM threads WHERE account=? ORDER BY last_date DESC, root"
        f" LIMIT ?) t WHERE {where} AND ({lacking}) LIMIT 1",
        (account, SAMPLE, *params, *likes),
    ).fetchone()
    if sample is not None or not _complete(db, account):
        return None
    # In table order: through an index on the account each row was one more lookup (8x).
    total, without = db.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {lacking}) FROM threads t NOT INDEXED"
        f" WHERE {where}",
        (*likes, *params),
    ).fetchone()
    if without == 0:
        return int(total)
    if without > FEW:
        return None
    roots = [
        str(r[0])
        for r in db.execute(
            f"SELECT t.root FROM threads t NOT INDEXED WHERE {where} AND ({lacking})",
            (*params, *likes),
        )
    ]
    return int(total) - len(roots) + len(searchpage.matching_roots(db, account, match, roots))
