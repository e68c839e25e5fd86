"""What a search's words become: an FTS5 query for the words of three or more characters (the
trigram index looks them up), the rest matched in subjects and people
(:mod:`storage.cache.shortwords`); and the order the index is asked for several words in.

FTS5 steps through the first word's matches of an ``AND`` and seeks the other words' to each,
so the rarest word first is cheaper: at 250k messages with every body indexed, ``"failed" AND
"export"`` took 34 ms of CPU and ``"export" AND "failed"`` 40 ms. :func:`rarest_first` counts
each word among the newest :data:`ORDER_SAMPLE` messages (well under a millisecond) and orders
them by that: a guess, which only the time depends on, never the result.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from supportmail.storage.models import ThreadQuery

__all__ = ["ORDER_SAMPLE", "fts_query", "long_terms", "rarest_first", "short_only", "short_terms"]

ORDER_SAMPLE = 2_000
"""Newest messages in which each word of a search of several words is counted."""


def long_terms(text: str) -> list[str]:
    """The words of three or more characters (the trigram index looks them up)."""
    return [t for t in text.split() if len(t) >= 3]


def short_terms(text: str) -> list[str]:
    """The words of one or two characters (the trigram index cannot look them up)."""
    return [t for t in text.split() if len(t) < 3]


def short_only(query: ThreadQuery) -> list[str]:
    """A local search's words when every one is shorter than three characters, else none."""
    if not query.search or query.roots is not None or long_terms(query.search):
        return []
    return short_terms(query.search)


def _phrase(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _and(terms: Sequence[str]) -> str | None:
    """An FTS5 query matching every one of ``terms`` (each a quoted phrase of trigrams)."""
    if not terms:
        return None
    return " AND ".join(_phrase(t) for t in terms)


def fts_query(text: str) -> str | None:
    """Turn what a user typed into an FTS5 trigram query over its words of three or more
    characters (every one must match, in one message), or None when it has none (shorter
    words match the thread's subject and people only: see ``ThreadSearch._where``)."""
    return _and(long_terms(text))


def rarest_first(db: sqlite3.Connection, terms: Sequence[str]) -> str:
    """The FTS5 query of ``terms`` (at least one), the word fewest of the newest
    :data:`ORDER_SAMPLE` messages hold first (ties in the order typed)."""
    top = db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
    found = {
        term: db.execute(
            "SELECT count(*) FROM fts WHERE fts MATCH ? AND rowid > ?",
            (_phrase(term), top - ORDER_SAMPLE),
        ).fetchone()[0]
        for term in set(terms)
    }
    match = _and(sorted(terms, key=found.__getitem__))
    assert match is not None
    return match
