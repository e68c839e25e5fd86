"""Incremental threading inside the cache: only what new or removed messages can change.

Threading every message again when one arrives costs seconds and ~170 MB at 250k messages, so
the cache keeps what it needs to re-thread just the affected part, exactly as
:func:`storage.threads.thread_messages` would thread the whole mailbox:

* ``thread_ids`` maps every id a threaded message mentions (its own Message-ID and every id of
  its In-Reply-To/References) to a *component*: messages that share an id, directly or through
  others, are one component. Every step of the reference links (own parents, claimed parents
  and which claim wins, loops, duplicate copies) only ever relates messages of one component,
  so a component can be linked again on its own. The component's label is the smallest row id
  among its messages.
* ``messages.link_root`` is a message's top after the reference links; ``subj_key`` and
  ``subj_reply`` are set on the chosen copy of each reference-less real-message top (the only
  rows the subject fallback looks at). The subject fallback only relates tops with the same
  key, so a changed key group is merged again on its own, from an indexed query.
* ``thread_aliases`` maps the id of a root that threading replaced to the root that replaced it.
* ``dirty_subjects`` remembers the keys of removed tops until their groups are merged again.

A message is *unthreaded* while ``thread_root`` is NULL: new rows, and the remaining rows of a
component that lost a message (their ids leave ``thread_ids``; they are linked again as new).
:func:`thread_pending` threads a batch of unthreaded rows together with the components their
ids touch and the subject groups of every top involved, in the caller's transaction. Every
write here happens inside that transaction, so a kill leaves either the old or the new state.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from supportmail.storage import threads  # the threader loads with the first threading
from supportmail.storage.threads import thread_id

if TYPE_CHECKING:
    from supportmail.storage.threads import SubjectRoot, ThreadInput

SCHEMA = """
CREATE TABLE IF NOT EXISTS thread_ids (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    comp INTEGER NOT NULL,
    PRIMARY KEY (account, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS thread_ids_comp ON thread_ids (account, comp);
CREATE TABLE IF NOT EXISTS thread_aliases (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    root TEXT NOT NULL,
    PRIMARY KEY (account, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dirty_subjects (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (account, key)
) WITHOUT ROWID;
"""

BATCH = 20000
"""Unthreaded rows threaded per call: bounds the memory of a resumed or full re-thread."""

_IN = 500
"""Values per ``IN (...)`` list (SQLite's default limit on variables is 32766; small is fast)."""

_Row = tuple[int, str, str, str, str, int]
"""id, message_id, in_reply_to, refs, subject, date."""


def _slices(values: Iterable[object]) -> Iterator[list[object]]:
    items = list(values)
    for start in range(0, len(items), _IN):
        yield items[start : start + _IN]


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def _tokens(row: _Row) -> set[str]:
    """Every id a row mentions: its own and all of In-Reply-To and References."""
    found = {row[1]}
    found.update(row[2].split())
    found.update(row[3].split())
    found.discard("")
    return found


def _input(row: _Row) -> ThreadInput:
    return threads.ThreadInput(
        key=row[0],
        message_id=row[1],
        in_reply_to=tuple(row[2].split()),
        references=tuple(row[3].split()),
        subject=row[4],
        date=float(row[5]),
    )


def _components(rows: Sequence[_Row]) -> dict[str, int]:
    """id -> component label (the smallest row id of the component's messages)."""
    parent: dict[str, str] = {}

    def find(item: str) -> str:
        root = parent.setdefault(item, item)
        while root != parent[root]:
            root = parent[root]
        while item != root:  # path compression
            parent[item], item = root, parent[item]
        return root

    for row in rows:
        own = find(row[1])
        for token in _tokens(row):
            other = find(token)
            if other != own:
                parent[other] = own
    label: dict[str, int] = {}
    for row in rows:
        top = find(row[1])
        label[top] = min(label.get(top, row[0]), row[0])
    return {token: label[find(token)] for token in parent}


def _column(db: sqlite3.Connection, sql: str, account: str, part: list[object]) -> Iterator[Any]:
    """The first column of ``sql`` for one slice of values (``{}`` takes the ``IN`` marks)."""
    return (r[0] for r in db.execute(sql.format(_marks(part)), (account, *part)))


def _comps_of(db: sqlite3.Connection, account: str, ids: Iterable[str]) -> set[int]:
    comps: set[int] = set()
    for part in _slices(ids):
        # No DISTINCT: with it SQLite scans the comp index instead of the primary key.
        comps.update(
            _column(db, "SELECT comp FROM thread_ids WHERE account=? AND id IN ({})", account, part)
        )
    return comps


_Links = tuple[str | None, str | None, str | None, int]
"""What threading stores on a row: thread_root, link_root, subj_key, subj_reply."""


def _component_rows(
    db: sqlite3.Connection, account: str, comps: Iterable[int]
) -> list[tuple[_Row, _Links]]:
    """The threaded messages of these components, with what threading stored on them."""
    found: list[tuple[_Row, _Links]] = []
    for part in _slices(comps):
        for r in db.execute(
            "SELECT m.id, m.message_id, m.in_reply_to, m.refs, m.subject, m.date, m.thread_root,"
            " m.link_root, m.subj_key, m.subj_reply"
            " FROM thread_ids i CROSS JOIN messages m"  # CROSS: the ids drive the join
            " ON m.account = i.account AND m.message_id = i.id"
            f" WHERE i.account=? AND i.comp IN ({_marks(part)}) AND m.thread_root IS NOT NULL",
            (account, *part),
        ):
            found.append(((r[0], r[1], r[2], r[3], r[4], r[5]), (r[6], r[7], r[8], r[9])))
    return found


def thread_pending(
    db: sqlite3.Connection, account: str, limit: int = BATCH
) -> tuple[int, set[str]]:
    """Thread up to ``limit`` unthreaded rows (oldest row ids first) and whatever they change.

    Returns (unthreaded rows threaded now, every thread root touched, old and new); the caller
    rebuilds those thread rows. Nothing left to do gives (0, set())."""
    pending: list[_Row] = []
    old_keys: set[str] = set()
    for r in db.execute(
        "SELECT id, message_id, in_reply_to, refs, subject, date, subj_key FROM messages"
        " WHERE account=? AND thread_root IS NULL ORDER BY id LIMIT ?",
        (account, limit),
    ):
        pending.append((r[0], r[1], r[2], r[3], r[4], r[5]))
        if r[6] is not None:
            old_keys.add(r[6])  # a top before its component lost a message
    old_keys.update(
        r[0] for r in db.execute("SELECT key FROM dirty_subjects WHERE account=?", (account,))
    )
    if not pending and not old_keys:
        return 0, set()
    tokens: set[str] = set()
    for row in pending:
        tokens |= _tokens(row)
    comps = _comps_of(db, account, tokens)
    rows = list(pending)
    before: dict[int, _Links] = {}
    for row, links in _component_rows(db, account, comps):
        rows.append(row)
        before[row[0]] = links
        if links[2] is not None:
            old_keys.add(links[2])
    tops, candidates = threads.link_messages(_input(row) for row in rows)
    _store_ids(db, account, comps, rows)
    targets, touched, moves = _merge_groups(db, account, old_keys, before, candidates)
    no_key = threads.SubjectRoot("", "", False, 0.0)
    updates: list[_Links | tuple[str | None, str | None, str | None, int, int]] = []
    for row in rows:
        top = tops[row[0]]
        root = targets.get(top, top)
        candidate = candidates.get(row[0], no_key)
        now: _Links = (root, top, candidate.key or None, int(candidate.replied))
        old = before.get(row[0])
        if now != old:
            updates.append((*now, row[0]))
            touched.add(root)
            if old is not None and old[0] is not None:
                touched.add(old[0])
                if old[0] != root:
                    moves.setdefault(old[0], root)
    db.executemany(
        "UPDATE messages SET thread_root=?, link_root=?, subj_key=?, subj_reply=? WHERE id=?",
        updates,
    )
    _remember_moves(db, account, moves)
    db.execute("DELETE FROM dirty_subjects WHERE account=?", (account,))
    return len(pending), touched


def _store_ids(db: sqlite3.Connection, account: str, comps: set[int], rows: Sequence[_Row]) -> None:
    """Make the components' ids those of ``rows``, relabelled: only the ids whose component
    changed are written (a first sync adds older messages to components labelled by their
    newest, so nearly every id it read keeps its label)."""
    old: dict[str, int] = {}
    for part in _slices(comps):
        old.update(
            db.execute(
                f"SELECT id, comp FROM thread_ids WHERE account=? AND comp IN ({_marks(part)})",
                (account, *part),
            )
        )
    new = _components(rows)
    db.executemany(
        "DELETE FROM thread_ids WHERE account=? AND id=?",
        ((account, token) for token in old if token not in new),
    )
    db.executemany(
        "INSERT OR REPLACE INTO thread_ids VALUES (?, ?, ?)",
        ((account, token, comp) for token, comp in new.items() if old.get(token) != comp),
    )


def _merge_groups(
    db: sqlite3.Connection,
    account: str,
    old_keys: set[str],
    batch: dict[int, _Links],
    fresh: dict[int, SubjectRoot],
) -> tuple[dict[str, str], set[str], dict[str, str]]:
    """Merge again every subject group this batch had or has a top in.

    A group is read whole from the index, except the rows of this batch (``batch``: their
    stored values are the old ones), which take part as ``fresh`` says. Returns (top -> the
    top it joins, for tops that join another), the roots of the threads that moved and where
    each moved root went. Tops
    outside the batch whose root changed are re-rooted here with every message linked under
    them (a message linked under such a top is in its component, so outside the batch too)."""
    groups: dict[str, list[tuple[SubjectRoot, str | None]]] = {}
    for root in fresh.values():
        groups.setdefault(root.key, []).append((root, None))
    keys = sorted(old_keys | groups.keys())
    for part in _slices(keys):
        for rowid, key, mid, replied, date, old in db.execute(
            "SELECT id, subj_key, message_id, subj_reply, date, thread_root FROM messages"
            f" WHERE account=? AND subj_key IN ({_marks(part)}) AND link_root IS NOT NULL",
            (account, *part),
        ):
            if rowid not in batch:
                groups.setdefault(key, []).append(
                    (threads.SubjectRoot(mid, key, bool(replied), float(date)), old)
                )
    targets: dict[str, str] = {}
    moved: set[str] = set()
    moves: dict[str, str] = {}
    for members in groups.values():
        merged = threads.subject_merges(root for root, _old in members)
        targets.update(merged)
        for root, old in members:
            new = merged.get(root.message_id, root.message_id)
            if old is not None and old != new:
                db.execute(
                    # Through the thread_root index: no index on link_root to keep up per row.
                    "UPDATE messages SET thread_root=? WHERE account=? AND thread_root=?"
                    " AND link_root=?",
                    (new, account, old, root.message_id),
                )
                moved.update((old, new))
                moves.setdefault(old, new)
    return targets, moved, moves


def _remember_moves(db: sqlite3.Connection, account: str, moves: dict[str, str]) -> None:
    """Where the messages of a thread went when threading gave them another root (the newest
    messages arrived first and named a ghost, the subject fallback found a nearer ticket): a
    thread id shown a moment ago still finds its thread (see ``Cache.find_roots``)."""
    db.executemany(
        "INSERT OR REPLACE INTO thread_aliases VALUES (?, ?, ?)",
        ((account, thread_id(old), new) for old, new in moves.items()),
    )


def unthread(db: sqlite3.Connection, account: str, rowids: Sequence[int]) -> set[str]:
    """Before rows are deleted: send the rest of their components back to unthreaded (they
    are linked again by the next :func:`thread_pending`) and remember the removed tops'
    subject keys. Returns the thread roots whose rows must be rebuilt."""
    message_ids: set[str] = set()
    for part in _slices(rowids):
        for mid, key in db.execute(
            f"SELECT message_id, subj_key FROM messages WHERE id IN ({_marks(part)})", part
        ):
            message_ids.add(mid)
            if key is not None:
                db.execute("INSERT OR IGNORE INTO dirty_subjects VALUES (?, ?)", (account, key))
    comps = _comps_of(db, account, message_ids)
    members: set[str] = set()
    for part in _slices(comps):
        members.update(
            _column(db, "SELECT id FROM thread_ids WHERE account=? AND comp IN ({})", account, part)
        )
        db.execute(
            f"DELETE FROM thread_ids WHERE account=? AND comp IN ({_marks(part)})",
            (account, *part),
        )
    roots: set[str] = set()
    for part in _slices(members):
        marks = _marks(part)
        roots.update(
            r[0]
            for r in db.execute(
                f"SELECT thread_root FROM messages WHERE account=? AND message_id IN ({marks})",
                (account, *part),
            )
            if r[0] is not None  # tested here: in SQL it makes SQLite scan the roots index
        )
        db.execute(
            f"UPDATE messages SET thread_root=NULL, link_root=NULL WHERE account=? AND"
            f" message_id IN ({marks})",
            (account, *part),
        )
    return roots


def needs_threading(db: sqlite3.Connection, account: str) -> bool:
    """Rows wait to be threaded, or a removed top's subject group waits to be merged again."""
    for sql in (
        "SELECT 1 FROM messages WHERE account=? AND thread_root IS NULL LIMIT 1",
        "SELECT 1 FROM dirty_subjects WHERE account=? LIMIT 1",
    ):
        if db.execute(sql, (account,)).fetchone() is not None:
            return True
    return False


def forget_all(db: sqlite3.Connection, account: str) -> None:
    """Unthread every message of the account (a full re-thread follows)."""
    db.execute("DELETE FROM thread_ids WHERE account=?", (account,))
    db.execute("DELETE FROM dirty_subjects WHERE account=?", (account,))
    db.execute(
        "UPDATE messages SET thread_root=NULL, link_root=NULL, subj_key=NULL, subj_reply=0"
        " WHERE account=?",
        (account,),
    )
