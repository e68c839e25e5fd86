"""End to end against a real Dovecot: the CLI contract, sync, tags as keywords, notes, outbox.

Each test gets a fresh mailbox user on the suite's throwaway Dovecot (tests/dovecot.py) and its
own data directory, so "machine A" and "machine B" are two data directories on one server.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.models import SyncProgress
from supportmail.storage.service import Service
from supportmail.storage.settings import load_settings
from supportmail.tui.cli import run
from tests.mailgen import message, support_mailbox

pytestmark = pytest.mark.dovecot

ROOT = Path(__file__).resolve().parents[2]


class Cli:
    """Runs the supportmail CLI in-process for one config and data dir."""

    def __init__(self, config: Path, data: Path) -> None:
        self.config = config
        self.data = data

    def __call__(self, *args: str, ok: bool = True) -> tuple[int, str, str]:
        out = io.StringIO()
        err = io.StringIO()
        real_err = sys.stderr
        sys.stderr = err
        try:
            code = run(["--config", str(self.config), "--data-dir", str(self.data), *args], out)
        finally:
            sys.stderr = real_err
        if ok:
            assert code == 0, f"exit {code}: {err.getvalue()}"
        return code, out.getvalue(), err.getvalue()

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json")[1])


def _seed(user: Any, threads: int = 6) -> list[str]:
    ids = []
    for m in support_mailbox(threads, replies=True):
        if m.folder == "INBOX":
            user.append("INBOX", m.raw)
            ids.append(m.message_id)
    return ids


@pytest.fixture
def cli(account_config: Path, tmp_path: Path) -> Cli:
    return Cli(account_config, tmp_path / "machine-a")


@pytest.fixture
def cli_b(account_config: Path, tmp_path: Path) -> Cli:
    return Cli(account_config, tmp_path / "machine-b")


def test_first_sync_lists_and_shows_without_setting_seen(mail_user: Any, cli: Cli) -> None:
    _seed(mail_user, 6)
    _, out, _ = cli("sync")
    assert "support: 1 folder" in out and "new" in out
    threads = cli.json("threads")
    assert len(threads) == 6
    first = threads[0]
    assert set(first) >= {
        "id",
        "subject",
        "participants",
        "messages",
        "first_date",
        "last_date",
        "tags",
        "unread",
        "has_note",
    }
    assert len(first["id"]) >= 8 and first["last_date"][-6] in "+-"
    # newest activity first
    assert [t["last_date"] for t in threads] == sorted(
        (t["last_date"] for t in threads), reverse=True
    )
    shown = cli.json("show", first["id"][:8])
    assert shown["id"] == first["id"]
    assert shown["messages"][0]["text"].startswith("Hi,")
    # reading used BODY.PEEK: nothing became \Seen on the server
    assert all("\\Seen" not in f for f in mail_user.flags("INBOX").values())
    _, human, _ = cli("show", first["id"])
    assert "From:" in human and first["subject"] in human


def test_incremental_sync_new_mail_flags_and_expunge(mail_user: Any, cli: Cli) -> None:
    _seed(mail_user, 3)
    cli("sync")
    assert len(cli.json("threads")) == 3
    new_uid = mail_user.append(
        "INBOX",
        message(
            message_id="late@customer.example",
            subject="A new question",
            sender="Late Customer <late@customer.example>",
            to="support@plotline.example",
            date=__import__("datetime").datetime(
                2026, 11, 20, 10, 0, tzinfo=__import__("datetime").UTC
            ),
            body="Hello there\n",
        ),
    )
    uids = sorted(mail_user.flags("INBOX"))
    mail_user.set_flags("INBOX", [uids[0]], ["team:mobile"], add=True)
    mail_user.expunge("INBOX", [uids[1]])
    _, out, _ = cli("sync")
    assert "1 new" in out and "1 changed" in out and "1 gone" in out
    threads = cli.json("threads")
    assert len(threads) == 3
    assert threads[0]["subject"] == "A new question"
    assert any(t["tags"] == ["team:mobile"] for t in threads)
    assert new_uid in mail_user.flags("INBOX")
    # a no-change sync changes nothing
    _, out, _ = cli("sync")
    assert "0 new, 0 changed, 0 gone" in out


def test_tag_push_and_pull_between_two_machines(mail_user: Any, cli: Cli, cli_b: Cli) -> None:
    _seed(mail_user, 4)
    cli("sync")
    cli_b("sync")
    target = cli.json("threads")[-1]
    _, out, _ = cli("tag", target["id"], "+team:billing", "+category:bug")
    assert "pending" in out
    local = cli.json("threads", "--tag", "team:billing")
    assert [t["id"] for t in local] == [target["id"]]
    assert local[0]["pending_tags"] == ["team:billing", "category:bug"]
    _, out, _ = cli("sync")
    assert "2 tag edits pushed" in out
    # every message of the thread carries both keywords on the server
    flags = mail_user.flags("INBOX")
    tagged = [f for f in flags.values() if "team:billing" in f]
    assert tagged and all("category:bug" in f for f in tagged)
    cli_b("sync")
    remote = cli_b.json("threads", "--tag", "category:bug")
    assert [t["id"] for t in remote] == [target["id"]]
    assert remote[0]["tags"] == ["team:billing", "category:bug"]
    # removal travels the same way
    cli_b("tag", target["id"], "-category:bug", "--push")
    cli("sync")
    assert cli.json("show", target["id"])["tags"] == ["team:billing"]


def test_two_teammates_tag_the_same_thread_concurrently(
    mail_user: Any, cli: Cli, cli_b: Cli
) -> None:
    _seed(mail_user, 2)
    cli("sync")
    cli_b("sync")
    tid = cli.json("threads")[0]["id"]
    cli("tag", tid, "+team:billing")
    cli_b("tag", tid, "+category:feature-request")
    cli("sync")
    cli_b("sync")
    cli("sync")
    assert cli.json("show", tid)["tags"] == ["team:billing", "category:feature-request"]
    assert cli_b.json("show", tid)["tags"] == ["team:billing", "category:feature-request"]


def test_pending_local_edit_beats_a_pulled_keyword(mail_user: Any, cli: Cli) -> None:
    _seed(mail_user, 1)
    cli("sync")
    tid = cli.json("threads")[0]["id"]
    uid = min(mail_user.flags("INBOX"))
    mail_user.set_flags("INBOX", [uid], ["team:mobile"], add=True)
    cli("tag", tid, "-team:mobile")  # removed locally before we saw the teammate's add
    cli("sync")  # pulls team:mobile, keeps the local removal, then pushes it
    assert cli.json("show", tid)["tags"] == []
    assert all("team:mobile" not in f for f in mail_user.flags("INBOX").values())


def test_server_without_keyword_support_keeps_tags_local(noperm_user: Any, tmp_path: Path) -> None:
    config = tmp_path / "noperm.toml"
    config.write_text(
        f"""[accounts.support]
