"""``threads --search TEXT --server`` against the real Dovecot: the server finds what is not local.

Every test syncs a small mailbox, then forgets the cached bodies (rows and indexed text), as a
headers-only sync or ``bodies = "none"`` leaves the cache whether or not the body mirror ran; a
word that is only in a body is then found by ``--server`` and not by the local search. Dovecot
offers ESEARCH; the plain ``* SEARCH`` path runs with the capability hidden on the connection.
"""

from __future__ import annotations

import dataclasses
import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage import serversearch
from supportmail.storage.imap import ImapConnection
from supportmail.storage.service import Service
from supportmail.storage.settings import load_settings
from tests.integration.test_cli_sync import Cli
from tests.mailgen import TEAM, message

pytestmark = pytest.mark.dovecot

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
BODY_ONLY = "quetzalcoatl"
UMLAUT = "Überweisung"
CJK = "发票报销单"


def _mail(n: int, subject: str, body: str, *, reply_to: int | None = None) -> bytes:
    return message(
        message_id=f"m{n}@acme.example" if reply_to is None else f"m{n}.r@acme.example",
        subject=subject if reply_to is None else f"Re: {subject}",
        sender=f"Customer {n} <c{n}@acme.example>",
        to=TEAM,
        date=T0 + timedelta(hours=n),
        body=body,
        in_reply_to=None if reply_to is None else f"m{reply_to}@acme.example",
        references=() if reply_to is None else (f"m{reply_to}@acme.example",),
    )


MAILBOX = [
    (1, "Cannot export", f"Hi,\n\nthe export breaks with {BODY_ONLY} in the log.\n"),
    (2, "Payment question", f"Hallo,\n\ndie {UMLAUT} ist nicht angekommen. Größe egal.\n"),
    (3, "Invoice", f"您好，\n\n我需要{CJK}。\n"),
    (4, "Dark mode", "Please add dark mode, the sharedword is everywhere.\n"),
    (5, "Gantt view", "A gantt view would be great; sharedword again.\n"),
    (6, "Login", f"I cannot log in. sharedword, {UMLAUT}, Größe.\n"),
]


def forget_bodies(data: Path) -> None:
    """Drop every cached body and its indexed text (as if bodies were never fetched)."""
    service = Service(
        account="support", data_dir=data / "support", folders=("INBOX",), connector=None
    )
    with service, service.cache.transaction(search=True) as db:
        db.execute("DELETE FROM bodies")
        db.execute("UPDATE fts SET body='' WHERE body != ''")


@pytest.fixture
def synced(mail_user: Any, cli: Cli) -> Cli:
    for n, subject, body in MAILBOX:
        mail_user.append("INBOX", _mail(n, subject, body))
    mail_user.append("INBOX", _mail(7, "Login", "Still broken.\n", reply_to=6))
    cli("sync")
    forget_bodies(cli.data)
    return cli


@pytest.fixture
def cli(account_config: Path, tmp_path: Path) -> Cli:
    return Cli(account_config, tmp_path / "machine-a")


def _subjects(rows: list[dict[str, Any]]) -> list[str]:
    return [r["subject"] for r in rows]


def test_a_word_only_in_a_body_is_found_on_the_server_not_locally(synced: Cli) -> None:
    assert synced.json("threads", "--search", BODY_ONLY) == []
    rows = synced.json("threads", "--search", BODY_ONLY, "--server")
    assert _subjects(rows) == ["Cannot export"]
    assert rows == [r for r in synced.json("threads") if r["subject"] == "Cannot export"]
    code, out, err = synced("threads", "--search", BODY_ONLY, "--server")
    assert code == 0 and err == ""
    assert "Cannot export" in out and len(out.splitlines()) == 1


def test_non_ascii_words_go_as_utf8_literals(synced: Cli) -> None:
    assert synced.json("threads", "--search", UMLAUT) == []
    assert _subjects(synced.json("threads", "--search", UMLAUT, "--server")) == [
        "Login",
        "Payment question",
    ]
    assert _subjects(synced.json("threads", "--search", CJK, "--server")) == ["Invoice"]
    # two non-ASCII words: one command each, intersected; with an ASCII word beside them
    both = synced.json("threads", "--search", f"Größe {UMLAUT} sharedword", "--server")
    assert _subjects(both) == ["Login"]


def test_every_word_must_match_and_filters_and_limit_apply(synced: Cli) -> None:
    shared = synced.json("threads", "--search", "sharedword", "--server")
    assert _subjects(shared) == ["Login", "Gantt view", "Dark mode"]  # newest activity first
    assert shared[0]["messages"] == 2
    limited = synced.json("threads", "--search", "sharedword", "--server", "--limit", "2")
    assert limited == shared[:2]
    assert _subjects(synced.json("threads", "--search", "sharedword gantt", "--server")) == [
        "Gantt view"
    ]
    synced("tag", shared[1]["id"], "+category:feature-request")
    tagged = synced.json(
        "threads", "--search", "sharedword", "--server", "--tag", "category:feature-request"
    )
    assert _subjects(tagged) == ["Gantt view"]
    since = synced.json(
        "threads", "--search", "sharedword", "--server", "--since", "2026-10-01T14:30+00:00"
    )
    assert _subjects(since) == ["Login"]


