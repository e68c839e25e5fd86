"""Replying end to end against real servers: the test Dovecot (IMAP) and aiosmtpd (SMTP) on
loopback. ``$EDITOR`` is a small script that writes the answer into the draft, as a person would.

Covered: the reply's headers and recipients, the SMTP login with the IMAP account's password,
the Sent copy (``\\Seen``, once), the thread showing the answer at once and leaving the awaiting
view, a server that refuses (451, then accepts on the next sync; 550 stays until asked), kill -9
at each step of a send (never lost, never sent twice), drafts, and forward.
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportmail.storage.user.mail_outbox import OUTBOX_DIR
from supportmail.tui.cli import answer, run
from tests.dovecot import MailUser
from tests.smtpserver import Received, SmtpServer

pytestmark = pytest.mark.dovecot

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = "support@plotline.example"
CUSTOMER = b"""\
From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <jm@kunde.example>
To: Plotline Support <support@plotline.example>
Cc: Eva <eva@kunde.example>, Maya <maya@plotline.example>
Subject: Export crashes
Date: Mon, 02 Nov 2026 09:00:00 +0100
Message-ID: <c1@kunde.example>
Content-Type: text/plain; charset=utf-8

Hallo, the CSV export crashes with 10k rows.
"""

EDITOR = """\
import sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
head, sep, body = text.partition("\\n\\n")
open(path, "w", encoding="utf-8").write(head + sep + {answer!r} + body)
"""


class Cli:
    """The CLI in-process against one config and data directory."""

    def __init__(self, config: Path, data: Path) -> None:
        self.config = config
        self.data = data
        self.answer = str(data.parent / "answer.txt")
        """A file with an answer, for ``--body-file`` (written by the ``cli`` fixture)."""

    def args(self, *args: str) -> list[str]:
        return ["--config", str(self.config), "--data-dir", str(self.data), *args]

    def __call__(self, *args: str, code: int = 0) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        real = sys.stderr
        sys.stderr = err
        try:
            got = run(self.args(*args), out)
        finally:
            sys.stderr = real
        assert got == code, f"exit {got}: {err.getvalue()}"
        return out.getvalue(), err.getvalue()

    def json(self, *args: str) -> object:
        return json.loads(self(*args, "--json")[0])

    def die_at(self, when: str, *args: str) -> int:
        """The CLI in a child process that SIGKILLs itself at ``when`` (tests.faults)."""
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.die_at_send", when, *self.args(*args)],
            cwd=ROOT,
            env=os.environ.copy(),
            capture_output=True,
            timeout=120,
            check=False,
        )
        return done.returncode

    def outbox(self) -> list[dict[str, object]]:
        folder = self.data / "support" / OUTBOX_DIR
        return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


@pytest.fixture
def smtp(mail_user: MailUser) -> Iterator[SmtpServer]:
    with SmtpServer(login=(mail_user.username, mail_user.password)) as server:
        yield server


@pytest.fixture
def cli(
    mail_user: MailUser, smtp: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Cli:
    config = tmp_path / "config.toml"
    config.write_text(
        'team_addresses = ["maya@plotline.example"]\n'
        "[accounts.support]\n"
        f'host = "{mail_user.host}"\n'
        f"port = {mail_user.port}\n"
        'tls = "none"\n'
        f'username = "{mail_user.username}"\n'
        f'password_command = "printf {mail_user.password}"\n'
        'folders = ["INBOX", "Sent"]\n'
        f'address = "{SUPPORT}"\n'
        'signature = "Maya\\nPlotline support"\n'
        "[accounts.support.smtp]\n"
        'host = "127.0.0.1"\n'
        f"port = {smtp.port}\n"
        'tls = "none"\n'
    )
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR.format(answer="Danke! We fixed the export in 4.2.\n"))
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    # The editor script stands in for a person at a terminal; without one the CLI refuses to
    # start an editor (test_reply_without_a_terminal_* below).
    monkeypatch.setattr(answer, "editor_terminal", lambda: True)
    (tmp_path / "answer.txt").write_text("Danke! We fixed the export in 4.2.\n", encoding="utf-8")
    mail_user.append("INBOX", CUSTOMER)
    # A configured folder the server lacks makes sync exit 3 (issue 13): Sent exists here.
    mail_user.create_folder("Sent")
    cli = Cli(config, tmp_path / "data")
    cli("sync")
    return cli


def _thread(cli: Cli) -> str:
    threads = cli.json("threads")
    assert isinstance(threads, list) and len(threads) == 1
    return str(threads[0]["id"])


def _awaiting(cli: Cli) -> list[str]:
    listed = cli.json("threads", "--awaiting")
    assert isinstance(listed, list)
    return [str(t["id"]) for t in listed]


def _sent_copies(mail_user: MailUser) -> list[tuple[bytes, tuple[str, ...], str]]:
    try:
        return mail_user._messages("Sent")
    except Exception:  # no Sent folder yet
        return []


def _parsed(got: Received) -> email.message.EmailMessage:
    msg = email.message_from_bytes(got.data, policy=email.policy.default)
    assert isinstance(msg, email.message.EmailMessage)
    return msg


def test_reply_sends_files_and_shows_at_once(
    cli: Cli, smtp: SmtpServer, mail_user: MailUser
) -> None:
    thread = _thread(cli)
    assert _awaiting(cli) == [thread]
    out, _ = cli("reply", thread, "--all", "--yes")
    assert "sent" in out and "filed in Sent" in out
    [got] = smtp.received
    assert smtp.logins == [mail_user.username]  # the IMAP login and password by default
    assert got.mail_from == SUPPORT
    assert sorted(got.rcpt_tos) == ["eva@kunde.example", "jm@kunde.example"]  # not the team
    msg = _parsed(got)
    assert msg["Subject"] == "Re: Export crashes"
    assert msg["In-Reply-To"] == "<c1@kunde.example>"
    assert msg["References"] == "<c1@kunde.example>"
    assert str(msg["To"]) == "Jürgen Müller <jm@kunde.example>"
    assert b"=?utf-8?" in got.data and got.data.isascii()  # 7-bit on the wire
    body = msg.get_content().replace("\r\n", "\n")
    assert body.startswith("Danke! We fixed the export in 4.2.\n")
    assert "\n-- \nMaya\nPlotline support\n" in body
    assert "J\u00fcrgen M\u00fcller wrote:\n> Hallo, the CSV export crashes" in body
    # the Sent copy: once, read
    [(raw, flags, _)] = _sent_copies(mail_user)
    assert "\\Seen" in flags and msg["Message-ID"].encode() in raw
    # the thread shows the answer at once and leaves the awaiting view (no sync yet)
    shown = cli.json("show", thread)
    assert isinstance(shown, dict)
    assert [m["from"]["address"] for m in shown["messages"]] == ["jm@kunde.example", SUPPORT]
    assert _awaiting(cli) == []
    # the next sync brings the Sent copy: still one answer, the outbox empties
    cli("sync")
    cli("sync")
    shown = cli.json("show", thread)
    assert isinstance(shown, dict) and len(shown["messages"]) == 2
    assert shown["messages"][1]["folder"] == "Sent"
    assert cli.outbox() == []
    assert len(smtp.received) == 1


def test_refused_then_accepted_by_the_next_sync(
    cli: Cli, smtp: SmtpServer, mail_user: MailUser
) -> None:
    thread = _thread(cli)
    smtp.refuse("rcpt", "451 4.3.0 greylisted, try later")
    _, err = cli("reply", thread, "--yes", code=1)
    assert "not sent" in err and "451" in err
    assert smtp.received == [] and _sent_copies(mail_user) == []
    drafts = cli.json("drafts")
    assert isinstance(drafts, list) and [d["state"] for d in drafts] == ["queued"]
    assert "451" in str(drafts[0]["error"])
    assert _awaiting(cli) == [thread]  # not answered yet
    out, _ = cli("sync")
    assert "sent 1 message from the outbox" in out
    assert len(smtp.received) == 1 and len(_sent_copies(mail_user)) == 1
    assert _awaiting(cli) == []
    cli("sync")
    assert cli.outbox() == [] and len(smtp.received) == 1


def test_permanent_refusal_waits_for_the_user(cli: Cli, smtp: SmtpServer) -> None:
    thread = _thread(cli)
    smtp.refuse("data", "550 5.7.1 message rejected")
    _, err = cli("reply", thread, "--yes", code=1)
    assert "550" in err
    cli("sync")  # a permanent refusal is not retried on its own
    assert smtp.received == []
    [mail] = cli.outbox()
    assert mail["permanent"] is True
    out, _ = cli("drafts", "--send", str(mail["id"]))
    assert out.startswith("sent") and len(smtp.received) == 1


@pytest.mark.parametrize("when", ["data", "accepted", "filed"])
def test_kill9_during_a_send_loses_nothing_and_sends_once(
    cli: Cli, smtp: SmtpServer, mail_user: MailUser, when: str
) -> None:
    thread = _thread(cli)
    assert cli.die_at(when, "reply", thread, "--yes", "--body-file", cli.answer) == -9
    [mail] = cli.outbox()
    assert mail["state"] == when
    sent_before = 0 if when == "data" else 1  # "data" is written before the message goes
    assert len(smtp.received) == sent_before
    cli("sync")
    cli("sync")
    assert len(smtp.received) == 1
    assert len(_sent_copies(mail_user)) == 1
    assert cli.outbox() == []
    assert _awaiting(cli) == []


def test_kill9_after_the_server_accepted_does_not_send_again(
    cli: Cli, smtp: SmtpServer, mail_user: MailUser
) -> None:
    """Killed between the server's 250 and the outbox's record of it: the outbox says
    ``data`` (unknown). A server that files what it sends (as Gmail does) has the copy in Sent:
    the retry finds it by Message-ID and neither sends nor files it again."""
    smtp.deliver_to(lambda got: mail_user.append("Sent", got.data, ("\\Seen",)))
    thread = _thread(cli)
    assert cli.die_at("smtp-accepted", "reply", thread, "--yes", "--body-file", cli.answer) == -9
    [mail] = cli.outbox()
    assert mail["state"] == "data" and len(smtp.received) == 1
    cli("sync")
    cli("sync")
    assert len(smtp.received) == 1
    assert len(_sent_copies(mail_user)) == 1
    assert cli.outbox() == []


def test_no_answer_keeps_a_draft_and_unchanged_text_sends_nothing(
    cli: Cli, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    thread = _thread(cli)
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\n"))
    out, err = cli("reply", thread)
    assert "Send to J\u00fcrgen M\u00fcller <jm@kunde.example>?" in err
    assert "kept as draft" in out
    [draft] = cli.json("drafts")  # type: ignore[misc]
    assert draft["state"] == "draft" and draft["thread_id"] == thread
    cli("drafts", "--send", str(draft["id"]))
    assert len(smtp.received) == 1
    # an editor that changes nothing: nothing is sent
    monkeypatch.setenv("EDITOR", "true")
    _, err = cli("reply", thread, "--yes", code=1)
    assert "nothing written" in err and len(smtp.received) == 1


def test_forward_to_an_engineering_list(cli: Cli, smtp: SmtpServer) -> None:
    thread = _thread(cli)
    cli("forward", thread, "--to", "Eng <eng@plotline.example>", "--yes")
    [got] = smtp.received
    assert got.rcpt_tos == ("eng@plotline.example",)
    msg = _parsed(got)
    assert msg["Subject"] == "Fwd: Export crashes"
    assert msg["In-Reply-To"] is None
    body = msg.get_content().replace("\r\n", "\n")
    assert "---------- Forwarded message ----------" in body
    assert "Hallo, the CSV export crashes with 10k rows." in body
    assert _awaiting(cli) == [thread]  # a forward is not an answer
    cli("forward", thread, "--to", "not an address", code=2)  # a usage mistake (README: exit 2)


def test_replies_need_an_smtp_table(cli: Cli) -> None:
    text = cli.config.read_text()
    cli.config.write_text(text.split("[accounts.support.smtp]")[0])
    _, err = cli("reply", _thread(cli), "--yes", code=1)
    assert "[accounts.support.smtp]" in err


def test_sending_uses_the_service_session(cli: Cli, smtp: SmtpServer) -> None:
    """The original fetched for the draft, the Sent copy filed, and the retry after a sync all
    go through the service's interactive session: two replies log in to IMAP once."""
    from supportmail.storage.service import Service
    from supportmail.storage.settings import load_settings

    settings = load_settings(cli.config)
    with Service.open(settings, settings.account("support"), cli.data) as service:
        thread = service.list_threads()[0].id
        for answer in ("First answer.", "Second answer."):
            composed = service.replies.compose_reply(thread)
            head, sep, body = composed.text.partition("\n\n")
            mail = service.replies.queue(composed, head + sep + answer + "\n" + body)
            assert service.replies.send(mail.id).state == "filed"
        assert service.logins == {"sync": 0, "interactive": 1, "watch": 0}
        service.sync()
        assert service.logins == {"sync": 1, "interactive": 1, "watch": 0}
    assert len(smtp.received) == 2


