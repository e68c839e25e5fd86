"""The watcher: hears the server change, on its own persistent session (UI-free).

It EXAMINEs the IDLE folder (INBOX when configured, else the first folder) and IDLEs on it:
``EXISTS`` (new mail), ``EXPUNGE``/``VANISHED`` and ``FETCH`` (a teammate's flag or keyword change)
call ``on_change``. Every ``check_seconds`` it leaves IDLE (DONE: this also proves the connection
is alive) and asks the other configured folders for their STATUS (MESSAGES, UIDNEXT, UIDVALIDITY,
HIGHESTMODSEQ with CONDSTORE); any difference calls ``on_change`` too. IDLE is never held longer
than ``idle_seconds`` (25 minutes: RFC 2177 asks clients to re-issue it before 29). A ``probe``
(the shared tag catalog's fingerprint: ``storage.catalog_sync.CatalogProbe``) runs at the same
checks; when its value changes, ``on_change(PROBE)`` is called: no IDLE reports a METADATA
entry or a folder nobody selected.

A server without IDLE is polled instead: every ``poll_seconds`` a NOOP on the IDLE folder and the
STATUS of the others.

A dropped connection (or a failed login) reports ``on_offline(reason)`` once, then reconnects
with a capped backoff; the first success reports ``on_online(mode)`` again. ``stop()`` ends ``run``
promptly from any thread: a socket pair in IDLE's selector wakes it (no waiting out an IDLE).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Sequence

from supportmail.storage.imap.connection import ImapConnection
from supportmail.storage.imap.errors import ImapConnectionLost, ImapError
from supportmail.storage.imap.sessions import Session, SessionClosed

__all__ = ["BACKOFF", "CHECK_SECONDS", "IDLE_SECONDS", "PROBE", "Watcher", "error_line"]

IDLE_SECONDS = 25 * 60.0
"""The longest one IDLE command is held (RFC 2177: re-issue before 29 minutes)."""
CHECK_SECONDS = 30.0
"""How often IDLE is left to STATUS the other folders (and to see the connection alive)."""
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
"""Seconds before each reconnect attempt after a failure; the last one repeats."""

_STATUS_KEYS = ("MESSAGES", "UIDNEXT", "UIDVALIDITY", "HIGHESTMODSEQ")

PROBE = "\\probe"
"""What ``on_change`` is called with when the probe's value changed (no folder has this name:
a folder name never starts with a backslash)."""


def idle_folder(folders: Sequence[str]) -> str:
    """The folder to IDLE on: INBOX when configured (any case), else the first one."""
    return next((f for f in folders if f.upper() == "INBOX"), folders[0])


def error_line(exc: BaseException) -> str:
    """``exc`` as one line of text (its class name when it has no message)."""
    return " ".join(str(exc).split()) or type(exc).__name__


class Watcher:
    """Watches one account's folders until ``stop()``; ``run`` blocks (run it in a thread)."""

    def __init__(
        self,
        session: Session,
        folders: Sequence[str],
        *,
        on_change: Callable[[str], None],
        on_online: Callable[[str], None],
        on_offline: Callable[[str], None],
        poll_seconds: float = 60.0,
        check_seconds: float = CHECK_SECONDS,
        idle_seconds: float = IDLE_SECONDS,
        backoff: Sequence[float] = BACKOFF,
        probe: Callable[[ImapConnection], object] | None = None,
    ) -> None:
        if not folders:
            raise ValueError("nothing to watch: no folders")
        self._session = session
        self.folders = tuple(folders)
        self.idle_folder = idle_folder(self.folders)
        self._others = tuple(f for f in self.folders if f != self.idle_folder)
        self._on_change = on_change
        self._on_online = on_online
        self._on_offline = on_offline
        self.poll_seconds = max(poll_seconds, 0.05)
        self.check_seconds = max(min(check_seconds, idle_seconds), 0.05)
        self.idle_seconds = idle_seconds
        self._backoff = tuple(backoff) or (1.0,)
        self._probe = probe
        self._stop = threading.Event()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._failures = 0
        """Failed attempts since the last time online (picks the backoff step)."""
        self.mode: str | None = None
        """``idle`` or ``polling`` while online, None while offline."""

    # -- control -----------------------------------------------------------------------------

    def stop(self) -> None:
        """End ``run`` soon (thread-safe, idempotent)."""
        self._stop.set()
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def _drain(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_r.recv(4096):
                pass

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> None:
        """Watch until ``stop()``: connect, listen, on failure report offline and back off."""
        try:
            while not self._stop.is_set():
                try:
                    with self._session.lock:
                        self._watch(self._session.connection())
                    return  # stopped
                except SessionClosed:
                    return
                except Exception as exc:  # any failure is "offline"; the loop must not die
                    self._session.drop()
                    if self._stop.is_set():
                        return
                    if self.mode is not None or self._failures == 0:
                        self.mode = None
                        self._on_offline(error_line(exc))
                    delay = self._backoff[min(self._failures, len(self._backoff) - 1)]
                    self._failures += 1
                    self._stop.wait(delay)
        finally:
            with self._session.lock:
                self._session.drop()  # log out: nobody else uses this session
            self._wake_r.close()
            self._wake_w.close()

    def _status(self, conn: ImapConnection, folder: str) -> tuple[int | None, ...]:
        try:
            found = conn.status(folder)
        except ImapConnectionLost:
            raise
        except ImapError:  # a missing folder: the sync reports it
            return ()
        return tuple(found.get(key) for key in _STATUS_KEYS)

    def _probed(self, conn: ImapConnection) -> object:
        if self._probe is None:
            return None
        try:
            return self._probe(conn)
        except ImapConnectionLost:
            raise
        except ImapError:  # refused: the sync reports what is wrong
            return None

    def _watch(self, conn: ImapConnection) -> None:
        conn.select(self.idle_folder, readonly=True)
        known = {folder: self._status(conn, folder) for folder in self._others}
        probed = self._probed(conn)
        idle = "IDLE" in conn.capabilities
        self.mode = "idle" if idle else "polling"
        self._failures = 0
        self._on_online(self.mode)
        interval = self.check_seconds if idle else self.poll_seconds
        next_check = time.monotonic() + interval
        while not self._stop.is_set():
            wait = max(next_check - time.monotonic(), 0.0)
            changed = conn.idle_wait(min(wait, self.idle_seconds), wake=self._wake_r.fileno())
            self._drain()
            if self._stop.is_set():
                return
            if changed:
                self._on_change(self.idle_folder)
            if time.monotonic() < next_check:
                continue
            for folder in self._others:
                now = self._status(conn, folder)
                if now != known[folder]:
                    known[folder] = now
                    self._on_change(folder)
            value = self._probed(conn)
            if value != probed:
                probed = value
                self._on_change(PROBE)
            if conn.take_changes():
                self._on_change(self.idle_folder)
            next_check = time.monotonic() + interval
