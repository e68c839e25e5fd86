"""The userdb's core: the TinyDB tables of one locked call, opening, locking, batching, seeding.

:class:`UserDBCore` runs every public call as ``_run(action)``: under the file lock, over a fresh
read of the file, saved once at the end if it wrote. The table groups (``catalog_store``,
``notes``, ``tag_outbox``, ``journal``) build on it and ``storage.user.db.UserDB`` combines them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

from tinydb import Query
from tinydb.table import Table

from supportmail.storage.tags import SEED_CATEGORIES, tag_kind
from supportmail.storage.user.atomic import AtomicJSONStorage, describe
from supportmail.storage.user.filelock import FileLock
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:  # the catalog's module loads with its first use (a first screen reads none)
    from supportmail.storage.user.catalog import CatalogEntry

SCHEMA_VERSION = 1
LOCK_TIMEOUT = 10.0
"""Seconds a call waits for another supportmail process to release the database."""

_T = TypeVar("_T")
Q = Query()


class Tables:
    """Fresh TinyDB tables over the storage for one locked call (no state survives the call)."""

    def __init__(self, storage: AtomicJSONStorage) -> None:
        self.catalog = Table(storage, "catalog", cache_size=0)
        self.notes = Table(storage, "notes", cache_size=0)
        self.outbox = Table(storage, "outbox", cache_size=0)
        self.settings = Table(storage, "settings", cache_size=0)
        self.meta = Table(storage, "meta", cache_size=0)
        self.quotes = Table(storage, "quotes", cache_size=0)
        self.activity = Table(storage, "activity", cache_size=0)


def entry_doc(entry: CatalogEntry) -> dict[str, Any]:
    """The stored document of a catalog entry (its kind included, for people reading the file)."""
    from supportmail.storage.user.catalog import entry_json

    return {"kind": tag_kind(entry.name), **entry_json(entry)}


class UserDBCore:
    """Opening, the lock and ``_run``: what every table group of the userdb builds on."""

    def __init__(self, path: Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.path = Path(path)
        self.recovered: str | None = None
        self._make_dir(self.path.parent)
        self._storage = AtomicJSONStorage(self.path, on_recover=self._note_recovery)
        self._lock = FileLock(self.path.with_name(self.path.name + ".lock"), lock_timeout)
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
            raise UserDBError(f"cannot create {directory}: {describe(error)}") from None

    def _note_recovery(self, message: str) -> None:
        self.recovered = message

    def close(self) -> None:
        """Release the lock file; later calls raise :class:`UserDBError`."""
        self._lock.close()

    def __enter__(self) -> Self:
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
                self._seed(Tables(self._storage))
            yield

    def _run(self, action: Callable[[Tables], _T]) -> _T:
        """Run ``action`` under the lock over a fresh read of the file; save once if it wrote.

        A hand-edited entry with missing or mistyped fields becomes one :class:`UserDBError`.
        """
        try:
            with self._lock.held(self.path), self._storage.transaction() as created:
                tables = Tables(self._storage)
                if created:
                    self._seed(tables)
                return action(tables)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise UserDBError(
                f"{self.path} holds an entry supportmail cannot use "
                f"({type(error).__name__}: {error}); fix it or restore {self.path.name}.bak"
            ) from None

    @staticmethod
    def _seed(tables: Tables) -> None:
        from supportmail.storage.user.catalog import CatalogEntry

        tables.meta.insert({"schema": SCHEMA_VERSION, "next_seq": 1})
        tables.catalog.insert_multiple(
            entry_doc(CatalogEntry(name, shortcut=str(key)))
            for key, name in enumerate(SEED_CATEGORIES, start=1)
        )
