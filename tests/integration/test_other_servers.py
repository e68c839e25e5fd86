"""What a new user runs, end to end against real Cyrus 3.6 and Courier-IMAP 5.0 (beside Dovecot).

The servers are the throwaway ones of ``../shared/servers`` (its README: loopback only, user
``support``/``support``, started and stopped by pid; the daemons unpacked by its
``extract-debs.sh``, never ``apt-get install``ed). Where they cannot start (not root, daemons not
unpacked) the tests skip with the script's own reason.

Per server: a first ``sync`` brings headers and bodies from INBOX and from a folder with a space
and a non-ASCII name (modified UTF-7 on the wire; Courier's under its ``INBOX.`` namespace), a
tag pushed from one data dir is a keyword another data dir syncs, ``read`` reaches the server as
``\\Seen``, ``threads --search --server`` finds a body word (Cyrus with ESEARCH, Courier
without), and a folder recreated under a new UIDVALIDITY is refetched with the note kept.
"""

from __future__ import annotations

import imaplib
import json
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportmail.tui.cli import answer
from tests.integration.test_cli_sync import Cli
from tests.mailgen import support_mailbox
from tests.smtpserver import SmtpServer

SERVERS = Path(__file__).resolve().parents[2].parent / "shared" / "servers"
# The folder a team made for a queue, as the config names it (the wire name is modified UTF-7).
QUEUE = {"cyrus": "Support Queue/Bücher", "courier": "INBOX.Support Queue.Bücher"}


