"""A body write commits the cache file, then the search file: a kill between the two commits
must not leave a stored body that search never finds (storage.cache.bodystore's marks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportmail.storage.cache import Cache
from supportmail.storage.cache.bodystore import MARKS
from supportmail.storage.mime import Body, parse_envelope
from supportmail.storage.models import ThreadQuery

ACCOUNT = "acct"


def _raw(n: int) -> bytes:
    return (
        f"Message-ID: <m{n}@x.example>\r\nSubject: Question {n}\r\n"
        f"From: Customer {n} <c{n}@x.example>\r\nDate: Mon, 2 Nov 2026 10:0{n}:00 +0000\r\n\r\n"
    ).encode()


def _cache(path: Path) -> Cache:
    cache = Cache(path)
    items = [(uid, parse_envelope(_raw(uid)), (), 100, None, None) for uid in (1, 2, 3)]
    cache.add_messages(ACCOUNT, "INBOX", items)
    cache.thread_pending(ACCOUNT)
    cache.rebuild_threads(ACCOUNT)
    return cache


def _found(cache: Cache, word: str) -> list[str]:
    return [t.subject for t in cache.list_threads(ACCOUNT, ThreadQuery(search=word))]


def _marks(cache: Cache) -> set[int]:
    return {r[0] for r in cache._db.execute(f"SELECT message FROM {MARKS}")}


@pytest.mark.parametrize("lost", ["body column", "whole index row"])
def test_a_body_whose_index_write_was_lost_is_indexed_again(tmp_path: Path, lost: str) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = _cache(path)
    row = cache.rowids(ACCOUNT)[("INBOX", 1)]
    cache.save_bodies(ACCOUNT, [(row, "m1@x.example", Body("narwhalword here", (), False))])
    assert _found(cache, "narwhalword") == ["Question 1"]
    # What a kill between the cache's commit and the search file's leaves: the body and its
    # mark stored, the index as it was before (a first sync's row not indexed at all).
    with cache.transaction(search=True) as db:
        if lost == "body column":
            db.execute("UPDATE fts SET body='' WHERE rowid=?", (row,))
        else:
            db.execute("DELETE FROM fts WHERE rowid=?", (row,))
    cache.close()

    again = Cache(path)
    assert _found(again, "narwhalword") == []
    assert again.repair_body_index() == 1
    assert _found(again, "narwhalword") == ["Question 1"]
    assert _found(again, "Question 1") == ["Question 1"]  # subject and people kept or rebuilt
    assert _marks(again) == set()
    assert again.repair_body_index() == 0
    again.close()


def test_each_write_clears_the_marks_of_the_write_before_it(tmp_path: Path) -> None:
    cache = _cache(tmp_path / "cache.sqlite3")
    rows = cache.rowids(ACCOUNT)
    one, two = rows[("INBOX", 1)], rows[("INBOX", 2)]
    cache.save_bodies(ACCOUNT, [(one, "m1@x.example", Body("first text", (), False))])
    assert _marks(cache) == {one}
    cache.save_body(two, Body("second text", (), False))
    assert _marks(cache) == {two}
    assert _found(cache, "first text") == ["Question 1"]
    assert _found(cache, "second text") == ["Question 2"]
    cache.close()


def test_a_run_that_ended_leaves_no_marks(tmp_path: Path) -> None:
    cache = _cache(tmp_path / "cache.sqlite3")
    row = cache.rowids(ACCOUNT)[("INBOX", 3)]
    cache.save_bodies(ACCOUNT, [(row, "m3@x.example", Body("third", (), False))])
    cache.settle_body_marks()
    assert _marks(cache) == set()
    cache.close()


def test_a_process_clears_only_its_own_marks(tmp_path: Path) -> None:
    """A TUI and a CLI sync on one data dir: neither clears the other's marks, so a kill of one
    between its two commits is still repaired."""
    path = tmp_path / "cache.sqlite3"
    first = _cache(path)
    rows = first.rowids(ACCOUNT)
    one, two, three = rows[("INBOX", 1)], rows[("INBOX", 2)], rows[("INBOX", 3)]
    first.save_bodies(ACCOUNT, [(one, "m1@x.example", Body("one", (), False))])
    second = Cache(path)
    second.save_body(two, Body("two", (), False))  # its first write repairs what it finds
    assert _marks(second) == {two}
    first.save_body(three, Body("three", (), False))
    assert _marks(first) == {two, three}
    assert _found(first, "one") == ["Question 1"]
    second.close()
    first.close()
