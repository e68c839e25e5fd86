"""The local message cache: stdlib sqlite3 (WAL) + FTS5. Rebuildable; deleting it loses only time.

What it holds, per account:

* ``folders``   one row per configured folder: UIDVALIDITY, HIGHESTMODSEQ after the last complete
                sync, whether the server stores keywords there (``\\*`` in PERMANENTFLAGS);
* ``messages``  one row per (folder, uid): decoded envelope, flags/keywords, MODSEQ, thread root;
* ``bodies``    readable text and attachment list of each message mirrored by a sync
                (``storage.bodymirror``) or fetched when its thread was opened;
* ``threads``   one row per thread: aggregates the thread list needs (dates, counts, keywords,
                participants), rebuilt after a sync and patched after a tag edit, so listing 250k
                messages is an indexed query, not a scan;
* ``fts``       FTS5 (trigram tokenizer: substring search that works for German compounds and
                Chinese) over subject, people and the bodies fetched so far, in its own file
                attached as ``search`` (see :mod:`storage.searchindex`).

Flags are stored as one space-separated string; keywords are IMAP atoms and never contain spaces.
Nothing here talks to the network or knows about Textual.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import sqlite3
import threading
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

from storage import bodystore, coverage, searchindex, searchpage, serversearch, threadstore
from storage.copies import CopyKey, copy_key
from storage.message import Body, Envelope
from storage.models import Address, Attachment, ThreadQuery
from storage.reports import ReportMessage, ReportThread
from storage.tags import keyword_to_tag
from storage.threads import ThreadInput, thread_id

SCHEMA_VERSION = 4
"""4: the search index moved to its own file (``storage.searchindex``)."""

_SCHEMA = """
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
CREATE INDEX IF NOT EXISTS messages_root_by_id ON messages (id, thread_root);
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
CREATE TABLE IF NOT EXISTS dirty_threads (
    account TEXT NOT NULL,
    root TEXT NOT NULL,
    PRIMARY KEY (account, root)
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class FolderState:
    """What the cache remembers of one server folder."""

    account: str
    name: str
    uidvalidity: int
    highestmodseq: int | None
    permanent_keywords: bool


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One cached message: its server location, envelope and flags."""

    rowid: int
    account: str
    folder: str
    uid: int
    message_id: str
    envelope: Envelope
    size: int
    flags: tuple[str, ...]
    thread_root: str | None


@dataclass(frozen=True, slots=True)
class ThreadRow:
    """One row of the ``threads`` table, decoded."""

    root: str
    id: str
    subject: str
    first_date: datetime
    last_date: datetime
    messages: int
    unread: int
    keywords: tuple[str, ...]
    participants: tuple[Address, ...]


_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """True for a damaged or foreign file; False for a full disk, a lock or an I/O error."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    return not isinstance(exc, sqlite3.OperationalError)


class CacheError(Exception):
    """The cache file cannot be used (one line)."""


def _flags_text(flags: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(f for f in flags if f and " " not in f))


def _flags_tuple(text: str) -> tuple[str, ...]:
    return tuple(text.split()) if text else ()


def _epoch(dt: datetime | None) -> tuple[int, int]:
    if dt is None:
        return 0, 0
    offset = dt.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    try:
        return int(dt.timestamp()), minutes
    except (OverflowError, OSError, ValueError):
        return 0, 0


def _to_datetime(epoch: int, tz_minutes: int) -> datetime:
    try:
        tz = timezone(timedelta(minutes=tz_minutes)) if tz_minutes else UTC
        return datetime.fromtimestamp(epoch, tz)
    except (OverflowError, OSError, ValueError):
        return datetime.fromtimestamp(0, UTC)


_JSON_ESCAPED = re.compile(r'[\x00-\x1f"\\]')
"""What ``json.dumps(..., ensure_ascii=False)`` would escape inside a string."""


def _pairs_json(pairs: Sequence[tuple[str, str]]) -> str:
    """``[[name, addr], ...]`` as JSON, exactly as ``json.dumps`` writes it (ensure_ascii off);
    formatted directly when nothing needs escaping (4x faster, and it runs per message)."""
    if not pairs:
        return "[]"
    if not any(_JSON_ESCAPED.search(name) or _JSON_ESCAPED.search(addr) for name, addr in pairs):
        return "[" + ", ".join(f'["{name}", "{addr}"]' for name, addr in pairs) + "]"
    return json.dumps([list(pair) for pair in pairs], ensure_ascii=False)


def _addresses_json(addresses: Sequence[Address]) -> str:
    return _pairs_json([(a.name, a.addr) for a in addresses]) if addresses else "[]"


def _addresses(text: str) -> tuple[Address, ...]:
    try:
        items = json.loads(text)
        return tuple(Address(str(n), str(a)) for n, a in items)
    except (ValueError, TypeError):
        return ()


def _is_seen(flags: Sequence[str]) -> bool:
    return any(f.lower() == "\\seen" for f in flags)


def _people_text(env: Envelope) -> str:
    """What the index holds as a message's people: names and addresses of sender, To and Cc."""
    return _people(env.sender, (*env.to, *env.cc))


def _people(sender: Address, others: Iterable[Address]) -> str:
    parts = [sender.name, sender.addr]
    for a in others:
        parts.extend((a.name, a.addr))
    return " ".join(p for p in parts if p)


_LOCK_CACHE = "UPDATE main.meta SET value=value WHERE 0"
"""Takes the cache file's write lock (a write statement does, even one that changes no row)."""
_LOCK_SEARCH = "UPDATE search.meta SET value=value WHERE 0"


def _search_file(path: Path | str) -> Path | None:
    """Where the search index of the cache at ``path`` lives (None: in memory, as the cache)."""
    if str(path) in ("", ":memory:"):
        return None
    return Path(path).with_name(searchindex.FILE_NAME)


def _people_row(name: str, addr: str, to_json: str, cc_json: str) -> str:
    """``_people_text`` of a stored row."""
    return _people(Address(name, addr), (*_addresses(to_json), *_addresses(cc_json)))


def fts_query(text: str) -> str | None:
    """Turn what a user typed into an FTS5 trigram query over its words of three or more
    characters (every one must match, in one message), or None when it has none (shorter
    words match the thread's subject and people only: see ``Cache._where``)."""
    terms = [t for t in text.split() if len(t) >= 3]
    if not terms:
        return None
    return " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _short_terms(text: str) -> list[str]:
    """The words of one or two characters (the trigram index cannot look them up)."""
    return [t for t in text.split() if len(t) < 3]


def _like(term: str) -> str:
    """A LIKE pattern (ESCAPE '\\') matching ``term`` anywhere."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_FULL_REBUILD_ROOTS = 5000
"""Above this many changed roots, ``rebuild_threads`` recomputes every thread in one pass."""
_INSERT_THREAD = "INSERT OR REPLACE INTO threads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def _first(row: tuple[str, str, str, str, int, int, str, str, int]) -> str:
    return row[0]


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

    def add(self, row: tuple[str, str, str, str, int, int, str, str, int]) -> None:
        _root, subject, name, addr, date, tz, flags, message_id, size = row
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
            if "\\Seen" not in tokens and not _is_seen(tokens):
                self.unread += 1
            for flag in tokens:
                if flag[0] != "\\" and keyword_to_tag(flag) is not None:
                    self.keywords.setdefault(flag.lower())
        else:
            self.unread += 1
        key = addr.lower() or name
        if key and key not in self.people:
            self.people[key] = (name, addr)

    def row(self, account: str, root: str) -> tuple[object, ...]:
        keywords = self.keywords
        tags = [keyword_to_tag(k) or "" for k in keywords]
        return (
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
            _pairs_json(list(self.people.values())),
        )


PreparedRows = tuple[list[tuple[object, ...]], dict[int, tuple[str, str]]]
"""Message rows ready for ``INSERT`` and, by UID, the (subject, people) text to index."""


def prepare_rows(
    account: str,
    folder: str,
    items: Sequence[tuple[int, Envelope, tuple[str, ...], int, int | None, datetime | None]],
) -> PreparedRows:
    """Turn (uid, envelope, flags, size, modseq, internaldate) items into message rows."""
    rows: list[tuple[object, ...]] = []
    search_text: dict[int, tuple[str, str]] = {}
    for uid, env, flags, size, modseq, internaldate in items:
        when, tz = _epoch(env.date or internaldate)
        rows.append(
            (
                account,
                folder,
                uid,
                env.message_id,
                " ".join(env.in_reply_to),
                " ".join(env.references),
                env.subject,
                env.sender.name,
                env.sender.addr,
                _addresses_json(env.to),
                _addresses_json(env.cc),
                when,
                tz,
                size,
                _flags_text(flags),
                modseq,
            )
        )
        search_text[uid] = (env.subject, _people_text(env))
    return rows, search_text


class Cache:
    """The sqlite cache. One instance per process, used by the UI thread and workers.

    Writes take turns on one connection (``transaction``). Reads go through a connection of
    the reading thread's own, so they see committed data only: on a shared connection a read
    ran inside whatever transaction another thread had open, and a tag key pressed while a
    worker rebuilt that thread's row found no thread at all. Inside its own transaction a
    thread reads on the writing connection (it sees what it wrote). An in-memory cache (the
    tests') has one connection only."""

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
            self._writer = self._open(path)
        except sqlite3.DatabaseError as exc:
            if not _is_corrupt(exc):
                raise  # a full disk or a lock is not a reason to throw the cache away
            # A corrupt cache is rebuilt: it only holds what the server has.
            if isinstance(path, Path):
                for suffix in ("", "-wal", "-shm"):
                    with contextlib.suppress(FileNotFoundError):
                        Path(str(path) + suffix).unlink()
            self._writer = self._open(path)
        self._shared = _search_file(path) is None
        """In memory: a second connection would open another, empty database."""

    @property
    def _db(self) -> sqlite3.Connection:
        """The connection this thread reads on (see the class docstring)."""
        if self._shared or self._owner == threading.get_ident():
            return self._writer
        reader: sqlite3.Connection | None = getattr(self._local, "db", None)
        if reader is None:
            reader = self._local.db = self._open_reader(self.path)
        return reader

    @staticmethod
    def _open_reader(path: Path | str) -> sqlite3.Connection:
        """A read-only connection (closed when its thread ends and drops it)."""
        db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=10000")
        db.execute("PRAGMA query_only=1")
        db.execute("ATTACH DATABASE ? AS search", (str(_search_file(path)),))
        return db

    @staticmethod
    def _open(path: Path | str) -> sqlite3.Connection:
        db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        if isinstance(path, Path):
            with contextlib.suppress(OSError):
                path.chmod(0o600)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=10000")
        search = _search_file(path)
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
            if version is None or int(version[0]) != SCHEMA_VERSION:
                for (name,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table') "
                    "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'fts_%'"
                ).fetchall():
                    db.execute(f'DROP TABLE IF EXISTS main."{name}"')
                db.execute("DROP TABLE IF EXISTS search.fts")
        db.executescript(_SCHEMA)
        db.executescript(searchindex.SCHEMA)
        db.executescript(threadstore.SCHEMA)
        db.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
        )
        return db

    def close(self) -> None:
        """Close the writing connection and this thread's reader (another thread's reader
        closes when that thread ends)."""
        reader: sqlite3.Connection | None = getattr(self._local, "db", None)
        self._local.db = None
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
                db.execute(_LOCK_CACHE)
                if search:
                    db.execute(_LOCK_SEARCH)
                yield db
            except BaseException:
                self._owner = None
                db.execute("ROLLBACK")
                self._generation += 1
                raise
            self._owner = None
            db.execute("COMMIT")
            self._generation += 1

    # -- folders -----------------------------------------------------------------------------

    def folder(self, account: str, name: str) -> FolderState | None:
        row = self._db.execute(
            "SELECT uidvalidity, highestmodseq, permanent_keywords FROM folders "
            "WHERE account=? AND name=?",
            (account, name),
        ).fetchone()
        if row is None:
            return None
        return FolderState(account, name, int(row[0]), row[1], bool(row[2]))

    def save_folder(self, state: FolderState) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?, ?)",
                (
                    state.account,
                    state.name,
                    state.uidvalidity,
                    state.highestmodseq,
                    int(state.permanent_keywords),
                ),
            )

    def folders(self, account: str) -> list[FolderState]:
        rows = self._db.execute(
            "SELECT name FROM folders WHERE account=? ORDER BY name", (account,)
        ).fetchall()
        return [s for (name,) in rows if (s := self.folder(account, name)) is not None]

    def reset_folder(self, account: str, name: str) -> int:
        """Forget a folder's messages (UIDVALIDITY changed or folder gone). Returns rows dropped."""
        with self.transaction(search=True) as db:
            rows = db.execute(
                "SELECT id, thread_root FROM messages WHERE account=? AND folder=?", (account, name)
            ).fetchall()
            ids = [r[0] for r in rows]
            roots = {r[1] for r in rows if r[1]} | threadstore.unthread(db, account, ids)
            self._mark_dirty(db, account, roots)
            self._delete_rows(db, ids)
            db.execute("DELETE FROM folders WHERE account=? AND name=?", (account, name))
        return len(ids)

    # -- messages ----------------------------------------------------------------------------

    def add_messages(
        self,
        account: str,
        folder: str,
        items: Sequence[tuple[int, Envelope, tuple[str, ...], int, int | None, datetime | None]],
    ) -> int:
        """Insert messages: (uid, envelope, flags, size, modseq, internaldate). Committed at once,
        so an interrupted first sync resumes from what is here. Returns rows inserted."""
        return self.insert_rows(prepare_rows(account, folder, items))

    def insert_rows(
        self, prepared: PreparedRows, indexer: searchindex.Indexer | None = None
    ) -> int:
        """Insert what :func:`prepare_rows` made (the sync prepares a chunk on its own thread
        while the writer thread inserts the previous one). Returns rows inserted. With an
        ``indexer`` the new rows are indexed on its thread after this commits, else in this
        transaction."""
        rows, search_text = prepared
        indexed: list[searchindex.IndexRow] = []
        with self.transaction(search=indexer is None) as db:
            before = db.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
            changes = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO messages (account, folder, uid, message_id, in_reply_to,"
                " refs, subject, from_name, from_addr, to_json, cc_json, date, tz_minutes,"
                " size, flags, modseq, thread_root) VALUES"
                " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                rows,
            )
            inserted = db.total_changes - changes
            if inserted:
                # New rows get ids above every existing one (this transaction holds the write lock).
                new_rows = db.execute(
                    "SELECT id, uid FROM messages WHERE id > ?", (before,)
                ).fetchall()
                indexed = [(rowid, *search_text[uid]) for rowid, uid in new_rows]
                if indexer is None:
                    searchindex.insert_new(db, indexed)
        if indexer is not None:
            indexer.submit(indexed)
        return inserted

    @property
    def search_path(self) -> Path | None:
        """The search index file (None for an in-memory cache: no second connection can
        reach it, so rows are indexed as they are inserted)."""
        return _search_file(self.path)

    def index_missing(self) -> int:
        """Index the messages a killed run stored but never indexed. Returns how many."""
        ids = searchindex.missing_rows(self._db)
        for start in range(0, len(ids), 2000):
            part = ids[start : start + 2000]
            marks = ",".join("?" * len(part))
            rows = [
                (rowid, subject, _people_row(name, addr, to_json, cc_json))
                for rowid, subject, name, addr, to_json, cc_json in self._db.execute(
                    "SELECT id, subject, from_name, from_addr, to_json, cc_json FROM messages"
                    f" WHERE id IN ({marks})",
                    part,
                )
            ]
            with self.transaction(search=True) as db:
                searchindex.insert_new(db, rows)
        return len(ids)

    def folder_uids(self, account: str, folder: str) -> array[int]:
        """The folder's cached UIDs, ascending (8 bytes each: 180k of them as a list of ints
        would take 7 MB, as a set 12 MB more)."""
        return array(
            "q",
            (
                r[0]
                for r in self._db.execute(
                    "SELECT uid FROM messages WHERE account=? AND folder=? ORDER BY uid",
                    (account, folder),
                )
            ),
        )

    def folder_flags_by_uid(
        self, account: str, folder: str, uids: Iterable[int]
    ) -> dict[int, tuple[str, tuple[str, ...]]]:
        """uid -> (message-id, flags) for those of ``uids`` the cache holds (looked up in slices:
        a CHANGEDSINCE answer names a few UIDs, and 180k cached rows would cost 60 MB)."""
        found: dict[int, tuple[str, tuple[str, ...]]] = {}
        wanted = list(uids)
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            for uid, mid, flags in self._db.execute(
                "SELECT uid, message_id, flags FROM messages WHERE account=? AND folder=?"
                f" AND uid IN ({','.join('?' * len(part))})",
                (account, folder, *part),
            ):
                found[uid] = (mid, _flags_tuple(flags))
        return found

    def set_flags(
        self, account: str, folder: str, changes: Sequence[tuple[int, tuple[str, ...], int | None]]
    ) -> set[str]:
        """Store server flags for (uid, flags, modseq).

        Returns the thread roots whose flags changed."""
        roots: set[str] = set()
        with self.transaction() as db:
            for uid, flags, modseq in changes:
                row = db.execute(
                    "SELECT flags, thread_root FROM messages"
                    " WHERE account=? AND folder=? AND uid=?",
                    (account, folder, uid),
                ).fetchone()
                if row is None:
                    continue
                text = _flags_text(flags)
                if row[0] != text:
                    db.execute(
                        "UPDATE messages SET flags=?, modseq=?"
                        " WHERE account=? AND folder=? AND uid=?",
                        (text, modseq, account, folder, uid),
                    )
                    if row[1]:
                        roots.add(row[1])
            self._mark_dirty(db, account, roots)
        return roots

    def remove_uids(self, account: str, folder: str, uids: Iterable[int]) -> set[str]:
        """Drop messages that vanished from the server. Returns the affected thread roots."""
        roots: set[str] = set()
        with self.transaction(search=True) as db:
            ids: list[int] = []
            for uid in uids:
                row = db.execute(
                    "SELECT id, thread_root FROM messages WHERE account=? AND folder=? AND uid=?",
                    (account, folder, uid),
                ).fetchone()
                if row is not None:
                    ids.append(row[0])
                    if row[1]:
                        roots.add(row[1])
            roots |= threadstore.unthread(db, account, ids)
            self._mark_dirty(db, account, roots)
            self._delete_rows(db, ids)
        return roots

    @staticmethod
    def _mark_dirty(db: sqlite3.Connection, account: str, roots: Iterable[str]) -> None:
        """Within the transaction that changes message rows: these threads' rows must be
        rebuilt. ``rebuild_threads`` clears the mark in its own transaction, so a kill between
        the two leaves the mark for the next sync instead of a stale thread row for good."""
        db.executemany(
            "INSERT OR IGNORE INTO dirty_threads VALUES (?, ?)", ((account, r) for r in roots)
        )

    def dirty_roots(self, account: str) -> set[str]:
        """Threads whose rows were not rebuilt after their messages changed (a crash)."""
        rows = self._db.execute("SELECT root FROM dirty_threads WHERE account=?", (account,))
        return {r[0] for r in rows}

    def has_unthreaded(self, account: str) -> bool:
        """Messages stored but not threaded yet (new ones, a killed sync, the rest of a thread
        that lost a message), or a subject group waiting to be merged again."""
        return threadstore.needs_threading(self._db, account)

    @staticmethod
    def _delete_rows(db: sqlite3.Connection, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            db.execute(f"DELETE FROM fts WHERE rowid IN ({marks})", chunk)
            db.execute(f"DELETE FROM bodies WHERE message IN ({marks})", chunk)
            db.execute(f"DELETE FROM messages WHERE id IN ({marks})", chunk)

    def apply_keyword(
        self, account: str, message_ids: Iterable[str], keyword: str, add: bool
    ) -> set[str]:
        """Set or clear a keyword locally on every cached copy of the given messages.
        Returns the affected thread roots."""
        roots: set[str] = set()
        lowered = keyword.lower()
        with self.transaction() as db:
            for mid in message_ids:
                rows = db.execute(
                    "SELECT id, flags, thread_root FROM messages WHERE account=? AND message_id=?",
                    (account, mid),
                ).fetchall()
                for rowid, flags, root in rows:
                    current = _flags_tuple(flags)
                    kept = tuple(f for f in current if f.lower() != lowered)
                    new = (*kept, keyword) if add else kept
                    if new != current:
                        db.execute(
                            "UPDATE messages SET flags=? WHERE id=?", (_flags_text(new), rowid)
                        )
                        if root:
                            roots.add(root)
            self._mark_dirty(db, account, roots)
        return roots

    def locations(self, account: str, message_ids: Iterable[str]) -> dict[str, list[int]]:
        """folder -> UIDs of the cached copies of these messages."""
        out: dict[str, list[int]] = {}
        for mid in message_ids:
            for folder, uid in self._db.execute(
                "SELECT folder, uid FROM messages WHERE account=? AND message_id=?", (account, mid)
            ):
                out.setdefault(folder, []).append(uid)
        return out

    def rowids(self, account: str) -> dict[tuple[str, int], int]:
        """(folder, uid) -> row id, for every cached message of the account."""
        return {
            (folder, uid): rowid
            for rowid, folder, uid in self._db.execute(
                "SELECT id, folder, uid FROM messages WHERE account=?", (account,)
            )
        }

    def has_messages(self, account: str) -> bool:
        """Whether any message is cached (without counting them: 5 ms at 87k rows)."""
        row = self._db.execute("SELECT 1 FROM messages WHERE account=? LIMIT 1", (account,))
        return row.fetchone() is not None

    def message_count(self, account: str) -> int:
        row = self._db.execute("SELECT count(*) FROM messages WHERE account=?", (account,))
        return int(row.fetchone()[0])

    # -- bodies ------------------------------------------------------------------------------

    def body(self, rowid: int) -> Body | None:
        row = self._db.execute(
            "SELECT text, attachments_json, html_only FROM bodies WHERE message=?", (rowid,)
        ).fetchone()
        if row is None:
            return None
        try:
            items = json.loads(row[1])
            attachments = tuple(Attachment(str(f), str(c), int(s)) for f, c, s in items)
        except (ValueError, TypeError):
            attachments = ()
        return Body(text=row[0], attachments=attachments, html_only=bool(row[2]))

    def rows_with_bodies(self, rowids: Sequence[int]) -> set[int]:
        """The row ids among ``rowids`` whose body is cached (see :mod:`storage.coverage`)."""
        return coverage.rows_with_bodies(self._db, rowids)

    def save_body(self, rowid: int, body: Body) -> None:
        attachments = json.dumps(
            [[a.filename, a.content_type, a.size] for a in body.attachments], ensure_ascii=False
        )
        with self.transaction(search=True) as db:
            db.execute(
                "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?)",
                (rowid, body.text, attachments, int(body.html_only)),
            )
            if db.execute("UPDATE fts SET body=? WHERE rowid=?", (body.text, rowid)).rowcount:
                return
            row = db.execute(
                "SELECT subject, from_name, from_addr, to_json, cc_json FROM messages WHERE id=?",
                (rowid,),
            ).fetchone()
            if row is not None:  # not indexed yet: the whole row (the indexer skips it)
                db.execute(
                    "INSERT INTO fts (rowid, subject, people, body) VALUES (?, ?, ?, ?)",
                    (rowid, row[0], _people_row(*row[1:]), body.text),
                )

    def bodies_missing(self, account: str, since: int = bodystore.ALL_DATES) -> array[int]:
        """The body mirror's work list: rows without a body dated from ``since``, newest first."""
        return bodystore.missing(self._db, account, since)

    def body_targets(self, ids: Sequence[int]) -> list[bodystore.Target]:
        """Where the rows ``ids`` that still lack a body live on the server."""
        return bodystore.targets(self._db, ids)

    def save_bodies(self, account: str, items: Sequence[bodystore.StoredBody]) -> int:
        """One chunk of mirrored bodies and their search text, in one transaction."""
        with self.transaction(search=True) as db:
            return bodystore.save(db, account, items, _people_row)

    # -- threading ---------------------------------------------------------------------------

    def thread_inputs(self, account: str) -> Iterator[ThreadInput]:
        """Threading input for every cached message, streamed (250k rows never sit in a list)."""
        cursor = self._db.execute(
            "SELECT id, message_id, in_reply_to, refs, subject, date FROM messages WHERE account=?",
            (account,),
        )
        while batch := cursor.fetchmany(5000):
            for rowid, mid, irt, refs, subject, date in batch:
                yield ThreadInput(
                    key=rowid,
                    message_id=mid,
                    in_reply_to=tuple(irt.split()) if irt else (),
                    references=tuple(refs.split()) if refs else (),
                    subject=subject,
                    date=float(date),
                )

    def thread_pending(self, account: str) -> set[str]:
        """Thread every unthreaded message incrementally (see :mod:`storage.threadstore`), in
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
                else:
                    db.execute("DELETE FROM threads WHERE account=?", (account,))
                db.execute("DELETE FROM dirty_threads WHERE account=?", (account,))
                rows = db.execute(
                    "SELECT thread_root, subject, from_name, from_addr, date, tz_minutes, flags,"
                    " message_id, size "
                    "FROM messages WHERE account=? AND thread_root IS NOT NULL "
                    "ORDER BY thread_root, date, id",
                    (account,),
                )
                self._write_threads(db, account, rows)
                return
            root_list = sorted(roots)
            for start in range(0, len(root_list), 500):
                chunk = root_list[start : start + 500]
                marks = ",".join("?" * len(chunk))
                db.execute(
                    f"DELETE FROM threads WHERE account=? AND root IN ({marks})", (account, *chunk)
                )
                db.execute(
                    f"DELETE FROM dirty_threads WHERE account=? AND root IN ({marks})",
                    (account, *chunk),
                )
                rows = db.execute(
                    "SELECT thread_root, subject, from_name, from_addr, date, tz_minutes, flags,"
                    " message_id, size "
                    f"FROM messages WHERE account=? AND thread_root IN ({marks}) "
                    "ORDER BY thread_root, date, id",
                    (account, *chunk),
                )
                self._write_threads(db, account, rows)

    @staticmethod
    def _write_threads(
        db: sqlite3.Connection,
        account: str,
        rows: Iterable[tuple[str, str, str, str, int, int, str, str, int]],
    ) -> None:
        """Aggregate message rows (sorted by root, date, id) into ``threads`` rows. One pass,
        nothing kept per message: this runs over every message after a first sync."""
        batch: list[tuple[object, ...]] = []
        for root, group in itertools.groupby(rows, key=_first):
            summary = _ThreadSummary()
            for row in group:
                summary.add(row)
            batch.append(summary.row(account, root))
            if len(batch) >= 5000:
                db.executemany(_INSERT_THREAD, batch)
                batch.clear()
        db.executemany(_INSERT_THREAD, batch)

    # -- queries -----------------------------------------------------------------------------

    _THREAD_COLUMNS = (
        "t.root, t.id, t.subject, t.first_date, t.first_tz, t.last_date, t.last_tz, t.messages,"
        " t.unread, t.keywords, t.participants_json"
    )

    def _search_hits(self, match: str) -> str:
        """The thread roots whose messages match an FTS query, as a JSON array, remembered
        until the cache changes: search-as-you-type asks for the count and then for pages of
        the same query (at 250k messages the mapping costs ~35 ms; a page after it ~10 ms)."""
        # data_version: commits of other connections (this process's writer included) as
        # this thread's reader saw them; so the memo is this thread's too.
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        key = (match, self._generation, version)
        memo: tuple[tuple[str, int, int], str] | None = getattr(self._local, "hits", None)
        if memo is not None and memo[0] == key:
            return memo[1]
        rows = self._db.execute(
            "SELECT DISTINCT m.thread_root FROM (SELECT rowid AS r FROM fts WHERE fts MATCH ?) f"
            " JOIN messages m INDEXED BY messages_root_by_id ON m.id = f.r"
            " WHERE m.thread_root IS NOT NULL",
            (match,),
        )
        hits = json.dumps([r[0] for r in rows], ensure_ascii=False)
        self._local.hits = (key, hits)
        return hits

    def roots_of_uids(self, account: str, folder: str, uids: Sequence[int]) -> tuple[set[str], int]:
        """Thread roots of the cached messages among ``uids`` (see :mod:`storage.serversearch`)."""
        return serversearch.roots_of_uids(self._db, account, folder, uids)

    def _roots_json(self, roots: frozenset[str]) -> str:
        """``roots`` as a JSON array, remembered for the same set (the list pages through it)."""
        memo: tuple[frozenset[str], str] | None = getattr(self._local, "roots", None)
        if memo is not None and memo[0] is roots:
            return memo[1]
        text = json.dumps(sorted(roots), ensure_ascii=False)
        self._local.roots = (roots, text)
        return text

    def _source(self, account: str, query: ThreadQuery) -> tuple[str, list[object]]:
        """FROM clause: a full-text search drives the query from its hits (a few thousand
        primary-key lookups) instead of walking every thread and testing membership; so do
        the roots a server search found."""
        join = "json_each(?) h CROSS JOIN threads t ON t.root = h.value"
        if query.roots is not None:
            return join, [self._roots_json(query.roots)]
        match = fts_query(query.search) if query.search else None
        if match is None:
            return "threads t", []
        return join, [self._search_hits(match)]

    def _where(
        self, account: str, query: ThreadQuery, keywords: Sequence[str]
    ) -> tuple[str, list[object]]:
        clauses = ["t.account=?"]
        params: list[object] = [account]
        for kw in keywords:
            clauses.append("instr(t.keywords, ?) > 0")
            params.append(" " + kw.lower() + " ")
        if query.untagged:
            clauses.append("(t.has_team=0 OR t.has_category=0)")
        if query.unread:
            clauses.append("t.unread > 0")
        if query.since is not None:
            clauses.append("t.last_date >= ?")
            params.append(_epoch(query.since)[0])
        # Words of three or more characters: _source joins their hits. Shorter ones match the
        # subject and people of the thread row only: the trigram index cannot look them up,
        # and reading every body (or every hit's body) for them took seconds at 250k messages.
        if query.search and query.roots is None:
            for term in _short_terms(query.search):
                like = _like(term)
                clauses.append(
                    "(t.subject LIKE ? ESCAPE '\\' OR t.participants_json LIKE ? ESCAPE '\\')"
                )
                params.extend([like, like])
        return " AND ".join(clauses), params

    def list_threads(
        self, account: str, query: ThreadQuery, keywords: Sequence[str] = ()
    ) -> list[ThreadRow]:
        """Threads matching ``query`` (tag filters given as keywords), newest activity first
        (``query.oldest_first``: oldest first message first)."""
        where, where_params = self._where(account, query, keywords)
        match = fts_query(query.search) if query.search and query.roots is None else None
        if match is not None and query.limit is not None and not query.oldest_first:
            # A common word's first pages: walk the newest threads (storage.searchpage).
            walked = self._walk_page(account, match, where, where_params, query)
            if walked is not None:
                return [self._thread_row(r) for r in walked]
        source, params = self._source(account, query)
        params.extend(where_params)
        order = "t.first_date, t.root" if query.oldest_first else "t.last_date DESC, t.root"
        sql = f"SELECT {self._THREAD_COLUMNS} FROM {source} WHERE {where} ORDER BY {order}"
        if query.limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([query.limit, query.offset])
        elif query.offset:
            sql += " LIMIT -1 OFFSET ?"
            params.append(query.offset)
        return [self._thread_row(r) for r in self._db.execute(sql, params)]

    def _walk_page(
        self,
        account: str,
        match: str,
        where: str,
        params: Sequence[object],
        query: ThreadQuery,
    ) -> list[tuple[object, ...]] | None:
        """The page by walking (None: map every hit instead); see :mod:`storage.searchpage`."""
        assert query.limit is not None
        memo: tuple[tuple[str, int, int], str] | None = getattr(self._local, "hits", None)
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if memo is not None and memo[0] == (match, self._generation, version):
            return None  # the hits are mapped already: the usual query is cheaper
        if query.offset + query.limit > searchpage.MAX_WALK or not searchpage.is_dense(
            self._db, match
        ):
            return None
        columns = self._THREAD_COLUMNS
        return searchpage.newest_page(
            self._db, account, match, columns, where, params, query.limit, query.offset
        )

    def count_threads(self, account: str, query: ThreadQuery, keywords: Sequence[str] = ()) -> int:
        source, params = self._source(account, query)
        where, where_params = self._where(account, query, keywords)
        params.extend(where_params)
        row = self._db.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchone()
        return int(row[0])

    @staticmethod
    def _thread_row(r: Sequence[object]) -> ThreadRow:
        root, tid, subject, first, first_tz, last, last_tz, count, unread, kws, people = r
        return ThreadRow(
            root=str(root),
            id=str(tid),
            subject=str(subject),
            first_date=_to_datetime(int(str(first)), int(str(first_tz))),
            last_date=_to_datetime(int(str(last)), int(str(last_tz))),
            messages=int(str(count)),
            unread=int(str(unread)),
            keywords=tuple(str(kws).split()),
            participants=_addresses(str(people)),
        )

    def thread(self, account: str, root: str) -> ThreadRow | None:
        row = self._db.execute(
            f"SELECT {self._THREAD_COLUMNS} FROM threads t WHERE t.account=? AND t.root=?",
            (account, root),
        ).fetchone()
        return None if row is None else self._thread_row(row)

    def find_roots(self, account: str, ref: str) -> list[str]:
        """Thread roots matching a short id prefix or a root Message-ID (with or without <>)."""
        bare = ref.strip().strip("<>")
        exact = self._db.execute(
            "SELECT root FROM threads WHERE account=? AND root=?", (account, bare)
        ).fetchall()
        if exact:
            return [exact[0][0]]
        lowered = ref.strip().lower()
        if lowered and all(c in "0123456789abcdef" for c in lowered):
            rows = self._db.execute(
                "SELECT root FROM threads WHERE account=? AND id >= ? AND id < ? LIMIT 10",
                (account, lowered, lowered + "g"),
            ).fetchall()
            return [r[0] for r in rows] or self._moved_roots(account, lowered)
        # A message-id of a non-root message of the thread also names its thread.
        row = self._db.execute(
            "SELECT thread_root FROM messages WHERE account=? AND message_id=? LIMIT 1",
            (account, bare),
        ).fetchone()
        return [row[0]] if row is not None and row[0] else []

    def _moved_roots(self, account: str, prefix: str) -> list[str]:
        """Current roots of threads whose id starting with ``prefix`` was replaced by threading
        (new mail gave their messages another root), following each move to today's root."""
        found: list[str] = []
        for (root,) in self._db.execute(
            "SELECT root FROM thread_aliases WHERE account=? AND id >= ? AND id < ? LIMIT 10",
            (account, prefix, prefix + "g"),
        ).fetchall():
            for _hop in range(16):
                if self.thread(account, root) is not None:
                    if root not in found:
                        found.append(root)
                    break
                alias = self._db.execute(
                    "SELECT root FROM thread_aliases WHERE account=? AND id=?",
                    (account, thread_id(root)),
                ).fetchone()
                if alias is None:
                    break
                root = alias[0]
        return found

    def thread_message_ids(self, account: str, root: str) -> list[str]:
        """The distinct Message-IDs of a thread's cached messages, sorted."""
        # Sorted here, not with ORDER BY: with ORDER BY message_id SQLite walks the Message-ID
        # index over every message of the account (84 ms at 250k) instead of the thread's rows.
        rows = self._db.execute(
            "SELECT message_id FROM messages WHERE account=? AND thread_root=?", (account, root)
        )
        return sorted({r[0] for r in rows})

    def thread_messages(self, account: str, root: str) -> list[MessageRow]:
        rows = self._db.execute(
            "SELECT id, folder, uid, message_id, in_reply_to, refs, subject, from_name, from_addr,"
            " to_json, cc_json, date, tz_minutes, size, flags FROM messages"
            " WHERE account=? AND thread_root=? ORDER BY date, id",
            (account, root),
        ).fetchall()
        out: list[MessageRow] = []
        for (
            rowid,
            folder,
            uid,
            mid,
            irt,
            refs,
            subject,
            name,
            addr,
            to_json,
            cc_json,
            date,
            tz,
            size,
            flags,
        ) in rows:
            env = Envelope(
                message_id=mid,
                in_reply_to=tuple(irt.split()),
                references=tuple(refs.split()),
                subject=subject,
                sender=Address(name, addr),
                to=_addresses(to_json),
                cc=_addresses(cc_json),
                reply_to=(),
                date=_to_datetime(date, tz) if date else None,
            )
            out.append(
                MessageRow(rowid, account, folder, uid, mid, env, size, _flags_tuple(flags), root)
            )
        return out

    def keyword_counts(self, account: str) -> dict[str, int]:
        """keyword -> number of threads carrying it."""
        counts: dict[str, int] = {}
        for (kws,) in self._db.execute(
            "SELECT keywords FROM threads WHERE account=? AND keywords != ''", (account,)
        ):
            for kw in kws.split():
                counts[kw] = counts.get(kw, 0) + 1
        return counts

    # -- reports -----------------------------------------------------------------------------

    def report_rows(
        self,
        account: str,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        active: bool = False,
    ) -> list[ReportThread]:
        """Threads for ``storage.reports``: those whose first message is in [since, until) (with
        ``active``: that have any message in it), each with its tags and every message's
        sender and date, oldest first. One query; the join walks the ``messages_thread`` index."""
        clauses = ["t.account=?"]
        params: list[object] = [account]
        if since is not None:
            clauses.append("t.last_date >= ?" if active else "t.first_date >= ?")
            params.append(_epoch(since)[0])
        if until is not None:
            clauses.append("t.first_date < ?")
            params.append(_epoch(until)[0])
        rows = self._db.execute(
            "SELECT t.root, t.id, t.subject, t.first_date, t.first_tz, t.keywords,"
            " m.id, m.from_name, m.from_addr, m.date, m.tz_minutes"
            " FROM threads t JOIN messages m ON m.account=t.account AND m.thread_root=t.root"
            f" WHERE {' AND '.join(clauses)} ORDER BY t.root, m.date, m.id",
            params,
        )
        out: list[ReportThread] = []
        head: tuple[str, str, str, int, int, str] | None = None
        msgs: list[ReportMessage] = []
        tags: dict[str, tuple[str, ...]] = {}  # keyword string -> tags (few distinct ones)
        zones: dict[int, tzinfo] = {}
        for root, tid, subject, first, first_tz, kws, rowid, name, addr, date, tz in rows:
            if head is None or head[0] != root:
                if head is not None:
                    out.append(_report_thread(head, msgs, tags))
                head, msgs = (root, tid, subject, first, first_tz, kws), []
            zone = zones.get(tz) or zones.setdefault(tz, _to_datetime(0, tz).tzinfo or UTC)
            try:
                when = datetime.fromtimestamp(date, zone)
            except (OverflowError, OSError, ValueError):
                when = datetime.fromtimestamp(0, UTC)
            msgs.append(ReportMessage(rowid, Address(name, addr), when))
        if head is not None:
            out.append(_report_thread(head, msgs, tags))
        return out

    def sender_timeline(self, account: str) -> list[tuple[str, str, int, int]]:
        """(thread root, sender address, epoch, tz minutes) of every threaded message, each
        thread's oldest first: the few columns the awaiting view needs (``storage.answering``)."""
        return self._db.execute(
            "SELECT thread_root, from_addr, date, tz_minutes FROM messages"
            " WHERE account=? AND thread_root IS NOT NULL ORDER BY thread_root, date, id",
            (account,),
        ).fetchall()

    def first_thread_date(self, account: str) -> datetime | None:
        """When the oldest cached thread started (None for an empty cache)."""
        row = self._db.execute(
            "SELECT first_date, first_tz FROM threads WHERE account=? ORDER BY first_date LIMIT 1",
            (account,),
        ).fetchone()
        return None if row is None else _to_datetime(int(row[0]), int(row[1]))


def _report_thread(
    head: tuple[str, str, str, int, int, str],
    msgs: list[ReportMessage],
    decoded: dict[str, tuple[str, ...]],
) -> ReportThread:
    root, tid, subject, first, first_tz, keywords = head
    tags = decoded.get(keywords)
    if tags is None:
        names = {t for kw in keywords.split() if (t := keyword_to_tag(kw)) is not None}
        tags = decoded[keywords] = tuple(sorted(names))
    return ReportThread(
        root=root,
        id=tid,
        subject=subject,
        first_date=_to_datetime(first, first_tz),
        tags=tags,
        messages=tuple(msgs),
    )