@dataclass(frozen=True)
class Server:
    kind: str
    port: int

    def imap(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port)
        conn.login("support", "support")
        return conn

    def config(self, path: Path, folders: list[str]) -> Path:
        listed = ", ".join(json.dumps(f, ensure_ascii=False) for f in folders)
        path.write_text(
            "[accounts.support]\n"
            f'host = "127.0.0.1"\nport = {self.port}\ntls = "none"\n'
            'username = "support"\npassword_command = "printf support"\n'
            f"folders = [{listed}]\n",
            encoding="utf-8",
        )
        return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module", params=["cyrus", "courier"])
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    kind: str = request.param
    start = SERVERS / f"start-{kind}.sh"
    if not start.is_file():
        pytest.skip(f"{kind}: {start} not found (clone the project beside ../shared)")
    # Not under pytest's temp dir: its 0700 parents keep out the servers' own users (cyrus,
    # mail), so the data dir sits directly in /tmp (the stop script's --wipe removes it).
    data = Path(tempfile.mkdtemp(prefix=f"supportmail-{kind}-", dir="/tmp"))
    port = _free_port()
    done = subprocess.run(
        ["bash", str(start), str(data), str(port)], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        pytest.skip(f"{kind} IMAP server not started: {done.stderr.strip()[-300:]}")
    try:
        yield Server(kind, port)
    finally:
        subprocess.run(
            ["bash", str(SERVERS / f"stop-{kind}.sh"), str(data), "--wipe"],
            capture_output=True,
            timeout=120,
        )


def _create(conn: imaplib.IMAP4, folder: str) -> str:
    """CREATE ``folder``; its quoted modified UTF-7 name for later commands."""
    from imapclient import imap_utf7

    wire = '"' + imap_utf7.encode(folder).decode("ascii") + '"'
    typ, data = conn.create(wire)
    assert typ == "OK", data
    return wire


def _seed(server: Server, queue_words: str) -> None:
    conn = server.imap()
    try:
        for m in support_mailbox(4, replies=True):
            if m.folder == "INBOX":
                assert conn.append("INBOX", "", None, m.raw)[0] == "OK"
        wire = _create(conn, QUEUE[server.kind])
        raw = (
            "From: Kim Lee <kim@customer.example>\r\nTo: support@plotline.example\r\n"
            "Subject: Stuck in the queue\r\nMessage-ID: <queue-1@customer.example>\r\n"
            "Date: Sat, 05 Dec 2026 10:00:00 +0000\r\n\r\n"
            f"Hello, {queue_words} please.\r\n"
        ).encode()
        assert conn.append(wire, "", None, raw)[0] == "OK"
    finally:
        conn.logout()


def test_a_new_users_commands(server: Server, tmp_path: Path) -> None:
    _seed(server, "zanzibarquokka refund")
    config = server.config(tmp_path / "config.toml", ["INBOX", QUEUE[server.kind]])
    cli, teammate = Cli(config, tmp_path / "a"), Cli(config, tmp_path / "b")

    code, out, err = cli("sync")
    assert code == 0 and "2 folders" in out and " 0 bodies" not in out, (out, err)
    threads = cli.json("threads")
    queued = next(t for t in threads if t["subject"] == "Stuck in the queue")
    shown = cli.json("show", queued["id"])
    assert "zanzibarquokka" in shown["messages"][0]["text"]
    assert [t["id"] for t in cli.json("threads", "--search", "zanzibarquokka")] == [queued["id"]]
    found = cli.json("threads", "--search", "zanzibarquokka", "--server")
    assert [t["id"] for t in found] == [queued["id"]]

    cli("tag", queued["id"], "+team:billing", "+category:bug", "--push")
    teammate("sync")
    tagged = teammate.json("threads", "--tag", "team:billing")
    assert [t["id"] for t in tagged] == [queued["id"]]
    assert set(tagged[0]["tags"]) == {"team:billing", "category:bug"}

    teammate("read", queued["id"])
    teammate("sync")
    conn = server.imap()
    try:
        typ, _ = conn.select('"' + _wire(QUEUE[server.kind]) + '"')
        assert typ == "OK"
        typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
        assert typ == "OK" and b"\\Seen" in b" ".join(d for d in data if isinstance(d, bytes))
    finally:
        conn.logout()
    cli("sync")
    assert not cli.json("threads", "--search", "zanzibarquokka")[0]["unread"]


def _wire(folder: str) -> str:
    from imapclient import imap_utf7

    return imap_utf7.encode(folder).decode("ascii")


def test_a_recreated_folder_is_refetched_and_the_note_kept(server: Server, tmp_path: Path) -> None:
    folder = QUEUE[server.kind] + "2"
    conn = server.imap()
    try:
        wire = _create(conn, folder)
        raw = (
            b"From: Ana <ana@customer.example>\r\nSubject: Before\r\n"
            b"Message-ID: <before@customer.example>\r\n\r\nfirst life\r\n"
        )
        assert conn.append(wire, "", None, raw)[0] == "OK"
    finally:
        conn.logout()
    cli = Cli(server.config(tmp_path / "config.toml", [folder]), tmp_path / "a")
    cli("sync")
    (thread,) = cli.json("threads")
    cli("note", thread["id"], "call Ana back")
    conn = server.imap()
    try:
        assert conn.delete(wire)[0] == "OK"
        assert conn.create(wire)[0] == "OK"
        assert conn.append(wire, "", None, raw)[0] == "OK"
    finally:
        conn.logout()
    _code, out, err = cli("sync")
    assert "UIDVALIDITY changed" in out, (out, err)
    (again,) = cli.json("threads")
    assert again["id"] == thread["id"] and again["has_note"]


def test_a_sent_folder_the_server_names_otherwise_is_named_in_the_error(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sent_folder`` defaults to ``Sent``; Courier's is ``INBOX.Sent``, and an APPEND to
    ``Sent`` is "Invalid mailbox name". The Sent copy then waits (the message was sent), and the
    line that says so names the folder to set; Cyrus creates ``Sent`` and files the copy."""
    conn = server.imap()
    try:
        if server.kind == "courier":
            _create(conn, "INBOX.Sent")
        for m in support_mailbox(1, replies=False):
            if m.folder == "INBOX":
                assert conn.append("INBOX", "", None, m.raw)[0] == "OK"
    finally:
        conn.logout()
    with SmtpServer() as smtp:
        config = server.config(tmp_path / "config.toml", ["INBOX"])
        config.write_text(
            config.read_text(encoding="utf-8")
            + 'address = "support@plotline.example"\n'
            + f'[accounts.support.smtp]\nhost = "127.0.0.1"\nport = {smtp.port}\n'
            + 'tls = "none"\nusername = ""\n',
            encoding="utf-8",
        )
        cli = Cli(config, tmp_path / "a")
        cli("sync")
        thread = cli.json("threads")[0]["id"]
        editor = tmp_path / "editor.py"  # writes a line above the forwarded message
        editor.write_text(
            "import sys\np = sys.argv[1]\nhead, sep, body = open(p).read().partition('\\n\\n')\n"
            "open(p, 'w').write(head + sep + 'Please have a look.\\n' + body)\n"
        )
        monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
        monkeypatch.delenv("VISUAL", raising=False)
        monkeypatch.setattr(answer, "editor_terminal", lambda: True)  # the script is a person
        cli("forward", thread, "--to", "eng@plotline.example", "--yes")
        smtp.wait_for(1)
        _code, _out, err = cli("sync")  # the Sent copy's second try, said on stderr
        _code, listed, _err = cli("drafts")
    if server.kind == "courier":
        assert "Sent copy not filed yet" in err, err
        assert 'sent_folder Sent: did you mean "INBOX.Sent"' in err, err
        assert "Sent copy not filed yet" in listed
    else:
        assert "not filed" not in err + listed, (err, listed)
