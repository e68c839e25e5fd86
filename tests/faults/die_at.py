"""Run the supportmail CLI and SIGKILL it at an exact moment: when a chosen ``Cache`` method is
entered for the Nth time. The random kill -9 rounds find a window; this replays it every time.

    python -m tests.faults.die_at rebuild_threads 1 --config C --data-dir D tag T +team:x

The process sends itself SIGKILL, so nothing runs afterwards: no ``finally``, no ``atexit``, no
sqlite close, exactly as when ``kill -9`` arrives at that line.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from supportmail.storage.cache import Cache


def die_when_called(method: str, nth: int) -> None:
    """Make the ``nth`` call of ``Cache.<method>`` kill this process before it runs."""
    original: Callable[..., Any] = getattr(Cache, method)
    calls = [0]

    def dying(self: Cache, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return original(self, *args, **kwargs)

    setattr(Cache, method, dying)


def main(argv: list[str]) -> int:
    method, nth, *cli_args = argv
    die_when_called(method, int(nth))
    from supportmail.tui.cli import run

    return run(cli_args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
