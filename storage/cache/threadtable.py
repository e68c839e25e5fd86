"""The ``threads`` table (:class:`ThreadTable`): threading the cached messages and one row of
aggregates per thread (dates, counts, unread, keywords, participants), so that listing 250k
messages is an indexed query, not a scan.

Rows are rebuilt after a sync from the messages marked dirty and patched after a tag edit; which
root a message belongs to is decided incrementally by :mod:`storage.cache.threadstore`. A
thread's counts skip second copies of a message (:mod:`storage.copies`).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from supportmail.storage import threads  # the threader loads with the first threading
from supportmail.storage.cache import threadstore
from supportmail.storage.cache.core import CacheCore
from supportmail.storage.cache.rows import is_seen, pairs_json
from supportmail.storage.copies import CopyKey, copy_key
from supportmail.storage.tags import keyword_to_tag
from supportmail.storage.threads import thread_id

if TYPE_CHECKING:
    from supportmail.storage.threads import ThreadInput

_FULL_REBUILD_ROOTS = 5000
"""Above this many changed roots, ``rebuild_threads`` recomputes every thread in one pass."""
# Plain INSERT: the caller deleted the rows of these roots (with a row id given, OR REPLACE took
# three times as long).
_INSERT_THREAD = (
    "INSERT INTO threads (rowid, account, root, id, subject, first_date, last_date,"
    " last_tz, first_tz, messages, unread, keywords, has_team, has_category, participants_json)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_TEXT = "INSERT INTO thread_text (thread, text) VALUES (?, ?)"
"""A thread row's searchable text (``storage.cache.shortwords.TEXT``: subject, newline, people)."""
_INSERT_MEMBER = "INSERT OR REPLACE INTO thread_members (message, thread) VALUES (?, ?)"
_MAP_ALL = (
    "INSERT INTO thread_members (message, thread) SELECT m.id, t.rowid FROM messages m"
    " JOIN threads t ON t.account = m.account AND t.root = m.thread_root WHERE m.account=?"
)
"""Every threaded message of an account to its thread row (after a full rebuild wrote them)."""
_MAP_INDEX = "CREATE INDEX IF NOT EXISTS thread_members_thread ON thread_members (thread)"
_MESSAGE_ROWS = (
    "SELECT thread_root, subject, from_name, from_addr, date, tz_minutes, flags, message_id, size,"
    " id FROM messages WHERE account=? AND thread_root"
)
"""A thread's messages as ``_ThreadSummary.add`` takes them (the condition on the root follows)."""

_MessageRow = tuple[str, str, str, str, int, int, str, str, int, int]
"""root, subject, from name, from address, date, tz, flags, Message-ID, size, message row id."""


def _first(row: _MessageRow) -> str:
    return row[0]


def _number(row: tuple[object, ...]) -> int:
    number = row[0]
    assert isinstance(number, int)
    return number


class _ThreadSummary:
    """Running aggregates of one thread's messages, fed in (date, id) order."""

    __slots__ = ("copies", "count", "first", "keywords", "last", "people", "subject", "unread")

    def __init__(self) -> None:
        self.subject = ""
        self.count = 0
        self.unread = 0
        self.first: tuple[int, int] = (0, 0)
        self.last: tuple[int, int] = (0, 0)
        self.keywords: dict[str, None] = {}
        self.people: dict[str, tuple[str, str]] = {}
        self.copies: set[CopyKey] = set()

    def add(self, row: _MessageRow) -> None:
        _root, subject, name, addr, date, tz, flags, message_id, size, _id = row
        copy = copy_key(message_id, size, date)
        if copy in self.copies:
            return  # the same message in a second folder, or a byte-identical copy
        self.copies.add(copy)
        if not self.count:
            self.first = (date, tz)
        self.count += 1
        self.last = (date, tz)
        if subject and not self.subject:
            self.subject = subject
        if flags:
            tokens = flags.split()
            if "\\Seen" not in tokens and not is_seen(tokens):
                self.unread += 1
            for flag in tokens:
                if flag[0] != "\\" and keyword_to_tag(flag) is not None:
                    self.keywords.setdefault(flag.lower())
        else:
            self.unread += 1
        key = addr.lower() or name
        if key and key not in self.people:
            self.people[key] = (name, addr)

    def row(self, number: int, account: str, root: str) -> tuple[object, ...]:
        keywords = self.keywords
        tags = [keyword_to_tag(k) or "" for k in keywords]
        return (
            number,
            account,
            root,
            thread_id(root),
            self.subject,
            self.first[0],
            self.last[0],
            self.last[1],
            self.first[1],
            self.count,
            self.unread,
            " " + " ".join(keywords) + " " if keywords else "",
            int(any(t.startswith("team:") for t in tags)),
            int(any(t.startswith("category:") for t in tags)),
            pairs_json(list(self.people.values())),
        )


