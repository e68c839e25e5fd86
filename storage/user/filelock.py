"""The userdb's lock: one writer at a time across threads and processes, waiting fairly.

An exclusive ``flock`` on ``<db>.lock`` (at most :data:`storage.user.core.LOCK_TIMEOUT` seconds of
waiting) plus ``<db>.lock.wait``, which lets a waiting process go before a caller that just
released the database, so a loop of writes in the TUI cannot starve a CLI call.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from supportmail.storage.user.atomic import describe
from supportmail.storage.user.records import UserDBError

_COURTESY = 0.1
"""Longest a caller that just released the database waits for a waiting peer to take it."""


def _try_flock(fd: int, operation: int) -> bool:
    try:
        fcntl.flock(fd, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class FileLock:
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
            raise UserDBError(f"cannot open {error.filename}: {describe(error)}") from None

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
