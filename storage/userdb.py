"""The user's own database: tag catalog, private notes, the outbox of tag edits, small settings.

This is what people author and must never lose, so it lives in a small, human-readable TinyDB
JSON file with a storage that is safe against crashes and against a second supportmail process:

* **Atomic writes.** :class:`AtomicJSONStorage` never rewrites the file in place (TinyDB's stock
  ``JSONStorage`` does, and a crash mid-write leaves half a file). It serialises to
  ``<path>.tmp-<pid>`` in the same directory, fsyncs it, links the current good file to
  ``<path>.bak``, ``os.replace``-s the temp file over ``<path>`` and fsyncs the directory. Files
  are mode 0600, a directory it creates 0700. A full disk leaves the previous file untouched.
* **Recovery.** A file that is empty or not a TinyDB JSON document is moved aside to
  ``<path>.corrupt-<timestamp>`` and the ``.bak`` restored (or a fresh database started when the
  ``.bak`` is unusable too); :attr:`UserDB.recovered` then holds one line saying so.
* **One writer at a time.** Every public method of :class:`UserDB` runs under an exclusive
  ``fcntl.flock`` on ``<path>.lock`` (waiting at most 10 s) and re-reads the file inside the lock,
  so a CLI ``tag`` and a running TUI never lose each other's edits. ``<path>.lock.wait`` keeps
  the waiting fair, so a loop of writes in one process cannot starve another into the timeout.
  Within one locked call the storage keeps the document in memory and writes it once at the end
  (one fsync per call); it never caches across calls.

Tables: ``catalog`` (name, kind, description, shortcut, color, updated, writer, deleted: see
``storage.catalog``; a deleted tag stays as a tombstone so the deletion reaches teammates),
``notes`` (account, root, text, updated),
``outbox`` (account, thread_root, keyword, add, message_ids, seq, created), ``settings``
(key, value), ``quotes`` (id, account, root, message_id, text, who_name, who_addr, when, created:
passages of customers' messages you kept), ``activity`` (account, root, what, tag, kind, at: what
you did, for the customer-day summary; the last :data:`ACTIVITY_DAYS` days and at most
:data:`ACTIVITY_MAX` entries) and ``meta`` (schema version, next outbox sequence number, next
quote id).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tinydb import Query, Storage
from tinydb.table import Document, Table

from storage.catalog import CatalogEntry, effective, entry_json, merge
from storage.tags import SEED_CATEGORIES, canonical_tag, is_flag, tag_kind

__all__ = [
    "ACTIVITY_WHAT",
    "Activity",
    "AtomicJSONStorage",
    "CatalogTag",
    "OutboxEdit",
    "StoredQuote",
    "UserDB",
    "UserDBError",
]

SCHEMA_VERSION = 1
LOCK_TIMEOUT = 10.0
"""Seconds a call waits for another supportmail process to release the database."""
_COURTESY = 0.1
"""Longest a caller that just released the database waits for a waiting peer to take it."""
ACTIVITY_DAYS = 90
"""Activity entries older than this (relative to the newest one) are dropped."""
ACTIVITY_MAX = 2000
"""At most this many activity entries are kept (the newest), so the file stays small."""
ACTIVITY_WHAT = frozenset({"tag", "untag", "note", "quote", "read", "unread"})
"""What an activity entry records: a tag added or removed, a note saved, a quote kept, a
thread marked read or unread."""

_Data = dict[str, dict[str, Any]]
_T = TypeVar("_T")


class UserDBError(Exception):
    """The user database cannot be read or written; ``str(error)`` is one line for the user."""


@dataclass(frozen=True, slots=True)
class OutboxEdit:
    """One pending tag edit of a thread, waiting to be stored on the server."""

    account: str
    thread_root: str
    keyword: str
    add: bool
    message_ids: tuple[str, ...]
    """Bare Message-IDs of the thread's messages when the edit was made (union over collapses)."""
    seq: int
    """Monotonically increasing across the database; a newer edit of the same key gets a new one."""
    created: float
    """Epoch seconds of the newest edit folded into this entry."""


