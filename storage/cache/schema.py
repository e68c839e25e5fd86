"""The cache file: its tables, how a connection to it is opened, and what happens to an old one.

A cache whose schema version is not :data:`SCHEMA_VERSION` is emptied and built again (it only
holds what the server has); a corrupt one is deleted and built again. The search index
(:mod:`storage.cache.searchindex`) lives in a file of its own beside the cache, attached to every
connection as ``search``; the threading tables come from :mod:`storage.cache.threadstore`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from supportmail.storage.cache import bodystore, searchindex, threadstore

SCHEMA_VERSION = 6
"""4: the search index moved to its own file (``storage.cache.searchindex``); 5: the
``thread_members`` map (a version-4 cache is upgraded in place: :data:`UPGRADE_4`); 6: the
``thread_text`` copy and thread rows numbered by their first message (a version-5 cache is
upgraded in place: :data:`UPGRADE_5`)."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folders (
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    highestmodseq INTEGER,
    permanent_keywords INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (account, name)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY,
    account TEXT NOT NULL,
    folder TEXT NOT NULL,
    uid INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    in_reply_to TEXT NOT NULL,
    refs TEXT NOT NULL,
    subject TEXT NOT NULL,
    from_name TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    to_json TEXT NOT NULL,
    cc_json TEXT NOT NULL,
    date INTEGER NOT NULL,
    tz_minutes INTEGER NOT NULL,
    size INTEGER NOT NULL,
    flags TEXT NOT NULL,
    modseq INTEGER,
    thread_root TEXT,
    link_root TEXT,
    subj_key TEXT,
    subj_reply INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account, folder, uid)
);
CREATE INDEX IF NOT EXISTS messages_thread ON messages (account, thread_root);
CREATE INDEX IF NOT EXISTS messages_msgid ON messages (account, message_id);
CREATE INDEX IF NOT EXISTS messages_subject ON messages (account, subj_key)
    WHERE subj_key IS NOT NULL;
CREATE TABLE IF NOT EXISTS bodies (
    message INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    attachments_json TEXT NOT NULL,
    html_only INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS threads (
    account TEXT NOT NULL,
    root TEXT NOT NULL,
    id TEXT NOT NULL,
    subject TEXT NOT NULL,
    first_date INTEGER NOT NULL,
    last_date INTEGER NOT NULL,
    last_tz INTEGER NOT NULL,
    first_tz INTEGER NOT NULL,
    messages INTEGER NOT NULL,
    unread INTEGER NOT NULL,
    keywords TEXT NOT NULL,
    has_team INTEGER NOT NULL,
    has_category INTEGER NOT NULL,
    participants_json TEXT NOT NULL,
    PRIMARY KEY (account, root)
);
CREATE INDEX IF NOT EXISTS threads_newest ON threads (account, last_date DESC, root);
CREATE INDEX IF NOT EXISTS threads_oldest ON threads (account, first_date, root);
CREATE INDEX IF NOT EXISTS threads_id ON threads (account, id);
CREATE INDEX IF NOT EXISTS threads_tagged ON threads (account, keywords) WHERE keywords != '';
-- Which thread row counts each message: the row id of the ``threads`` row whose last rebuild
-- aggregated it. Every entry names a row that exists (``ThreadTable.rebuild_threads`` deletes
-- a row's entries with the row, in the same transaction); thread row ids come from meta
-- ``thread_seq`` and are never used twice. A search maps its hits through this
-- (storage.cache.search): one rowid lookup per hit, in row-id order.
CREATE TABLE IF NOT EXISTS thread_members (
    message INTEGER PRIMARY KEY,
    thread INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS thread_members_thread ON thread_members (thread);
-- Each thread row's searchable text alone, under the row's id: ``subject``, a newline,
-- ``participants_json`` (storage.cache.shortwords.TEXT). Words of one or two characters are
-- matched against it: one pass over 10 MB at 83k threads instead of the wide rows. Written and
-- deleted with the thread rows, in the same transaction (``ThreadTable.rebuild_threads``).
CREATE TABLE IF NOT EXISTS thread_text (thread INTEGER PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dirty_threads (
    account TEXT NOT NULL,
    root TEXT NOT NULL,
    PRIMARY KEY (account, root)
) WITHOUT ROWID;
"""

UPGRADE_4 = """
BEGIN;
CREATE TABLE IF NOT EXISTS thread_members (message INTEGER PRIMARY KEY, thread INTEGER NOT NULL);
INSERT OR REPLACE INTO thread_members (message, thread)
    SELECT m.id, t.rowid FROM messages m JOIN threads t
    ON t.account = m.account AND t.root = m.thread_root;
CREATE INDEX IF NOT EXISTS thread_members_thread ON thread_members (thread);
INSERT OR REPLACE INTO meta (key, value)
    SELECT 'thread_seq', coalesce(max(rowid), 0) FROM threads;
INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '5');
COMMIT;
"""
"""A version-4 cache gets its ``thread_members`` map from its messages and thread rows, in one
transaction (a kill leaves version 4, upgraded again at the next open): 0.2 s at 250k messages."""

UPGRADE_5 = """
BEGIN;
CREATE TEMP TABLE IF NOT EXISTS renumber (old INTEGER PRIMARY KEY, new INTEGER NOT NULL);
DELETE FROM temp.renumber;
INSERT INTO temp.renumber (old, new)
    SELECT thread, max(
        coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key='thread_seq'), 0),
        coalesce((SELECT max(rowid) FROM threads), 0)) + min(message)
    FROM thread_members GROUP BY thread;
UPDATE threads SET rowid = (SELECT new FROM temp.renumber WHERE old = threads.rowid)
    WHERE rowid IN (SELECT old FROM temp.renumber);
UPDATE thread_members SET thread = (SELECT new FROM temp.renumber WHERE old = thread);
INSERT OR REPLACE INTO meta (key, value) SELECT 'thread_seq', max(
    coalesce((SELECT max(rowid) FROM threads), 0),
    coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key='thread_seq'), 0));
