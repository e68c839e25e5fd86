"""Folders, message rows and their flags: what a sync stores and updates (:class:`MessageStore`).

A message row is stored once per (folder, UID) it has on the server; its subject and people go
into the search index as it is inserted (or on the sync's indexer thread, see
:mod:`storage.cache.searchindex`). Every change to rows or flags marks the threads it touches
dirty in the same transaction (``CacheCore._mark_dirty``), so a kill never leaves a stale
thread row behind for good.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from supportmail.storage.cache import searchindex, threadstore
from supportmail.storage.cache.core import CacheCore
from supportmail.storage.cache.rows import (
    FolderState,
    PreparedRows,
    flags_text,
    flags_tuple,
    people_row,
    prepare_rows,
)

if TYPE_CHECKING:
    from supportmail.storage.mime import Envelope


class MessageStore(CacheCore):
    """The ``folders`` and ``messages`` tables."""

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
        self,
        prepared: PreparedRows,
        indexer: searchindex.Indexer | None = None,
        *,
        index: bool = True,
    ) -> int:
        """Insert what :func:`prepare_rows` made (the sync prepares a chunk on its own thread
        while the writer thread inserts the previous one). Returns rows inserted. With an
        ``indexer`` the new rows are indexed on its thread after this commits, else in this
        transaction; not at all with ``index`` False (the index is :meth:`defer_index`-ed: the
        rows are indexed with their bodies)."""
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
                indexed = [(rowid, *search_text[uid]) for rowid, uid in new_rows] if index else []
                if indexer is None:
                    searchindex.insert_new(db, indexed)
        if indexer is not None:
            indexer.submit(indexed)
        return inserted

    def defer_index(self) -> None:
        """From now on new rows may be stored unindexed, to be indexed once with their bodies
        (see :mod:`storage.cache.searchindex`); :meth:`index_missing` ends it."""
        with self.transaction(search=True) as db:
            searchindex.defer(db)

    @property
    def index_deferred(self) -> bool:
        return searchindex.deferred(self._db)

    def index_missing(self, *, keep_deferred: bool = False) -> int:
        """Index the messages a killed run stored but never indexed, and those a deferred index
        left without an index row (then the index is no longer deferred; ``keep_deferred``:
        leave a deferred index as it is). Returns how many."""
        ending = searchindex.deferred(self._db)
        if ending and keep_deferred:
            return 0
        ids = searchindex.unindexed_rows(self._db) if ending else searchindex.missing_rows(self._db)
        for start in range(0, len(ids), 2000):
            part = ids[start : start + 2000]
            marks = ",".join("?" * len(part))
            rows = [
                (rowid, subject, people_row(name, addr, to_json, cc_json))
                for rowid, subject, name, addr, to_json, cc_json in self._db.execute(
                    "SELECT id, subject, from_name, from_addr, to_json, cc_json FROM messages"
                    f" WHERE id IN ({marks})",
                    part,
                )
            ]
            with self.transaction(search=True) as db:
                searchindex.insert_new(db, rows)
        if ending:
            with self.transaction(search=True) as db:
                searchindex.clear_deferred(db)
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
                found[uid] = (mid, flags_tuple(flags))
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
                text = flags_text(flags)
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

    def dirty_roots(self, account: str) -> set[str]:
        """Threads whose rows were not rebuilt after their messages changed (a crash)."""
        rows = self._db.execute("SELECT root FROM dirty_threads WHERE account=?", (account,))
        return {r[0] for r in rows}

    def has_unthreaded(self, account: str) -> bool:
        """Messages stored but not threaded yet (new ones, a killed sync, the rest of a thread
        that lost a message), or a subject group waiting to be merged again."""
        return threadstore.needs_threading(self._db, account)

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
                    current = flags_tuple(flags)
                    kept = tuple(f for f in current if f.lower() != lowered)
                    new = (*kept, keyword) if add else kept
                    if new != current:
                        db.execute(
                            "UPDATE messages SET flags=? WHERE id=?", (flags_text(new), rowid)
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
