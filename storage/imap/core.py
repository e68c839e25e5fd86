"""The state every part of an ``ImapConnection`` shares, and the command layer they all use.

:class:`ConnectionCore` holds the connection's settings and state (the IMAPClient, capabilities,
the selected folder), turns every library, socket and TLS exception into an ``ImapError``
(:meth:`~ConnectionCore._translated`), and runs raw commands on IMAPClient's underlying
``imaplib`` connection (:meth:`~ConnectionCore._command`, :meth:`~ConnectionCore._uid_fetch`).
The parts in ``login``, ``folders``, ``search``, ``fetch``, ``store`` and ``idle`` build on it;
``storage.imap.connection`` puts them together.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import ssl
from collections.abc import Iterator
from typing import Any

from supportmail.storage.imap import tlspin
from supportmail.storage.imap.errors import (
    ImapAuthError,
    ImapConnectionLost,
    ImapError,
    ImapRefused,
)
from supportmail.storage.imap.records import TlsMode
from supportmail.storage.imap.syntax import server_line

__all__ = ["ConnectionCore"]


class ConnectionCore:
    """One IMAP session's settings and state, error translation and raw commands."""

    def __init__(
        self,
        host: str,
        port: int,
        tls: TlsMode,
        username: str,
        password: str,
        *,
        timeout: float = 30.0,
        ca_file: str | None = None,
        tls_fingerprint: str | None = None,
        account: str | None = None,
    ) -> None:
        """``ca_file``: PEM certificates to trust instead of the system's CAs. ``tls_fingerprint``:
        trust exactly the server certificate with this SHA-256 (no CA or host name check; see
        ``storage.imap.tlspin``); not together with ``ca_file``. ``account`` names the config
        section in the hint of an untrusted-certificate error."""
        if tls not in ("implicit", "starttls", "none"):
            raise ValueError(f"tls must be 'implicit', 'starttls' or 'none', not {tls!r}")
        if tls_fingerprint is not None and (ca_file is not None or tls == "none"):
            raise ValueError("tls_fingerprint needs TLS and excludes ca_file")
        self.host = host
        self.port = port
        self.tls: TlsMode = tls
        self.username = username
        self._password = password
        self.timeout = timeout
        self.ca_file = ca_file
        self.tls_fingerprint = tls_fingerprint
        self.account = account
        self._client: Any = None  # IMAPClient (untyped library)
        self._capabilities: frozenset[str] = frozenset()
        self._condstore = False
        self._qresync = False
        self._selected: str | None = None

    def __repr__(self) -> str:
        return f"ImapConnection({self.username}@{self.host}:{self.port}, tls={self.tls})"

    # -- properties -----------------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:
        """The server's capabilities after login, upper-case (empty before ``connect``)."""
        return self._capabilities

    @property
    def condstore(self) -> bool:
        """CONDSTORE is available (mod-sequences in FETCH, CHANGEDSINCE)."""
        return self._condstore

    @property
    def qresync(self) -> bool:
        """QRESYNC was enabled on this connection."""
        return self._qresync

    @property
    def connected(self) -> bool:
        return self._client is not None

    @property
    def selected(self) -> str | None:
        """The currently selected folder, if any."""
        return self._selected

    # -- closing --------------------------------------------------------------------------------

    def close(self) -> None:
        """Log out and close the socket; never raises."""
        client, self._client = self._client, None
        self._selected = None
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.socket().settimeout(min(self.timeout, 5.0))
            client.logout()
        with contextlib.suppress(Exception):
            client.shutdown()

    # -- error translation ----------------------------------------------------------------------

    def _section(self) -> str:
        """Where the account's keys go in the config file, for hints."""
        if not self.account:
            return "the account's config"
        bare = re.fullmatch(r"[A-Za-z0-9_-]+", self.account)
        return f"[accounts.{self.account}]" if bare else f'[accounts."{self.account}"]'

    def _wire(self) -> Any:
        """The ``imaplib.IMAP4`` object under IMAPClient (its command layer is used directly)."""
        if self._client is None:
            raise ImapConnectionLost(f"not connected to {self.host}:{self.port}")
        return self._client._imap

    @contextlib.contextmanager
    def _translated(self, action: str, *, connecting: bool = False) -> Iterator[None]:
        """Turn every library, socket and TLS exception into an ``ImapError``."""
        try:
            yield
        except ImapError as exc:
            if isinstance(exc, ImapConnectionLost | ImapRefused | ImapAuthError) or connecting:
                self._drop()
            raise
        except (OSError, EOFError, imaplib.IMAP4.error, ValueError) as exc:
            error = self._translate(exc, action, connecting)
            if connecting or isinstance(error, ImapConnectionLost):
                self._drop()
            raise error from None

    def _translate(self, exc: BaseException, action: str, connecting: bool) -> ImapError:
        where = f"{self.host}:{self.port}"
        detail = server_line(str(exc), self._password)
        if isinstance(exc, tlspin.FingerprintMismatch):
            return ImapRefused(
                f"{where}: certificate does not match tls_fingerprint in {self._section()} "
                f"(the server presented {exc.presented or 'none'}); not logging in (if it was "
                "renewed, check the new one out of band and update the pin)"
            )
        if isinstance(exc, ssl.SSLCertVerificationError):
            reason = server_line(exc.verify_message or exc.reason or detail)
            return ImapRefused(f"{where}: certificate not trusted ({reason})")
        if isinstance(exc, ssl.SSLError) and connecting:
            return ImapRefused(
                f"TLS handshake with {where} failed ({server_line(exc.reason or detail)}); "
                'check tls ("implicit" for port 993, "starttls" for 143)'
            )
        if isinstance(exc, TimeoutError):
            return ImapConnectionLost(f"{action}: {where} did not answer within {self.timeout:g} s")
        if isinstance(exc, socket.gaierror):
            return ImapConnectionLost(f"cannot resolve host {self.host}: {exc.strerror}")
        if isinstance(exc, ConnectionRefusedError):
            return ImapConnectionLost(f"cannot connect to {where}: connection refused")
        if isinstance(exc, OSError | EOFError | imaplib.IMAP4.abort):
            reason = getattr(exc, "strerror", None) or detail or type(exc).__name__
            reason = re.sub(r"^command: \S+ => |socket error: ", "", server_line(reason))
            if reason in ("EOF", ""):
                reason = "closed by the server"
            return ImapConnectionLost(f"{action}: connection to {where} lost ({reason})")
        if isinstance(exc, ValueError):  # our parser, or IMAPClient choking on a reply
            return ImapError(f"{action}: unexpected response from {where}: {detail}")
        return ImapError(f"{action} failed: {detail}")

    def _drop(self) -> None:
        client, self._client = self._client, None
        self._selected = None
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()

    # -- low-level commands ---------------------------------------------------------------------

    def _command(self, action: str, *args: str | bytes) -> tuple[str, str]:
        """Run one command; returns (OK|NO, server text). BAD raises ``ImapError``."""
        wire = self._wire()
        with self._translated(action):
            tag = wire._command(*args)
            typ, data = wire._command_complete(str(args[0]), tag)
        text = data[-1] if data and data[-1] is not None else b""
        return str(typ), server_line(text, self._password)

    def _untagged(self, name: str) -> list[Any]:
        """Pop the untagged responses of one kind collected by the last command."""
        data: list[Any] = self._wire().untagged_responses.pop(name, [])
        return data

    def _forget_untagged(self) -> None:
        """Drop everything else the server volunteered, so nothing piles up in memory."""
        if self._client is not None:
            self._wire().untagged_responses.clear()

    def _require_selected(self) -> str:
        self._wire()
        if self._selected is None:
            raise ImapError("no folder selected; call select() first")
        return self._selected

    def _uid_fetch(self, action: str, uid_set: str, items: str, modifiers: str = "") -> list[Any]:
        """Run ``UID FETCH``; returns the raw untagged FETCH data (NO raises, except for
        messages expunged meanwhile, which are simply missing)."""
        self._forget_untagged()
        args = ["UID", "FETCH", uid_set, items] + ([modifiers] if modifiers else [])
        typ, text = self._command(action, *args)
        data = self._untagged("FETCH")
        if typ != "OK" and "EXPUNGEISSUED" not in text.upper():
            raise ImapError(f"{action} failed: {text}")
        return data

    def _check_ok(self, action: str, result: tuple[str, str]) -> None:
        typ, text = result
        if typ != "OK":
            raise ImapError(f"{action} failed: {text}")

    def _client_or_fail(self) -> Any:
        if self._client is None:
            raise ImapConnectionLost(f"not connected to {self.host}:{self.port}")
        return self._client
