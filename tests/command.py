"""The ``supportmail`` command as the tests start it: this interpreter running the package's
module, with a config file and a data directory (the CLI's and the terminal UI's argv)."""

from __future__ import annotations

import sys
from pathlib import Path


def supportmail_argv(config: Path, data: Path, *args: str) -> list[str]:
    """``supportmail --config CONFIG --data-dir DATA ARGS...`` without relying on ``PATH``."""
    return [
        sys.executable,
        "-m",
        "supportmail.tui",
        "--config",
        str(config),
        "--data-dir",
        str(data),
        *args,
    ]
