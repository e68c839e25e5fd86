"""One terminal window per account: an exclusive lock held for the life of the TUI process.

Two TUIs on the same data directory would each run their own sync, IDLE and push-behind loops
over one cache and one outbox, and each would show the other's edits only after a restart. So
the TUI takes :class:`WindowLock` on ``DATA_DIR/ACCOUNT/tui.lock`` before it opens, and a second
TUI is refused with one line naming the directory and the first window's process id.

The lock is a non-blocking exclusive ``fcntl.flock`` on that file (mode 0600), with the holder's
pid written in it for the message. ``flock`` belongs to the open file, which the kernel closes
when the process ends however it ends (``kill -9`` too), so a stale lock file never blocks
anyone: the file may stay behind, the lock does not. The descriptor is not inherited by child
processes (Python's default), so an ``$EDITOR`` started from the TUI cannot keep it alive.

CLI commands do not take this lock: they share the data directory with a running TUI through
the userdb's own fair lock (``storage.user.filelock``) and sqlite's WAL.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path
from types import TracebackType

__all__ = ["LOCK_FILE", "WindowBusy", "WindowLock", "WindowLockError"]

LOCK_FILE = "tui.lock"
"""The lock file's name inside an account's data directory."""


class WindowLockError(Exception):
    """The lock file could not be opened or locked for a reason other than another holder."""


class WindowBusy(WindowLockError):
    """Another process holds the lock; ``pid`` is its process id when it could be read."""

    def __init__(self, directory: Path, pid: int | None) -> None:
        self.directory = directory
        self.pid = pid
        who = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(
            f"another supportmail window is already open on {directory} ({who}); close it first"
        )


def _read_pid(fd: int) -> int | None:
    """The pid written in the lock file, or None when it is empty or not a number."""
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
        pid = int(text)
        return pid if pid > 0 else None
    return None


def _write_pid(fd: int) -> None:
    payload = f"{os.getpid()}\n".encode("ascii")
    os.ftruncate(fd, 0)
    os.pwrite(fd, payload, 0)


class WindowLock:
    """The exclusive per-account window lock (``with WindowLock(dir):`` or acquire/release)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> None:
        """Take the lock or raise :class:`WindowBusy` at once (never waits). Idempotent."""
        if self._fd is not None:
            return
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise WindowLockError(f"cannot open {self.path}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            pid = _read_pid(fd)
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise WindowBusy(self.directory, pid) from None
            raise WindowLockError(f"cannot lock {self.path}: {exc.strerror or exc}") from None
        try:
            os.fchmod(fd, 0o600)
            _write_pid(fd)
        except OSError:
            pass  # the lock holds without the pid; a refused window then says "pid unknown"
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (the file stays; an empty file means nobody holds it)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the only descriptor releases the flock

    def __enter__(self) -> WindowLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
