"""A small fault-injecting TCP proxy on 127.0.0.1, between the app and the test Dovecot.

The test points the account's ``host``/``port`` at the proxy and arms one fault at a time:

* ``forward`` (the default): every byte passes unchanged, in both directions.
* ``cut``: close both sides of the connection (an abrupt drop, as a network failure would).
* ``stall``: stop forwarding in both directions but keep both sockets open (a half-open
  connection: the client sees no FIN and no RST, only silence).

Subclasses change what passes with ``rewrite``: ``CountingProxy`` counts the LOGIN commands,
``NoIdleProxy`` takes IDLE out of the capabilities (a server without IDLE, Dovecot behind).

A fault fires on one connection, once, when its trigger is met: the client sent bytes matching
``after_client`` (a regex; the matching chunk is forwarded to the server first), then the server
sent ``after_server_bytes`` more bytes. ``persistent=True`` makes every connection stall from
then on, those already open and every later one from its first byte (a server that accepts but
never answers). ``fired`` tells the test whether the fault happened; ``connections`` counts
accepted connections.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Literal

_CHUNK = 65536


@dataclass
class Fault:
    """What to do (``cut`` or ``stall``) and when."""

    action: Literal["cut", "stall"]
    after_client: bytes | None = None
    after_server_bytes: int = 0
    persistent: bool = False


class _Link:
    """One proxied connection: the app's socket and the upstream socket, pumped by two threads."""

    def __init__(self, proxy: FaultProxy, client: socket.socket, upstream: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream = upstream
        self.armed = False  # the client trigger has been seen on this link
        self.server_bytes = 0  # server bytes since the trigger
        self.stalled = threading.Event()
        self.closed = False

    def start(self) -> None:
        for source, target, from_client in (
            (self.client, self.upstream, True),
            (self.upstream, self.client, False),
        ):
            threading.Thread(
                target=self._pump, args=(source, target, from_client), daemon=True
            ).start()

    def close(self) -> None:
        self.closed = True
        self.stalled.set()
        for sock in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def _pump(self, source: socket.socket, target: socket.socket, from_client: bool) -> None:
        try:
            while not self.closed:
                data = source.recv(_CHUNK)
                if not data:
                    break
                if self.stalled.is_set():
                    self._hold()
                    break
                if not self._forward(data, target, from_client):
                    break
        except OSError:
            pass
        finally:
            if not self.stalled.is_set():
                self.close()

    def _hold(self) -> None:
        """Keep the sockets open and silent until the proxy stops."""
        self.proxy.stopping.wait()
        self.close()

    def _forward(self, data: bytes, target: socket.socket, from_client: bool) -> bool:
        """Send ``data`` on, or apply the fault; False when this pump must stop."""
        fault = self.proxy.take_fault(self, data, from_client)
        data = self.proxy.rewrite(data, from_client)
        if fault is None:
            target.sendall(data)
            return True
        if from_client:
            target.sendall(data)  # the trigger command itself reaches the server
        if fault.action == "cut":
            self.close()
        else:
            self.stalled.set()
            self._hold()
        return False


class FaultProxy:
    """A loopback proxy to ``(host, port)``; use as a context manager."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.stopping = threading.Event()
        self.fired = threading.Event()
        self.connections = 0
        self._fault: Fault | None = None
        self._stall_all = False
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- control -----------------------------------------------------------------------------

    def forward(self) -> None:
        """Disarm every fault: new connections pass unchanged."""
        with self._lock:
            self._fault = None
            self._stall_all = False

    def arm(self, fault: Fault) -> None:
        """Arm ``fault`` (replacing any other); ``fired`` is cleared."""
        with self._lock:
            self.fired.clear()
            self._fault = fault
            self._stall_all = False

    def stop(self) -> None:
        """Close the listener and every connection. The listener is shut down before it is
        closed, which wakes the accepting thread; it is joined so that it cannot accept on a
        reused file descriptor later (another test's proxy)."""
        self.stopping.set()
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        if self._acceptor.is_alive():
            self._acceptor.join(timeout=5)
        with contextlib.suppress(OSError):
            self._server.close()
        with self._lock:
            links = list(self._links)
        for link in links:
            link.close()

    def rewrite(self, data: bytes, from_client: bool) -> bytes:
        """What a chunk becomes on its way through (unchanged here; see the subclasses)."""
        return data

    # -- internals ---------------------------------------------------------------------------

    def take_fault(self, link: _Link, data: bytes, from_client: bool) -> Fault | None:
        """The armed fault if ``data`` completes its trigger on ``link`` (then disarmed)."""
        with self._lock:
            fault = self._fault
            if fault is None or self.fired.is_set():
                return None
            if from_client:
                if fault.after_client is None or link.armed:
                    return None
                if not re.search(fault.after_client, data):
                    return None
                link.armed = True
                if fault.after_server_bytes > 0:
                    return None
            else:
                if fault.after_client is not None and not link.armed:
                    return None
                link.server_bytes += len(data)
                if link.server_bytes < fault.after_server_bytes:
                    return None
            self.fired.set()
            self._fault = None
            self._stall_all = fault.persistent
            if fault.persistent:  # the server stops answering every connection, open ones too
                for other in self._links:
                    other.stalled.set()
            return fault

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            link = _Link(self, client, upstream)
            with self._lock:
                self.connections += 1
                self._links.append(link)
                if self._stall_all:
                    link.stalled.set()
            link.start()


class CountingProxy(FaultProxy):
    """Counts the LOGIN commands that pass (``logins``): how often the app logged in."""

    _LOGIN = re.compile(rb"(?:^|\r\n)[A-Za-z0-9.]+ (?:LOGIN|AUTHENTICATE) ", re.IGNORECASE)

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self.logins = 0

    def rewrite(self, data: bytes, from_client: bool) -> bytes:
        if from_client:
            found = len(self._LOGIN.findall(data))
            if found:
                with self._lock:
                    self.logins += found
        return data


class NoIdleProxy(FaultProxy):
    """A server without IDLE: the real Dovecot behind, with ``IDLE`` taken out of every
    CAPABILITY it announces (the greeting, the LOGIN reply, CAPABILITY responses)."""

    _IDLE = re.compile(rb"(CAPABILITY[^\r\n]*?) IDLE\b")

    def rewrite(self, data: bytes, from_client: bool) -> bytes:
        if from_client:
            return data
        return self._IDLE.sub(rb"\1", data)
