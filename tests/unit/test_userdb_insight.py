"""The userdb's saved quotes, activity log and atomic setting updates: semantics, durability
across a reopen, bounds, and the same locking as every other table (threads and a process)."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportmail.storage.user import journal
from supportmail.storage.user.db import UserDB
from supportmail.storage.user.journal_rows import Activity, StoredQuote
from supportmail.storage.user.records import UserDBError

REPO_ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0
T0 = 1_795_000_000.0

# Another process appending quotes and activity; prints one line per durable call.
WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from supportmail.storage.user.db import UserDB

db = UserDB(Path(sys.argv[2]))
count = int(sys.argv[3])
print("ready", flush=True)
for i in range(count):
    db.add_quote("acct", f"<proc-{i}@x>", f"<m-{i}@x>", f"words {i}", "P", "p@x.example", "")
    db.log_activity("acct", f"<proc-{i}@x>", [("tag", "team:billing")], at=float(i))
    print(i, flush=True)
"""


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "userdb.json"


@pytest.fixture
def db(db_path: Path) -> Iterator[UserDB]:
    database = UserDB(db_path)
    yield database
    database.close()


def _quote(
    db: UserDB, root: str = "<r@x>", text: str = "It broke twice.", **kw: float
) -> StoredQuote:
    return db.add_quote(
        "acct", root, "<m@x>", text, "Anna", "anna@firm.example", "2026-11-20T09:14:00+01:00", **kw
    )


# --- saved quotes -------------------------------------------------------------------------------


def test_quotes_round_trip_and_survive_a_reopen(db: UserDB, db_path: Path) -> None:
    first = _quote(db, created=T0)
    second = _quote(db, "<other@x>", "Second words")
    assert (first.id, second.id) == (1, 2)
    assert first == StoredQuote(
        id=1,
        account="acct",
        root="<r@x>",
        message_id="<m@x>",
        text="It broke twice.",
        who_name="Anna",
        who_addr="anna@firm.example",
        when="2026-11-20T09:14:00+01:00",
        created=T0,
    )
    with UserDB(db_path) as again:
        assert again.quotes("acct") == [first, second]
        assert again.quotes("acct", "<other@x>") == [second]
        assert again.quotes("other-account") == []
    stored = json.loads(db_path.read_text())["quotes"]
    assert [d["text"] for d in stored.values()] == ["It broke twice.", "Second words"]


def test_quote_ids_are_never_reused(db: UserDB, db_path: Path) -> None:
    ids = [_quote(db).id for _ in range(3)]
    assert db.remove_quote("acct", ids[-1]) is True
    assert db.remove_quote("acct", ids[-1]) is False
    assert db.remove_quote("other", ids[0]) is False  # another account's number
    assert _quote(db).id == 4
    with UserDB(db_path) as again:
        assert _quote(again).id == 5
        assert [q.id for q in again.quotes("acct")] == [1, 2, 4, 5]


def test_quote_ids_continue_after_the_counter_is_lost(db: UserDB, db_path: Path) -> None:
    """A hand-edited file without the counter: numbering goes on after the highest id."""
    _quote(db)
    _quote(db)
    data = json.loads(db_path.read_text())
    data["meta"] = {}
    db_path.write_text(json.dumps(data))
    assert _quote(db).id == 3


def test_a_quote_needs_text(db: UserDB) -> None:
    with pytest.raises(UserDBError, match="needs some text"):
        _quote(db, text=" \n\t ")
    assert db.quotes("acct") == []


def test_the_outbox_sequence_is_untouched_by_quotes(db: UserDB) -> None:
    first = db.outbox_put("acct", "<r@x>", ["<m@x>"], "team:billing", True)
    _quote(db)
    second = db.outbox_put("acct", "<s@x>", ["<n@x>"], "team:billing", True)
    assert second.seq == first.seq + 1


# --- activity log -------------------------------------------------------------------------------


def test_activity_round_trip(db: UserDB, db_path: Path) -> None:
    logged = db.log_activity(
        "acct", "<r@x>", [("tag", "team:billing"), ("untag", "category:bug")], at=T0
    )
    db.log_activity("acct", "<s@x>", [("note", None)], at=T0 + 60)
    db.log_activity("other", "<s@x>", [("read", None)], at=T0 + 90)
    assert logged == [
        Activity("acct", "<r@x>", "tag", "team:billing", "team", T0),
        Activity("acct", "<r@x>", "untag", "category:bug", "category", T0),
    ]
    with UserDB(db_path) as again:
        assert [a.what for a in again.activity("acct")] == ["tag", "untag", "note"]
        assert [a.root for a in again.activity("acct", since=T0 + 1)] == ["<s@x>"]
        assert [a.what for a in again.activity("acct", until=T0)] == ["tag", "untag"]
        assert [a.what for a in again.activity("other")] == ["read"]


