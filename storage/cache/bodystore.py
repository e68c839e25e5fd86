"""The body mirror's cache queries and bulk writes (called through thin ``Cache`` methods).

* :func:`missing` - the work list: row ids of an account's messages that have no ``bodies`` row,
  dated within the window, newest first, as a compact array (250k ids are 2 MB, not a list of
  tuples). A run killed half-way leaves exactly the rows it did not store on this list, so the
  next run resumes without fetching anything twice.
* :func:`targets` - where the next rows of the work list live on the server (folder, UID, size,
  Message-ID), skipping rows that got a body meanwhile (a copy in another folder).
* :func:`save` - one chunk of parsed bodies in the caller's transaction: the ``bodies`` rows and
  the search index's ``body`` column together (a row not indexed yet, as a first sync's, is
  indexed whole: subject, people and body), each statement over the whole chunk (one call
  into SQLite, which then works without the GIL while the mirror parses the next chunk). A body
  also goes to every other copy of the same Message-ID that has none, so a message in two folders
  is fetched once.
* :func:`index`, :func:`repair` - bodies into the search index; a body write marks its rows until
  the next one, and :func:`repair` indexes marked rows again after a kill (see :data:`MARKS`).
* :func:`rows_with_bodies` - which of some rows have a body (the insights' coverage,
  :mod:`storage.insight.coverage`).

Nothing here talks to the network.
"""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from supportmail.storage.copies import CopyKey, copy_key

if TYPE_CHECKING:  # a body's values load with the first body (a first screen shows none)
    from supportmail.storage.mime import Body

__all__ = [
    "MARKS",
    "StoredBody",
    "Target",
    "body_row",
    "clear_marks",
    "index",
    "missing",
    "repair",
    "rows_with_bodies",
    "save",
    "targets",
]

_LOOKUP_CHUNK = 10_000

ALL_DATES = -(2**62)
"""A ``since`` before every message date (the dateless ones, stored as 0, included)."""


class Target(NamedTuple):
    """One message the mirror fetches: its cache row and where the server keeps it (a row's
    values, built per fetched message: a tuple costs a first screen less than a dataclass)."""

    rowid: int
    folder: str
    uid: int
    size: int
    """RFC822.SIZE as the header sync stored it."""
    message_id: str
    date: int = 0
    """The cached Date (epoch seconds): with the Message-ID and size, what makes a copy."""


StoredBody = tuple[int, str, "Body"]
"""(cache row id, Message-ID, parsed body) of one fetched message."""

People = Callable[[str, str, str, str], str]
"""(from name, from address, To json, Cc json) -> the index's ``people`` text."""


def missing(db: sqlite3.Connection, account: str, since: int = ALL_DATES) -> array[int]:
    """Row ids of the account's messages without a body, dated at or after ``since`` (epoch
    seconds), newest first."""
    return array(
        "q",
        (
            r[0]
            for r in db.execute(
                "SELECT id FROM messages AS m WHERE account=? AND date>=?"
                " AND NOT EXISTS (SELECT 1 FROM bodies AS b WHERE b.message=m.id)"
                " ORDER BY date DESC, id DESC",
                (account, since),
            )
        ),
    )


def targets(db: sqlite3.Connection, ids: Sequence[int]) -> list[Target]:
    """The rows ``ids`` that still have no body, in the order given."""
    found = {
        r[0]: Target(r[0], r[1], r[2], r[3], r[4], r[5])
        for r in db.execute(
            "SELECT id, folder, uid, size, message_id, date FROM messages AS m"
            " WHERE id IN (SELECT value FROM json_each(?))"
            " AND NOT EXISTS (SELECT 1 FROM bodies AS b WHERE b.message=m.id)",
            (json.dumps(list(ids)),),
        )
    }
    return [found[i] for i in ids if i in found]


