"""Sending one message over SMTP with verified TLS, and telling *how* a send failed.

``tls = "implicit"`` wraps the connection from the start (port 465), ``"starttls"`` upgrades it
(587) and refuses a server that does not offer STARTTLS, ``"none"`` is plaintext and allowed
only to a loopback host (:func:`storage.hosts.is_loopback`, the IMAP rule). Certificates are
verified against the system's CAs (or ``ca_file``) with the host name checked.

What a failure means for the outbox (``storage.user.mail_outbox``):

======================  ======================================================================
exception               meaning
======================  ======================================================================
:class:`SmtpNotSent`    the server never took the message: no connection, TLS or login failed,
                        or it refused MAIL/RCPT/DATA (``permanent`` for 5xx). Safe to retry.
:class:`SmtpUncertain`  the connection broke after the message was handed over with DATA and
                        before the server's answer: it may have been accepted.
======================  ======================================================================
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from supportmail.storage.hosts import is_loopback
from supportmail.storage.sanitize import one_line
from supportmail.storage.settings.smtp import SmtpConfig

__all__ = ["SmtpError", "SmtpNotSent", "SmtpSender", "SmtpUncertain"]

log = logging.getLogger(__name__)


class SmtpError(Exception):
    """A send that did not end with the server's acceptance; one line, never a password."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


class SmtpNotSent(SmtpError):
    """The server did not take the message (``permanent``: it said 5xx)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmtpUncertain(SmtpError):
    """The connection broke during DATA: the server may or may not have the message."""


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {one_line(text)}"[:200]


@dataclass
class SmtpSender:
    """Sends messages through one configured server; ``password`` is asked only when the server
    needs a login."""

    config: SmtpConfig
    password: Callable[[], str]

    @property
    def where(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file)

    def _connect(self) -> smtplib.SMTP:
        cfg = self.config
        if cfg.tls == "none" and not is_loopback(cfg.host):
            raise SmtpNotSent(
                f'refusing plaintext SMTP to {cfg.host}: tls = "none" is only for localhost',
                permanent=True,
            )
        try:
            conn: smtplib.SMTP
            if cfg.tls == "implicit":
                conn = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, timeout=cfg.timeout, context=self._context()
                )
            else:
                conn = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            try:
                conn.ehlo()
                if cfg.tls == "starttls":
                    if not conn.has_extn("starttls"):
                        raise SmtpNotSent(f"{self.where} does not offer STARTTLS", permanent=True)
                    conn.starttls(context=self._context())
                    conn.ehlo()
                if cfg.username:
                    conn.login(cfg.username, self.password())
            except BaseException:
                conn.close()
                raise
        except SmtpNotSent:
            raise
        except ssl.SSLCertVerificationError as exc:
            reason = exc.verify_message or exc.reason or "verification failed"
            raise SmtpNotSent(f"{self.where}: certificate not trusted ({reason})") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SmtpNotSent(
                f"{self.where}: login as {cfg.username} refused ({_reply(exc.smtp_code, '')})",
                permanent=True,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise SmtpNotSent(
                f'{self.where} offers no login (AUTH); set username = "" in the smtp table '
                "if it needs none",
                permanent=True,
            ) from None
        except smtplib.SMTPResponseException as exc:
            raise SmtpNotSent(
                f"{self.where} refused the connection ({_reply(exc.smtp_code, exc.smtp_error)})",
                permanent=exc.smtp_code >= 500,
            ) from None
        except socket.gaierror as exc:
            raise SmtpNotSent(f"cannot resolve SMTP host {cfg.host}: {exc.strerror}") from None
        except (OSError, smtplib.SMTPException) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise SmtpNotSent(f"cannot reach {self.where}: {reason}") from None
        return conn

    def send(
        self,
        raw: bytes,
        sender: str,
        recipients: Sequence[str],
        *,
        before_data: Callable[[], None] | None = None,
    ) -> str:
        """Send ``raw`` from ``sender`` to every address of ``recipients``; returns the server's
        acceptance line. ``before_data`` runs after every recipient was accepted and before the
        message is handed over (the outbox records that moment durably)."""
        if not recipients:
            raise SmtpNotSent("no recipient", permanent=True)
        conn = self._connect()
        try:
            return self._transaction(conn, raw, sender, recipients, before_data)
        finally:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                conn.close()

    def _transaction(
        self,
        conn: smtplib.SMTP,
        raw: bytes,
        sender: str,
        recipients: Sequence[str],
        before_data: Callable[[], None] | None,
    ) -> str:
        options: list[str] = []
        if not all(a.isascii() for a in (sender, *recipients)):
            if not conn.has_extn("smtputf8"):
                raise SmtpNotSent(
                    f"{self.where} cannot take non-ASCII addresses (no SMTPUTF8)", permanent=True
                )
            options.append("SMTPUTF8")
        try:
            code, text = conn.mail(sender, options)
            if code != 250:
                raise SmtpNotSent(
                    f"{self.where} refused the sender {sender} ({_reply(code, text)})",
                    permanent=code >= 500,
                )
            refused: list[tuple[str, int, bytes]] = []
            for rcpt in recipients:
                code, text = conn.rcpt(rcpt)
                if code not in (250, 251):
                    refused.append((rcpt, code, text))
            if refused:
                conn.rset()
                rcpt, code, text = refused[0]
                more = f" and {len(refused) - 1} more" if len(refused) > 1 else ""
                raise SmtpNotSent(
                    f"{self.where} refused the recipient {rcpt}{more} ({_reply(code, text)})",
                    permanent=all(c >= 500 for _, c, _ in refused),
                )
        except SmtpNotSent:
            raise
        except smtplib.SMTPResponseException as exc:
            raise SmtpNotSent(
                f"{self.where}: {_reply(exc.smtp_code, exc.smtp_error)}",
                permanent=exc.smtp_code >= 500,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SmtpNotSent(f"connection to {self.where} lost before sending ({exc})") from None
        if before_data is not None:
            before_data()
        try:
            code, text = conn.data(raw)
        except smtplib.SMTPDataError as exc:  # the server answered: it does not have it
            raise SmtpNotSent(
                f"{self.where} refused the message ({_reply(exc.smtp_code, exc.smtp_error)})",
                permanent=exc.smtp_code >= 500,
            ) from None
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("SMTP connection to %s lost during DATA: %s", self.where, exc)
            raise SmtpUncertain(
                f"connection to {self.where} lost while sending; it may have been sent"
            ) from None
        if code != 250:  # the server answered after the message: it does not have it
            raise SmtpNotSent(
                f"{self.where} refused the message ({_reply(code, text)})", permanent=code >= 500
            )
        return _reply(code, text)