@dataclass(frozen=True, slots=True)
class StoredQuote:
    """A passage of a customer's message the user kept, as stored (local only)."""

    id: int
    """Unique within the database, never reused."""
    account: str
    root: str
    """Root Message-ID of the thread when the quote was saved."""
    message_id: str
    text: str
    who_name: str
    who_addr: str
    when: str
    """ISO 8601 date of the message ('' when unknown)."""
    created: float
    """Epoch seconds when it was saved."""


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing the user did to a thread (see :data:`ACTIVITY_WHAT`)."""

    account: str
    root: str
    what: str
    tag: str | None
    """The tag for ``tag``/``untag`` entries, else None."""
    kind: str | None
    """The tag's kind (``team``, ``category``, ``label``), else None."""
    at: float
    """Epoch seconds."""


@dataclass(frozen=True, slots=True)
class CatalogTag:
    """A tag the user keeps in the catalog, with its optional shortcut key and colour."""

    name: str
    kind: str
    shortcut: str | None
    color: str | None
    description: str | None = None


# --------------------------------------------------------------------------------------------
# The storage
# --------------------------------------------------------------------------------------------


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_private(path: Path, payload: bytes) -> None:
    """Create ``path`` (which must not exist) with mode 0600, write ``payload`` and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse(raw: bytes) -> _Data | None:
    """The TinyDB document in ``raw``, or None if it is empty, not JSON or not TinyDB-shaped."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    for table in data.values():
        if not isinstance(table, dict) or not all(isinstance(d, dict) for d in table.values()):
            return None
    return data


def _serialise(data: Mapping[str, Any]) -> bytes:
    """Pretty enough to read and diff (one document per line), fast (the C JSON encoder)."""
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    tables = []
    for name, table in data.items():
        docs = ",\n".join([f"  {encode(str(i))}: {encode(doc)}" for i, doc in table.items()])
        tables.append(
            f"{json.dumps(name)}: {{\n{docs}\n}}" if docs else f"{json.dumps(name)}: {{}}"
        )
    return ("{\n" + ",\n".join(tables) + "\n}\n").encode("utf-8")


def _describe(error: OSError) -> str:
    return error.strerror or str(error)


