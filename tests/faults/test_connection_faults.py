"""Connection faults against a real Dovecot, injected by a loopback proxy (``proxy.py``).

Each test points its account at a ``FaultProxy`` in front of the suite's Dovecot, with
``timeout = 2`` so a silent (half-open) connection is noticed fast, then arms one fault: a cut
mid-FETCH, a cut right after the first ``UID STORE``, a stall mid-sync, a server that never answers,
a cut and a stall during IDLE.
What must hold afterwards: the sync resumes by reconnecting (or fails with one line and keeps every
edit in the outbox), nothing is duplicated in the cache, and each tag edit lands exactly once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.imap import ImapConnection, ImapConnectionLost
from supportmail.storage.service import CACHE_FILE, Service
from supportmail.storage.settings import load_settings
from supportmail.storage.tags import encode_keyword
from tests.command import run_cli
from tests.faults.proxy import Fault, FaultProxy
from tests.mailgen import support_mailbox

pytestmark = pytest.mark.dovecot

HEADER_FETCH = rb"BODY\.PEEK\[HEADER"
"""What the client sends when it starts fetching headers (``UID FETCH ... BODY.PEEK[HEADER...``)."""


@pytest.fixture
def proxy(mail_user: Any) -> Iterator[FaultProxy]:
    with FaultProxy(mail_user.host, mail_user.port) as p:
        yield p


@pytest.fixture
def config(mail_user: Any, proxy: FaultProxy, tmp_path: Path) -> Path:
    path = tmp_path / "proxied.toml"
    path.write_text(
        "[accounts.support]\n"
        'host = "127.0.0.1"\n'
        f"port = {proxy.port}\n"
        'tls = "none"\n'
        f'username = "{mail_user.username}"\n'
        f'password_command = "printf {mail_user.password}"\n'
        'folders = ["INBOX"]\n'
        "timeout = 2\n",
        encoding="utf-8",
    )
    return path


def _open(config: Path, data: Path) -> Service:
    settings = load_settings(config)
    return Service.open(settings, settings.account(None), data)


def _cli(config: Path, data: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(config, data, *args)


def _seed(user: Any, threads: int, *, start: int = 0, replies: bool = False) -> int:
    """Append the INBOX messages of threads ``start`` .. ``start + threads - 1``."""
    inbox = [
        m.raw
        for m in support_mailbox(start + threads, replies=replies)
        if m.folder == "INBOX" and m.thread_key >= start
    ]
    count: int = user.seed("INBOX", inbox)
    return count


def _cached_messages(data: Path) -> tuple[int, int]:
    """(rows, distinct (folder, uid)) in the cache's messages table."""
    with sqlite3.connect(data / "support" / CACHE_FILE) as db:
        row = db.execute("SELECT COUNT(*), COUNT(DISTINCT folder || '/' || uid) FROM messages")
        total, distinct = row.fetchone()
    return int(total), int(distinct)


def _tag_threads(service: Service, tags: list[str]) -> dict[str, str]:
    """Tag the newest ``len(tags)`` threads, one tag each; returns root -> keyword."""
    roots = {}
    for summary, tag in zip(service.list_threads(), tags, strict=False):
        service.edit_tags(summary.id, [tag])
        roots[summary.root_message_id] = encode_keyword(tag)
    return roots


def _assert_exactly_on_threads(service: Service, user: Any, roots: dict[str, str]) -> None:
    """Each keyword is on the server on exactly its thread's INBOX messages."""
    flags = user.flags("INBOX")
    for root, keyword in roots.items():
        rows = service.cache.thread_messages(service.account, root)
        expected = {r.uid for r in rows if r.folder == "INBOX"}
        carrying = {uid for uid, f in flags.items() if keyword in f}
        assert expected and carrying == expected, (keyword, carrying, expected)


def test_cut_mid_fetch_during_first_sync(
    mail_user: Any, proxy: FaultProxy, config: Path, tmp_path: Path
) -> None:
    assert _seed(mail_user, 1500) == 1500
    proxy.arm(Fault("cut", after_client=HEADER_FETCH, after_server_bytes=20000))
    with _open(config, tmp_path / "d") as service:
        result = service.sync()
        assert proxy.fired.is_set(), "the connection was never cut"
        assert proxy.connections >= 2
        assert result.errors == ()
        assert service.count_threads() == 1500
    assert _cached_messages(tmp_path / "d") == (1500, 1500)
    code, out, err = _cli(config, tmp_path / "d", "sync")
    assert code == 0, err
    assert "0 new" in out


def test_cut_right_after_first_store_pushes_each_edit_once(
    mail_user: Any, proxy: FaultProxy, config: Path, tmp_path: Path
) -> None:
    _seed(mail_user, 6, replies=True)
    data = tmp_path / "d"
    with _open(config, data) as service:
        service.sync()
        roots = _tag_threads(service, ["team:billing", "category:bug", "team:mobile"])
        assert service.pending_count() == 3
        proxy.arm(Fault("cut", after_client=rb"UID STORE"))
        result = service.sync()
        assert proxy.fired.is_set(), "the connection was never cut"
        assert result.pushed == 3 and result.pending == 0
        assert service.userdb.outbox(service.account) == []
        _assert_exactly_on_threads(service, mail_user, roots)
    code, out, err = _cli(config, data, "sync")
    assert code == 0, err
    assert "0 tag edits pushed" in out


@pytest.mark.timeout(90)
def test_half_open_stall_mid_sync_recovers_by_reconnecting(
    mail_user: Any, proxy: FaultProxy, config: Path, tmp_path: Path
) -> None:
    _seed(mail_user, 200)
    data = tmp_path / "d"
    with _open(config, data) as service:
        service.sync()
        roots = _tag_threads(service, ["team:billing", "category:bug"])
    _seed(mail_user, 600, start=200)
    proxy.arm(Fault("stall", after_client=HEADER_FETCH, after_server_bytes=5000))
    code, out, err = _cli(config, data, "sync")
    assert proxy.fired.is_set(), (code, out, err, proxy.connections)
    assert code == 0, err
    assert "600 new" in out and "2 tag edits pushed" in out
    with _open(config, data) as service:
        assert service.count_threads() == 800
        assert service.pending_count() == 0
        _assert_exactly_on_threads(service, mail_user, roots)


@pytest.mark.timeout(90)
def test_server_that_never_answers_fails_in_one_line_and_keeps_edits(
    mail_user: Any, proxy: FaultProxy, config: Path, tmp_path: Path
) -> None:
    _seed(mail_user, 5)
    data = tmp_path / "d"
    with _open(config, data) as service:
        service.sync()
        roots = _tag_threads(service, ["team:billing", "category:bug"])
    proxy.arm(Fault("stall", persistent=True))
    code, out, err = _cli(config, data, "sync")
    assert proxy.fired.is_set()
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and "did not answer within 2 s" in lines[0], err
    with _open(config, data) as service:
        pending = {e.keyword for e in service.userdb.outbox(service.account)}
    assert pending == set(roots.values())
    assert all(kw not in f for f in mail_user.flags("INBOX").values() for kw in pending)
    proxy.forward()
    code, out, err = _cli(config, data, "sync")
    assert code == 0, err
    assert "2 tag edits pushed" in out


def _idle_connection(user: Any, proxy: FaultProxy) -> ImapConnection:
    conn = ImapConnection("127.0.0.1", proxy.port, "none", user.username, user.password, timeout=2)
    conn.connect()
    conn.select("INBOX")
    return conn


def test_cut_mid_idle_raises_connection_lost(mail_user: Any, proxy: FaultProxy) -> None:
    _seed(mail_user, 2)
    conn = _idle_connection(mail_user, proxy)
    try:
        proxy.arm(Fault("cut", after_client=rb"IDLE"))
        with pytest.raises(ImapConnectionLost):
            conn.idle_wait(5)
        assert proxy.fired.is_set()
        assert not conn.connected
    finally:
        conn.close()


@pytest.mark.timeout(60)
def test_stall_mid_idle_is_noticed_as_connection_lost(mail_user: Any, proxy: FaultProxy) -> None:
    _seed(mail_user, 2)
    conn = _idle_connection(mail_user, proxy)
    try:
        proxy.arm(Fault("stall", after_client=rb"IDLE"))
        with pytest.raises(ImapConnectionLost, match="did not answer within 2 s"):
            conn.idle_wait(1)
        assert proxy.fired.is_set()
    finally:
        conn.close()
