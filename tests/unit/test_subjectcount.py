"""The exact count of a search whose words are in (nearly) every subject, from the thread rows
(``storage.cache.subjectcount``): it equals what the list lists with every filter, it is used
when the subjects tell, and it steps aside when they do not or when the thread rows or the
index are incomplete; a property test over random mailboxes, queries and filters. And a search's
exact count is remembered until the cache changes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportmail.storage.cache import Cache, FolderState, subjectcount
from supportmail.storage.mime import Body, Envelope
from supportmail.storage.models import Address, ThreadQuery

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
ACCOUNT = "a"

Thread = tuple[str, Sequence[tuple[str, bool, str]]]
"""A subject, and each message's body, whether it is read and its keyword ("" for none)."""


def _cache(threads: Sequence[Thread]) -> Cache:
    """An in-memory cache of these threads (replies say ``Re: subject``), every body indexed."""
    cache = Cache(":memory:")
    cache.save_folder(FolderState(ACCOUNT, "INBOX", 1, 0, False))
    items = []
    bodies: dict[int, str] = {}
    uid = 0
    for number, (subject, messages) in enumerate(threads):
        refs: list[str] = []
        for n, (body, seen, keyword) in enumerate(messages):
            uid += 1
            mid = f"t{number}.{n}@x.example"
            env = Envelope(
                message_id=mid, in_reply_to=tuple(refs[-1:]), references=tuple(refs),
                subject=subject if n == 0 else f"Re: {subject}",
                sender=Address("Bo", f"bo{number}@x.example"), to=(), cc=(), reply_to=(),
                date=NOW - timedelta(days=len(threads) - number, hours=-n),
            )  # fmt: skip
            flags = tuple(f for f in ("\\Seen" if seen else "", keyword) if f)
            items.append((uid, env, flags, 10, None, None))
            bodies[uid] = body
            refs.append(mid)
    cache.add_messages(ACCOUNT, "INBOX", items)
    rowids = cache.rowids(ACCOUNT)
    for uid, text in bodies.items():
        cache.save_body(rowids[("INBOX", uid)], Body(text=text, attachments=(), html_only=False))
    cache.thread_pending(ACCOUNT)
    cache.rebuild_threads(ACCOUNT)
    return cache


def _listed(cache: Cache, query: ThreadQuery, keywords: Sequence[str] = ()) -> int:
    cache._local.hits = None
    return len(cache.list_threads(ACCOUNT, query, keywords))


def _counted(cache: Cache, query: ThreadQuery, keywords: Sequence[str] = ()) -> int:
    """The exact count, nothing remembered (a test edits the cache without a transaction)."""
    cache._local.count = None
    cache._local.hits = None
    return cache.count_threads(ACCOUNT, query, keywords)


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """What each call of ``count_if_covered`` answered (None: the usual count ran)."""
    answers: list[int | None] = []
    real = subjectcount.count_if_covered

    def spy(*args: object, **kwargs: object) -> int | None:
        answer = real(*args, **kwargs)  # type: ignore[arg-type]
        answers.append(answer)
        return answer

    monkeypatch.setattr(subjectcount, "count_if_covered", spy)
    return answers


EVERY_SUBJECT: list[Thread] = [
    ("Export problem", [("it broke", False, ""), ("fixed now", True, "urgent")]),
    ("PROBLEM with login", [("cannot log in", True, "")]),
    ("Billing problem #3", [("card declined", False, "urgent"), ("retried", False, "")]),
    ("A problem, again", [("the export failed", True, "")]),
]


@pytest.mark.parametrize(
    ("query", "keywords"),
    [
        (ThreadQuery(search="problem"), ()),
        (ThreadQuery(search="Problem"), ()),
        (ThreadQuery(search="problem", unread=True), ()),
        (ThreadQuery(search="problem"), ("urgent",)),
        (ThreadQuery(search="problem", since=NOW - timedelta(days=2)), ()),
        (ThreadQuery(search="problem", untagged=True), ()),
        (ThreadQuery(search="problem with"), ()),
        (ThreadQuery(search="problem ok"), ()),  # a short word: subjects and people
    ],
)
def test_a_word_in_every_subject_is_counted_from_the_thread_rows(
    query: ThreadQuery, keywords: tuple[str, ...], taken: list[int | None]
) -> None:
    cache = _cache(EVERY_SUBJECT)
    count = _counted(cache, query, keywords)
    assert count == _listed(cache, query, keywords)
    if query.search in ("problem with",):
        assert taken == [None]  # "with" is in one subject only
    else:
        assert taken == [count]


def test_a_few_threads_without_the_word_in_their_subject_are_asked_of_the_index(
    monkeypatch: pytest.MonkeyPatch, taken: list[int | None]
) -> None:
    monkeypatch.setattr(subjectcount, "SAMPLE", len(EVERY_SUBJECT))
    threads: list[Thread] = [  # the oldest (the newest threads are looked at first)
        ("Login", [("a problem in the body", False, "")]),  # counted: its body
        ("Überweisung", [("nothing here", False, "")]),  # not counted
        *EVERY_SUBJECT,
    ]
    cache = _cache(threads)
    query = ThreadQuery(search="problem")
    assert _counted(cache, query) == 5 == _listed(cache, query)
    assert taken == [5]


def test_more_than_a_few_threads_without_the_word_count_as_before(
    monkeypatch: pytest.MonkeyPatch, taken: list[int | None]
) -> None:
    monkeypatch.setattr(subjectcount, "SAMPLE", len(EVERY_SUBJECT))
    monkeypatch.setattr(subjectcount, "FEW", 1)
    threads: list[Thread] = [
        ("Login", [("a problem in the body", False, "")]),
        ("Other", [("nothing here", False, "")]),
        *EVERY_SUBJECT,
    ]
    cache = _cache(threads)
    query = ThreadQuery(search="problem")
    assert _counted(cache, query) == 5 == _listed(cache, query)
    assert taken == [None]


