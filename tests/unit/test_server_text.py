"""Text from a server and every error line the CLI prints are sanitised: a hostile IMAP server's
``NO`` text (OSC 52 clipboard write, title set, clear screen) never reaches the terminal."""

from __future__ import annotations

import pytest

from supportmail.storage.imap.syntax import server_line
from supportmail.tui import cli

HOSTILE = "\x1b[2J\x1b]0;pwned\x07\x1b]52;c;aGk=\x07\x9b31m"


def test_a_servers_reply_is_one_sanitised_line() -> None:
    line = server_line(f"[AUTHENTICATIONFAILED] denied {HOSTILE}\r\nsecond line hunter2", "hunter2")
    assert line.startswith("[AUTHENTICATIONFAILED] denied ␛[2J␛]0;pwned␇␛]52;c;aGk=␇")
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in line)
    assert "hunter2" not in line and "second line ***" in line


def test_an_error_line_never_carries_an_escape_sequence(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.run(["--account", "demo", "show", HOSTILE]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "␛[2J␛]0;pwned␇" in err
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in err)
