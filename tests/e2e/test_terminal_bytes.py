"""Byte level: the real TUI in a pty shows the hostile corpus, and no control sequence from the
mail reaches the terminal (title unchanged, clipboard untouched, no OSC 8 link, no DCS, no C1).

``python -m supportmail.tui --data-dir D demo`` runs on a data dir holding the hostile corpus
(account ``demo``, loaded without a server by ``tests.corpus.load_hostile``), in a 120x40 pty with
``TERM=xterm-256color``. The test walks the cursor over every thread (each one previewed),
opens a few, quits, and searches everything the app wrote for the mail's own payloads
(``tests.corpus.generators.PAYLOADS``); Textual's own escape sequences are of course allowed.
"""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from tests.command import supportmail_argv
from tests.corpus import load_hostile
from tests.corpus.generators import PAYLOADS, corpus

ROOT = Path(__file__).resolve().parents[2]
WIDTH, HEIGHT = 120, 40
DOWN, ENTER, ESCAPE = b"\x1b[B", b"\r", b"\x1b"
KEY_GAP = 0.12
QUIET = 1.0
START_SECONDS = 30.0


def _cases() -> list[tuple[str, bytes]]:
    """The hostile corpus without the per-label charset cases and the megabyte messages."""
    return [(n, raw) for n, raw in corpus(big=False) if not n.startswith("charset-")]


def _read(master: int, out: bytearray, seconds: float) -> None:
    """Append what the app writes during ``seconds``."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([master], [], [], left)
        if not ready:
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:
            return
        if not chunk:
            return
        out.extend(chunk)


def _read_until_quiet(master: int, out: bytearray, timeout: float) -> None:
    """Read until output started and then paused for ``QUIET`` seconds (or ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = len(out)
        _read(master, out, QUIET)
        if out and len(out) == before:
            return


def _press(master: int, out: bytearray, key: bytes, gap: float = KEY_GAP) -> None:
    os.write(master, key)
    _read(master, out, gap)


def _run_app(data: Path, config: Path, threads: int) -> tuple[bytes, int]:
    """Start the app in a pty, walk every thread, open some, quit: (output, exit status)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", HEIGHT, WIDTH, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "TMUX")}
    env["TERM"] = "xterm-256color"
    argv = supportmail_argv(config, data, "demo")
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
    )
    os.close(slave)
    out = bytearray()
    try:
        _read_until_quiet(master, out, START_SECONDS)
        for index in range(threads):
            if index % 8 == 0:
                _press(master, out, ENTER, 0.3)
                _press(master, out, ESCAPE, 0.3)
            _press(master, out, DOWN)
        _read_until_quiet(master, out, 10.0)
        _press(master, out, b"q")
        deadline = time.monotonic() + 15.0
        while proc.poll() is None and time.monotonic() < deadline:
            _read(master, out, 0.2)
        _read(master, out, 0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
        code = proc.wait()
        os.close(master)
    return bytes(out), code


@pytest.fixture
def hostile_data(tmp_path: Path) -> tuple[Path, int]:
    data = tmp_path / "data"
    service = load_hostile(data, _cases())
    try:
        threads = service.count_threads()
    finally:
        service.close()
    return data, threads


def test_no_mail_control_sequence_reaches_the_terminal(
    hostile_data: tuple[Path, int], tmp_path: Path
) -> None:
    data, threads = hostile_data
    output, code = _run_app(data, tmp_path / "config.toml", threads)
    text = output.decode("utf-8", "replace")
    assert code == 0, text[-2000:]
    assert "Traceback" not in text
    assert "␛]0;pwned" in text, "the hostile subjects were drawn (as harmless text)"
    assert "␛]52;c;SGVsbG8" in text and "␛Ppwned-dcs" in text, "the bodies were drawn"
    for name, payload in PAYLOADS.items():
        assert payload not in output, f"{name} payload reached the terminal"
    assert "\x9b" not in text, "a C1 CSI (U+009B) reached the terminal"
    assert "\x1b]0;" not in text and "\x1b]2;" not in text, "the title was set"
    assert "\x1b]52;" not in text, "the clipboard was written"
