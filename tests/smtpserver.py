"""A real SMTP server on loopback for the answering tests: ``aiosmtpd`` in a thread.

It speaks SMTP over a socket like any server; the handler records every accepted message and can
refuse the next transactions (``refuse("rcpt", "451 4.3.0 try later", times=1)``) or require a
login. Accepted messages can be delivered into a test Dovecot mailbox with IMAP APPEND
(``deliver_to``), so the customer's side of a conversation is real mail too.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

__all__ = ["Received", "SmtpServer"]


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refusals: list[tuple[str, str]] = field(default_factory=list)
    deliver: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def _refusal(self, stage: str) -> str | None:
        with self.lock:
            for i, (when, reply) in enumerate(self.refusals):
                if when == stage:
                    del self.refusals[i]
                    return reply
        return None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        refused = self._refusal("rcpt")
        if refused is not None:
            return refused
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refused = self._refusal("data")
        if refused is not None:
            return refused
        got = Received(envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.content))
        if self.deliver is not None:
            self.deliver(got)
        with self.changed:
            self.received.append(got)
            self.changed.notify_all()
        return "250 2.0.0 queued"


class SmtpServer:
    """``with SmtpServer() as smtp:`` a server on 127.0.0.1:``smtp.port``."""

    def __init__(self, *, login: tuple[str, str] | None = None) -> None:
        self.handler = _Handler()
        self.login = login
        self.logins: list[str] = []
        self.port = _free_port()
        kwargs: dict[str, Any] = {}
        if login is not None:
            kwargs = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.login is not None
        if isinstance(auth_data, LoginPassword):
            user = auth_data.login.decode()
            self.logins.append(user)
            if (user, auth_data.password.decode()) == self.login:
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def refuse(self, stage: str, reply: str, *, times: int = 1) -> None:
        """Answer the next ``times`` RCPT (``stage="rcpt"``) or DATA commands with ``reply``."""
        with self.handler.lock:
            self.handler.refusals.extend([(stage, reply)] * times)

    def deliver_to(self, deliver: Callable[[Received], None]) -> None:
        self.handler.deliver = deliver

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` messages were accepted (a condition, not a sleep)."""
        with self.handler.changed:
            self.handler.changed.wait_for(lambda: len(self.handler.received) >= count, timeout)
            return list(self.handler.received)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