# -- no terminal: --body-file, or one line and exit 2 ----------------------------------------

MARKER_EDITOR = """\
import pathlib, sys
pathlib.Path({marker!r}).write_text("the editor ran")
sys.stdout.write("\\x1b[?1049h\\x1b[2J")
sys.stdin.read()
"""


def _child(
    cli: Cli, tmp_path: Path, *args: str, stdin: bytes | None
) -> subprocess.CompletedProcess[bytes]:
    """The installed command in a child process, stdin a pipe (or /dev/null), stdout and
    stderr pipes: a script or cron. ``$EDITOR`` would leave a marker file, clear the screen and
    wait for its stdin: it must not run."""
    editor = tmp_path / "marker_editor.py"
    editor.write_text(MARKER_EDITOR.format(marker=str(tmp_path / "editor-ran")))
    env = {**os.environ, "EDITOR": f"{sys.executable} {editor}", "PYTHONPATH": str(ROOT)}
    env.pop("VISUAL", None)
    return subprocess.run(
        [sys.executable, "-m", "supportmail.tui", *cli.args(*args)],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "command", [("reply",), ("forward", "--to", "eng@plotline.example")], ids=["reply", "forward"]
)
def test_reply_without_a_terminal_exits_2_naming_body_file_and_starts_no_editor(
    cli: Cli, smtp: SmtpServer, tmp_path: Path, command: tuple[str, ...]
) -> None:
    thread = _thread(cli)
    done = _child(cli, tmp_path, command[0], thread, *command[1:], "--yes", stdin=None)
    assert done.returncode == 2 and done.stdout == b""
    assert done.stderr.decode() == (
        f"supportmail: error: {command[0]}: no terminal for $EDITOR (stdin and stdout are not "
        "both one); give the text with --body-file FILE, or --body-file - to read it from stdin\n"
    )
    assert not (tmp_path / "editor-ran").exists()
    assert smtp.received == [] and cli.outbox() == []


