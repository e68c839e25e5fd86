"""``Coalescer``: one run of a job at a time, and requests made meanwhile share one more run.

``Service.sync`` uses it: the live mirror, a key press and a CLI call may ask for a sync at the
same moment; they never run two at once and never queue one per request. (A module of its own,
free of IMAP imports, so opening the TUI's first screen does not load the IMAP code.)
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Coalescer"]

T = TypeVar("T")


class Coalescer(Generic[T]):
    """One run of a job at a time. A call while one runs waits for it to end, then shares a
    single follow-up run with every other call that waited (its result, or its exception):
    however many ask, at most one runs and one more is due, and each caller gets a run that
    started after it asked."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = False
        self._waiting = 0
        self._started = 0
        self._result: T | None = None
        self._error: BaseException | None = None

    @property
    def running(self) -> bool:
        return self._running

    @property
    def waiting(self) -> int:
        """Calls waiting for the run in flight to end."""
        return self._waiting

    def run(self, work: Callable[[], T]) -> T:
        with self._cond:
            wanted = self._started + 1  # a run that starts after this call
            self._waiting += 1
            while self._running:
                self._cond.wait()
            self._waiting -= 1
            if self._started >= wanted:  # another caller's follow-up started after we asked
                if self._error is not None:
                    raise self._error
                return self._result  # type: ignore[return-value]
            self._running = True
            self._started += 1
        result: T | None = None
        error: BaseException | None = None
        try:
            result = work()
            return result
        except BaseException as exc:
            error = exc
            raise
        finally:
            with self._cond:
                self._result, self._error = result, error
                self._running = False
                self._cond.notify_all()
