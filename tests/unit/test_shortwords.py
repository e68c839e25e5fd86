"""Searches of words shorter than three characters (``storage.cache.shortwords``): through
``thread_text`` they list and count exactly the threads whose subject or people hold every word
(``LIKE`` on the thread row, as before), walked pages equal pages of every matching row, and the
text stays in step with the thread rows through partial and full rebuilds, tag edits and a
second account; a property test over random mailboxes, words and filters."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportmail.storage.cache import Cache, FolderState, shortwords
from supportmail.storage.mime import Envelope
from supportmail.storage.models import Address, ThreadQuery
from tests.faults.kill_rounds import texts_astray

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
ACCOUNT = "a"

Thread = tuple[str, str, Sequence[tuple[bool, str]]]
"""A subject, the customer's name, and each message's read flag and keyword ("" for none)."""


def _add(cache: Cache, account: str, threads: Sequence[Thread], first_uid: int = 0) -> None:
    """Add these threads (replies say ``Re: subject``; the team answers every second message)."""
    cache.save_folder(FolderState(account, "INBOX", 1, 0, False))
    items = []
    uid = first_uid
    for number, (subject, name, messages) in enumerate(threads):
        refs: list[str] = []
        for n, (seen, keyword) in enumerate(messages):
            uid += 1
            mid = f"t{number}.{n}.{first_uid}@x.example"
            sender = Address("Team", "team@x.example") if n % 2 else Address(name, f"c{number}@x")
            env = Envelope(
                message_id=mid, in_reply_to=tuple(refs[-1:]), references=tuple(refs),
                subject=subject if n == 0 else f"Re: {subject}", sender=sender, to=(), cc=(),
                reply_to=(), date=NOW - timedelta(days=len(threads) - number, hours=-n),
            )  # fmt: skip
            flags = tuple(f for f in ("\\Seen" if seen else "", keyword) if f)
            items.append((uid, env, flags, 10, None, None))
            refs.append(mid)
    cache.add_messages(account, "INBOX", items)
    cache.thread_pending(account)
    cache.rebuild_threads(account)


def _cache(threads: Sequence[Thread]) -> Cache:
    cache = Cache(":memory:")
    _add(cache, ACCOUNT, threads)
    return cache


def _ids(cache: Cache, query: ThreadQuery, keywords: Sequence[str] = ()) -> list[str]:
    cache._local.hits = None
    return [t.root for t in cache.list_threads(ACCOUNT, query, keywords)]


def _count(cache: Cache, query: ThreadQuery, keywords: Sequence[str] = ()) -> int:
    cache._local.hits = None
    cache._local.count = None
    return cache.count_threads(ACCOUNT, query, keywords)


def _by_rows(
    cache: Cache, terms: Sequence[str], unread: bool, keywords: Sequence[str]
) -> list[str]:
    """What the thread rows say (the test before ``thread_text``): newest first."""
    sql = "SELECT root FROM threads WHERE account=?"
    params: list[object] = [ACCOUNT]
    for term in terms:
        sql += " AND (subject LIKE ? ESCAPE '\\' OR participants_json LIKE ? ESCAPE '\\')"
        params += [shortwords.like(term)] * 2
    if unread:
        sql += " AND unread > 0"
    for kw in keywords:
        sql += " AND instr(keywords, ?) > 0"
        params.append(f" {kw} ")
    return [r[0] for r in cache._db.execute(sql + " ORDER BY last_date DESC, root", params)]


THREADS: list[Thread] = [
    ("Rechnung 发票 fehlt", "Wang Li", [(False, ""), (True, "urgent")]),
    ("ok so", "Bo", [(True, "")]),
    ("OK then", "Ana Ok", [(False, "urgent")]),
    ("50% off", "Jo_Ann", [(True, ""), (False, "")]),
    ("nothing", "Zed", [(True, "")]),
]


@pytest.mark.parametrize(
    ("words", "unread", "keywords", "expected"),
    [
        ("发票", False, (), 1),
        ("ok", False, (), 2),  # "ok so", "OK then" (LIKE folds ASCII case), not "Bo"'s
        ("Ok", True, (), 1),
        ("ok", False, ("urgent",), 1),
        ("%", False, (), 1),  # a literal percent sign, not a wildcard
        ("_A", False, (), 1),  # a literal underscore (Jo_Ann)
        ("ok 发票", False, (), 0),
        ("zz", False, (), 0),
    ],
)
def test_short_words_match_subjects_and_people(
    words: str, unread: bool, keywords: tuple[str, ...], expected: int
) -> None:
    cache = _cache(THREADS)
    query = ThreadQuery(search=words, unread=unread)
    listed = _ids(cache, query, keywords)
    assert listed == _by_rows(cache, words.split(), unread, keywords)
    assert len(listed) == expected == _count(cache, query, keywords)
    assert cache.count_threads(ACCOUNT, query, keywords, at_most=0) == min(expected, 1)


def test_a_page_walked_among_the_newest_equals_the_page_of_every_match(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[Thread] = [
        (f"ok {n}" if n % 3 else f"no {n}", "Bo", [(n % 2 == 0, "")]) for n in range(30)
    ]
    cache = _cache(threads)
    every = _ids(cache, ThreadQuery(search="ok"))
    assert len(every) == 20
    walked: list[object] = []
    real = shortwords.newest_page

    def spy(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        walked.append(result is not None)
        return result

    monkeypatch.setattr(shortwords, "newest_page", spy)
    monkeypatch.setattr(shortwords, "MAX_WALK", 12)
    cache._local.hits = None
    for limit, offset in [(5, 0), (4, 4), (5, 5), (10, 10), (3, 18), (5, 0)]:
        page = cache.list_threads(ACCOUNT, ThreadQuery(search="ok", limit=limit, offset=offset))
        assert [t.root for t in page] == every[offset : offset + limit]
    # The 12 newest threads hold 8 matches: the third page is not among them, so every match
    # is found and remembered, and the later pages (the first one again too) come from them.
    assert walked == [True, True, False]
    assert _count(cache, ThreadQuery(search="ok")) == 20


def test_the_text_stays_in_step_with_the_thread_rows(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = Cache(path)
    _add(cache, ACCOUNT, THREADS)
    _add(cache, "b", [("ok from b", "Bo", [(False, "")])], first_uid=100)
    assert texts_astray(path) == 0
    root = _ids(cache, ThreadQuery(search="发票"))[0]
    cache.apply_keyword(ACCOUNT, [root], "urgent", True)
    cache.rebuild_threads(ACCOUNT, {root})
    assert texts_astray(path) == 0
    cache.rebuild_threads(ACCOUNT)  # full, with another account beside it
    assert texts_astray(path) == 0
    assert _count(cache, ThreadQuery(search="ok")) == 2
    assert cache.count_threads("b", ThreadQuery(search="ok")) == 1
    cache.rebuild_threads("b")
    assert texts_astray(path) == 0
    assert _ids(cache, ThreadQuery(search="ok")) == _by_rows(cache, ["ok"], False, ())
    cache.close()


def test_thread_numbers_follow_first_messages() -> None:
    """A thread row's number grows with its first message's row id (cheap distinct counts)."""
    cache = _cache(THREADS)
    rows = cache._db.execute(
        "SELECT t.rowid, min(x.message) FROM threads t JOIN thread_members x ON x.thread = t.rowid"
        " GROUP BY t.rowid ORDER BY t.rowid"
    ).fetchall()
    firsts = [first for _number, first in rows]
    assert firsts == sorted(firsts)
    cache.rebuild_threads(
        ACCOUNT, {str(cache._db.execute("SELECT root FROM threads").fetchone()[0])}
    )
    assert max(r[0] for r in cache._db.execute("SELECT rowid FROM threads")) > rows[-1][0]


_SHORT = ["ok", "OK", "o", "k", "%", "_", "a_", "发", "票", "发票", "é", "É", "x"]
_subject = st.lists(st.sampled_from([*_SHORT, "long", "words"]), max_size=4).map(" ".join)
_thread = st.tuples(
    _subject,
    st.sampled_from(["Bo", "Ok Li", "Wang 发票", "Éa", "x_y"]),
    st.lists(st.tuples(st.booleans(), st.sampled_from(["", "urgent"])), min_size=1, max_size=3),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    threads=st.lists(_thread, min_size=1, max_size=12),
    words=st.lists(st.sampled_from(_SHORT), min_size=1, max_size=2),
    unread=st.booleans(),
    keyword=st.booleans(),
    page=st.tuples(st.integers(1, 5), st.integers(0, 6)),
)
def test_lists_pages_and_counts_equal_the_rows_test(
    threads: list[Thread], words: list[str], unread: bool, keyword: bool, page: tuple[int, int]
) -> None:
    saved = shortwords.MAX_WALK
    shortwords.MAX_WALK = 4  # both ways of finding a page in a small mailbox
    try:
        cache = _cache(threads)
        keywords = ("urgent",) if keyword else ()
        query = ThreadQuery(search=" ".join(words), unread=unread)
        expected = _by_rows(cache, words, unread, keywords)
        assert _ids(cache, query, keywords) == expected
        assert _count(cache, query, keywords) == len(expected)
        limit, offset = page
        paged = ThreadQuery(search=query.search, unread=unread, limit=limit, offset=offset)
        assert _ids(cache, paged, keywords) == expected[offset : offset + limit]
        assert cache.count_threads(ACCOUNT, query, keywords) == len(expected)  # remembered rows
    finally:
        shortwords.MAX_WALK = saved