def _clean(text: str) -> str:
    """``text`` as SQLite can store it (a lone surrogate would fail the whole chunk)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def body_row(body: Body) -> tuple[str, str, int]:
    """A body's ``bodies`` columns: its text as SQLite can store it, its attachments as JSON
    (``[]`` for the many bodies without any), whether it was HTML only."""
    attachments = (
        json.dumps(
            [[a.filename, a.content_type, a.size] for a in body.attachments], ensure_ascii=False
        )
        if body.attachments
        else "[]"
    )
    return _clean(body.text), attachments, int(body.html_only)


def save(
    db: sqlite3.Connection, account: str, items: Sequence[StoredBody], people: People
) -> tuple[int, list[int]]:
    """Store ``items`` and copy each body to the other copies of its message that have none
    (same Message-ID, size and Date: :mod:`storage.copies`; a distinct message that merely
    shares the Message-ID keeps its own);
    update the search index's body column (a row the index lacks is indexed whole). Runs in the
    caller's transaction (which must hold the search file's lock too). Returns the rows stored
    and the rows it marked (:func:`index`)."""
    if not items:
        return 0, []
    by_key: dict[CopyKey, tuple[str, str, int]] = {}
    rows: dict[int, tuple[str, str, int]] = {}
    keys = {
        r[0]: copy_key(r[1], r[2], r[3])
        for r in db.execute(
            "SELECT id, message_id, size, date FROM messages"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([item[0] for item in items]),),
        )
    }
    for rowid, _message_id, body in items:
        value = body_row(body)
        rows[rowid] = value
        if rowid in keys:
            by_key.setdefault(keys[rowid], value)
    for rowid, message_id, size, date in db.execute(
        "SELECT id, message_id, size, date FROM messages AS m WHERE account=?"
        " AND message_id IN (SELECT value FROM json_each(?))"
        " AND NOT EXISTS (SELECT 1 FROM bodies AS b WHERE b.message=m.id)",
        (account, json.dumps(list(dict.fromkeys(key[0] for key in by_key)))),
    ):
        copied = by_key.get(copy_key(message_id, size, date))
        if copied is not None:
            rows.setdefault(rowid, copied)
    payload = json.dumps([[rowid, *value] for rowid, value in rows.items()], ensure_ascii=False)
    before = db.total_changes
    # Rows removed meanwhile (an expunge pulled by another process) are skipped, not an error.
    db.execute(
        "INSERT OR REPLACE INTO bodies (message, text, attachments_json, html_only)"
        " SELECT j.value->>0, j.value->>1, j.value->>2, j.value->>3 FROM json_each(?) AS j"
        " WHERE EXISTS (SELECT 1 FROM messages WHERE id = j.value->>0)",
        (payload,),
    )
    stored = db.total_changes - before
    return stored, index(db, {rowid: value[0] for rowid, value in rows.items()}, people)


def index(db: sqlite3.Connection, texts: dict[int, str], people: People) -> list[int]:
    """Put ``texts`` (row id -> body text) into the search index, in the caller's transaction:
    the body column of a row the index has, the whole row (subject, people, body) of one it
    lacks (a first sync's, or a killed run's); rows no longer cached are skipped. Marks the rows
    (:data:`MARKS`) until the writer's next body write, which then knows this index write
    committed; returns the rows marked."""
    if not texts:
        return []
    ids = json.dumps(list(texts))
    db.execute(f"INSERT OR IGNORE INTO {MARKS} (message) SELECT value FROM json_each(?)", (ids,))
    indexed = {
        r[0]
        for r in db.execute(
            "SELECT rowid FROM fts WHERE rowid IN (SELECT value FROM json_each(?))", (ids,)
        )
    }
    db.execute(
        "UPDATE fts SET body = j.value->>1 FROM json_each(?) AS j WHERE fts.rowid = j.value->>0",
        (json.dumps([[rowid, texts[rowid]] for rowid in indexed], ensure_ascii=False),),
    )
    unindexed = [rowid for rowid in texts if rowid not in indexed]
    if unindexed:
        found = db.execute(
            "SELECT id, subject, from_name, from_addr, to_json, cc_json FROM messages"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(unindexed),),
        ).fetchall()
        whole = [
            [rowid, subject, people(name, addr, to_json, cc_json), texts[rowid]]
            for rowid, subject, name, addr, to_json, cc_json in found
        ]
        # One statement for the chunk, as the indexer's: SQLite tokenises it without the GIL.
        db.execute(
            "INSERT INTO fts (rowid, subject, people, body)"
            " SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(?)",
            (json.dumps(whole, ensure_ascii=False),),
        )
    return list(texts)


MARKS = "body_index_marks"
"""The cache table of rows whose body the last body write indexed. A write commits the cache
file first and the search file after it (two WAL files: not one atomic commit), so a kill
between the two leaves these marks, and :func:`repair` indexes those bodies again."""

MARKS_SCHEMA = f"CREATE TABLE IF NOT EXISTS {MARKS} (message INTEGER PRIMARY KEY);"


def clear_marks(db: sqlite3.Connection, ids: Sequence[int] | None = None) -> None:
    """Forget the marks of ``ids`` (all marks when None): rows of a body write whose
    transaction the caller saw commit, or rows just indexed again."""
    if ids is None:
        db.execute(f"DELETE FROM {MARKS}")
    elif ids:
        db.execute(
            f"DELETE FROM {MARKS} WHERE message IN (SELECT value FROM json_each(?))",
            (json.dumps(list(ids)),),
        )


def repair(db: sqlite3.Connection, people: People) -> int:
    """Index again the stored bodies of marked rows (a kill may have lost their index write),
    then clear the marks. Returns how many bodies were indexed again."""
    marked = [r[0] for r in db.execute(f"SELECT message FROM {MARKS}")]
    texts: dict[int, str] = {}
    for start in range(0, len(marked), _LOOKUP_CHUNK):
        part = json.dumps(marked[start : start + _LOOKUP_CHUNK])
        texts.update(
            db.execute(
                "SELECT message, text FROM bodies"
                " WHERE message IN (SELECT value FROM json_each(?))",
                (part,),
            ).fetchall()
        )
    index(db, texts, people)
    clear_marks(db)
    return len(texts)


def rows_with_bodies(db: sqlite3.Connection, rowids: Sequence[int]) -> set[int]:
    """The row ids among ``rowids`` whose body is cached (primary-key lookups, in chunks)."""
    found: set[int] = set()
    for start in range(0, len(rowids), _LOOKUP_CHUNK):
        part = json.dumps(list(rowids[start : start + _LOOKUP_CHUNK]))
        found.update(
            r[0]
            for r in db.execute(
                "SELECT b.message FROM json_each(?) j JOIN bodies b ON b.message = j.value", (part,)
            )
        )
    return found
