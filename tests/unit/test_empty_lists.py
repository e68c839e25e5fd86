"""What the list commands print when nothing matches (``tui.cli.output.say_empty``).

``threads``, ``notes``, ``quotes``, ``drafts``, ``links`` and ``tags --parked`` print one row per
item. With no item stdout stays empty (``| wc -l`` counts 0, ``--json`` is ``[]``); a person at a
terminal gets one line on stderr saying what was looked for; a stderr that is not a terminal
(a script, cron's mail) gets nothing. The demo mailbox, no server.
"""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from supportmail.storage.service import Service
from supportmail.tui.cli import run
from tests.command import supportmail_argv


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def _cli(data: Path, *args: str, terminal: bool) -> tuple[int, str, str]:
    out, real_err = io.StringIO(), sys.stderr
    err = _Terminal() if terminal else io.StringIO()
    sys.stderr = err
    try:
        code = run(["--data-dir", str(data), "--account", "demo", *args], out)
    finally:
        sys.stderr = real_err
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("empty-lists") / "data"
    with Service.open_demo(path) as service:
        for root in service.userdb.notes(service.account):
            service.userdb.set_note(service.account, root, "")
    return path


@pytest.fixture(scope="module")
def no_links(data: Path) -> str:
    """A demo thread whose newest message has no link."""
    with Service.open_demo(data) as service:
        for summary in service.list_threads():
            count = len(service.thread(summary.id, fetch=False).messages)
            if not service.attachments.links(summary.id, count):
                return summary.id
    raise AssertionError("every demo thread has a link")


CASES = [
    (("threads", "--search", "zzqqxx"), "no threads match 'zzqqxx' in INBOX, Sent"),
    (
        ("threads", "--tag", "team:nobody", "--unread", "--since", "2020-01-01"),
        "no threads match tag team:nobody, unread, since 2020-01-01 in INBOX, Sent",
    ),
    (("threads", "--search", "zzqqxx", "--untagged", "--awaiting"), None),
    (("notes",), "no notes"),
    (("notes", "--orphans"), "no unmatched notes"),
    (("quotes",), "no saved quotes: `supportmail quote THREAD ...` keeps one"),
    (("drafts",), "no drafts and no unsent mail"),
    (("tags", "--parked"), "no parked tag edits"),
]


@pytest.mark.parametrize(("args", "said"), CASES, ids=lambda v: " ".join(v) if v else "")
def test_an_empty_list_prints_no_row_and_tells_a_terminal_what_was_looked_for(
    data: Path, args: tuple[str, ...], said: str | None
) -> None:
    code, out, err = _cli(data, *args, terminal=True)
    assert (code, out) == (0, "")
    assert err.count("\n") == 1 and err.startswith("(") and err.endswith(")\n"), err
    if said is not None:
        assert err == f"({said})\n"
    assert _cli(data, *args, terminal=False) == (0, "", "")
    code, out, _ = _cli(data, *args, "--json", terminal=True)
    assert (code, json.loads(out)) == (0, [])


def test_links_of_a_message_without_links(data: Path, no_links: str) -> None:
    code, out, err = _cli(data, "links", no_links, terminal=True)
    assert (code, out) == (0, "") and err.startswith("(no links in message ")
    assert _cli(data, "links", no_links, terminal=False) == (0, "", "")


def test_the_words_looked_for_reach_the_terminal_without_escape_sequences(data: Path) -> None:
    _code, out, err = _cli(data, "threads", "--search", "\x1b]0;pwned\x07zz", terminal=True)
    assert out == "" and "\x1b" not in err and "\x07" not in err and "pwned" in err


def test_a_real_terminal_on_stderr_gets_the_line_and_the_pipe_on_stdout_nothing(
    data: Path,
) -> None:
    """The installed command, stderr on a pseudo-terminal, stdout a pipe (``| wc -l``)."""
    controller, terminal = pty.openpty()
    try:
        done = subprocess.run(
            supportmail_argv(
                Path(os.devnull),
                data,
                "--account",
                "demo",
                "threads",
                "--unread",
                "--search",
                "zzqqxx",
            ),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
            check=False,
        )
        os.close(terminal)
        terminal = -1
        said = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the pty's other side is closed: everything was read
                break
            if not chunk:
                break
            said += chunk
    finally:
        if terminal >= 0:
            os.close(terminal)
        os.close(controller)
    assert done.returncode == 0 and done.stdout == b""
    assert said.decode() == "(no threads match 'zzqqxx', unread in INBOX, Sent)\r\n"
