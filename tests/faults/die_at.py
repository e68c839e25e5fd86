"""Run the supportmail CLI and SIGKILL it at an exact moment: when a chosen ``Cache`` (or
``UserDB``) method is entered for the Nth time, or, with ``+`` after its name, when that call
returns. The random kill -9 rounds find a window; this replays it every time.

    python -m tests.faults.die_at rebuild_threads 1 --config C --data-dir D tag T +team:x
    python -m tests.faults.die_at UserDB.outbox_park+ 1 --config C --data-dir D sync

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
from supportmail.storage.user.db import UserDB

_CLASSES: dict[str, type[Any]] = {"Cache": Cache, "UserDB": UserDB}


def die_when_called(method: str, nth: int) -> None:
    """Make the ``nth`` call of ``Cache.<method>`` (``UserDB.<name>``: of that) kill this process
    before it runs (``<name>+``: once it returned)."""
    after = method.endswith("+")
    owner_name, _dot, name = method.removesuffix("+").rpartition(".")
    owner = _CLASSES[owner_name or "Cache"]
    original: Callable[..., Any] = getattr(owner, name)
    calls = [0]

    def dying(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == nth and not after:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(self, *args, **kwargs)
        if calls[0] == nth:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, dying)


def main(argv: list[str]) -> int:
    method, nth, *cli_args = argv
    die_when_called(method, int(nth))
    from supportmail.tui.cli import run

    return run(cli_args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
