"""``reply``/``forward --body-file``: how the text is read (UTF-8 with or without a byte-order
mark, else Windows-1252) and what a terminal on stdin is told (how the text ends)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from supportmail.tui.cli import answer


def _args(name: str) -> argparse.Namespace:
    return argparse.Namespace(body_file=name, command="reply")


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Grüße, 你好\n".encode(), "Grüße, 你好\n"),
        (b"\xef\xbb\xbfThanks for waiting\n", "Thanks for waiting\n"),  # Notepad's BOM
        ("Grüße – €5 refund\n".encode("cp1252"), "Grüße – €5 refund\n"),
        (b"odd \x81 byte\n", "odd \ufffd byte\n"),  # one of cp1252's five unmapped bytes
    ],
)
def test_a_body_file_is_read_as_its_writer_meant(raw: bytes, text: str, tmp_path: Path) -> None:
    path = tmp_path / "answer.txt"
    path.write_bytes(raw)
    assert answer._body(_args(str(path))) == text


class _Stdin(io.TextIOWrapper):
    def __init__(self, raw: bytes, *, terminal: bool) -> None:
        super().__init__(io.BytesIO(raw), encoding="utf-8")
        self._terminal = terminal

    def isatty(self) -> bool:
        return self._terminal


@pytest.mark.parametrize("terminal", [True, False])
def test_stdin_is_read_and_a_terminal_is_told_how_the_text_ends(
    terminal: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(b"\xef\xbb\xbfHello\n", terminal=terminal))
    assert answer._body(_args("-")) == "Hello\n"
    said = capsys.readouterr().err
    assert ("ctrl-D" in said) is terminal
