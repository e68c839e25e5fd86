"""Waiting for the server: NOOP, IDLE until a change (or a timeout, or a wake-up from another
thread), and whether the last commands reported a change of the selected folder.

IDLE is waited on with a selector, never with a socket timeout (a read that times out leaves
the socket's file object unusable); a server without IDLE is waited for the same way, then
asked with NOOP.
"""

from __future__ import annotations

import re
import selectors
import ssl
import time
from typing import Any

from supportmail.storage.imap.core import ConnectionCore

__all__ = ["Idle"]

_CHANGE_LINE = re.compile(rb"^\* (?:\d+ (?:EXISTS|EXPUNGE|FETCH)\b|VANISHED\b)", re.IGNORECASE)


class Idle(ConnectionCore):
    """NOOP, IDLE and the changes the server reported."""

    def take_changes(self) -> bool:
        """Whether the server reported a change of the selected folder (EXISTS, EXPUNGE,
        FETCH, VANISHED) with the last commands; forgets what it reported."""
        changed = self._client is not None and any(
            self._wire().untagged_responses.get(name)
            for name in ("EXISTS", "EXPUNGE", "FETCH", "VANISHED")
        )
        self._forget_untagged()
        return changed

    def noop(self) -> None:
        """NOOP: keeps the connection alive and lets the server report changes."""
        self._check_ok("NOOP", self._command("NOOP", "NOOP"))
        self._forget_untagged()

    def idle_wait(self, timeout: float, *, wake: int | None = None) -> bool:
        """IDLE until the server reports a change in the selected folder, ``timeout`` seconds
        pass or the file descriptor ``wake`` becomes readable (another thread wants this one
        back; the caller drains it); True if something changed. Without IDLE: wait the same
        way, then NOOP (not after a wake-up)."""
        self._require_selected()
        deadline = time.monotonic() + max(timeout, 0.0)
        if "IDLE" not in self._capabilities:
            if _wait_readable(wake, deadline):
                return False
            return self._noop_reports_changes()
        client = self._client_or_fail()
        with self._translated("IDLE"):
            client.idle()
            changed = self._idle_until(deadline, wake)
            _text, late = client.idle_done()
        self._forget_untagged()
        return changed or any(_is_change_response(response) for response in late)

    def _idle_until(self, deadline: float, wake: int | None = None) -> bool:
        """Read IDLE's untagged lines until a change arrives (True), the deadline passes or
        ``wake`` is readable (False).

        Waits with a selector, never with a socket timeout: a read that times out leaves
        the socket's file object unusable. Lines already read into a buffer (behind a
        ``* FLAGS`` line that announces a new keyword, say) are read before it waits."""
        wire = self._wire()
        with selectors.DefaultSelector() as selector:
            selector.register(wire.sock, selectors.EVENT_READ, "server")
            if wake is not None:
                selector.register(wake, selectors.EVENT_READ, "wake")
            while (remaining := deadline - time.monotonic()) > 0:
                if not _buffered(wire):
                    ready = {key.data for key, _mask in selector.select(remaining)}
                    if "wake" in ready:
                        return False
                    if "server" not in ready:
                        return False
                line: bytes = wire._get_line()
                if _is_change_line(line):
                    return True
        return False

    def _noop_reports_changes(self) -> bool:
        changed = self.take_changes()
        self._check_ok("NOOP", self._command("NOOP", "NOOP"))
        return self.take_changes() or changed


def _buffered(wire: Any) -> bool:
    """Whether some of the server's bytes were already read off the socket (into the TLS
    layer or the file object's buffer), where a selector cannot see them. Looks without
    waiting: the socket is non-blocking for the look (a read that *times out* would leave the
    file object unusable; one that finds nothing does not)."""
    pending = getattr(wire.sock, "pending", None)
    if pending is not None and pending():
        return True
    timeout = wire.sock.gettimeout()
    wire.sock.settimeout(0.0)
    try:
        return bool(wire.file.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    finally:
        wire.sock.settimeout(timeout)


def _wait_readable(fd: int | None, deadline: float) -> bool:
    """Sleep until ``deadline`` or until ``fd`` is readable (True)."""
    remaining = max(deadline - time.monotonic(), 0.0)
    if fd is None:
        time.sleep(remaining)
        return False
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        return bool(selector.select(remaining))


def _is_change_line(line: bytes) -> bool:
    return _CHANGE_LINE.match(line) is not None


def _is_change_response(response: Any) -> bool:
    """IMAPClient's parsed untagged responses, e.g. ``(3, b'EXISTS')``."""
    if not isinstance(response, tuple) or len(response) < 2:
        return False
    kind = response[1]
    return isinstance(kind, bytes) and kind.upper() in (
        b"EXISTS",
        b"EXPUNGE",
        b"FETCH",
        b"VANISHED",
    )
