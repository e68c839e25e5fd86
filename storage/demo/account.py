"""Whose the bundled demo mailbox is, and starting it afresh. Apart from
``storage.demo.generator``, which builds that mail and is imported only when an empty demo cache
needs it (it costs a warm start ~15 ms to import)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from supportmail.storage.instance import WindowLock, WindowLockError

__all__ = ["DEMO_ACCOUNT", "DEMO_ADDRESS", "DemoResetError", "reset_demo"]

DEMO_ACCOUNT = "demo"
DEMO_ADDRESS = "support@plotline.example"

_DEMO_FILES = (
    "cache.sqlite3",
    "cache.sqlite3-wal",
    "cache.sqlite3-shm",
    "search.sqlite3",
    "search.sqlite3-wal",
    "search.sqlite3-shm",
    "userdb.json",
    "userdb.json.bak",
)
"""What the demo leaves in its directory (lock files stay: deleting a lock file others may hold
open would let two holders in)."""


class DemoResetError(Exception):
    """The demo is open in a window, or its files cannot be removed."""


def reset_demo(directory: Path) -> int:
    """Remove the demo's cache, search index and userdb (tags, notes, quotes) from
    ``directory`` so the next open builds the demo afresh; returns how many files went.
    Refused while a window has the demo open."""
    if not directory.is_dir():
        return 0
    removed = 0
    try:
        with WindowLock(directory):
            for name in _DEMO_FILES:
                with contextlib.suppress(FileNotFoundError):
                    (directory / name).unlink()
                    removed += 1
    except WindowLockError as exc:
        raise DemoResetError(f"demo not reset: {exc}") from exc
    except OSError as exc:
        raise DemoResetError(f"demo not reset: {exc.strerror or exc}: {exc.filename}") from exc
    return removed