host = "127.0.0.1"
port = {noperm_user.port}
tls = "none"
username = "{noperm_user.username}"
password_command = "printf {noperm_user.password}"
folders = ["INBOX"]
""",
        encoding="utf-8",
    )
    for m in support_mailbox(2, replies=False):
        noperm_user.append("INBOX", m.raw)
    c = Cli(config, tmp_path / "data")
    c("sync")
    tid = c.json("threads")[0]["id"]
    c("tag", tid, "+team:billing")
    _, out, _ = c("sync")
    assert "tags stay local in INBOX" in out
    assert "1 pending" in out
    assert c.json("show", tid)["tags"] == ["team:billing"]
    assert all("team:billing" not in f for f in noperm_user.flags("INBOX").values())


def test_uidvalidity_change_keeps_notes_and_pending_edits(mail_user: Any, cli: Cli) -> None:
    _seed(mail_user, 3)
    cli("sync")
    threads = cli.json("threads")
    tid = threads[0]["id"]
    cli("note", tid, "Customer is on the enterprise plan")
    cli("tag", tid, "+category:churn-risk")
    before = mail_user.uidvalidity("INBOX")
    mail_user.recreate_folder("INBOX", keep_messages=True)
    assert mail_user.uidvalidity("INBOX") != before
    _, out, _ = cli("sync")
    assert "UIDVALIDITY changed" in out
    assert cli("note", tid, "--show")[1].strip() == "Customer is on the enterprise plan"
    shown = cli.json("show", tid)
    assert shown["tags"] == ["category:churn-risk"]
    assert any("category:churn-risk" in f for f in mail_user.flags("INBOX").values())
    assert len(cli.json("threads")) == 3


def test_connection_dropped_mid_sync_loses_nothing(
    mail_user: Any, dovecot: Any, account_config: Path, tmp_path: Path
) -> None:
    for m in support_mailbox(700, replies=False):
        mail_user.append("INBOX", m.raw)
    settings = load_settings(account_config)
    account = settings.account(None)
    killed: list[int] = []

    def progress(p: SyncProgress) -> None:
        if p.phase == "headers" and p.done >= 500 and not killed:
            killed.append(p.done)
            dovecot.kill_imap_processes(mail_user.username)

    with Service.open(settings, account, tmp_path / "d") as service:
        result = service.sync(progress)
        assert killed, "the connection was never cut"
        assert service.count_threads() == 700
        first = service.list_threads()[0]
        service.edit_tags(first.id, ["team:billing"])
    with Service.open(settings, account, tmp_path / "d") as service:
        dovecot_killer = {"done": False}

        def cut_during_push(p: SyncProgress) -> None:
            if p.phase == "push" and not dovecot_killer["done"]:
                dovecot_killer["done"] = True
                dovecot.kill_imap_processes(mail_user.username)

        result = service.sync(cut_during_push)
        assert result.pending == 0 and result.pushed == 1
    assert sum("team:billing" in f for f in mail_user.flags("INBOX").values()) == 1


def test_outbox_survives_kill_9_of_the_cli(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    _seed(mail_user, 2)
    data = tmp_path / "data"
    c = Cli(account_config, data)
    c("sync")
    tid = c.json("threads")[0]["id"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = [
        sys.executable,
        "-m",
        "supportmail.tui",
        "--config",
        str(account_config),
        "--data-dir",
        str(data),
    ]
    done = subprocess.run(
        [*base, "tag", tid, "+team:accounts"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    # a sync killed with SIGKILL at once: the edit must still be pending or already on the server
    proc = subprocess.Popen(
        [*base, "sync"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    on_server = any("team:accounts" in f for f in mail_user.flags("INBOX").values())
    with Service.open(
        load_settings(account_config), load_settings(account_config).account(None), data
    ) as s:
        pending = [e.keyword for e in s.userdb.outbox(s.account)]
    assert on_server or pending == ["team:accounts"]
    c("sync")
    assert any("team:accounts" in f for f in mail_user.flags("INBOX").values())
    assert c.json("show", tid)["tags"] == ["team:accounts"]


def test_cli_errors_are_one_line(mail_user: Any, cli: Cli, tmp_path: Path) -> None:
    _seed(mail_user, 1)
    cli("sync")
    code, _, err = cli("show", "ffffffffff", ok=False)
    assert code == 1 and err.count("\n") == 1 and "no thread matches" in err
    code, _, err = cli("threads", "--since", "blah", ok=False)
    assert code == 2 and err.count("\n") == 1
    tid = cli.json("threads")[0]["id"]
    code, _, err = cli("tag", tid, "+" + "x" * 60, ok=False)
    assert code == 2 and "too long" in err and err.count("\n") == 1  # a usage mistake
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[accounts.x]\nhost = "mail.example.com"\ntls = "none"\nusername = "u"\n'
        'password_command = "printf x"\n',
        encoding="utf-8",
    )
    code, _, err = Cli(bad, tmp_path / "x")("threads", ok=False)
    assert code == 2 and str(bad) in err and err.count("\n") == 1


def test_since_search_untagged_and_notes(mail_user: Any, cli: Cli) -> None:
    _seed(mail_user, 5)
    cli("sync")
    all_threads = cli.json("threads")
    assert len(cli.json("threads", "--since", "2026-05-01")) == 5
    assert cli.json("threads", "--since", "2030-01-01") == []
    hits = cli.json("threads", "--search", "charged twice")
    assert hits and all("charged twice" in t["subject"] for t in hits)
    tid = all_threads[0]["id"]
    cli("tag", tid, "+team:billing", "+category:billing")
    untagged = cli.json("threads", "--untagged")
    assert tid not in [t["id"] for t in untagged] and len(untagged) == 4
    cli("note", tid, "Refund approved by Maya")
    assert cli.json("show", tid)["note"] == "Refund approved by Maya"
    assert [t["has_note"] for t in cli.json("threads") if t["id"] == tid] == [True]
    cli("note", tid, "--clear")
    assert cli.json("show", tid)["note"] is None
    tags = {t["name"]: t for t in cli.json("tags")}
    assert tags["team:billing"]["threads"] == 1 and tags["category:bug"]["threads"] == 0
    assert tags["category:billing"]["keyword"] == "category:billing"


def test_tag_push_while_offline_keeps_the_edit(mail_user: Any, cli: Cli, tmp_path: Path) -> None:
    _seed(mail_user, 1)
    cli("sync")
    tid = cli.json("threads")[0]["id"]
    offline_config = tmp_path / "offline.toml"
    offline_config.write_text(
        cli.config.read_text(encoding="utf-8").replace(f"port = {mail_user.port}", "port = 1"),
        encoding="utf-8",
    )
    offline = Cli(offline_config, cli.data)
    code, out, err = offline("tag", tid, "+team:billing", "--push", ok=False)
    assert code == 1 and "saved locally, not pushed" in err and err.count("\n") == 1
    assert offline.json("threads")[0]["pending_tags"] == ["team:billing"]
    code, _, err = offline("sync", ok=False)
    assert code == 1 and err.count("\n") == 1 and "sync failed" in err
    _, out, _ = cli("sync")
    assert "1 tag edit pushed" in out
    assert any("team:billing" in f for f in mail_user.flags("INBOX").values())


def test_sync_without_condstore_diffs_flags(
    mail_user: Any, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server without CONDSTORE: every sync compares all flags and still sees every change."""
    from supportmail.storage.imap import ImapConnection

    monkeypatch.setattr(ImapConnection, "condstore", property(lambda self: False))
    _seed(mail_user, 3)
    cli("sync")
    uids = sorted(mail_user.flags("INBOX"))
    mail_user.set_flags("INBOX", [uids[0]], ["category:praise"], add=True)
    mail_user.set_flags("INBOX", [uids[1]], ["\\Seen"], add=True)
    _, out, _ = cli("sync")
    assert "2 changed" in out
    threads = cli.json("threads")
    assert sum(t["unread"] for t in threads) == len(uids) - 1
    assert [t["tags"] for t in threads if t["tags"]] == [["category:praise"]]
    tid = threads[-1]["id"]
    cli("tag", tid, "+team:editor")
    _, out, _ = cli("sync")
    assert "0 changed" in out and "1 tag edit pushed" in out


