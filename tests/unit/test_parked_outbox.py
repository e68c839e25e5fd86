"""Parked tag edits in the userdb's outbox (``storage.user.tag_outbox``), the words a sync says
about them (``SyncResult.parked_text``) and how ``ParkedEdit`` names an edit. The sync that parks
and unparks them runs against Dovecot in ``tests/integration/test_parked_edits.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportmail.storage.models import SyncResult
from supportmail.storage.service import ParkedEdit
from supportmail.storage.user.db import UserDB


@pytest.fixture
def db(tmp_path: Path) -> Iterator[UserDB]:
    with UserDB(tmp_path / "data" / "userdb.json") as userdb:
        yield userdb


def test_a_parked_edit_leaves_the_pending_list_and_comes_back_unparked(db: UserDB) -> None:
    edit = db.outbox_put("a", "root@x", ["root@x", "reply@x"], "team:billing", True)
    other = db.outbox_put("a", "other@x", ["other@x"], "category:bug", True)
    assert db.outbox_park(edit, when=1000.0)
    assert db.outbox("a") == [other]
    [parked] = db.outbox("a", parked=True)
    assert (parked.seq, parked.parked, parked.message_ids) == (edit.seq, 1000.0, edit.message_ids)
    assert [e.seq for e in db.outbox("a", parked=None)] == [edit.seq, other.seq]
    assert not db.outbox_park(parked)  # parked already
    assert db.outbox_unpark(parked)
    assert not db.outbox_unpark(parked)  # pending already
    assert [e.seq for e in db.outbox("a")] == [edit.seq, other.seq]
    assert db.outbox("a", parked=True) == []
    assert db.outbox_ack(edit)  # the same seq throughout: the push acknowledges it
    assert db.outbox("a", parked=None) == [other]


def test_parking_is_kept_on_disk_and_a_newer_edit_replaces_a_parked_one(
    db: UserDB, tmp_path: Path
) -> None:
    edit = db.outbox_put("a", "root@x", ["root@x"], "team:billing", True)
    assert db.outbox_park(edit, when=1234.5)
    stored = json.loads((tmp_path / "data" / "userdb.json").read_text())["outbox"]
    assert [doc["parked"] for doc in stored.values()] == [1234.5]
    with UserDB(tmp_path / "data" / "userdb.json") as again:  # another process, later
        assert again.outbox("a") == [] and len(again.outbox("a", parked=True)) == 1
    newer = db.outbox_put("a", "root@x", ["new@x"], "TEAM:billing", False)
    assert not db.outbox_park(edit) and not db.outbox_unpark(edit)  # replaced: seq changed
    [pending] = db.outbox("a")
    assert pending == newer and pending.parked is None
    assert pending.message_ids == ("root@x", "new@x") and db.outbox("a", parked=True) == []


def test_pending_keywords_include_parked_edits_for_when_their_messages_return(
    db: UserDB,
) -> None:
    edit = db.outbox_put("a", "root@x", ["root@x"], "team:billing", False)
    db.outbox_park(edit)
    assert db.pending_keywords("a") == {"root@x": {"team:billing": False}}


def test_the_summary_says_what_was_parked_and_what_came_back() -> None:
    assert SyncResult("s").parked_text() == ""
    one = SyncResult("s", parked=1).summary_line()
    assert one.endswith(
        "; 1 tag edit parked: its thread is no longer on the server "
        "(kept; `supportmail tags --parked` lists it)"
    )
    two = SyncResult("s", parked=2, unparked=3).parked_text()
    assert "2 tag edits parked: their threads are no longer on the server" in two
    assert "lists them" in two
    assert two.endswith("; 3 parked tag edits pushed again: their threads are back on the server")
    assert "pending" not in SyncResult("s", parked=1).summary_line()


@pytest.mark.parametrize(
    ("keyword", "tag", "add", "what"),
    [
        ("team:billing", "team:billing", True, "+team:billing"),
        ("category:bug", "category:bug", False, "-category:bug"),
        ("\\Seen", None, True, "read"),
        ("\\seen", None, False, "unread"),
        ("$Junk", None, True, "+$Junk"),
    ],
)
def test_a_parked_edit_names_what_it_does(
    keyword: str, tag: str | None, add: bool, what: str
) -> None:
    edit = ParkedEdit("t", "r@x", keyword, tag, add, ("r@x",), datetime(2026, 1, 1, tzinfo=UTC))
    assert edit.what == what


def test_a_parked_edit_is_sanitised_for_the_terminal() -> None:
    edit = ParkedEdit(
        "t", "r\x1b[31m@x", "kw", None, True, ("a\x07@x",), datetime(2026, 1, 1, tzinfo=UTC)
    ).sanitized()
    assert "\x1b" not in edit.root_message_id and "\x07" not in edit.message_ids[0]