class AtomicJSONStorage(Storage):
    """A TinyDB storage that writes a whole new file and renames it into place.

    Outside :meth:`transaction` every :meth:`read` loads the file and every :meth:`write` replaces
    it. Inside a transaction the document is read once, reads and writes go to that in-memory
    copy, and it is written once when the transaction ends without an error. The caller holds
    the lock; the storage only keeps the file consistent.
    """

    def __init__(self, path: Path, on_recover: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.bak_path = self.path.with_name(self.path.name + ".bak")
        self._on_recover = on_recover
        self._txn_data: _Data | None = None
        self._txn_dirty = False
        self._in_txn = False

    # TinyDB's interface --------------------------------------------------------------------

    def read(self) -> _Data | None:
        if self._in_txn:
            return self._txn_data
        return self.load()

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        if self._in_txn:
            self._txn_data = data
            self._txn_dirty = True
            return
        self.save(data)

    # Transactions --------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[bool]:
        """Read the file once, batch every read and write, save once on success.

        Yields True when the file did not exist (a new database the caller may seed). Nested
        transactions join the outer one.
        """
        if self._in_txn:
            yield False
            return
        data = self.load()
        self._txn_data = data
        self._txn_dirty = data is None
        self._in_txn = True
        try:
            yield data is None
            if self._txn_dirty:
                self.save(self._txn_data or {})
        finally:
            self._in_txn = False
            self._txn_data = None
            self._txn_dirty = False

    # Files ---------------------------------------------------------------------------------

    def load(self) -> _Data | None:
        """The document on disk; None if there is none. Recovers a damaged file first."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise UserDBError(f"cannot read {self.path}: {_describe(error)}") from None
        data = _parse(raw)
        if data is None:
            data = self._recover()
        return data

    def save(self, data: Mapping[str, Any]) -> None:
        """Replace the file with ``data`` atomically; the previous file becomes ``.bak``."""
        try:
            payload = _serialise(data)
        except (TypeError, ValueError) as error:
            raise UserDBError(f"cannot save {self.path}: {error}") from None
        tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        try:
            self._replace_with(tmp, payload)
        except OSError as error:
            for leftover in (tmp, self._bak_tmp()):
                with contextlib.suppress(OSError):
                    leftover.unlink()
            raise UserDBError(f"cannot save {self.path}: {_describe(error)}") from None

    def _replace_with(self, tmp: Path, payload: bytes) -> None:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _write_private(tmp, payload)
        if self.path.exists():
            self._keep_backup()
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)

    def _bak_tmp(self) -> Path:
        return self.bak_path.with_name(f"{self.bak_path.name}.tmp-{os.getpid()}")

    def _keep_backup(self) -> None:
        """Make ``.bak`` the current file: a hard link (or a copy) renamed over the old ``.bak``."""
        bak_tmp = self._bak_tmp()
        with contextlib.suppress(FileNotFoundError):
            bak_tmp.unlink()
        try:
            os.link(self.path, bak_tmp)
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOTSUP):
                raise
            _write_private(bak_tmp, self.path.read_bytes())
        os.replace(bak_tmp, self.bak_path)

    def _recover(self) -> _Data | None:
        """Move the damaged file aside, restore ``.bak``; None (start afresh) if it is bad too."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 1
        while aside.exists():
            counter += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
        try:
            os.replace(self.path, aside)
            backup = self._read_backup()
            if backup is not None:
                tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                _write_private(tmp, self.bak_path.read_bytes())
                os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except OSError as error:
            raise UserDBError(f"cannot repair {self.path}: {_describe(error)}") from None
        if backup is not None:
            message = (
                f"{self.path} was damaged; moved it to {aside.name} "
                f"and restored {self.bak_path.name}"
            )
        else:
            message = (
                f"{self.path} was damaged and no usable backup exists; moved it to {aside.name} "
                "and started a new database"
            )
        if self._on_recover is not None:
            self._on_recover(message)
        return backup

    def _read_backup(self) -> _Data | None:
        try:
            return _parse(self.bak_path.read_bytes())
        except FileNotFoundError:
            return None

    def remove_stale_temp_files(self) -> None:
        """Delete temp files a killed writer left behind (call with the lock held)."""
        for pattern in (f"{self.path.name}.tmp-*", f"{self.bak_path.name}.tmp-*"):
            for stale in self.path.parent.glob(pattern):
                with contextlib.suppress(OSError):
                    stale.unlink()


# --------------------------------------------------------------------------------------------
# The lock
# --------------------------------------------------------------------------------------------


def _try_flock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _FileLock:
    """An exclusive ``flock`` on ``<db>.lock`` plus a thread lock, re-entrant within one thread.

    ``flock`` has no timeout and no fairness, so waiting is a poll (every millisecond or so) and a
    second file, ``<db>.lock.wait``, makes it fair: a waiter holds a shared lock on it while it
    polls, and a caller that released the database a moment ago lets such a waiter go first
    (for at most :data:`_COURTESY` seconds). A loop of writes in the TUI therefore cannot starve
    a CLI call into its timeout.
    """

    def __init__(self, path: Path, timeout: float) -> None:
        self.path = path
        self.wait_path = path.with_name(path.name + ".wait")
        self.timeout = timeout
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._wait_fd: int | None = None
        self._released_at = -1.0

    def open(self) -> None:
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._wait_fd = os.open(self.wait_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            self.close()
            raise UserDBError(f"cannot open {error.filename}: {_describe(error)}") from None

    def close(self) -> None:
        with self._thread_lock:
            for fd in (self._fd, self._wait_fd):
                if fd is not None:
                    os.close(fd)
            self._fd = self._wait_fd = None

    @contextlib.contextmanager
    def held(self, what: Path) -> Iterator[None]:
        deadline = time.monotonic() + self.timeout
        if not self._thread_lock.acquire(timeout=self.timeout):
            raise UserDBError(f"{what} is locked by another supportmail thread")
        try:
            if self._fd is None or self._wait_fd is None:
                raise UserDBError(f"{what} is closed")
            if self._depth == 0:
                self._acquire(self._fd, self._wait_fd, deadline, what)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
                    self._released_at = time.monotonic()
        finally:
            self._thread_lock.release()

    def _acquire(self, fd: int, wait_fd: int, deadline: float, what: Path) -> None:
        if time.monotonic() - self._released_at < _COURTESY:
            self._let_waiters_go_first(wait_fd, min(deadline, time.monotonic() + _COURTESY))
        if _try_flock(fd, fcntl.LOCK_EX):
            return
        fcntl.flock(wait_fd, fcntl.LOCK_SH)  # "I am waiting"; only ever blocks for a moment
        try:
            started = time.monotonic()
            while not _try_flock(fd, fcntl.LOCK_EX):
                now = time.monotonic()
                if now >= deadline:
                    raise UserDBError(f"{what} is locked by another supportmail process")
                time.sleep(0.001 if now - started < 1.0 else 0.01)
        finally:
            fcntl.flock(wait_fd, fcntl.LOCK_UN)

    @staticmethod
    def _let_waiters_go_first(wait_fd: int, until: float) -> None:
        while time.monotonic() < until:
            if _try_flock(wait_fd, fcntl.LOCK_EX):  # nobody holds it shared: nobody waits
                fcntl.flock(wait_fd, fcntl.LOCK_UN)
                return
            time.sleep(0.0005)


# --------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------


class _Tables:
    """Fresh TinyDB tables over the storage for one locked call (no state survives the call)."""

    def __init__(self, storage: AtomicJSONStorage) -> None:
        self.catalog = Table(storage, "catalog", cache_size=0)
        self.notes = Table(storage, "notes", cache_size=0)
        self.outbox = Table(storage, "outbox", cache_size=0)
        self.settings = Table(storage, "settings", cache_size=0)
        self.meta = Table(storage, "meta", cache_size=0)
        self.quotes = Table(storage, "quotes", cache_size=0)
        self.activity = Table(storage, "activity", cache_size=0)


def _edit_from(doc: Mapping[str, Any]) -> OutboxEdit:
    return OutboxEdit(
        account=str(doc["account"]),
        thread_root=str(doc["thread_root"]),
        keyword=str(doc["keyword"]),
        add=bool(doc["add"]),
        message_ids=tuple(str(m) for m in doc["message_ids"]),
        seq=int(doc["seq"]),
        created=float(doc["created"]),
    )


def _entry_from(doc: Mapping[str, Any]) -> CatalogEntry:
    return CatalogEntry(
        name=str(doc["name"]),
        description=doc.get("description"),
        shortcut=doc.get("shortcut"),
        color=doc.get("color"),
        updated=float(doc.get("updated", 0.0)),
        writer=str(doc.get("writer", "")),
        deleted=bool(doc.get("deleted", False)),
    )


def _entry_doc(entry: CatalogEntry) -> dict[str, Any]:
    return {"kind": tag_kind(entry.name), **entry_json(entry)}


def _tag_from(entry: CatalogEntry) -> CatalogTag:
    return CatalogTag(
        name=entry.name,
        kind=tag_kind(entry.name),
        shortcut=entry.shortcut,
        color=entry.color,
        description=entry.description,
    )


def _quote_from(doc: Mapping[str, Any]) -> StoredQuote:
    return StoredQuote(
        id=int(doc["id"]),
        account=str(doc["account"]),
        root=str(doc["root"]),
        message_id=str(doc["message_id"]),
        text=str(doc["text"]),
        who_name=str(doc["who_name"]),
        who_addr=str(doc["who_addr"]),
        when=str(doc["when"]),
        created=float(doc["created"]),
    )


def _activity_from(doc: Mapping[str, Any]) -> Activity:
    tag, kind = doc.get("tag"), doc.get("kind")
    return Activity(
        account=str(doc["account"]),
        root=str(doc["root"]),
        what=str(doc["what"]),
        tag=None if tag is None else str(tag),
        kind=None if kind is None else str(kind),
        at=float(doc["at"]),
    )


def _check_keyword(keyword: str) -> None:
    if not is_flag(keyword):
        raise UserDBError(f"not an IMAP keyword: {keyword!r}")


def _check_attribute(what: str, value: str | None) -> None:
    """None keeps what is stored and "" clears it; anything else must be printable text."""
    if value and (not value.strip() or not value.isprintable()):
        raise UserDBError(f"a tag {what} must be printable and not blank, got {value!r}")


Q = Query()


class UserDB:
    """The user's TinyDB file; every public method is one locked, re-reading call.

    Safe to share between threads of one process and between processes (see the module
    docstring). ``recovered`` holds one line when a damaged file was moved aside.
    """

    def __init__(self, path: Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.path = Path(path)
        self.recovered: str | None = None
        self._make_dir(self.path.parent)
        self._storage = AtomicJSONStorage(self.path, on_recover=self._note_recovery)
        self._lock = _FileLock(self.path.with_name(self.path.name + ".lock"), lock_timeout)
        self._lock.open()
        with self._lock.held(self.path):
            self._storage.remove_stale_temp_files()
        self._run(lambda tables: None)

    @staticmethod
    def _make_dir(directory: Path) -> None:
        if directory.is_dir():
            return
        try:
            directory.mkdir(parents=True, mode=0o700)
            os.chmod(directory, 0o700)
        except FileExistsError:
            return
        except OSError as error:
            raise UserDBError(f"cannot create {directory}: {_describe(error)}") from None

    def _note_recovery(self, message: str) -> None:
        self.recovered = message

    def close(self) -> None:
        """Release the lock file; later calls raise :class:`UserDBError`."""
        self._lock.close()

    def __enter__(self) -> UserDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Every call inside (in this thread) reads the file once and saves it once, at the end:
        one atomic write for a whole selection's edits instead of one per thread. An error
        inside saves nothing."""
        with self._lock.held(self.path), self._storage.transaction() as created:
            if created:
                self._seed(_Tables(self._storage))
            yield

    def _run(self, action: Callable[[_Tables], _T]) -> _T:
        """Run ``action`` under the lock over a fresh read of the file; save once if it wrote.

        A hand-edited entry with missing or mistyped fields becomes one :class:`UserDBError`.
        """
        try:
            with self._lock.held(self.path), self._storage.transaction() as created:
                tables = _Tables(self._storage)
                if created:
                    self._seed(tables)
                return action(tables)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise UserDBError(
                f"{self.path} holds an entry supportmail cannot use "
                f"({type(error).__name__}: {error}); fix it or restore {self.path.name}.bak"
            ) from None

    @staticmethod
    def _seed(tables: _Tables) -> None:
        tables.meta.insert({"schema": SCHEMA_VERSION, "next_seq": 1})
        tables.catalog.insert_multiple(
            _entry_doc(CatalogEntry(name, shortcut=str(key)))
            for key, name in enumerate(SEED_CATEGORIES, start=1)
        )

    # Catalog -------------------------------------------------------------------------------
    # Entries are kept with their edit time and writer, deletions as tombstones, so the shared
    # catalog merges per tag (``storage.catalog``, ``storage.catalog_sync``).

    def catalog(self) -> list[CatalogTag]:
        """Every live catalog tag, in the order they were added (a shortcut claimed by two
        tags shows on the newer writer's only)."""
        return [_tag_from(e) for e in effective(self.catalog_entries())]

    def catalog_entries(self) -> list[CatalogEntry]:
        """Every catalog entry, tombstones included, in the order they were added."""
        return self._run(lambda t: [_entry_from(doc) for doc in t.catalog.all()])

    @staticmethod
    def _writer(t: _Tables) -> str:
        doc = t.settings.get(Q.key == "catalog_writer")
        if doc is not None:
            return str(doc["value"])
        writer = os.urandom(8).hex()
        t.settings.insert({"key": "catalog_writer", "value": writer})
        return writer

    def add_catalog_tag(
        self,
        name: str,
        *,
        shortcut: str | None = None,
        color: str | None = None,
        description: str | None = None,
        implicit: bool = False,
    ) -> CatalogTag:
        """Add ``name`` (canonicalised) or update its shortcut, colour or description; returns
        the stored tag. None keeps what is stored, "" clears it.

        A shortcut already held by another live tag is an error. ``implicit``: the tag is only
        being used (a thread tagged with a new name): a new entry then carries no edit time, so
        any teammate's deliberate edit of it wins in the shared catalog.
        """
        canonical = canonical_tag(name)
        for what, value in (("shortcut", shortcut), ("color", color)):
            _check_attribute(what, value)
        if description and not description.isprintable():
            raise UserDBError(f"a tag description must be printable, got {description!r:.60}")

        def action(t: _Tables) -> CatalogTag:
            docs = t.catalog.all()
            if shortcut:
                live = effective(_entry_from(d) for d in docs)
                for other in live:
                    if other.shortcut == shortcut and other.name != canonical:
                        raise UserDBError(f"shortcut {shortcut!r} is already used by {other.name}")
            existing = next((d for d in docs if d["name"] == canonical), None)
            old = _entry_from(existing) if existing is not None else CatalogEntry(canonical)
            if implicit and existing is not None and not old.deleted:
                return _tag_from(old)
            changes: dict[str, Any] = {"deleted": False}
            for field, value in (
                ("shortcut", shortcut),
                ("color", color),
                ("description", description),
            ):
                if value is not None:
                    changes[field] = value.strip() or None
            if not implicit or existing is not None:
                changes.update(updated=time.time(), writer=self._writer(t))
            entry = dataclasses.replace(old, **changes)
            if existing is not None:
                t.catalog.update(_entry_doc(entry), doc_ids=[existing.doc_id])
            else:
                t.catalog.insert(_entry_doc(entry))
            return _tag_from(entry)

        return self._run(action)

    def remove_catalog_tag(self, name: str) -> bool:
        """Delete ``name`` (as given or canonicalised) from the catalog, as a tombstone that
        travels to teammates; False if it was absent or deleted already."""
        names = {name}
        with contextlib.suppress(ValueError):
            names.add(canonical_tag(name))

        def action(t: _Tables) -> bool:
            removed = False
            for doc in t.catalog.search(Q.name.one_of(sorted(names))):
                entry = _entry_from(doc)
                if entry.deleted:
                    continue
                gone = dataclasses.replace(
                    entry,
                    deleted=True,
                    shortcut=None,
                    updated=time.time(),
                    writer=self._writer(t),
                )
                t.catalog.update(_entry_doc(gone), doc_ids=[doc.doc_id])
                removed = True
            return removed

        return self._run(action)

    def merge_catalog(self, remote: Mapping[str, CatalogEntry]) -> dict[str, CatalogEntry]:
        """Merge a teammate's (the server's) catalog into this one, per tag (see
        ``storage.catalog.merge``), in one locked call; returns the merged catalog."""

        def action(t: _Tables) -> dict[str, CatalogEntry]:
            docs = {str(d["name"]): d for d in t.catalog.all()}
            local = {name: _entry_from(d) for name, d in docs.items()}
            merged = merge(local.values(), remote.values())
            for name, entry in merged.items():
                if name not in docs:
                    t.catalog.insert(_entry_doc(entry))
                elif local[name] != entry:
                    t.catalog.update(_entry_doc(entry), doc_ids=[docs[name].doc_id])
            return merged

        return self._run(action)

    # Notes ---------------------------------------------------------------------------------

    @staticmethod
    def _find_note(t: _Tables, account: str, root: str) -> Document | None:
        found = t.notes.search(lambda d: d["root"] == root and d["account"] == account)
        return found[0] if found else None

    def note(self, account: str, root: str) -> str | None:
        """The private note on the thread with root Message-ID ``root``, or None."""

        def action(t: _Tables) -> str | None:
            doc = self._find_note(t, account, root)
            return None if doc is None else str(doc["text"])

        return self._run(action)

    def set_note(self, account: str, root: str, text: str) -> None:
        """Store the note; an empty or whitespace-only ``text`` deletes it. Durable on return."""

        def action(t: _Tables) -> None:
            doc = self._find_note(t, account, root)
            if not text.strip():
                if doc is not None:
                    t.notes.remove(doc_ids=[doc.doc_id])
                return
            fields = {"account": account, "root": root, "text": text, "updated": time.time()}
            if doc is None:
                t.notes.insert(fields)
            else:
                t.notes.update(fields, doc_ids=[doc.doc_id])

        self._run(action)

    def notes(self, account: str) -> dict[str, str]:
        """Every note of ``account``: thread root Message-ID -> text."""

        def action(t: _Tables) -> dict[str, str]:
            found = t.notes.search(lambda d: d["account"] == account)
            return {str(d["root"]): str(d["text"]) for d in found}

        return self._run(action)

    # Outbox --------------------------------------------------------------------------------

    def outbox_put(
        self,
        account: str,
        thread_root: str,
        message_ids: Sequence[str],
        keyword: str,
        add: bool,
    ) -> OutboxEdit:
        """Queue adding (``add``) or removing ``keyword`` on a thread; durable when it returns.

        At most one entry exists per (account, thread_root, keyword), keyword compared
        case-insensitively: a new edit replaces it with the newest operation, the union of the
        Message-IDs and a new sequence number.
        """
        if isinstance(message_ids, str):
            raise UserDBError("message_ids must be a sequence of Message-IDs, not one string")
        _check_keyword(keyword)
        new_ids = [str(m) for m in message_ids]
        folded = keyword.casefold()

        def same_key(d: Mapping[Any, Any]) -> bool:
            return (
                d["thread_root"] == thread_root
                and d["account"] == account
                and str(d["keyword"]).casefold() == folded
            )

        def action(t: _Tables) -> OutboxEdit:
            old = t.outbox.search(lambda d: same_key(d))
            ids = [m for doc in old for m in doc["message_ids"]] + new_ids
            if old:
                t.outbox.remove(doc_ids=[doc.doc_id for doc in old])
            entry = {
                "account": account,
                "thread_root": thread_root,
                "keyword": keyword,
                "add": bool(add),
                "message_ids": list(dict.fromkeys(ids)),
                "seq": self._next_seq(t),
                "created": time.time(),
            }
            t.outbox.insert(entry)
            return _edit_from(entry)

        return self._run(action)

    @staticmethod
    def _next_seq(t: _Tables) -> int:
        meta = t.meta.get(doc_id=1)
        if isinstance(meta, Mapping) and isinstance(meta.get("next_seq"), int):
            seq = int(meta["next_seq"])
        else:  # meta lost (a hand-edited file): continue after the highest queued number
            seq = 1 + max((int(d["seq"]) for d in t.outbox.all()), default=0)
        t.meta.upsert(Document({"schema": SCHEMA_VERSION, "next_seq": seq + 1}, doc_id=1))
        return seq

    def outbox(self, account: str) -> list[OutboxEdit]:
        """The pending edits of ``account``, oldest (lowest ``seq``) first."""

        def action(t: _Tables) -> list[OutboxEdit]:
            edits = [_edit_from(d) for d in t.outbox.search(lambda d: d["account"] == account)]
            return sorted(edits, key=lambda e: e.seq)

        return self._run(action)

    def outbox_ack(self, edit: OutboxEdit) -> bool:
        """Drop ``edit`` once it is on the server, unless a newer edit replaced it meanwhile.

        Returns whether the entry was removed (False when its seq changed or it is gone).
        """

        def action(t: _Tables) -> bool:
            found = t.outbox.search(lambda d: d["seq"] == edit.seq and d["account"] == edit.account)
            if found:
                t.outbox.remove(doc_ids=[doc.doc_id for doc in found])
            return bool(found)

        return self._run(action)

    def pending_keywords(self, account: str) -> dict[str, dict[str, bool]]:
        """Message-ID -> {keyword: add} for every pending edit of ``account``; newer edits win."""
        result: dict[str, dict[str, bool]] = {}
        for edit in self.outbox(account):
            for message_id in edit.message_ids:
                result.setdefault(message_id, {})[edit.keyword] = edit.add
        return result

    # Settings ------------------------------------------------------------------------------

    def get_setting(self, key: str, default: object = None) -> object:
        """A per-user setting (e.g. the last skim time), or ``default``."""

        def action(t: _Tables) -> object:
            doc = t.settings.get(Q.key == key)
            return default if doc is None else doc["value"]

        return self._run(action)

    def set_setting(self, key: str, value: object) -> None:
        """Store a JSON-serialisable setting; durable when it returns."""
        try:
            stored = json.loads(json.dumps(value))
        except (TypeError, ValueError) as error:
            raise UserDBError(f"setting {key!r} cannot be stored: {error}") from None
        self._run(lambda t: t.settings.upsert({"key": key, "value": stored}, Q.key == key))

    def update_setting(self, key: str, change: Callable[[object], object]) -> object:
        """Read, change and store a setting in one locked call (no other writer in between).

        ``change`` gets the stored value (None when there is none) and returns the new one;
        returns what was stored.
        """

        def action(t: _Tables) -> object:
            doc = t.settings.get(Q.key == key)
            new = change(None if doc is None else doc["value"])
            try:
                stored = json.loads(json.dumps(new))
            except (TypeError, ValueError) as error:
                raise UserDBError(f"setting {key!r} cannot be stored: {error}") from None
            t.settings.upsert({"key": key, "value": stored}, Q.key == key)
            return stored

        return self._run(action)

    # Saved quotes --------------------------------------------------------------------------

    @staticmethod
    def _next_quote_id(t: _Tables) -> int:
        meta = t.meta.get(doc_id=1)
        stored = meta.get("next_quote") if isinstance(meta, Mapping) else None
        highest = max((int(d["id"]) for d in t.quotes.all()), default=0)
        quote_id = max(stored if isinstance(stored, int) else 1, highest + 1)
        if isinstance(meta, Document):
            t.meta.update({"next_quote": quote_id + 1}, doc_ids=[meta.doc_id])
        else:
            t.meta.upsert(
                Document({"schema": SCHEMA_VERSION, "next_quote": quote_id + 1}, doc_id=1)
            )
        return quote_id

    def add_quote(
        self,
        account: str,
        root: str,
        message_id: str,
        text: str,
        who_name: str,
        who_addr: str,
        when_iso: str,
        *,
        created: float | None = None,
    ) -> StoredQuote:
        """Keep a passage of a message; durable when it returns. Blank text is an error."""
        if not text.strip():
            raise UserDBError("a quote needs some text")
        fields: dict[str, Any] = {
            "account": account,
            "root": root,
            "message_id": message_id,
            "text": text,
            "who_name": who_name,
            "who_addr": who_addr,
            "when": when_iso,
            "created": time.time() if created is None else float(created),
        }

        def action(t: _Tables) -> StoredQuote:
            doc = {"id": self._next_quote_id(t), **fields}
            t.quotes.insert(doc)
            return _quote_from(doc)

        return self._run(action)

    def quotes(self, account: str, root: str | None = None) -> list[StoredQuote]:
        """The saved quotes of ``account`` (of one thread root when given), oldest first."""

        def action(t: _Tables) -> list[StoredQuote]:
            found = t.quotes.search(
                lambda d: d["account"] == account and (root is None or d["root"] == root)
            )
            return sorted((_quote_from(d) for d in found), key=lambda q: q.id)

        return self._run(action)

    def remove_quote(self, account: str, quote_id: int) -> bool:
        """Delete a saved quote; False when ``account`` has no quote with that id."""

        def action(t: _Tables) -> bool:
            return bool(t.quotes.remove(lambda d: d["account"] == account and d["id"] == quote_id))

        return self._run(action)

    # Activity ------------------------------------------------------------------------------

    def log_activity(
        self,
        account: str,
        root: str,
        events: Sequence[tuple[str, str | None]],
        *,
        at: float | None = None,
    ) -> list[Activity]:
        """Append ``(what, tag)`` events on one thread at one moment; durable when it returns.

        ``what`` is one of :data:`ACTIVITY_WHAT`; ``tag`` is the tag for ``tag``/``untag`` and
        None otherwise. Entries older than :data:`ACTIVITY_DAYS` before ``at`` go, and only the
        newest :data:`ACTIVITY_MAX` stay.
        """
        moment = time.time() if at is None else float(at)
        docs: list[dict[str, Any]] = []
        for what, tag in events:
            if what not in ACTIVITY_WHAT:
                raise UserDBError(f"unknown activity {what!r}")
            if (tag is None) != (what not in ("tag", "untag")):
                raise UserDBError(f"activity {what!r} {'needs' if tag is None else 'takes no'} tag")
            kind = None if tag is None else tag_kind(tag)
            entry = {"account": account, "root": root, "what": what, "tag": tag, "kind": kind}
            docs.append({**entry, "at": round(moment, 3)})

        def action(t: _Tables) -> list[Activity]:
            t.activity.insert_multiple(docs)
            self._trim_activity(t, moment - ACTIVITY_DAYS * 86400.0)
            return [_activity_from(d) for d in docs]

        return self._run(action) if docs else []

    @staticmethod
    def _trim_activity(t: _Tables, oldest: float) -> None:
        entries = t.activity.all()
        stale = [d.doc_id for d in entries if float(d["at"]) < oldest]
        kept = len(entries) - len(stale)
        if kept > ACTIVITY_MAX:
            young = sorted(
                (d for d in entries if float(d["at"]) >= oldest),
                key=lambda d: (float(d["at"]), d.doc_id),
            )
            stale.extend(d.doc_id for d in young[: kept - ACTIVITY_MAX])
        if stale:
            t.activity.remove(doc_ids=stale)

    def activity(
        self, account: str, since: float | None = None, until: float | None = None
    ) -> list[Activity]:
        """The activity of ``account`` with ``since <= at <= until``, oldest first."""

        def action(t: _Tables) -> list[Activity]:
            found = [
                _activity_from(d)
                for d in t.activity.search(lambda d: d["account"] == account)
                if (since is None or float(d["at"]) >= since)
                and (until is None or float(d["at"]) <= until)
            ]
            return sorted(found, key=lambda a: a.at)

        return self._run(action)