def test_reply_with_the_text_on_stdin_sends_it_above_the_signature_and_quote(
    cli: Cli, smtp: SmtpServer, mail_user: MailUser, tmp_path: Path
) -> None:
    thread = _thread(cli)
    text = "Danke, Jürgen!\r\nFixed in 4.2.\n\n"
    done = _child(cli, tmp_path, "reply", thread, "--body-file", "-", "--yes", stdin=text.encode())
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("sent ") and b"\x1b" not in done.stdout + done.stderr
    assert not (tmp_path / "editor-ran").exists()
    [got] = smtp.received
    body = _parsed(got).get_content().replace("\r\n", "\n")
    assert body.startswith("Danke, Jürgen!\nFixed in 4.2.\n\n-- \nMaya\nPlotline support\n")
    assert "J\u00fcrgen M\u00fcller wrote:\n> Hallo, the CSV export crashes" in body
    assert len(_sent_copies(mail_user)) == 1 and _awaiting(cli) == []


def test_text_on_stdin_without_yes_is_kept_as_a_draft(
    cli: Cli, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Nothing is left on stdin to answer "Send?": the text waits as a draft, said so."""
    thread = _thread(cli)
    done = _child(cli, tmp_path, "reply", thread, "--body-file", "-", stdin=b"Looking into it.\n")
    assert done.returncode == 0, done.stderr
    [draft] = cli.json("drafts")  # type: ignore[misc]
    assert draft["state"] == "draft" and draft["thread_id"] == thread
    assert done.stdout.decode() == (
        f"kept as draft {draft['id']} (stdin held the text; --yes sends at once): "
        f"send it with `supportmail drafts --send {draft['id']}`\n"
    )
    assert smtp.received == []
    cli("drafts", "--send", str(draft["id"]))
    assert _parsed(smtp.received[0]).get_content().startswith("Looking into it.\r\n")


def test_forward_with_a_body_file_and_body_file_mistakes(
    cli: Cli, smtp: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(answer, "editor_terminal", lambda: False)  # a script: no editor
    thread = _thread(cli)
    note = tmp_path / "note.txt"
    note.write_text("Eng: a crash with 10k rows, see below.\n", encoding="utf-8")
    cli("forward", thread, "--to", "eng@plotline.example", "--body-file", str(note), "--yes")
    [got] = smtp.received
    body = _parsed(got).get_content().replace("\r\n", "\n")
    assert body.startswith("Eng: a crash with 10k rows, see below.\n")
    assert body.index("see below") < body.index("---------- Forwarded message ----------")
    empty = tmp_path / "empty.txt"
    empty.write_text(" \n\n")
    _, err = cli("reply", thread, "--body-file", str(empty), "--yes", code=2)
    assert err == f"supportmail: error: --body-file: {empty} is empty: nothing to send\n"
    _, err = cli("reply", thread, "--body-file", str(tmp_path / "nope.txt"), code=2)
    assert err.endswith("nope.txt: No such file or directory\n") and err.count("\n") == 1
    assert len(smtp.received) == 1 and [m["state"] for m in cli.outbox()] == ["filed"]
