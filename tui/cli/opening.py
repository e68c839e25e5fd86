"""Opening the service for a command, and ``supportmail``/``supportmail demo``'s terminal UI:
the settings, the first-run text, the service opened in the background while Textual imports."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from supportmail.storage.service import Service
from supportmail.storage.settings import ConfigError, config_path, data_dir, load_settings
from supportmail.tui import logfile
from supportmail.tui.cli.output import (
    DEMO_ACCOUNT,
    PROG,
    UsageError,
)

if TYPE_CHECKING:
    from supportmail.storage.settings import Settings
    from supportmail.tui.cli.commandline import Arguments

FIRST_RUN = """\
Welcome to supportmail.

No mailbox is configured yet. Write {path} like this:

    [accounts.support]
    host = "imap.example.com"
    username = "support@example.com"
    folders = ["INBOX", "Sent"]
    password_command = "pass show mail/support"

(password_keyring = true or password_env = "VAR" work too; see README, Configuration.)
Then run `supportmail sync` once, and `supportmail` again.

To look around first: `supportmail demo` opens a bundled demo mailbox.
"""


def _settings(args: Arguments) -> tuple[Path, Settings]:
    """The config file's path and its settings (a missing file has no accounts)."""
    cfg_path = config_path(getattr(args, "config", None))
    return cfg_path, load_settings(cfg_path)


def open_service(args: Arguments) -> Service:
    cfg_path, settings = _settings(args)
    base = data_dir(getattr(args, "data_dir", None))
    name = getattr(args, "account", None)
    if name == DEMO_ACCOUNT and DEMO_ACCOUNT not in settings.accounts:
        return Service.open_demo(base)
    if not settings.accounts:
        problem = "no [accounts.NAME] table" if cfg_path.exists() else "no such file"
        raise ConfigError(
            f"{cfg_path}: {problem}: write one (see README, Configuration), "
            "or try `supportmail --account demo threads`"
        )
    account = settings.account(name)
    return Service.open(settings, account, base)


def _keymap(settings_keymap: str) -> dict[str, str]:
    from supportmail.keymaps import KeymapError, load_keymap

    try:
        return load_keymap(settings_keymap)
    except KeymapError as exc:
        raise UsageError(f"keymap: {exc}") from None


def _open_in_background(open_service: Callable[[], Service]) -> Callable[[], Service]:
    """Start ``open_service`` in a thread; the returned function waits for the service (or
    raises what opening raised). Opening is mostly sqlite work, which releases the GIL, so it
    overlaps the import of Textual and the screens that follows it."""
    opened: list[Service] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            opened.append(open_service())
        except BaseException as exc:  # handed to the waiting thread as it is
            failed.append(exc)

    thread = threading.Thread(target=run, name="open-service", daemon=True)
    thread.start()

    def wait() -> Service:
        thread.join()
        if failed:
            raise failed[0]
        return opened[0]

    return wait


def launch_tui(args: Arguments, out: TextIO) -> int:
    """``supportmail`` (the configured account) or ``supportmail demo``: the terminal UI."""
    cfg_path, settings = _settings(args)
    keymap = _keymap(settings.keymap)
    if args.command == "demo":
        base = data_dir(getattr(args, "data_dir", None))
        reset = bool(getattr(args, "reset", False))
        opening = _open_in_background(lambda: Service.open_demo(base, reset=reset))
    elif not settings.accounts and getattr(args, "account", None) != DEMO_ACCOUNT:
        out.write(FIRST_RUN.format(path=cfg_path))
        if sys.stdin.isatty() and out.isatty():
            out.write("\nOpen the demo now? [Y/n] ")
            out.flush()
            answer = sys.stdin.readline().strip().lower()
            if answer in ("", "y", "yes"):
                args.command = "demo"
                return launch_tui(args, out)
        return 0
    else:
        opening = _open_in_background(lambda: open_service(args))
    from supportmail.tui.app import run_app  # Textual: imported while the service opens

    service = opening()
    try:
        service.claim_window()  # one window per account; CLI commands share the data dir
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            # Redirected or under cron, the window would write its escape sequences to a file
            # and wait for keys that never come.
            raise UsageError(
                "the window needs a terminal (stdin and stdout are not both one); in a script, "
                "use a command such as `supportmail threads --json`"
            )
        code = run_app(
            service,
            keymap,
            keymap_name=settings.keymap,
            poll_seconds=float(settings.poll_seconds),
        )
    finally:
        service.close()
    if code:
        where = logfile.log_path()
        print(
            f"{PROG}: the window closed on an unexpected error (details: {where})", file=sys.stderr
        )
    return code
