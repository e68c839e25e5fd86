"""Persistent IMAP sessions: one long-lived, authenticated connection per purpose per account.

The ``Service`` owns three, each with its own lock, so no purpose waits behind another:

=============  ===============================================================================
``sync``       ``Service.sync`` (headers, flags, the body mirror, the push at its end)
``interactive`` what a person waits for: ``push``, a thread's bodies fetched when it is opened,
               server searches and a reply's IMAP work (``Service.on_server``)
``watch``      the live watcher's IDLE / polling (``storage.imap.watcher``)
=============  ===============================================================================

A session logs in on first use and keeps the connection for the next call: a burst of tag pushes
or several syncs log in once (``Session.logins`` counts). A connection found dropped is
re-established on the next use; any failure while it is in use drops it, so the next call starts
on a clean connection. ``Sessions.close`` logs all of them out (``Service.close``).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Literal, TypeVar

from supportmail.storage.imap.errors import (
    ImapAuthError,
    ImapConnectionLost,
    ImapError,
    ImapRefused,
)

if TYPE_CHECKING:  # the connection (IMAPClient) is imported by whoever connects
    from supportmail.storage.imap.connection import ImapConnection

__all__ = ["Purpose", "Session", "SessionClosed", "Sessions"]

Purpose = Literal["sync", "interactive", "watch"]
Connector = Callable[[], "ImapConnection"]
T = TypeVar("T")

CLOSE_WAIT = 5.0
"""Seconds ``Sessions.close`` waits for a session in use to be handed back before it logs out
anyway (the socket is shut down first, so the user fails at once)."""


def _refusal(exc: BaseException) -> bool:
    """The server refused a command (NO/BAD): not a lost, refused or unauthenticated link."""
    return isinstance(exc, ImapError) and not isinstance(
        exc, ImapConnectionLost | ImapRefused | ImapAuthError | SessionClosed
    )


class SessionClosed(ImapError):
    """The service is closing: no new connection is made (not ``ImapConnectionLost``, so no
    retry loop tries again)."""


class Session:
    """One purpose's connection. Hold ``lock`` while using ``connection()``; ``run`` does both."""

    def __init__(self, purpose: Purpose, connect: Connector) -> None:
        self.purpose = purpose
        self.lock = threading.RLock()
        """Held for as long as a caller uses the connection (a whole sync, one push)."""
        self._connect = connect
        self._conn: ImapConnection | None = None
        self._closed = threading.Event()
        self.logins = 0
        """How many times this session logged in (a test counts them)."""

    def __repr__(self) -> str:
        return f"Session({self.purpose}, logins={self.logins})"

    @property
    def is_open(self) -> bool:
        """A connection is logged in (it may still turn out dropped on its next command)."""
        conn = self._conn
        return conn is not None and conn.connected

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def connection(self) -> ImapConnection:
        """The logged-in connection: the kept one, or a new one when there is none or it was
        dropped. A ``Connector`` for ``SyncEngine`` (call it with ``lock`` held)."""
        if self._closed.is_set():
            raise SessionClosed("the account is being closed")
        conn = self._conn
        if conn is not None and conn.connected:
            return conn
        self._conn = None
        conn = self._connect()
        self.logins += 1
        if self._closed.is_set():  # closed while logging in: do not keep it
            conn.close()
            raise SessionClosed("the account is being closed")
        self._conn = conn
        return conn

    def drop(self) -> None:
        """Close the connection (logout, never raises); the next use connects again."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def run(self, work: Callable[[ImapConnection], T]) -> T:
        """``work(connection)`` with the lock held. A kept connection that turns out dropped
        (a server's idle timeout, a NAT) is re-established once and ``work`` runs again, so
        ``work`` must be idempotent (fetches, keyword stores are). A failure drops the
        connection, except the server's refusal of a command (see ``_after``)."""
        with self.lock:
            fresh = not self.is_open
            try:
                return work(self.connection())
            except ImapConnectionLost:
                self.drop()
                if fresh:
                    raise
            except BaseException as exc:
                self._after(exc)
                raise
            try:
                return work(self.connection())
            except BaseException as exc:
                self._after(exc)
                raise

    def _after(self, exc: BaseException) -> None:
        """Drop the connection after a failure, unless the server only said NO to a command
        (its answer was read whole: the connection is fine, and a server that refuses, say,
        a folder name every sync must not cost a login every sync)."""
        if not _refusal(exc):
            self.drop()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[ImapConnection]:
        """``with session.borrow() as conn:`` the connection, lock held; dropped on failure
        (not on a refusal, as ``run``)."""
        with self.lock:
            conn = self.connection()
            try:
                yield conn
            except BaseException as exc:
                self._after(exc)
                raise

    def interrupt(self) -> None:
        """From another thread: make a command blocked on this session fail now."""
        conn = self._conn
        if conn is not None:
            conn.abort()

    def stop(self) -> None:
        """No new connections from now on, and a user in flight fails at once (socket shut
        down); ``close`` then logs out (``Sessions.close`` stops every session first)."""
        self._closed.set()
        if not self.lock.acquire(blocking=False):
            self.interrupt()
        else:
            self.lock.release()

    def close(self, wait: float = CLOSE_WAIT) -> None:
        """No new connections from now on; a user in flight fails at once (socket shut down);
        then log out. Waits at most ``wait`` seconds for the user to hand the session back."""
        self._closed.set()
        if self.lock.acquire(blocking=False):
            try:
                self.drop()
            finally:
                self.lock.release()
            return
        self.interrupt()
        if self.lock.acquire(timeout=wait):
            try:
                self.drop()
            finally:
                self.lock.release()


class Sessions:
    """The three sessions of one account, sharing one connector (and so one password)."""

    def __init__(self, connect: Connector) -> None:
        self.sync = Session("sync", connect)
        self.interactive = Session("interactive", connect)
        self.watch = Session("watch", connect)

    def __iter__(self) -> Iterator[Session]:
        return iter((self.sync, self.interactive, self.watch))

    @property
    def logins(self) -> int:
        return sum(s.logins for s in self)

    def close(self) -> None:
        """Interrupt every session in use, then log all of them out (``Service.close``)."""
        for session in self:
            session.stop()
        for session in self:
            session.close()
