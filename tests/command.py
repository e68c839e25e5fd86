"""The ``supportmail`` command as the tests start it: this interpreter running the package's
module, with a config file and a data directory (the CLI's and the terminal UI's argv), the
CLI run in this process (``run_cli``), and a one-account config for the test Dovecot."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any


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


def run_cli(config: Path, data: Path, *args: str) -> tuple[int, str, str]:
    """``supportmail --config CONFIG --data-dir DATA ARGS...`` in this process: (exit code,
    stdout, stderr)."""
    from supportmail.tui.cli import run

    out, err, real_err = io.StringIO(), io.StringIO(), sys.stderr
    sys.stderr = err
    try:
        code = run(["--config", str(config), "--data-dir", str(data), *args], out)
    finally:
        sys.stderr = real_err
    return code, out.getvalue(), err.getvalue()


def account_config(user: Any, path: Path, folders: tuple[str, ...] = ("INBOX",)) -> Path:
    """A config with one account, ``user`` on the test Dovecot (plaintext on loopback),
    reading ``folders``, written to ``path``."""
    listed = ", ".join(f'"{f}"' for f in folders)
    path.write_text(
        "[accounts.support]\n"
        f'host = "{user.host}"\n'
        f"port = {user.port}\n"
        'tls = "none"\n'
        f'username = "{user.username}"\n'
        f'password_command = "printf {user.password}"\n'
        f"folders = [{listed}]\n"
        "timeout = 5\n",
        encoding="utf-8",
    )
    return path