def test_mark_read_and_unread_are_explicit(mail_user: Any, cli: Cli) -> None:
    _seed(mail_user, 2)
    cli("sync")
    tid = cli.json("threads")[0]["id"]
    cli("show", tid)
    assert all("\\Seen" not in f for f in mail_user.flags("INBOX").values())
    cli("read", tid)
    assert [t["unread"] for t in cli.json("threads") if t["id"] == tid] == [0]
    _, out, _ = cli("sync")
    assert "1 tag edit pushed" in out
    seen = [uid for uid, f in mail_user.flags("INBOX").items() if "\\Seen" in f]
    assert len(seen) >= 1
    cli("unread", tid)
    cli("sync")
    assert all("\\Seen" not in f for f in mail_user.flags("INBOX").values())
    assert [t["unread"] for t in cli.json("threads") if t["id"] == tid] != [0]


def test_a_first_sync_rebuilds_thread_rows_once_at_the_end_and_gets_them_right(
    mail_user: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first sync threads chunk by chunk but rebuilds the thread rows once at the end (the
    first chunk's at once, for the first screen); the rows equal threading everything."""
    from supportmail.storage.sync import headers as sync

    monkeypatch.setattr(sync, "FIRST_CHUNK", 5)
    monkeypatch.setattr(sync, "CHUNK", 7)
    mail_user.create_folder("Sent")
    for m in support_mailbox(30, replies=True):
        mail_user.append(m.folder, m.raw)
    config = tmp_path / "config.toml"
    config.write_text(
        "[accounts.support]\n"
        f'host = "{mail_user.host}"\nport = {mail_user.port}\ntls = "none"\n'
        f'username = "{mail_user.username}"\npassword_command = "printf {mail_user.password}"\n'
        'folders = ["INBOX", "Sent"]\n'
    )
    settings = load_settings(config)
    service = Service.open(settings, settings.account(None), tmp_path / "data")
    listed: list[int] = []

    def progress(step: SyncProgress) -> None:
        if step.phase == "threads" and step.folder == "INBOX":
            listed.append(service.count_threads())

    try:
        result = service.sync(progress)
        assert result.new > 30
        db = service.cache._db
        assert 0 < listed[0] < 30  # the first chunk's threads were listable at once
        assert db.execute("SELECT count(*) FROM dirty_threads").fetchone()[0] == 0
        synced = db.execute("SELECT * FROM threads ORDER BY root").fetchall()
        service.cache.rethread_all("support")
        assert db.execute("SELECT * FROM threads ORDER BY root").fetchall() == synced
        assert len(synced) == 30
    finally:
        service.close()


class _Terminal(io.StringIO):
    """stderr as a terminal (``sync`` shows its progress only there)."""

    def isatty(self) -> bool:
        return True


def test_progress_on_a_narrow_terminal_leaves_nothing_behind(
    mail_user: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each progress line clears the one before and fits the terminal's width: on 30 columns
    ``Support Queue/Incoming from customers: 2/2 headers`` wrapped, and the carriage return
    that replaces it went back only to its last row, leaving the rest on screen; a shorter
    line after a longer one kept the longer one's tail."""
    long_name = "Support Queue/Incoming from customers"
    mail_user.create_folder(long_name)
    _seed(mail_user, threads=3)
    for m in support_mailbox(2, replies=False):
        if m.folder == "INBOX":
            mail_user.append(long_name, m.raw.replace(b"Message-ID: <", b"Message-ID: <q-"))
    config = tmp_path / "narrow.toml"
    config.write_text(
        "[accounts.support]\n"
        f'host = "{mail_user.host}"\nport = {mail_user.port}\ntls = "none"\n'
        f'username = "{mail_user.username}"\n'
        f'password_command = "printf {mail_user.password}"\n'
        f'folders = ["{long_name}", "INBOX"]\n'
    )
    monkeypatch.setenv("COLUMNS", "30")
    monkeypatch.setenv("LINES", "10")
    err = _Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    out = io.StringIO()
    code = run(["--config", str(config), "--data-dir", str(tmp_path / "data"), "sync"], out)
    monkeypatch.undo()
    assert code == 0, err.getvalue()
    written = err.getvalue()
    assert "headers" in written and "bodies" in written
    assert "\n" not in written
    for shown in written.split("\r")[1:]:
        assert shown.startswith("\x1b[K"), repr(shown)  # the line before is cleared
        assert len(shown.removeprefix("\x1b[K")) < 30, repr(shown)  # no wrap
    assert written.endswith("\r\x1b[K")
