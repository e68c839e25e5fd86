"""The userdb's TinyDB storage: a whole new file renamed into place, and recovery from damage.

:class:`AtomicJSONStorage` never rewrites the file in place (TinyDB's stock ``JSONStorage`` does,
and a crash mid-write leaves half a file): it writes ``<path>.tmp-<pid>``, fsyncs it, links the
current good file to ``<path>.bak``, renames the temp file over ``<path>`` and fsyncs the
directory. A damaged file is moved aside to ``<path>.corrupt-<timestamp>`` and ``.bak`` restored.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from tinydb import Storage

from supportmail.storage.user.records import UserDBError

_Data = dict[str, dict[str, Any]]


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in ``directory`` durable (fsync the directory itself)."""
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


def describe(error: OSError) -> str:
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
            raise UserDBError(f"cannot read {self.path}: {describe(error)}") from None
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
            raise UserDBError(f"cannot save {self.path}: {describe(error)}") from None

    def _replace_with(self, tmp: Path, payload: bytes) -> None:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        _write_private(tmp, payload)
        if self.path.exists():
            self._keep_backup()
        os.replace(tmp, self.path)
        fsync_dir(self.path.parent)

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
            fsync_dir(self.path.parent)
        except OSError as error:
            raise UserDBError(f"cannot repair {self.path}: {describe(error)}") from None
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
