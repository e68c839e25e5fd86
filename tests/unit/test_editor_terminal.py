"""``reply``/``forward`` start ``$EDITOR`` only on a terminal (``tui.cli.answer``).

An editor needs stdin and stdout both on the terminal: with a pipe, a file or cron on either,
it would wait forever or write its escape sequences into the file. Without ``--body-file`` the
command says so in one line naming that option, exits 2, and starts nothing. The demo mailbox
(the refusal comes before any draft is composed); sending with ``--body-file`` against real
servers: ``tests/integration/test_reply.py``.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from supportmail.storage.service import Service
from tests.command import supportmail_argv

EDITOR = """\
import pathlib, sys
pathlib.Path({marker!r}).write_text("the editor ran")
sys.stdout.write("\\x1b[?1049h\\x1b[2J")
sys.stdin.read()
"""


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    data = tmp_path_factory.mktemp("editor-terminal") / "data"
    with Service.open_demo(data) as service:
        return data, service.list_threads()[0].id


def _run(
    tmp_path: Path, demo: tuple[Path, str], args: list[str], *, stdin: int, stdout: int
) -> tuple[subprocess.CompletedProcess[bytes], bool]:
    data, _thread = demo
    marker = tmp_path / "editor-ran"
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR.format(marker=str(marker)))
    env = {**os.environ, "EDITOR": f"{sys.executable} {editor}"}
    env.pop("VISUAL", None)
    done = subprocess.run(
        supportmail_argv(Path(os.devnull), data, "--account", "demo", *args),
        stdin=stdin,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=env,
        timeout=120,
        check=False,
    )
    return done, marker.exists()


COMMANDS = [["reply"], ["reply", "--all", "--message", "1"], ["forward", "--to", "e@x.example"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_no_terminal_and_no_body_file_is_one_line_and_exit_2(
    tmp_path: Path, demo: tuple[Path, str], command: list[str]
) -> None:
    """stdin from /dev/null (cron, a pipe), stdout a pipe."""
    args = [command[0], demo[1], *command[1:]]
    done, ran = _run(tmp_path, demo, args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    assert done.returncode == 2 and done.stdout == b"" and not ran
    err = done.stderr.decode()
    assert err.count("\n") == 1 and "\x1b" not in err
    assert err.startswith(f"supportmail: error: {command[0]}: no terminal for $EDITOR")
    assert "--body-file FILE, or --body-file - to read it from stdin" in err


def test_a_terminal_on_stdin_with_stdout_redirected_is_refused_too(
    tmp_path: Path, demo: tuple[Path, str]
) -> None:
    """``supportmail reply ID > file`` at a terminal: the editor's screen would go into the
    file while it waits on the keyboard."""
    controller, terminal = pty.openpty()
    try:
        with (tmp_path / "out.txt").open("wb") as out:
            done, ran = _run(
                tmp_path, demo, ["reply", demo[1]], stdin=terminal, stdout=out.fileno()
            )
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 2 and not ran
    assert (tmp_path / "out.txt").read_bytes() == b""
    assert b"no terminal for $EDITOR" in done.stderr
