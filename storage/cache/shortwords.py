"""Searches whose words are all shorter than three characters, through ``thread_text``.

The trigram index cannot look up a word of one or two characters, so such a word matches the
thread's subject and people only (``LIKE``, which folds ASCII case): ``ThreadSearch._where``
tests it on the thread row when the search has a longer word too (the index's hits are the
rows to test). A search of short words alone tested every thread row: at 250k messages (83k
threads) its count read them all in table order (22 ms, mostly decoding wide rows) and its first
page walked them newest first until the page was full, all of them for a word in no subject
(``发票``: 41 ms). ``thread_text`` holds each row's searchable text alone, :data:`TEXT` under the
row's id (10 MB against 15 MB of rows), written and deleted with the rows
(``ThreadTable.rebuild_threads``). So:

* a page first walks the newest :data:`MAX_WALK` threads of the account (:func:`newest_page`):
  a word in many subjects fills it there (``ok``: about 2 ms);
* otherwise the matching rows are found in one pass over ``thread_text`` (:func:`matching_rows`,
  13 ms), which the cache remembers like the index's hits: the page is taken from them and the
  count is their number (the view's filters, if any, applied to those rows);
* a count no page found the rows for (the walk filled the page) counts the matching texts
  (:func:`count_matching`) when the view has no filter, else tests the thread rows in table
  order as before (a word in most subjects, ``a``, would otherwise look up most rows).

A word never holds whitespace (the search text is split on it), so it cannot match across the
newline between subject and people: the text matches exactly when the subject or the people
match, as the test on the row does.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

__all__ = ["MAX_WALK", "TEXT", "count_matching", "like", "matching_rows", "newest_page"]

TEXT = "subject || char(10) || participants_json"
"""A ``threads`` row's searchable text, as ``thread_text`` holds it."""
MAX_WALK = 2_000
"""Newest threads of the account a page is looked for in before every row is tested."""


def like(term: str) -> str:
    """A LIKE pattern (ESCAPE '\\') matching ``term`` anywhere."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _tests(terms: Sequence[str]) -> str:
    return " AND ".join(["text LIKE ? ESCAPE '\\'"] * len(terms))


def matching_rows(db: sqlite3.Connection, terms: Sequence[str]) -> list[int]:
    """The thread row ids (every account's) whose text holds every one of ``terms``."""
    sql = f"SELECT thread FROM thread_text WHERE {_tests(terms)}"
    return [r[0] for r in db.execute(sql, [like(t) for t in terms])]


def count_matching(db: sqlite3.Connection, terms: Sequence[str]) -> int:
    """How many thread rows (every account's) have a text holding every one of ``terms``."""
    sql = f"SELECT count(*) FROM thread_text WHERE {_tests(terms)}"
    return int(db.execute(sql, [like(t) for t in terms]).fetchone()[0])


def newest_page(
    db: sqlite3.Connection,
    account: str,
    columns: str,
    where: str,
    params: Sequence[object],
    limit: int,
    offset: int,
) -> list[tuple[object, ...]] | None:
    """Rows ``offset`` to ``offset + limit`` of the threads passing ``where`` (over ``threads
    t``, the short words' tests included), newest activity first, when the newest
    :data:`MAX_WALK` threads of the account hold them all; else None (the caller takes the
    page from :func:`matching_rows`)."""
    if offset + limit > MAX_WALK:
        return None
    rows = db.execute(
        f"SELECT {columns} FROM (SELECT * FROM threads WHERE account=?"
        f" ORDER BY last_date DESC, root LIMIT ?) t WHERE {where}"
        " ORDER BY t.last_date DESC, t.root LIMIT ? OFFSET ?",
        (account, MAX_WALK, *params, limit, offset),
    ).fetchall()
    return rows if len(rows) == limit else None
