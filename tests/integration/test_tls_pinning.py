"""Certificate fingerprint pinning against a Dovecot with a self-signed certificate.

- Without ``ca_file`` or ``tls_fingerprint`` the server is refused with one line that names the
  SHA-256 fingerprint it presented and the config section to pin it in (as ``ssh`` does).
- With that fingerprint pinned (any accepted spelling) the connection and a CLI sync work, over
  implicit TLS and STARTTLS alike.
- With a wrong pin the connection is refused in one line and the server never sees a login: its
  log shows the connection closing with "no auth attempts" and never the user's name.
"""

from __future__ import annotations

import io
import itertools
import re
import ssl
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from supportmail.storage.imap import ImapConnection, ImapRefused, TlsMode
from supportmail.storage.imap.tlspin import certificate_fingerprint
from supportmail.tui.cli import run
from tests.dovecot import Dovecot, MailUser

pytestmark = pytest.mark.dovecot

_FINGERPRINT = re.compile(r"sha256:(?:[0-9A-F]{2}:){31}[0-9A-F]{2}")
_WRONG_PIN = "sha256:" + ":".join(["5A"] * 32)
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def tls_server(dovecot: Dovecot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    """A Dovecot with a self-signed certificate (``dovecot`` handles availability)."""
    server = Dovecot(tls=True)
    server.start(tmp_path_factory.mktemp("dovecot-pin"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def server_fingerprint(tls_server: Dovecot) -> str:
    """The SHA-256 of the server's certificate, computed from its PEM file (the out-of-band
    check a user would make)."""
    return certificate_fingerprint(ssl.PEM_cert_to_DER_cert(tls_server.tls_cert.read_text()))


def _port(server: Dovecot, mode: TlsMode) -> int:
    assert server.tls_port is not None
    return server.tls_port if mode == "implicit" else server.port


def _user(server: Dovecot, prefix: str) -> MailUser:
    return server.add_user(f"{prefix}-{next(_numbers)}", "pin-secret-pw")


def _log(server: Dovecot) -> str:
    return server.log_tail(100_000)


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    """Dovecot's log process writes asynchronously: poll (no timing is asserted)."""
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.02)


def _cli(config: Path, data: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    real = sys.stderr
    sys.stderr = err
    try:
        code = run(["--config", str(config), "--data-dir", str(data), *args], out)
    finally:
        sys.stderr = real
    return code, out.getvalue(), err.getvalue()


def _config(path: Path, user: MailUser, port: int, mode: TlsMode, extra: str = "") -> Path:
    path.write_text(
        "[accounts.support]\n"
        f'host = "127.0.0.1"\nport = {port}\ntls = "{mode}"\n'
        f'username = "{user.username}"\npassword_env = "PIN_TEST_PASSWORD"\n'
        f"timeout = 10\n{extra}",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_self_signed_is_refused_naming_the_fingerprint_to_pin(
    tls_server: Dovecot, server_fingerprint: str, mode: TlsMode
) -> None:
    user = _user(tls_server, "nopin")
    port = _port(tls_server, mode)
    conn = ImapConnection(
        "127.0.0.1",
        port,
        mode,
        user.username,
        user.password,
        account="support",
    )
    with pytest.raises(ImapRefused) as caught:
        conn.connect()
    message = str(caught.value)
    assert message == (
        f"127.0.0.1:{port}: certificate not trusted (self-signed certificate); if you trust it, "
        f'add tls_fingerprint = "{server_fingerprint}" to [accounts.support]'
    )
    assert not conn.connected
    assert f"user=<{user.username}>" not in _log(tls_server)


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_the_right_pin_connects_in_any_spelling(
    tls_server: Dovecot, server_fingerprint: str, mode: TlsMode
) -> None:
    user = _user(tls_server, "pin")
    bare_lower = server_fingerprint.removeprefix("sha256:").replace(":", "").lower()
    for spelling in (server_fingerprint, bare_lower):
        conn = ImapConnection(
            "127.0.0.1",
            _port(tls_server, mode),
            mode,
            user.username,
            user.password,
            tls_fingerprint=spelling,
        )
        with conn:
            assert conn.select("INBOX").exists == 0
    _wait_for(lambda: f"Login: user=<{user.username}>" in _log(tls_server), "the pinned login")


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_a_wrong_pin_is_refused_before_any_login(
    tls_server: Dovecot, server_fingerprint: str, mode: TlsMode
) -> None:
    user = _user(tls_server, "badpin")
    port = _port(tls_server, mode)
    closed_before = _log(tls_server).count("no auth attempts")
    conn = ImapConnection(
        "127.0.0.1",
        port,
        mode,
        user.username,
        user.password,
        tls_fingerprint=_WRONG_PIN,
        account="support",
    )
    with pytest.raises(ImapRefused) as caught:
        conn.connect()
    message = str(caught.value)
    assert message.startswith(
        f"127.0.0.1:{port}: certificate does not match tls_fingerprint in [accounts.support] "
        f"(the server presented {server_fingerprint}); not logging in"
    )
    assert "\n" not in message and user.password not in message
    _wait_for(
        lambda: _log(tls_server).count("no auth attempts") > closed_before,
        "the refused connection closing in the server log",
    )
    assert f"user=<{user.username}>" not in _log(tls_server)


def test_cli_sync_refuses_then_works_with_the_pin_it_printed(
    tls_server: Dovecot,
    server_fingerprint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = _user(tls_server, "cli")
    monkeypatch.setenv("PIN_TEST_PASSWORD", user.password)
    port = _port(tls_server, "implicit")
    config = _config(tmp_path / "config.toml", user, port, "implicit")
    code, out, err = _cli(config, tmp_path / "data", "sync")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1, err
    assert "certificate not trusted (self-signed certificate)" in err
    printed = _FINGERPRINT.findall(err)
    assert printed == [server_fingerprint]
    assert "[accounts.support]" in err and user.password not in err

    _config(config, user, port, "implicit", f'tls_fingerprint = "{printed[0]}"\n')
    code, out, err = _cli(config, tmp_path / "data", "sync")
    assert (code, err) == (0, "")
    assert "0 new" in out


def test_cli_sync_with_a_wrong_pin_fails_in_one_line_without_login(
    tls_server: Dovecot,
    server_fingerprint: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = _user(tls_server, "cliwrong")
    monkeypatch.setenv("PIN_TEST_PASSWORD", user.password)
    port = _port(tls_server, "starttls")
    pin = f'tls_fingerprint = "{_WRONG_PIN.lower()}"\n'
    config = _config(tmp_path / "config.toml", user, port, "starttls", pin)
    closed_before = _log(tls_server).count("no auth attempts")
    code, out, err = _cli(config, tmp_path / "data", "sync")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1, err
    assert "does not match tls_fingerprint in [accounts.support]" in err
    assert server_fingerprint in err and user.password not in err
    _wait_for(
        lambda: _log(tls_server).count("no auth attempts") > closed_before,
        "the refused connection closing in the server log",
    )
    assert f"user=<{user.username}>" not in _log(tls_server)
