"""The exact count split across two threads (``storage.cache.splitcount``): it equals the list
and the count in one query for any mailbox, word and middle row id; it steps aside when the
cache changes between the halves, in a small cache and inside a transaction; closing the cache
stops its thread."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportmail.storage.cache import Cache, splitcount
from supportmail.storage.cache.searchwords import fts_query
from supportmail.storage.models import ThreadQuery
from tests.unit.test_subjectcount import _WORDS, ACCOUNT, EVERY_SUBJECT, Thread, _cache, _thread


@contextmanager
def _on_disk(threads: Sequence[Thread]) -> Iterator[Cache]:
    """A cache of these threads in files (a split needs a second connection)."""
    memory = _cache(threads)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cache.sqlite3"
        memory._writer.execute("VACUUM INTO ?", (str(path),))
        memory._writer.execute("VACUUM search INTO ?", (str(path.with_name("search.sqlite3")),))
        memory.close()
        cache = Cache(path)
        try:
            yield cache
        finally:
            cache.close()


def _fresh(cache: Cache) -> None:
    cache._local.hits = None
    cache._local.count = None


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """What each split count answered (None: counted in one query), every cache split."""
    monkeypatch.setattr(splitcount, "SPLIT_FROM", 0)
    monkeypatch.setattr(splitcount, "core_free", lambda: True)
    found: list[int | None] = []
    real = splitcount.Splitter.count

    def spy(self: splitcount.Splitter, *args: object) -> int | None:
        answer = real(self, *args)  # type: ignore[arg-type]
        found.append(answer)
        return answer

    monkeypatch.setattr(splitcount.Splitter, "count", spy)
    return found


def test_a_split_count_equals_the_list(answers: list[int | None]) -> None:
    threads: list[Thread] = [
        ("Login", [("export failed", False, ""), ("export ok", True, "")]),
        ("Billing", [("nothing", False, "")]),
        *EVERY_SUBJECT,
    ]
    with _on_disk(threads) as cache:
        for words in ("export", "the export", "nothing", "zzz"):
            query = ThreadQuery(search=words)
            _fresh(cache)
            count = cache.count_threads(ACCOUNT, query)
            _fresh(cache)
            assert count == len(cache.list_threads(ACCOUNT, query))
        assert answers == [3, 1, 1, 0]


def test_a_commit_between_the_halves_counts_in_one_query(answers: list[int | None]) -> None:
    with _on_disk(EVERY_SUBJECT) as cache:
        real = splitcount._half
        wrote = threading.Event()

        def half(db: object, *args: object) -> list[int]:
            if not wrote.is_set():
                wrote.set()  # another connection commits while the halves run
                cache.apply_keyword(ACCOUNT, ["t0.0@x.example"], "urgent", True)
            return real(db, *args)  # type: ignore[arg-type]

        splitcount._half = half  # type: ignore[assignment]
        try:
            _fresh(cache)
            count = cache.count_threads(ACCOUNT, ThreadQuery(search="broke"))
        finally:
            splitcount._half = real
        assert answers == [None]
        assert count == 1


def test_no_split_in_a_small_cache_a_transaction_or_without_a_free_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[object] = []
    monkeypatch.setattr(splitcount, "_half", lambda *args: calls.append(args) or [])
    monkeypatch.setattr(splitcount, "core_free", lambda: True)
    with _on_disk(EVERY_SUBJECT) as cache:
        _fresh(cache)
        assert cache.count_threads(ACCOUNT, ThreadQuery(search="fixed")) == 1  # below SPLIT_FROM
        monkeypatch.setattr(splitcount, "SPLIT_FROM", 0)
        with cache.transaction():
            assert cache.count_threads(ACCOUNT, ThreadQuery(search="fixed")) == 1
        monkeypatch.setattr(splitcount, "core_free", lambda: False)
        _fresh(cache)
        assert cache.count_threads(ACCOUNT, ThreadQuery(search="fixed")) == 1
        assert calls == []


@pytest.mark.parametrize(
    ("cores", "load", "free"), [(2, 1.2, True), (2, 1.6, False), (1, 0.0, False), (8, 6.0, True)]
)
def test_a_core_is_free_below_the_cores_less_half_a_core(
    monkeypatch: pytest.MonkeyPatch, cores: int, load: float, free: bool
) -> None:
    monkeypatch.setattr(splitcount.os, "cpu_count", lambda: cores)
    monkeypatch.setattr(splitcount.os, "getloadavg", lambda: (load, load, load))
    assert splitcount.core_free() is free


def test_closing_the_cache_stops_the_split_thread(answers: list[int | None]) -> None:
    with _on_disk(EVERY_SUBJECT) as cache:
        _fresh(cache)
        assert cache.count_threads(ACCOUNT, ThreadQuery(search="fixed")) == 1
        assert any(t.name.startswith("search-split") for t in threading.enumerate())
    assert not any(t.name.startswith("search-split") for t in threading.enumerate())
    assert answers == [1]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    threads=st.lists(_thread, min_size=1, max_size=8),
    words=st.lists(st.sampled_from(_WORDS), min_size=1, max_size=2),
    middle=st.integers(0, 30),
)
def test_split_counts_equal_lists_for_any_mailbox_and_middle(
    threads: list[Thread], words: list[str], middle: int
) -> None:
    saved = splitcount.SPLIT_FROM, splitcount.core_free
    splitcount.SPLIT_FROM, splitcount.core_free = 0, lambda: True
    try:
        with _on_disk(threads) as cache:
            query = ThreadQuery(search=" ".join(words))
            helper = cache._db
            top = helper.execute("SELECT max(id) FROM messages").fetchone()[0]
            _fresh(cache)
            listed = len(cache.list_threads(ACCOUNT, query))
            _fresh(cache)
            assert cache.count_threads(ACCOUNT, query) == listed
            fts = fts_query(query.search or "")
            if fts is None:
                return  # no word for the index: nothing to split
            low = splitcount._half(helper, fts, "<=", min(middle, top))
            high = splitcount._half(helper, fts, ">", min(middle, top))
            whole = splitcount._half(helper, fts, "<=", top)
            assert set(low) | set(high) == set(whole)
    finally:
        splitcount.SPLIT_FROM, splitcount.core_free = saved
