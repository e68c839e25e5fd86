"""One thread at a time (:class:`ThreadLookups`): by root, short id or Message-ID, its messages,
and the keyword counts over all threads.

A thread's short id is a prefix of a hash of its root (:func:`storage.threads.thread_id`); when
new mail gives a thread another root, ``thread_aliases`` (:mod:`storage.cache.threadstore`)
leads from the id shown a moment ago to today's thread.
"""

from __future__ import annotations

from supportmail.storage.cache.core import CacheCore
from supportmail.storage.cache.rows import (
    THREAD_COLUMNS,
    MessageRow,
    ThreadRow,
    addresses,
    flags_tuple,
    thread_row,
    to_datetime,
)
from supportmail.storage.models import Address
from supportmail.storage.threads import thread_id


class ThreadLookups(CacheCore):
    """Single threads and their messages."""

    def thread(self, account: str, root: str) -> ThreadRow | None:
        row = self._db.execute(
            f"SELECT {THREAD_COLUMNS} FROM threads t WHERE t.account=? AND t.root=?",
            (account, root),
        ).fetchone()
        return None if row is None else thread_row(row)

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
        from supportmail.storage.mime import Envelope  # loads with the first thread opened

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
                to=addresses(to_json),
                cc=addresses(cc_json),
                reply_to=(),
                date=to_datetime(date, tz) if date else None,
            )
            out.append(
                MessageRow(rowid, account, folder, uid, mid, env, size, flags_tuple(flags), root)
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
