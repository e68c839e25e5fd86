"""The user database: catalog, notes, outbox semantics, crash safety and multi-process locking."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tinydb import TinyDB

from supportmail.storage.tags import SEED_CATEGORIES
from supportmail.storage.user.atomic import AtomicJSONStorage
from supportmail.storage.user.catalog import CatalogTag
from supportmail.storage.user.db import UserDB
from supportmail.storage.user.records import OutboxEdit, UserDBError

REPO_ROOT = Path(__file__).resolve().parents[2]

# A writer in another process: prints one line after each call returns (i.e. once it is durable).
WORKER = """
import sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from supportmail.storage.user.db import UserDB

db = UserDB(Path(sys.argv[2]))
tag, count = sys.argv[3], int(sys.argv[4])
print("ready", flush=True)
for i in range(count):
    db.set_note("acct", f"<{tag}-{i}@x>", f"note {tag} {i}")
    print(f"note {i}", flush=True)
    db.outbox_put("acct", f"<{tag}-{i}@x>", [f"<m-{tag}-{i}@x>"], "team:billing", True)
    print(f"edit {i}", flush=True)
"""


def start_worker(path: Path, tag: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(REPO_ROOT), str(path), tag, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "userdb.json"


@pytest.fixture
def db(db_path: Path) -> Iterator[UserDB]:
    database = UserDB(db_path)
    yield database
    database.close()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# --- files and modes ----------------------------------------------------------------------------


def test_creates_private_dir_and_files(db: UserDB, db_path: Path) -> None:
    db.set_note("acct", "<r@x>", "first")
    db.set_note("acct", "<r@x>", "second")
    assert mode(db_path.parent) == 0o700
    assert mode(db_path) == 0o600
    assert mode(db_path.with_name("userdb.json.bak")) == 0o600
    assert mode(db_path.with_name("userdb.json.lock")) == 0o600
    assert mode(db_path.with_name("userdb.json.lock.wait")) == 0o600
    assert db.recovered is None


def test_file_is_readable_json_with_the_backup_one_write_behind(db: UserDB, db_path: Path) -> None:
    db.set_note("acct", "<r@x>", "first")
    db.set_note("acct", "<r@x>", "second")
    current = json.loads(db_path.read_text())
    backup = json.loads(db_path.with_name("userdb.json.bak").read_text())
    assert [n["text"] for n in current["notes"].values()] == ["second"]
    assert [n["text"] for n in backup["notes"].values()] == ["first"]


def test_leftover_temp_files_are_removed_on_open(db_path: Path) -> None:
    UserDB(db_path).close()
    stale = db_path.with_name("userdb.json.tmp-99999")
    stale.write_text("{half")
    UserDB(db_path).close()
    assert not stale.exists()


def test_atomic_storage_serves_plain_tinydb(tmp_path: Path) -> None:
    path = tmp_path / "plain.json"
    with TinyDB(path, storage=AtomicJSONStorage) as plain:
        plain.insert({"a": 1})
        plain.insert({"a": 2})
    with TinyDB(path, storage=AtomicJSONStorage) as plain:
        assert [d["a"] for d in plain.all()] == [1, 2]
    assert mode(path) == 0o600
    assert json.loads(path.with_name("plain.json.bak").read_text()) == {"_default": {"1": {"a": 1}}}


def test_closed_db_refuses_calls(db: UserDB) -> None:
    db.close()
    with pytest.raises(UserDBError, match="closed"):
        db.catalog()


# --- catalog ------------------------------------------------------------------------------------


def test_catalog_is_seeded_once(db_path: Path) -> None:
    with UserDB(db_path) as db:
        tags = db.catalog()
        assert [t.name for t in tags] == list(SEED_CATEGORIES)
        assert [t.shortcut for t in tags] == [str(n) for n in range(1, 10)]
        assert {t.kind for t in tags} == {"category"}
        assert db.remove_catalog_tag("category:praise")
    with UserDB(db_path) as db:
        names = [t.name for t in db.catalog()]
        assert "category:praise" not in names
        assert len(names) == 8


def test_catalog_add_update_remove(db: UserDB) -> None:
    added = db.add_catalog_tag("team:billing", shortcut="b", color="#ff8800")
    assert added == CatalogTag("team:billing", "team", "b", "#ff8800")
    assert db.add_catalog_tag("Team: Billing", color="red") == CatalogTag(
        "team:billing", "team", "b", "red"
    )
    assert db.add_catalog_tag("dark mode") == CatalogTag("dark mode", "label", None, None)
    assert [t.name for t in db.catalog()][-2:] == ["team:billing", "dark mode"]
    with pytest.raises(UserDBError, match="already used by category:bug"):
        db.add_catalog_tag("team:support", shortcut="1")
    with pytest.raises(UserDBError, match="printable"):
        db.add_catalog_tag("team:support", shortcut=" ")
    assert db.remove_catalog_tag("team:billing")
    assert not db.remove_catalog_tag("team:billing")
    assert db.remove_catalog_tag("Dark  Mode")


# --- notes --------------------------------------------------------------------------------------


def test_notes_set_get_and_clear(db: UserDB) -> None:
    assert db.note("acct", "<r@x>") is None
    db.set_note("acct", "<r@x>", "call back on Monday\n")
    db.set_note("other", "<r@x>", "a different account")
    assert db.note("acct", "<r@x>") == "call back on Monday\n"
    db.set_note("acct", "<r@x>", "updated")
    assert db.notes("acct") == {"<r@x>": "updated"}
    db.set_note("acct", "<r@x>", "  \n\t")
    assert db.note("acct", "<r@x>") is None
    db.set_note("other", "<r@x>", "")
    assert db.notes("other") == {}
    db.set_note("acct", "<gone@x>", "")  # clearing a missing note is fine


# --- outbox -------------------------------------------------------------------------------------


def test_outbox_collapses_per_thread_and_keyword(db: UserDB) -> None:
    first = db.outbox_put("acct", "<r@x>", ["<a@x>", "<b@x>"], "team:billing", True)
    other = db.outbox_put("acct", "<r@x>", ["<a@x>"], "category:bug", True)
    second = db.outbox_put("acct", "<r@x>", ["<b@x>", "<c@x>"], "Team:Billing", False)
    assert second.seq > other.seq > first.seq
    assert second.add is False
    assert second.message_ids == ("<a@x>", "<b@x>", "<c@x>")
    assert second.created >= first.created
    assert db.outbox("acct") == [other, second]
    assert db.outbox("nobody") == []


def test_outbox_separates_accounts_and_threads(db: UserDB) -> None:
    db.outbox_put("acct", "<r1@x>", ["<a@x>"], "team:billing", True)
    db.outbox_put("acct", "<r2@x>", ["<b@x>"], "team:billing", True)
    db.outbox_put("acct2", "<r1@x>", ["<a@x>"], "team:billing", True)
    assert len(db.outbox("acct")) == 2
    assert len(db.outbox("acct2")) == 1


def test_outbox_ack_only_removes_the_same_seq(db: UserDB) -> None:
    old = db.outbox_put("acct", "<r@x>", ["<a@x>"], "team:billing", True)
    new = db.outbox_put("acct", "<r@x>", ["<a@x>"], "team:billing", False)
    assert not db.outbox_ack(old)  # replaced by a newer edit while it was being pushed
    assert db.outbox("acct") == [new]
    assert db.outbox_ack(new)
    assert db.outbox("acct") == []
    assert not db.outbox_ack(new)


def test_seq_stays_monotonic_after_acks(db: UserDB, db_path: Path) -> None:
    seqs = []
    for _ in range(3):
        edit = db.outbox_put("acct", "<r@x>", ["<a@x>"], "team:billing", True)
        seqs.append(edit.seq)
        assert db.outbox_ack(edit)
    with UserDB(db_path) as again:
        seqs.append(again.outbox_put("acct", "<r@x>", ["<a@x>"], "k", True).seq)
    assert seqs == sorted(set(seqs))


def test_pending_keywords(db: UserDB) -> None:
    db.outbox_put("acct", "<r@x>", ["<a@x>", "<b@x>"], "team:billing", True)
    db.outbox_put("acct", "<r@x>", ["<b@x>"], "category:bug", False)
    db.outbox_put("acct2", "<r@x>", ["<z@x>"], "team:billing", True)
    assert db.pending_keywords("acct") == {
        "<a@x>": {"team:billing": True},
        "<b@x>": {"team:billing": True, "category:bug": False},
    }


def test_outbox_rejects_bad_input(db: UserDB) -> None:
    with pytest.raises(UserDBError, match="not one string"):
        db.outbox_put("acct", "<r@x>", "<a@x>", "team:billing", True)
    with pytest.raises(UserDBError, match="not an IMAP keyword"):
        db.outbox_put("acct", "<r@x>", ["<a@x>"], "team billing", True)
    assert db.outbox("acct") == []


def test_outbox_edit_is_frozen(db: UserDB) -> None:
    edit = db.outbox_put("acct", "<r@x>", ["<a@x>"], "team:billing", True)
    assert isinstance(edit, OutboxEdit)
    with pytest.raises(AttributeError):
        edit.seq = 5  # type: ignore[misc]


# --- settings -----------------------------------------------------------------------------------


def test_settings(db: UserDB, db_path: Path) -> None:
    assert db.get_setting("last_skim") is None
    assert db.get_setting("last_skim", 0.0) == 0.0
    db.set_setting("last_skim", 1700000000.5)
    db.set_setting("columns", {"from": 20, "order": ["a", "b"]})
    with UserDB(db_path) as again:
        assert again.get_setting("last_skim") == 1700000000.5
        assert again.get_setting("columns") == {"from": 20, "order": ["a", "b"]}
    with pytest.raises(UserDBError, match="cannot be stored"):
        db.set_setting("bad", object())


# --- crash safety -------------------------------------------------------------------------------


def files_in(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir()}


def test_failed_serialisation_leaves_the_file_untouched(
    db: UserDB, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.set_note("acct", "<r@x>", "kept")
    before = db_path.read_bytes()
    listing = files_in(db_path.parent)

    def boom(*args: object, **kwargs: object) -> str:
        raise ValueError("simulated crash while serialising")

    monkeypatch.setattr(json.JSONEncoder, "encode", boom)
    with pytest.raises(UserDBError):
        db.set_note("acct", "<r@x>", "lost")
    monkeypatch.undo()
    assert db_path.read_bytes() == before
    assert files_in(db_path.parent) == listing
    assert db.note("acct", "<r@x>") == "kept"


def test_failed_rename_leaves_no_partial_file(
    db: UserDB, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.outbox_put("acct", "<r@x>", ["<a@x>"], "team:billing", True)
    before = db_path.read_bytes()

    def boom(src: object, dst: object) -> None:
        raise OSError(errno.EIO, "simulated crash before the rename")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(UserDBError) as info:
        db.outbox_put("acct", "<r2@x>", ["<b@x>"], "team:billing", True)
    monkeypatch.undo()
    assert "\n" not in str(info.value)
    assert db_path.read_bytes() == before
    assert not [p for p in db_path.parent.iterdir() if ".tmp-" in p.name]
    assert [e.thread_root for e in db.outbox("acct")] == ["<r@x>"]


def test_full_disk_is_one_line_and_keeps_the_previous_file(
    db: UserDB, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db.set_note("acct", "<r@x>", "kept")
    before = db_path.read_bytes()

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(UserDBError) as info:
        db.set_note("acct", "<r@x>", "x" * 10_000)
    monkeypatch.undo()
    assert str(info.value) == f"cannot save {db_path}: No space left on device"
    assert db_path.read_bytes() == before
    assert not [p for p in db_path.parent.iterdir() if ".tmp-" in p.name]


def test_backup_falls_back_to_a_copy_without_hard_links(
    db: UserDB, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    db.set_note("acct", "<r@x>", "first")
    db.set_note("acct", "<r@x>", "second")
    backup = json.loads(db_path.with_name("userdb.json.bak").read_text())
    assert [n["text"] for n in backup["notes"].values()] == ["first"]
    assert mode(db_path.with_name("userdb.json.bak")) == 0o600


@pytest.mark.parametrize("garbage", [b"", b'{"notes": {"1": {"te', b"\xff\xfe", b"[1, 2]"])
def test_damaged_file_is_recovered_from_the_backup(db_path: Path, garbage: bytes) -> None:
    with UserDB(db_path) as db:
        db.set_note("acct", "<r@x>", "safe in the backup")
        db.set_note("acct", "<r2@x>", "lost with the damaged file")
    db_path.write_bytes(garbage)
    with UserDB(db_path) as db:
        assert db.recovered is not None
        assert "restored userdb.json.bak" in db.recovered
        assert "\n" not in db.recovered
        assert db.notes("acct") == {"<r@x>": "safe in the backup"}
    aside = [p for p in db_path.parent.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1
    assert aside[0].read_bytes() == garbage


def test_garbage_without_a_backup_starts_afresh(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_text("this is not json")
    with UserDB(db_path) as db:
        assert db.recovered is not None
        assert "no usable backup" in db.recovered
        assert "started a new database" in db.recovered
        assert [t.name for t in db.catalog()] == list(SEED_CATEGORIES)
        db.set_note("acct", "<r@x>", "works")
        assert db.note("acct", "<r@x>") == "works"
    assert len([p for p in db_path.parent.iterdir() if ".corrupt-" in p.name]) == 1


def test_damage_while_open_is_noticed_on_the_next_call(db: UserDB, db_path: Path) -> None:
    db.set_note("acct", "<r@x>", "one")
    db.set_note("acct", "<r@x>", "two")
    db_path.write_text("\x00\x00\x00")
    assert db.note("acct", "<r@x>") == "one"
    assert db.recovered is not None


def test_hand_edited_entry_is_one_clear_error(db: UserDB, db_path: Path) -> None:
    db.outbox_put("acct", "<r@x>", ["<a@x>"], "team:billing", True)
    data = json.loads(db_path.read_text())
    del data["outbox"]["1"]["seq"]
    db_path.write_text(json.dumps(data))
    with pytest.raises(UserDBError) as info:
        db.outbox("acct")
    assert "cannot use (KeyError: 'seq')" in str(info.value)
    assert "\n" not in str(info.value)
    assert db.note("acct", "<r@x>") is None  # the rest of the database still works


# --- concurrency --------------------------------------------------------------------------------


def test_two_objects_threads_and_a_process_lose_nothing(db_path: Path) -> None:
    count = 40
    first, second = UserDB(db_path), UserDB(db_path)
    worker = start_worker(db_path, "proc", count)
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"  # the process writes while the threads do

    def write(db: UserDB, tag: str) -> None:
        for i in range(count):
            db.outbox_put("acct", f"<{tag}-{i}@x>", [f"<m-{tag}-{i}@x>"], "team:billing", True)
            db.set_note("acct", f"<{tag}-{i}@x>", f"note {tag} {i}")

    threads = [
        threading.Thread(target=write, args=(d, t)) for d, t in ((first, "a"), (second, "b"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    notes = first.notes("acct")
    roots = {e.thread_root for e in second.outbox("acct")}
    for tag in ("a", "b", "proc"):
        for i in range(count):
            assert notes[f"<{tag}-{i}@x>"] == f"note {tag} {i}"
            assert f"<{tag}-{i}@x>" in roots
    seqs = [e.seq for e in first.outbox("acct")]
    assert len(seqs) == len(set(seqs)) == 3 * count
    first.close()
    second.close()


def test_a_busy_writer_does_not_starve_another(db_path: Path) -> None:
    busy, patient = UserDB(db_path), UserDB(db_path, lock_timeout=5.0)
    stop = threading.Event()
    writes = 0

    def hammer() -> None:
        nonlocal writes
        while not stop.is_set():
            busy.set_note("acct", "<busy@x>", f"write {writes}")
            writes += 1

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        for i in range(10):
            patient.outbox_put("acct", f"<p{i}@x>", ["<m@x>"], "team:billing", True)
    finally:
        stop.set()
        thread.join()
    assert len(patient.outbox("acct")) == 10
    assert writes > 0
    busy.close()
    patient.close()


def test_a_held_lock_times_out_with_one_line(db_path: Path) -> None:
    db = UserDB(db_path, lock_timeout=0.2)
    fd = os.open(db_path.with_name("userdb.json.lock"), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(UserDBError) as info:
            db.set_note("acct", "<r@x>", "blocked")
        assert str(info.value) == f"{db_path} is locked by another supportmail process"
    finally:
        os.close(fd)
    db.set_note("acct", "<r@x>", "free again")
    assert db.note("acct", "<r@x>") == "free again"
    db.close()


def test_kill_9_never_loses_a_durable_edit(db_path: Path) -> None:
    UserDB(db_path).close()
    rng = random.Random(20240601)
    done_notes: set[str] = set()
    done_edits: set[str] = set()
    for round_no in range(20):
        tag = f"k{round_no}"
        worker = start_worker(db_path, tag, 100_000)
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.08))
        worker.send_signal(signal.SIGKILL)
        out, _ = worker.communicate(timeout=30)
        for line in out.splitlines():
            kind, number = line.split()
            root = f"<{tag}-{number}@x>"
            (done_notes if kind == "note" else done_edits).add(root)
        with UserDB(db_path) as db:
            assert db.recovered is None  # an atomic write never leaves a damaged file
            notes = db.notes("acct")
            roots = {e.thread_root for e in db.outbox("acct")}
        assert done_notes <= notes.keys()
        assert done_edits <= roots
    assert done_notes  # the rounds did write something


def _outbox_on_disk(path: Path) -> int:
    if not path.exists():
        return 0
    return len(json.loads(path.read_text(encoding="utf-8")).get("outbox", {}))


def test_a_batch_writes_the_file_once_at_its_end(db: UserDB, db_path: Path) -> None:
    with db.batch():
        for n in range(3):
            db.outbox_put("support", f"t{n}@x", [f"t{n}@x"], "category:bug", True)
        assert _outbox_on_disk(db_path) == 0  # nothing half-written while it runs
        assert len(db.outbox("support")) == 3  # reads inside see the batch
    assert _outbox_on_disk(db_path) == 3
    assert [e.thread_root for e in UserDB(db_path).outbox("support")] == ["t0@x", "t1@x", "t2@x"]


def test_a_batch_that_fails_writes_nothing(db: UserDB, db_path: Path) -> None:
    db.outbox_put("support", "kept@x", ["kept@x"], "category:bug", True)
    with pytest.raises(UserDBError), db.batch():
        db.outbox_put("support", "t1@x", ["t1@x"], "category:bug", True)
        db.outbox_put("support", "t2@x", "t2@x", "category:bug", True)  # type: ignore[arg-type]
    assert [e.thread_root for e in db.outbox("support")] == ["kept@x"]
