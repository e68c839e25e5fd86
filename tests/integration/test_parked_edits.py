"""A tag edit whose thread vanished from the server is parked, listed, and pushed when it returns.

Real Dovecot. Another client (an ``imapclient`` connection of its own) expunges the thread the
user tagged before the edit was pushed. The next complete sync parks the edit: it stops counting
as pending ("1 pending" forever was the bug), the summary says so once, ``tags --parked`` lists
it (and ``tags`` under its own heading, as ``notes`` lists unmatched notes). When the messages are
appended again (same Message-IDs, new UIDs) the next sync pushes the edit: the keyword is on the
server. kill -9 at each step of that life: ``tests/faults/test_kill9_parked.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient

from supportmail.storage.service import Service
from supportmail.storage.settings import load_settings
from supportmail.storage.threads import thread_id
from tests.command import account_config, run_cli
from tests.mailgen import GenMessage, support_mailbox

pytestmark = pytest.mark.dovecot

TAG = "team:billing"
PARKED_LINE = "1 tag edit parked: its thread is no longer on the server"


def _config(user: Any, path: Path, folders: tuple[str, ...] = ("INBOX",)) -> Path:
    return account_config(user, path, folders)


@pytest.fixture
def config(mail_user: Any, tmp_path: Path) -> Path:
    return _config(mail_user, tmp_path / "parked.toml")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def cli(config: Path, data: Path, *args: str) -> str:
    code, out, err = run_cli(config, data, *args)
    assert code == 0, (code, out, err)
    return out


def open_service(config: Path, data: Path) -> Service:
    settings = load_settings(config)
    return Service.open(settings, settings.account(None), data)


@pytest.fixture
def other_client(mail_user: Any) -> Iterator[IMAPClient]:
    """A second client on the same mailbox (a teammate's, or an admin's)."""
    client = IMAPClient(mail_user.host, port=mail_user.port, ssl=False, timeout=30)
    client.login(mail_user.username, mail_user.password)
    try:
        yield client
    finally:
        client.logout()


def expunge_by_message_id(client: IMAPClient, folder: str, message_id: str) -> None:
    client.select_folder(folder)
    uids = client.search(["HEADER", "Message-ID", message_id])
    assert uids, f"{message_id} is not in {folder}"
    client.delete_messages(uids)
    client.uid_expunge(uids)
    assert client.search(["HEADER", "Message-ID", message_id]) == []


def keywords_of(user: Any, folder: str = "INBOX") -> set[str]:
    return {kw for flags in user.flags(folder).values() for kw in flags}


def mailbox(threads: int) -> list[GenMessage]:
    return [m for m in support_mailbox(threads, replies=False) if m.folder == "INBOX"]


def test_edit_on_a_thread_expunged_elsewhere_is_parked_listed_and_pushed_when_it_returns(
    mail_user: Any, other_client: IMAPClient, config: Path, data: Path
) -> None:
    messages = mailbox(3)
    gone = messages[1]
    for m in messages:
        mail_user.append("INBOX", m.raw)
    cli(config, data, "sync")
    tid = thread_id(gone.message_id)
    cli(config, data, "tag", tid, f"+{TAG}")  # not pushed: it waits in the outbox
    expunge_by_message_id(other_client, "INBOX", gone.message_id)

    out = cli(config, data, "sync")
    assert "1 gone" in out and PARKED_LINE in out and "pending" not in out, out
    with open_service(config, data) as service:
        assert service.pending_count() == 0
        [parked] = service.parked_edits()
        assert (parked.thread_id, parked.root_message_id) == (tid, gone.message_id)
        assert (parked.tag, parked.add, parked.what) == (TAG, True, f"+{TAG}")
        assert parked.message_ids == (gone.message_id,)
    listed = cli(config, data, "tags", "--parked")
    assert listed.startswith("Parked tag edits (thread no longer on the server")
    assert f"{tid}  +{TAG}" in listed and f"<{gone.message_id}>" in listed
    [entry] = json.loads(cli(config, data, "tags", "--parked", "--json"))
    assert entry["thread_id"] == tid and entry["tag"] == TAG and entry["add"] is True
    assert entry["message_ids"] == [gone.message_id] and entry["parked"]
    assert "\nParked tag edits" in cli(config, data, "tags")  # below the catalog
    assert all(t["name"] != "Parked" for t in json.loads(cli(config, data, "tags", "--json")))

    # Said once: the next sync neither counts it as pending nor parks it again.
    out = cli(config, data, "sync")
    assert "parked" not in out and "pending" not in out, out
    assert TAG not in keywords_of(mail_user)

    mail_user.append("INBOX", gone.raw)  # back (a restore): same Message-ID, a new UID
    out = cli(config, data, "sync")
    assert "1 new" in out and "1 tag edit pushed" in out, out
    assert "1 parked tag edit pushed again: its thread is back on the server" in out
    assert "pending" not in out
    flags = mail_user.flags("INBOX")
    assert [TAG in f for _uid, f in sorted(flags.items())] == [False, False, True]
    with open_service(config, data) as service:
        assert service.parked_edits() == [] and service.pending_count() == 0
        assert service.userdb.outbox(service.account, parked=None) == []
        back = {t.root_message_id: t for t in service.list_threads(raw=True)}[gone.message_id]
        assert back.tags == (TAG,) and back.pending_tags == ()
    assert cli(config, data, "tags", "--parked") == ""


def test_a_read_mark_and_a_removal_park_too_and_the_rest_of_the_outbox_is_pushed(
    mail_user: Any, other_client: IMAPClient, config: Path, data: Path
) -> None:
    """Two edits on the vanished thread (a removal and a read mark) park together, and an edit
    on a thread still there is pushed in the same sync."""
    messages = mailbox(2)
    mail_user.append("INBOX", messages[0].raw, flags=[TAG])
    mail_user.append("INBOX", messages[1].raw)
    cli(config, data, "sync")
    gone, kept = thread_id(messages[0].message_id), thread_id(messages[1].message_id)
    cli(config, data, "tag", gone, f"-{TAG}")
    cli(config, data, "read", gone)
    cli(config, data, "tag", kept, "+category:bug")
    expunge_by_message_id(other_client, "INBOX", messages[0].message_id)

    out = cli(config, data, "sync")
    assert "1 tag edit pushed" in out and "pending" not in out, out
    assert "2 tag edits parked: their threads are no longer on the server" in out
    listed = cli(config, data, "tags", "--parked").splitlines()
    assert listed[0].startswith("Parked tag edits")
    assert [line.split()[:2] for line in listed[1:]] == [[gone, f"-{TAG}"], [gone, "read"]]
    assert "category:bug" in keywords_of(mail_user)

    mail_user.append("INBOX", messages[0].raw, flags=[TAG])  # back, with the old tag
    out = cli(config, data, "sync")
    assert "2 tag edits pushed" in out and "2 parked tag edits pushed again" in out, out
    [flags] = [f for f in mail_user.flags("INBOX").values() if "category:bug" not in f]
    assert TAG not in flags and "\\Seen" in flags


def test_nothing_is_parked_while_a_folder_is_missing_or_by_a_push_alone(
    mail_user: Any, other_client: IMAPClient, tmp_path: Path, data: Path
) -> None:
    """A sync that could not pull a configured folder does not know the whole mailbox, and a
    push (``tag --push``) pulls nothing: neither parks; the edit stays pending until a sync
    that pulled every folder."""
    config = _config(mail_user, tmp_path / "two.toml", ("INBOX", "Escalations"))
    mail_user.create_folder("Escalations")
    messages = mailbox(2)
    for m in messages:
        mail_user.append("INBOX", m.raw)
    cli(config, data, "sync")
    gone = thread_id(messages[0].message_id)
    cli(config, data, "tag", gone, f"+{TAG}")
    expunge_by_message_id(other_client, "INBOX", messages[0].message_id)
    mail_user.delete_folder("Escalations")

    out = cli_status(config, data, "sync")
    assert "folder not found on server: Escalations" in out and "1 pending" in out, out
    assert "1 gone" in out and "parked" not in out
    cli(config, data, "tag", thread_id(messages[1].message_id), "+category:bug", "--push")
    with open_service(config, data) as service:
        assert service.pending_count() == 1 and service.parked_edits() == []

    mail_user.create_folder("Escalations")
    out = cli(config, data, "sync")
    assert PARKED_LINE in out and "pending" not in out, out


def cli_status(config: Path, data: Path, *args: str) -> str:
    """``cli`` for a command that exits 3 (it ran; the summary says what needs attention)."""
    code, out, err = run_cli(config, data, *args)
    assert code == 3, (code, out, err)
    return out


def test_a_push_before_the_next_pull_does_not_call_an_edit_on_expunged_messages_pushed(
    mail_user: Any, other_client: IMAPClient, config: Path, data: Path
) -> None:
    """``tag --push`` on a thread another client expunged since the last sync: the cache still
    lists it, and the server answers a ``UID STORE`` on expunged UIDs with OK. The push asks
    which UIDs exist, so the edit is not called pushed (and dropped) but stays pending; the
    next sync parks it, and it is stored once the thread is back."""
    messages = mailbox(2)
    for m in messages:
        mail_user.append("INBOX", m.raw)
    cli(config, data, "sync")
    gone = messages[0]
    expunge_by_message_id(other_client, "INBOX", gone.message_id)

    out = cli(config, data, "tag", thread_id(gone.message_id), f"+{TAG}", "--push")
    assert "1 edit(s) pending until the next sync" in out, out
    out = cli(config, data, "sync")
    assert PARKED_LINE in out and "pending" not in out, out
    mail_user.append("INBOX", gone.raw)
    out = cli(config, data, "sync")
    assert "1 parked tag edit pushed again" in out, out
    assert TAG in keywords_of(mail_user)
    # A push of a thread that is there still stores at once.
    out = cli(config, data, "tag", thread_id(messages[1].message_id), "+category:bug", "--push")
    assert "(pushed)" in out and "category:bug" in keywords_of(mail_user)