def test_case_beyond_ascii_is_left_to_the_index(taken: list[int | None]) -> None:
    """LIKE folds ASCII only: "überweisung" is not in the subject "Überweisung" for it, the
    index folds it; the count is the index's."""
    threads: list[Thread] = [("Überweisung fehlt", [("bitte prüfen", False, "")])]
    cache = _cache(threads)
    query = ThreadQuery(search="überweisung")
    assert _counted(cache, query) == 1 == _listed(cache, query)
    assert taken == [None]
    query = ThreadQuery(search="Überweisung")
    assert _counted(cache, query) == 1 == _listed(cache, query)
    assert taken == [None, 1]


def test_the_subjects_decide_nothing_while_rows_or_index_are_incomplete(
    taken: list[int | None],
) -> None:
    cache = _cache(EVERY_SUBJECT)
    query = ThreadQuery(search="problem")
    db = cache._writer
    db.execute("INSERT INTO dirty_threads VALUES (?, 'somewhere')", (ACCOUNT,))
    assert _counted(cache, query) == _listed(cache, query)
    db.execute("DELETE FROM dirty_threads")
    # A message the index does not hold (a sync killed before its indexer committed): the
    # list cannot find its thread by it, so neither may the count.
    db.execute(
        "DELETE FROM fts WHERE rowid IN (SELECT id FROM messages WHERE subject LIKE '%login')"
    )
    assert _counted(cache, query) == 3 == _listed(cache, query)
    db.execute("INSERT INTO search.meta (key, value) VALUES ('deferred', '1')")
    assert _counted(cache, query) == _listed(cache, query)
    assert taken == [None, None, None]


def test_a_word_missing_among_the_newest_threads_costs_one_look(
    taken: list[int | None],
) -> None:
    threads: list[Thread] = [*EVERY_SUBJECT, ("Newest", [("a problem", False, "")])]
    cache = _cache(threads)
    query = ThreadQuery(search="problem")
    assert _counted(cache, query) == 5 == _listed(cache, query)
    assert taken == [None]


_WORDS = ["problem", "Problem", "export", "EXPORT", "50%", "a_b", "ok", "über", "Über", "x"]
_text = st.lists(st.sampled_from(_WORDS), max_size=4).map(" ".join)
_message = st.tuples(_text, st.booleans(), st.sampled_from(["", "urgent"]))
_subject = st.tuples(st.integers(0, 5), _text).map(
    lambda p: f"{_WORDS[p[0] % 2]} {p[1]}" if p[0] else p[1]  # mostly "problem" or "Problem"
)
_thread = st.tuples(_subject, st.lists(_message, min_size=1, max_size=3))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    threads=st.lists(_thread, min_size=1, max_size=8),
    words=st.lists(st.sampled_from(["problem", "PROBLEM", *_WORDS]), min_size=1, max_size=2),
    unread=st.booleans(),
    keyword=st.booleans(),
    since=st.none() | st.integers(min_value=1, max_value=8),
)
def test_counts_equal_lists_for_any_mailbox_and_query(
    threads: list[Thread], words: list[str], unread: bool, keyword: bool, since: int | None
) -> None:
    saved = subjectcount.SAMPLE, subjectcount.FEW
    subjectcount.SAMPLE, subjectcount.FEW = 3, 2  # every path of a small mailbox
    try:
        cache = _cache(threads)
        query = ThreadQuery(
            search=" ".join(words),
            unread=unread,
            since=None if since is None else NOW - timedelta(days=since),
        )
        keywords = ("urgent",) if keyword else ()
        assert _counted(cache, query, keywords) == _listed(cache, query, keywords)
    finally:
        subjectcount.SAMPLE, subjectcount.FEW = saved


def test_a_repeated_count_is_remembered_until_the_cache_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same search counted again (another page's query included) costs nothing; a commit
    of this process or of another one makes it count again."""
    cache = _cache(EVERY_SUBJECT)
    path = tmp_path / "cache.sqlite3"
    cache._writer.execute("VACUUM INTO ?", (str(path),))
    cache._writer.execute("VACUUM search INTO ?", (str(path.with_name("search.sqlite3")),))
    cache.close()
    cache = Cache(path)
    calls: list[ThreadQuery] = []
    real = Cache._count

    def spy(self: Cache, account: str, query: ThreadQuery, *args: object) -> int:
        calls.append(query)
        return real(self, account, query, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(Cache, "_count", spy)
    query = ThreadQuery(search="problem")
    assert cache.count_threads(ACCOUNT, query) == 4
    assert cache.count_threads(ACCOUNT, ThreadQuery(search="problem", limit=5, offset=5)) == 4
    assert len(calls) == 1
    assert cache.count_threads(ACCOUNT, query, ("urgent",)) == 2  # another view: counted
    assert len(calls) == 2
    cache.apply_keyword(ACCOUNT, ["t1.0@x.example"], "urgent", True)  # this process writes
    cache.rebuild_threads(ACCOUNT)
    assert cache.count_threads(ACCOUNT, query, ("urgent",)) == 3
    assert len(calls) == 3
    other = Cache(path)  # another process's commit
    other.apply_keyword(ACCOUNT, ["t3.0@x.example"], "urgent", True)
    other.rebuild_threads(ACCOUNT)
    other.close()
    assert cache.count_threads(ACCOUNT, query, ("urgent",)) == 4
    assert len(calls) == 4
    cache.close()