def test_activity_rejects_what_it_does_not_know(db: UserDB) -> None:
    for events in ([("delete", None)], [("tag", None)], [("note", "team:billing")]):
        with pytest.raises(UserDBError):
            db.log_activity("acct", "<r@x>", events, at=T0)
    assert db.activity("acct") == []
    assert db.log_activity("acct", "<r@x>", [], at=T0) == []


def test_activity_keeps_ninety_days(db: UserDB) -> None:
    db.log_activity("acct", "<old@x>", [("read", None)], at=T0)
    db.log_activity("acct", "<mid@x>", [("read", None)], at=T0 + 60 * DAY)
    db.log_activity("acct", "<new@x>", [("read", None)], at=T0 + 91 * DAY)
    assert [a.root for a in db.activity("acct")] == ["<mid@x>", "<new@x>"]


def test_activity_keeps_at_most_the_newest_entries(
    db: UserDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal, "ACTIVITY_MAX", 5)
    for i in range(8):
        db.log_activity("acct", f"<r{i}@x>", [("read", None)], at=T0 + i)
    assert [a.root for a in db.activity("acct")] == [f"<r{i}@x>" for i in range(3, 8)]


# --- settings updated in one locked call -------------------------------------------------------


def test_update_setting_reads_and_writes_in_one_call(db: UserDB, db_path: Path) -> None:
    assert db.update_setting("n", lambda old: (old or 0) + 1) == 1
    assert db.update_setting("n", lambda old: (old or 0) + 1) == 2
    with UserDB(db_path) as again:
        assert again.get_setting("n") == 2
    with pytest.raises(UserDBError, match="cannot be stored"):
        db.update_setting("n", lambda old: object())
    assert db.get_setting("n") == 2


def test_update_setting_loses_no_increment_between_threads(db_path: Path) -> None:
    dbs = [UserDB(db_path) for _ in range(3)]

    def bump(db: UserDB) -> None:
        for _ in range(15):
            db.update_setting("n", lambda old: (old if isinstance(old, int) else 0) + 1)

    workers = [threading.Thread(target=bump, args=(d,)) for d in dbs]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert dbs[0].get_setting("n") == 45
    for d in dbs:
        d.close()


# --- locking, as for the other tables ----------------------------------------------------------


def test_a_process_and_threads_lose_no_quote_or_activity(db_path: Path) -> None:
    count = 25
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(REPO_ROOT), str(db_path), str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    dbs = [UserDB(db_path), UserDB(db_path)]

    def write(db: UserDB, name: str) -> None:
        for i in range(count):
            db.add_quote("acct", f"<{name}-{i}@x>", "<m@x>", "w", "A", "a@x.example", "")
            db.log_activity("acct", f"<{name}-{i}@x>", [("note", None)], at=float(i))

    threads = [threading.Thread(target=write, args=(d, n)) for d, n in zip(dbs, "ab", strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    quotes = dbs[0].quotes("acct")
    assert len(quotes) == 3 * count
    assert len({q.id for q in quotes}) == 3 * count  # no id handed out twice
    roots = {a.root for a in dbs[1].activity("acct")}
    for name in ("a", "b", "proc"):
        assert {f"<{name}-{i}@x>" for i in range(count)} <= roots
    for d in dbs:
        d.close()


def test_quote_calls_wait_for_the_lock_and_time_out_in_one_line(db_path: Path) -> None:
    db = UserDB(db_path, lock_timeout=0.2)
    fd = os.open(db_path.with_name("userdb.json.lock"), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        for call in (
            lambda: _quote(db),
            lambda: db.log_activity("acct", "<r@x>", [("note", None)]),
            lambda: db.quotes("acct"),
        ):
            with pytest.raises(UserDBError) as info:
                call()
            assert str(info.value) == f"{db_path} is locked by another supportmail process"
    finally:
        os.close(fd)
        db.close()
    with UserDB(db_path) as again:
        assert again.quotes("acct") == [] and again.activity("acct") == []


def test_a_hand_edited_quote_is_one_clear_error(db: UserDB, db_path: Path) -> None:
    _quote(db)
    data = json.loads(db_path.read_text())
    del data["quotes"]["1"]["text"]
    db_path.write_text(json.dumps(data))
    with pytest.raises(UserDBError, match="holds an entry supportmail cannot use"):
        db.quotes("acct")
