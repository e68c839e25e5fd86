"""``supportmail watch``: keep the data directory mirrored, headless, until SIGINT or SIGTERM.

The same live mirror as the TUI (``Service.live``): an initial sync, then IDLE on INBOX (STATUS
for the other folders; polling every ``poll_seconds`` on a server without IDLE) and a debounced
sync for every change. For a machine that serves reports from the data directory, or a setup
without cron.

Output: one line per sync on stdout, ``TIME ACCOUNT: ... new, ... changed ...`` (the
``sync`` command's summary line after an ISO timestamp); ``--quiet`` drops them. Offline periods
are one line on stderr (``offline: REASON (retrying)``) and ``back online`` when they end; a
failed sync is one line too, and is retried with backoff. SIGINT or SIGTERM stops it: the sync
in flight is interrupted (it resumes next time, as after a kill), the sessions log out, exit 0.
``tui.cli`` registers it with ``add_watch_parser`` and dispatches through ``WATCH_COMMANDS``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.service import ServiceError
from supportmail.storage.settings import config_path, load_settings
from supportmail.tui.cli.output import PROG

if TYPE_CHECKING:
    from supportmail.storage.models import LiveEvent
    from supportmail.storage.service import Service

__all__ = ["WATCH_COMMANDS", "add_watch_parser", "cmd_watch"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def add_watch_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "watch",
        parents=[common],
        help="keep the local mirror current (IDLE) until Ctrl-C or SIGTERM; one line per sync",
    )
    p.add_argument("--quiet", action="store_true", help="no line per sync (problems still show)")


class _Reporter:
    """Turns live events into lines: syncs on stdout, trouble on stderr, one line each."""

    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool) -> None:
        self._out = out
        self._err = err
        self._quiet = quiet
        self._offline = False
        self._lock = threading.Lock()

    def _write(self, stream: TextIO, line: str) -> None:
        with self._lock:  # two threads report: the watcher's and the syncs'
            stream.write(line + "\n")
            stream.flush()

    def __call__(self, event: LiveEvent) -> None:
        if event.kind == "synced" and event.result is not None and not self._quiet:
            stamp = datetime.now().astimezone().isoformat(timespec="seconds")
            self._write(self._out, f"{stamp} {event.result.summary_line()}")
        elif event.kind == "sync_failed":
            self._write(self._err, f"{PROG}: {event.detail} (retrying)")
        elif event.kind == "offline" and not self._offline:
            self._offline = True
            self._write(self._err, f"{PROG}: offline: {event.detail} (retrying)")
        elif event.kind == "online" and self._offline:
            self._offline = False
            self._write(self._err, f"{PROG}: back online")


def _on_signals(handler: Callable[[int, FrameType | None], None]) -> dict[int, Any]:
    previous: dict[int, Any] = {}
    for signum in _SIGNALS:
        previous[signum] = signal.signal(signum, handler)
    return previous


def cmd_watch(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    if service.is_demo:
        raise ServiceError("the demo mailbox has no server to watch")
    settings = load_settings(config_path(getattr(args, "config", None)))
    mirror = service.live(
        _Reporter(out, sys.stderr, quiet=args.quiet), poll_seconds=float(settings.poll_seconds)
    )
    stop = threading.Event()

    def stop_on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()
        mirror.stop()

    previous = _on_signals(stop_on_signal)
    try:
        runner = threading.Thread(target=mirror.run, name="live-mirror", daemon=True)
        runner.start()
        while not stop.is_set() and runner.is_alive():
            stop.wait(0.5)  # short waits: the signal handler runs between them
    finally:
        mirror.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    # The caller closes the service: that interrupts a sync in flight and logs out.
    return 0


WATCH_COMMANDS = {"watch": cmd_watch}
