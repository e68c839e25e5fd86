"""Opening a connection: TCP, TLS (verified, pinned or STARTTLS), LOGIN and the extensions.

``connect`` refuses plaintext to anything but loopback before a socket is opened
(``storage.hosts``), verifies the certificate against the system's CAs, a ``ca_file`` or a
pinned fingerprint (``storage.imap.tlspin``), names the presented fingerprint when it is not
trusted, logs in (AUTH=PLAIN for non-ASCII credentials) and enables QRESYNC or CONDSTORE.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl
from typing import Any

from imapclient import IMAPClient, SocketTimeout

from supportmail.storage.hosts import is_loopback
from supportmail.storage.imap import tlspin
from supportmail.storage.imap.core import ConnectionCore
from supportmail.storage.imap.errors import ImapAuthError, ImapError, ImapRefused
from supportmail.storage.imap.syntax import quoted_string, server_line

__all__ = ["Login"]


class Login(ConnectionCore):
    """``connect`` and what it takes: TLS, the certificate checks, LOGIN, ENABLE."""

    def connect(self) -> None:
        """Open the connection, secure it, log in and enable QRESYNC/CONDSTORE. Reconnects if
        already connected. ``tls="none"`` to a non-loopback host raises ``ImapRefused`` before
        any socket is opened."""
        self.close()
        if self.tls == "none" and not is_loopback(self.host):
            raise ImapRefused(
                f"refusing to send the password for {self.username} unencrypted to {self.host}: "
                'tls = "none" is only allowed for localhost; use "implicit" (port 993) or '
                '"starttls" (port 143)'
            )
        context = self._ssl_context()
        with self._translated("connect", connecting=True):
            try:
                self._client = self._open(context)
            except ssl.SSLCertVerificationError as exc:
                raise self._untrusted(exc) from None
            self._login()
            self._enable_extensions()

    def _open(self, context: ssl.SSLContext | None) -> Any:
        """A new IMAPClient, connected and (with TLS) secured; not logged in. With a pinned
        fingerprint the handshake itself fails on another certificate, before any IMAP byte."""
        client = IMAPClient(
            self.host,
            self.port,
            ssl=self.tls == "implicit",
            ssl_context=context,
            timeout=SocketTimeout(connect=self.timeout, read=self.timeout),
        )
        client._imap.debug = 0  # no per-line debug formatting; never log the LOGIN line
        try:
            if self.tls == "starttls":
                self._starttls(client, context)
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    def _ssl_context(self) -> ssl.SSLContext | None:
        if self.tls == "none":
            return None
        if self.tls_fingerprint is not None:
            return tlspin.pinned_context(self.tls_fingerprint)
        try:
            return ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise ImapRefused(
                f"cannot use ca_file {self.ca_file}: {server_line(str(reason))}"
            ) from None

    def _starttls(self, client: Any, context: ssl.SSLContext | None) -> None:
        if "STARTTLS" not in _capability_set(client):
            raise ImapRefused(
                f'{self.host}:{self.port} does not offer STARTTLS; use tls = "implicit" '
                "(usually port 993)"
            )
        client.starttls(context)

    def _untrusted(self, exc: ssl.SSLCertVerificationError) -> ImapRefused:
        """The refusal of an unverifiable certificate, naming the fingerprint the server
        presented so the user can check it out of band and pin it (as ``ssh`` does)."""
        reason = server_line(exc.verify_message or exc.reason or str(exc))
        where = f"{self.host}:{self.port}"
        presented = self._presented_fingerprint()
        if presented is None:
            return ImapRefused(
                f"{where}: certificate not trusted ({reason}); set ca_file or tls_fingerprint "
                "to trust it"
            )
        return ImapRefused(
            f"{where}: certificate not trusted ({reason}); if you trust it, add "
            f'tls_fingerprint = "{presented}" to {self._section()}'
        )

    def _presented_fingerprint(self) -> str | None:
        """The SHA-256 of the certificate the server presents, read over a second connection
        that verifies nothing and sends no credentials (at most CAPABILITY and STARTTLS); None
        if that fails too."""
        try:
            probe = self._open(tlspin.unverified_context())
        except (OSError, EOFError, imaplib.IMAP4.error, ValueError, ImapError):
            return None
        try:
            der = probe.socket().getpeercert(binary_form=True)
        except (OSError, ValueError):
            der = None
        finally:
            with contextlib.suppress(Exception):
                probe.shutdown()
        return tlspin.certificate_fingerprint(der) if der else None

    def _login(self) -> None:
        try:
            if self.username.isascii() and self._password.isascii():
                self._client.login(quoted_string(self.username), self._password)
            elif "AUTH=PLAIN" in self._server_capabilities():
                self._client.plain_login(self.username, self._password)
            else:
                raise ImapAuthError(
                    f"login failed for user {self.username}: the server offers no way to send "
                    "a non-ASCII user name or password (AUTH=PLAIN)"
                )
        except imaplib.IMAP4.error as exc:
            cause = exc.__context__
            if isinstance(cause, imaplib.IMAP4.abort | OSError):
                raise cause from None
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
            hint = ""
            if "LOGINDISABLED" in self._server_capabilities():
                hint = " (the server refuses plaintext login; use TLS)"
            reason = server_line(str(exc), self._password).removeprefix("login failed: ")
            raise ImapAuthError(f"login failed for user {self.username}: {reason}{hint}") from None

    def _server_capabilities(self) -> frozenset[str]:
        """Capabilities as the server currently advertises them (pre-login ones before LOGIN)."""
        return _capability_set(self._client)

    def _enable_extensions(self) -> None:
        self._capabilities = self._server_capabilities()
        wanted = "QRESYNC" if "QRESYNC" in self._capabilities else "CONDSTORE"
        enabled: set[str] = set()
        if wanted in self._capabilities and "ENABLE" in self._capabilities:
            enabled = {
                (c.decode() if isinstance(c, bytes) else str(c)).upper()
                for c in self._client.enable(wanted)
            }
        self._qresync = "QRESYNC" in enabled
        self._condstore = self._qresync or "CONDSTORE" in self._capabilities


def _capability_set(client: Any) -> frozenset[str]:
    """An IMAPClient's current capabilities, upper-case."""
    raw = client.capabilities()
    return frozenset(
        (c.decode("ascii", "replace") if isinstance(c, bytes) else str(c)).upper() for c in raw
    )