def test_matches_the_cache_does_not_know_are_counted(mail_user: Any, synced: Cli) -> None:
    mail_user.append("INBOX", _mail(8, "New one", f"Another {BODY_ONLY}.\n"))
    mail_user.append("INBOX", _mail(9, "Newer one", f"And {BODY_ONLY} again.\n"))
    code, out, err = synced("threads", "--search", BODY_ONLY, "--server", "--json")
    assert code == 0 and _subjects(json.loads(out)) == ["Cannot export"]
    assert err.splitlines() == [
        "supportmail: 2 matches on the server not in the local cache yet: sync first "
        "(`supportmail sync`)"
    ]
    synced("sync")
    assert len(synced.json("threads", "--search", BODY_ONLY, "--server")) == 3


@pytest.fixture
def service(synced: Cli, account_config: Path) -> Iterator[Service]:
    settings = load_settings(account_config)
    with Service.open(settings, settings.account(None), synced.data) as service:
        yield service


def _hide_esearch(service: Service) -> list[ImapConnection]:
    """Make the service's interactive session (the one server searches use, kept between
    calls) look like a server without ESEARCH."""

    def without_esearch(conn: ImapConnection) -> ImapConnection:
        conn._capabilities = conn.capabilities - {"ESEARCH"}
        return conn

    return [service.on_server(without_esearch)]


@pytest.mark.parametrize("text", ["sharedword", UMLAUT, f"Größe {UMLAUT}", "nothing-matches"])
def test_esearch_and_plain_search_agree(service: Service, text: str) -> None:
    with_esearch = service.search_server(text)
    assert with_esearch.esearch  # Dovecot offers ESEARCH
    opened = _hide_esearch(service)
    plain = service.search_server(text)
    assert opened and not plain.esearch
    assert dataclasses.replace(plain, esearch=True) == with_esearch


def test_big_folders_are_searched_by_uid_ranges(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = service.search_server("sharedword")
    monkeypatch.setattr(serversearch, "SINGLE_MAX", 2)
    monkeypatch.setattr(serversearch, "SPAN", 3)
    assert service.search_server("sharedword") == whole
    _hide_esearch(service)
    assert dataclasses.replace(service.search_server("sharedword"), esearch=True) == whole


def test_a_missing_folder_is_said_and_the_others_searched(mail_user: Any, tmp_path: Path) -> None:
    config = tmp_path / "two.toml"
    config.write_text(
        "[accounts.support]\n"
        f'host = "{mail_user.host}"\nport = {mail_user.port}\ntls = "none"\n'
        f'username = "{mail_user.username}"\npassword_command = "printf {mail_user.password}"\n'
        'folders = ["INBOX", "Nowhere"]\n'
    )
    mail_user.append("INBOX", _mail(1, "Cannot export", f"with {BODY_ONLY}\n"))
    cli = Cli(config, tmp_path / "two")
    code, out, _err = cli("sync", ok=False)
    assert code == 3 and "folder not found on server: Nowhere" in out  # issue 13: exit 3
    code, out, err = cli("threads", "--search", BODY_ONLY, "--server")
    assert code == 0 and "Cannot export" in out
    assert "no such folder on the server: Nowhere" in err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_offline_is_one_line_and_exit_1(synced: Cli, tmp_path: Path) -> None:
    text = synced.config.read_text()
    port = text.split("port = ")[1].split("\n")[0]
    offline = tmp_path / "offline.toml"
    offline.write_text(text.replace(f"port = {port}", f"port = {_closed_port()}"))
    cli = Cli(offline, synced.data)
    code, out, err = cli("threads", "--search", BODY_ONLY, "--server", ok=False)
    assert code == 1 and out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith("supportmail: server search failed: cannot connect to 127.0.0.1")
    assert cli.json("threads", "--search", "export")  # the local search still works


def test_server_without_search_is_a_usage_error(synced: Cli) -> None:
    code, out, err = synced("threads", "--server", ok=False)
    assert code == 2 and out == ""
    assert err.strip() == (
        "supportmail: error: --server needs --search TEXT (the words to search for on the server)"
    )


def test_the_demo_has_no_server_to_search(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "none.toml", tmp_path / "demo")
    code, _out, err = cli(
        "--account", "demo", "threads", "--search", "export", "--server", ok=False
    )
    assert code == 1 and err.strip() == "supportmail: the demo mailbox has no server to search"


def test_with_bodies_none_only_the_server_finds_body_words(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    """The real flow for mail outside the body window: nothing to forget, it never came."""
    config = tmp_path / "none.toml"
    config.write_text(
        account_config.read_text().replace(
            "[accounts.support]\n", '[accounts.support]\nbodies = "none"\n'
        )
    )
    for n, subject, body in MAILBOX:
        mail_user.append("INBOX", _mail(n, subject, body))
    cli = Cli(config, tmp_path / "none")
    cli("sync")
    assert cli.json("threads", "--search", BODY_ONLY) == []
    assert _subjects(cli.json("threads", "--search", BODY_ONLY, "--server")) == ["Cannot export"]
    thread = cli.json("threads", "--search", "Dark mode")[0]["id"]
    cli("tag", thread, "+category:feature-request", "+team:editor")
    voice = json.loads(cli("voice", "--since", "2026-09-01", "--format", "json")[1])
    assert voice["coverage"] == {"threads": 1, "with_text": 0, "not_mirrored": 1}
    _code, md, _err = cli("voice", "--since", "2026-09-01")
    assert "Quotes from 0 of 1 threads; 1 not mirrored yet." in md