DROP TABLE temp.renumber;
CREATE TABLE IF NOT EXISTS thread_text (thread INTEGER PRIMARY KEY, text TEXT NOT NULL);
DELETE FROM thread_text;
INSERT INTO thread_text (thread, text)
    SELECT rowid, subject || char(10) || participants_json FROM threads NOT INDEXED ORDER BY rowid;
INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', '6');
COMMIT;
"""
"""A version-5 cache gets its thread rows renumbered as a rebuild numbers them (by their first
message: ``ThreadTable._write_threads``), its map entries with them, and ``thread_text``, in
one transaction (a kill leaves version 5, upgraded again at the next open): 1.3 s of CPU at
250k messages, once."""

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26

LOCK_CACHE = "UPDATE main.meta SET value=value WHERE 0"
"""Takes the cache file's write lock (a write statement does, even one that changes no row)."""
LOCK_SEARCH = "UPDATE search.meta SET value=value WHERE 0"


def is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """True for a damaged or foreign file; False for a full disk, a lock or an I/O error."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    return not isinstance(exc, sqlite3.OperationalError)


def search_file(path: Path | str) -> Path | None:
    """Where the search index of the cache at ``path`` lives (None: in memory, as the cache)."""
    if str(path) in ("", ":memory:"):
        return None
    return Path(path).with_name(searchindex.FILE_NAME)


def open_reader(path: Path | str) -> sqlite3.Connection:
    """A read-only connection (closed when its thread ends and drops it)."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA busy_timeout=10000")
    db.execute("PRAGMA query_only=1")
    db.execute("ATTACH DATABASE ? AS search", (str(search_file(path)),))
    return db


def open_writer(path: Path | str) -> sqlite3.Connection:
    """The writing connection: WAL, the search file attached, the schema created or renewed."""
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    if isinstance(path, Path):
        with contextlib.suppress(OSError):
            path.chmod(0o600)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=10000")
    search = search_file(path)
    db.execute("ATTACH DATABASE ? AS search", (":memory:" if search is None else str(search),))
    if search is not None:
        with contextlib.suppress(OSError):
            search.chmod(0o600)  # subjects and addresses, as the cache
    db.execute("PRAGMA search.journal_mode=WAL")
    db.execute("PRAGMA search.synchronous=NORMAL")
    row = db.execute("SELECT name FROM sqlite_master WHERE name='meta'").fetchone()
    if row is None:  # a new cache: an index left beside it names other row ids
        db.execute("DROP TABLE IF EXISTS search.fts")
    else:
        version = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if version is not None and int(version[0]) in (4, 5):
            if int(version[0]) == 4:
                db.executescript(UPGRADE_4)
            db.executescript(UPGRADE_5)
        elif version is None or int(version[0]) != SCHEMA_VERSION:
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table') "
                "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'fts_%'"
            ).fetchall():
                db.execute(f'DROP TABLE IF EXISTS main."{name}"')
            db.execute("DROP TABLE IF EXISTS search.fts")
    db.executescript(SCHEMA)
    # Once read by search to map a message to its thread; thread_members does that now, and
    # every insert and every threading update of a message paid for its upkeep.
    db.execute("DROP INDEX IF EXISTS messages_root_by_id")
    db.executescript(searchindex.SCHEMA)
    db.executescript(threadstore.SCHEMA)
    db.executescript(bodystore.MARKS_SCHEMA)
    db.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
    )
    return db