class ThreadTable(CacheCore):
    """Threading and the ``threads`` rows."""

    def thread_inputs(self, account: str) -> Iterator[ThreadInput]:
        """Threading input for every cached message, streamed (250k rows never sit in a list)."""
        cursor = self._db.execute(
            "SELECT id, message_id, in_reply_to, refs, subject, date FROM messages WHERE account=?",
            (account,),
        )
        while batch := cursor.fetchmany(5000):
            for rowid, mid, irt, refs, subject, date in batch:
                yield threads.ThreadInput(
                    key=rowid,
                    message_id=mid,
                    in_reply_to=tuple(irt.split()) if irt else (),
                    references=tuple(refs.split()) if refs else (),
                    subject=subject,
                    date=float(date),
                )

    def thread_pending(self, account: str) -> set[str]:
        """Thread every unthreaded message incrementally (see :mod:`storage.cache.threadstore`), in
        batches, each in one transaction with its dirty marks. Returns the roots touched; the
        caller rebuilds their thread rows."""
        touched: set[str] = set()
        while True:
            with self.transaction() as db:
                count, roots = threadstore.thread_pending(db, account, threadstore.BATCH)
                self._mark_dirty(db, account, roots)
            touched |= roots
            if count < threadstore.BATCH:
                return touched

    def rethread_all(self, account: str) -> None:
        """Thread the whole account from scratch and rebuild every thread row."""
        with self.transaction() as db:
            threadstore.forget_all(db, account)
        self.thread_pending(account)
        self.rebuild_threads(account)

    def rebuild_threads(self, account: str, roots: set[str] | None = None) -> None:
        """Recompute the ``threads`` rows of the given roots (all of the account when None)."""
        if roots is not None and len(roots) > _FULL_REBUILD_ROOTS:
            roots = None  # one sorted pass beats hundreds of IN (...) lookups
        with self.transaction() as db:
            if roots is None:
                others = db.execute("SELECT 1 FROM threads WHERE account<>? LIMIT 1", (account,))
                if others.fetchone() is None:
                    db.execute("DELETE FROM threads")  # no WHERE: SQLite truncates, no index work
                    db.execute("DELETE FROM thread_members")
                    db.execute("DELETE FROM thread_text")
                else:
                    db.execute(
                        "DELETE FROM thread_text WHERE thread IN"
                        " (SELECT rowid FROM threads WHERE account=?)",
                        (account,),
                    )
                    db.execute("DELETE FROM threads WHERE account=?", (account,))
                    db.execute(
                        "DELETE FROM thread_members WHERE message IN"
                        " (SELECT id FROM messages WHERE account=?)",
                        (account,),
                    )
                db.execute("DELETE FROM dirty_threads WHERE account=?", (account,))
                rows = db.execute(
                    f"{_MESSAGE_ROWS} IS NOT NULL ORDER BY thread_root, date, id", (account,)
                )
                self._write_threads(db, account, rows, members=False)
                # The map in one statement, its index built after it: 50 ms at 50k messages;
                # row by row from Python, the index kept up, it took 120 ms.
                db.execute("DROP INDEX IF EXISTS thread_members_thread")
                db.execute(_MAP_ALL, (account,))
                db.execute(_MAP_INDEX)
                return
            root_list = sorted(roots)
            for start in range(0, len(root_list), 500):
                chunk = root_list[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for table, column in (("thread_members", "thread"), ("thread_text", "thread")):
                    db.execute(  # a row's map entries and text go with it (see the schema)
                        f"DELETE FROM {table} WHERE {column} IN (SELECT rowid FROM threads"
                        f" WHERE account=? AND root IN ({marks}))",
                        (account, *chunk),
                    )
                db.execute(
                    f"DELETE FROM threads WHERE account=? AND root IN ({marks})", (account, *chunk)
                )
                db.execute(
                    f"DELETE FROM dirty_threads WHERE account=? AND root IN ({marks})",
                    (account, *chunk),
                )
                rows = db.execute(
                    f"{_MESSAGE_ROWS} IN ({marks}) ORDER BY thread_root, date, id",
                    (account, *chunk),
                )
                self._write_threads(db, account, rows)

    @staticmethod
    def _write_threads(
        db: sqlite3.Connection, account: str, rows: Iterable[_MessageRow], *, members: bool = True
    ) -> None:
        """Aggregate message rows (sorted by root, date, id) into ``threads`` rows, each under a
        row id never used before, map every message to it (``thread_members``; ``members``
        False: the caller maps them) and copy its searchable text (``thread_text``). One pass,
        nothing kept per message: this runs over every message after a first sync.

        A row's id is meta ``thread_seq`` (every id used so far is at most that) plus the row
        id of the thread's first message (the lowest), so that the ids of threads follow the
        ids of their messages: a search takes the distinct threads of its hits, which come in
        message order, and SQLite's distinct is 4x cheaper on ascending values (a b-tree
        append instead of a descent: 45 against 11 ms for 150k values)."""
        found = db.execute("SELECT value FROM meta WHERE key='thread_seq'").fetchone()
        base = int(found[0]) if found is not None else 0
        top = base
        batch: list[tuple[object, ...]] = []
        texts: list[tuple[int, str]] = []
        mapped: list[tuple[int, int]] = []
        for root, group in itertools.groupby(rows, key=_first):
            summary = _ThreadSummary()
            ids: list[int] = []
            for row in group:
                summary.add(row)
                ids.append(row[9])
            number = base + min(ids)
            top = max(top, number)
            if members:
                mapped += [(message, number) for message in ids]
            row_values = summary.row(number, account, root)
            batch.append(row_values)
            texts.append((number, f"{row_values[4]}\n{row_values[14]}"))
            if len(batch) >= 5000:
                ThreadTable._insert(db, batch, texts, mapped)
        ThreadTable._insert(db, batch, texts, mapped)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('thread_seq', ?)", (str(top),))

    @staticmethod
    def _insert(
        db: sqlite3.Connection,
        batch: list[tuple[object, ...]],
        texts: list[tuple[int, str]],
        mapped: list[tuple[int, int]],
    ) -> None:
        """Write (and empty) a batch of thread rows, their texts and their map entries, each in
        row-id order (fewer pages touched than in the order of the roots)."""
        rows: list[tuple[object, ...]] = sorted(batch, key=_number)
        db.executemany(_INSERT_THREAD, rows)
        db.executemany(_INSERT_TEXT, sorted(texts))
        db.executemany(_INSERT_MEMBER, sorted(mapped))
        batch.clear()
        texts.clear()
        mapped.clear()
