"""kill -9 (and a cut connection) in the middle of the body mirror: nothing stored is lost,
nothing stored is fetched again. The CLI's ``sync`` is SIGKILLed when ``Cache.save_bodies`` is
entered for the Nth time (``tests/faults/die_at.py``): before any chunk was written, after the
first one, and after the second. What was committed stays, indexed for search; the next sync
fetches exactly the UIDs that have no body (counted through ``ImapConnection.fetch_whole``) and
the mirror is complete. A connection cut while whole messages stream in is retried by the sync.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.imap import ImapConnection
from supportmail.storage.models import ThreadQuery
from supportmail.storage.service import CACHE_FILE, Service
from supportmail.storage.settings import load_settings
from tests.dovecot import MailUser
from tests.faults.kill_rounds import ROOT, app_env
from tests.faults.proxy import Fault, FaultProxy
from tests.mailgen import message

pytestmark = pytest.mark.dovecot

MESSAGES = 2600
"""Three chunks: the small first one (200), a full one (2000) and the rest."""


def _seed(user: MailUser) -> None:
    now = datetime.now(UTC)
    user.seed(
        "INBOX",
        (
            message(
                message_id=f"k{n}@customer.example",
                subject=f"Ticket {n}",
                sender=f"Customer {n} <c{n}@customer.example>",
                to="support@plotline.example",
                date=now - timedelta(minutes=MESSAGES - n),
                body=f"Words of ticket {n}: kiwiword{n}x.\n",
            )
            for n in range(MESSAGES)
        ),
    )


def _stored(data: Path) -> dict[int, str]:
    """UID -> body text of the INBOX rows that have a body."""
    with closing(sqlite3.connect(data / "support" / CACHE_FILE)) as db:
        rows = db.execute(
            "SELECT m.uid, b.text FROM messages m JOIN bodies b ON b.message = m.id"
        ).fetchall()
    return dict(rows)


def _die_at(config: Path, data: Path, nth: int) -> None:
    argv = [sys.executable, "-m", "tests.faults.die_at", "save_bodies", str(nth)]
    argv += ["--config", str(config), "--data-dir", str(data), "sync"]
    done = subprocess.run(
        argv, cwd=ROOT, env=app_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == -signal.SIGKILL, f"exit {done.returncode}\n{done.stderr}"


@pytest.mark.parametrize(("nth", "committed"), [(1, 0), (2, 200), (3, 2200)])
def test_kill9_mid_mirror_loses_nothing_and_resumes_without_refetching(
    nth: int,
    committed: int,
    mail_user: MailUser,
    account_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _seed(mail_user)
    data = tmp_path / "data"
    _die_at(account_config, data, nth)
    before = _stored(data)
    assert len(before) == committed
    # Newest first: what was committed is the newest messages.
    assert sorted(before) == list(range(MESSAGES - committed + 1, MESSAGES + 1))
    settings = load_settings(account_config)
    if before:
        newest = MESSAGES - 1
        with Service.open(settings, settings.account("support"), data) as service:
            hits = service.list_threads(ThreadQuery(search=f"kiwiword{newest}x"))
            assert [t.subject for t in hits] == [f"Ticket {newest}"]

    fetched: list[int] = []
    original = ImapConnection.fetch_whole

    def counting(self: ImapConnection, uids: Any) -> dict[int, bytes]:
        got = original(self, uids)
        fetched.extend(got)
        return got

    monkeypatch.setattr(ImapConnection, "fetch_whole", counting)
    with Service.open(settings, settings.account("support"), data) as service:
        result = service.sync()
        assert result.bodies == MESSAGES - committed
        oldest = service.list_threads(ThreadQuery(search="kiwiword0x"))
        assert [t.subject for t in oldest] == ["Ticket 0"]
    assert len(fetched) == len(set(fetched)) == MESSAGES - committed
    assert not set(fetched) & set(before)
    after = _stored(data)
    assert len(after) == MESSAGES
    assert all(after[uid] == text for uid, text in before.items())


def test_a_cut_mid_mirror_reconnects_and_fetches_each_message_once(
    mail_user: MailUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection is cut while whole messages stream in: the sync's retry reconnects, the
    mirror resumes from its work list, and every body is stored; no fetch that completed is
    repeated (the chunk that was cut is fetched again, as a whole)."""
    _seed(mail_user)
    with FaultProxy(mail_user.host, mail_user.port) as proxy:
        config = tmp_path / "proxied.toml"
        config.write_text(
            "[accounts.support]\n"
            'host = "127.0.0.1"\n'
            f"port = {proxy.port}\n"
            'tls = "none"\n'
            f'username = "{mail_user.username}"\n'
            f'password_command = "printf {mail_user.password}"\n'
            "timeout = 5\n"
        )
        data = tmp_path / "data"
        settings = load_settings(config)
        with Service.open(settings, settings.account("support"), data) as service:
            service.sync(bodies=False)
        fetched: list[int] = []
        original = ImapConnection.fetch_whole

        def counting(self: ImapConnection, uids: Any) -> dict[int, bytes]:
            got = original(self, uids)
            fetched.extend(got)
            return got

        monkeypatch.setattr(ImapConnection, "fetch_whole", counting)
        # The second chunk's FETCH (the first one asks for the newest 200 only).
        proxy.arm(Fault("cut", after_client=rb"BODY\.PEEK\[\]", after_server_bytes=150_000))
        with Service.open(settings, settings.account("support"), data) as service:
            result = service.sync()
        assert proxy.fired.is_set() and proxy.connections >= 3
    assert result.bodies == len(fetched) == len(set(fetched)) == MESSAGES
    assert len(_stored(data)) == MESSAGES


def _indexed(data: Path) -> tuple[int, int, list[str]]:
    """(cached rows, rows in the search index, the index's meta keys)."""
    with closing(sqlite3.connect(data / "support" / CACHE_FILE)) as db:
        db.execute("ATTACH DATABASE ? AS search", (str(data / "support" / "search.sqlite3"),))
        rows = db.execute("SELECT count(*) FROM messages").fetchone()[0]
        indexed = db.execute("SELECT count(*) FROM search.fts").fetchone()[0]
        keys = [r[0] for r in db.execute("SELECT key FROM search.meta")]
    return rows, indexed, keys


def test_a_first_sync_killed_mid_mirror_leaves_no_subject_unsearchable(
    mail_user: MailUser, account_config: Path, tmp_path: Path
) -> None:
    """A first sync indexes each message once, with its body (storage.cache.searchindex): a
    kill after the first chunk leaves the older messages unindexed, and the next sync, even a
    headers-only one, makes every one of them searchable by subject and people again."""
    _seed(mail_user)
    data = tmp_path / "data"
    _die_at(account_config, data, 2)
    rows, indexed, keys = _indexed(data)
    assert (rows, indexed, keys) == (MESSAGES, 200, ["deferred"])
    settings = load_settings(account_config)
    with Service.open(settings, settings.account("support"), data) as service:
        result = service.sync(bodies=False)
        assert result.bodies is None or result.bodies == 0
        hits = service.list_threads(ThreadQuery(search="Ticket 7"))
        assert "Ticket 7" in [t.subject for t in hits]
    assert _indexed(data) == (MESSAGES, MESSAGES, [])
    with Service.open(settings, settings.account("support"), data) as service:
        assert service.sync().bodies == MESSAGES - 200
        assert [t.subject for t in service.list_threads(ThreadQuery(search="kiwiword7x"))] == [
            "Ticket 7"
        ]
    assert _indexed(data) == (MESSAGES, MESSAGES, [])
