"""The cache used from several threads: a read never sees another thread's open transaction
(a tag key pressed while a worker rebuilt that thread's row found no thread at all), and a
thread inside its own transaction reads what it wrote."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportmail.storage.cache import Cache, prepare_rows
from supportmail.storage.threads import thread_id
from tests.unit.fetched import fetched

ACCOUNT = "support"
START = datetime(2026, 3, 1, tzinfo=UTC)


def _cache(path: Path | str, subjects: list[str]) -> Cache:
    cache = Cache(path)
    items = fetched(subjects, first_uid=0, message_id="t{uid}@x")
    cache.insert_rows(prepare_rows(ACCOUNT, "INBOX", items))
    cache.rebuild_threads(ACCOUNT, cache.thread_pending(ACCOUNT))
    return cache


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return _cache(tmp_path / "cache.sqlite3", ["Export drops a column", "Dark mode?"])


def _in_transaction(
    cache: Cache, sql: str, params: tuple[object, ...]
) -> tuple[threading.Thread, threading.Event, threading.Event]:
    """A worker thread that runs ``sql`` in a cache transaction and holds it open until told."""
    written, release = threading.Event(), threading.Event()

    def work() -> None:
        with cache.transaction() as db:
            db.execute(sql, params)
            written.set()
            assert release.wait(10)

    worker = threading.Thread(target=work)
    worker.start()
    assert written.wait(10)
    return worker, written, release


def test_a_thread_row_being_rebuilt_elsewhere_is_still_found(cache: Cache) -> None:
    short = thread_id("t0@x")
    worker, _written, release = _in_transaction(
        cache, "DELETE FROM threads WHERE account=? AND root=?", (ACCOUNT, "t0@x")
    )
    try:
        assert cache.find_roots(ACCOUNT, short) == ["t0@x"]
        assert cache.thread(ACCOUNT, "t0@x") is not None
    finally:
        release.set()
        worker.join()
    assert cache.find_roots(ACCOUNT, short) == []  # committed now: every thread sees it


def test_uncommitted_rows_stay_invisible_and_a_rollback_leaves_no_trace(cache: Cache) -> None:
    before = cache.message_count(ACCOUNT)
    failed = threading.Event()
    written, release = threading.Event(), threading.Event()

    def work() -> None:
        try:
            with cache.transaction() as db:
                db.execute("DELETE FROM messages WHERE account=?", (ACCOUNT,))
                written.set()
                assert release.wait(10)
                raise RuntimeError("the worker fails")
        except RuntimeError:
            failed.set()

    worker = threading.Thread(target=work)
    worker.start()
    assert written.wait(10)
    assert cache.message_count(ACCOUNT) == before
    release.set()
    worker.join()
    assert failed.is_set()
    assert cache.message_count(ACCOUNT) == before


def test_a_thread_reads_its_own_transaction(cache: Cache) -> None:
    with cache.transaction() as db:
        db.execute("DELETE FROM threads WHERE account=? AND root=?", (ACCOUNT, "t0@x"))
        assert cache.thread(ACCOUNT, "t0@x") is None
        assert cache.find_roots(ACCOUNT, thread_id("t1@x")) == ["t1@x"]
    assert cache.thread(ACCOUNT, "t0@x") is None


def test_a_commit_is_seen_at_once_by_every_thread(cache: Cache) -> None:
    seen: list[int] = []

    def read() -> None:
        seen.append(cache.message_count(ACCOUNT))

    first = threading.Thread(target=read)
    first.start()
    first.join()
    with cache.transaction() as db:
        db.execute("DELETE FROM messages WHERE account=? AND message_id=?", (ACCOUNT, "t1@x"))
    second = threading.Thread(target=read)
    second.start()
    second.join()
    read()
    assert seen == [2, 1, 1]


def test_search_memo_follows_commits_seen_by_each_thread(cache: Cache) -> None:
    from supportmail.storage.models import ThreadQuery

    query = ThreadQuery(search="column")
    assert [t.root for t in cache.list_threads(ACCOUNT, query)] == ["t0@x"]
    found: list[list[str]] = []
    reader = threading.Thread(
        target=lambda: found.append([t.root for t in cache.list_threads(ACCOUNT, query)])
    )
    with cache.transaction(search=True) as db:
        db.execute("DELETE FROM threads WHERE account=? AND root=?", (ACCOUNT, "t0@x"))
        reader.start()
        reader.join()
    assert found == [["t0@x"]]  # the other thread: the committed state
    assert cache.list_threads(ACCOUNT, query) == []


def test_an_in_memory_cache_keeps_one_connection() -> None:
    cache = _cache(":memory:", ["Only one"])
    counted: list[int] = []
    reader = threading.Thread(target=lambda: counted.append(cache.message_count(ACCOUNT)))
    reader.start()
    reader.join()
    assert counted == [1]


def test_reads_never_write(cache: Cache) -> None:
    import sqlite3

    with pytest.raises(sqlite3.OperationalError):
        cache._db.execute("DELETE FROM messages")
    assert cache.message_count(ACCOUNT) == 2


def test_closing_empties_the_write_ahead_logs_while_another_threads_reader_lives(
    tmp_path: Path,
) -> None:
    """A worker's idle reader outlives the cache's close (the window's thread pool): the logs
    are folded in and emptied anyway, so the next start reads none of them."""
    from supportmail.storage.models import ThreadQuery

    path = tmp_path / "cache.sqlite3"
    cache = _cache(path, [f"Ticket {n}" for n in range(200)])
    opened, release = threading.Event(), threading.Event()

    def worker() -> None:
        assert cache.count_threads(ACCOUNT, ThreadQuery()) > 0  # this thread's reader, idle now
        opened.set()
        assert release.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert opened.wait(10)
        assert Path(f"{path}-wal").stat().st_size > 0
        cache.close()
        assert Path(f"{path}-wal").stat().st_size == 0
        assert Path(f"{tmp_path / 'search.sqlite3'}-wal").stat().st_size == 0
    finally:
        release.set()
        thread.join()
    again = Cache(path)
    try:
        assert again.count_threads(ACCOUNT, ThreadQuery()) == 200
    finally:
        again.close()
