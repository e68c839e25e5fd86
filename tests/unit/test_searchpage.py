"""Search pages: the walked first pages of a common word (``storage.cache.searchpage``) are exactly
the pages the mapped hits give, in the same order, with the view's filters (demo mailbox,
thresholds lowered so that its words count as common); and what words of one or two characters
match."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportmail.storage.cache import Cache, FolderState, searchpage, searchwords
from supportmail.storage.mime import Body, Envelope
from supportmail.storage.models import Address, ThreadQuery
from supportmail.storage.service import Service

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    root: Path = tmp_path_factory.mktemp("demo")
    with Service.open_demo(root, now=NOW) as service:
        yield service


QUERIES = [
    ThreadQuery(search="the"),
    ThreadQuery(search="export", limit=7),
    ThreadQuery(search="you", limit=5, offset=5),
    ThreadQuery(search="please", limit=4, unread=True),
    ThreadQuery(search="the", limit=6, tags=("category:bug",)),
    ThreadQuery(search="the", limit=6, untagged=True),
    ThreadQuery(search="you the", limit=8, since=NOW - timedelta(days=20)),
    ThreadQuery(search="zzzzzz", limit=5),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"{q.search}-{q.limit}-{q.offset}")
def test_walked_pages_equal_mapped_pages(
    service: Service, query: ThreadQuery, monkeypatch: pytest.MonkeyPatch
) -> None:
    if query.limit is None:
        query = ThreadQuery(search=query.search, limit=10)
    expected = [s.id for s in service.list_threads(query)]  # not dense: every hit mapped
    walked: list[object] = []
    real = searchpage.newest_page

    def spy(*args: object, **kwargs: object) -> object:
        result = real(*args, **kwargs)  # type: ignore[arg-type]
        walked.append(result)
        return result

    monkeypatch.setattr(searchpage, "DENSE", 1)
    monkeypatch.setattr(searchpage, "BATCH", 3)
    monkeypatch.setattr(searchpage, "newest_page", spy)
    service.cache._local.hits = None  # a new query: nothing mapped yet
    got = [s.id for s in service.list_threads(query)]
    assert got == expected
    if query.search != "zzzzzz":  # a word nowhere is not dense: never walked
        assert walked and walked[0] is not None


def test_a_walk_that_finds_too_little_gives_up(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = ThreadQuery(search="the", limit=50)
    expected = [s.id for s in service.list_threads(query)]
    monkeypatch.setattr(searchpage, "DENSE", 1)
    monkeypatch.setattr(searchpage, "BATCH", 2)
    monkeypatch.setattr(searchpage, "MAX_WALK", 4)
    service.cache._local.hits = None
    assert [s.id for s in service.list_threads(query)] == expected


def test_newest_page_stops_after_max_walk(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(searchpage, "BATCH", 2)
    monkeypatch.setattr(searchpage, "MAX_WALK", 2)
    args = ('"zzzzzz"', "t.root", "t.account=?", [service.account], 3, 0)
    assert searchpage.newest_page(service.cache._db, service.account, *args) is None
    monkeypatch.setattr(searchpage, "MAX_WALK", 10**6)
    assert searchpage.newest_page(service.cache._db, service.account, *args) == []


def _small_cache() -> Cache:
    cache = Cache(":memory:")
    cache.save_folder(FolderState("a", "INBOX", 1, 0, False))
    items = []
    for uid, subject in ((1, "Login fine zq"), (2, "Export broken")):
        env = Envelope(
            message_id=f"m{uid}@x", in_reply_to=(), references=(), subject=subject,
            sender=Address("Bo", f"bo{uid}@x.example"), to=(), cc=(), reply_to=(),
            date=NOW - timedelta(hours=uid),
        )  # fmt: skip
        items.append((uid, env, (), 10, None, None))
    cache.add_messages("a", "INBOX", items)
    rowids = cache.rowids("a")
    for uid, text in ((1, "the 发票 is fine"), (2, "zq so the export is broken, 发票 too")):
        cache.save_body(rowids[("INBOX", uid)], Body(text=text, attachments=(), html_only=False))
    cache.thread_pending("a")
    cache.rebuild_threads("a")
    return cache


def test_short_words_match_subjects_and_people_only() -> None:
    cache = _small_cache()

    def subjects(text: str) -> list[str]:
        found = cache.list_threads("a", ThreadQuery(search=text))
        assert cache.count_threads("a", ThreadQuery(search=text)) == len(found)
        return [t.subject for t in found]

    assert subjects("zq") == ["Login fine zq"]  # "zq" is in the other body too: not searched
    assert subjects("发票") == []  # two characters: bodies are not scanned
    assert subjects("the zq") == ["Login fine zq"]  # long words in bodies, short in subjects
    assert subjects("export zq") == []
    assert subjects("bo2") == ["Export broken"]  # three characters: the index, people too


COUNTED = [
    *QUERIES,
    ThreadQuery(search="the", unread=True),
    ThreadQuery(search="you", tags=("category:bug",)),
    ThreadQuery(search="the ok"),  # a short word: matched in subjects and people
    ThreadQuery(search="ok"),  # short words only: no index lookup
    ThreadQuery(),
]


@pytest.mark.parametrize("query", COUNTED, ids=lambda q: f"{q.search}-{q.unread}-{q.tags}")
def test_a_count_up_to_a_bound_is_exact_below_it_and_one_more_above(
    service: Service, query: ThreadQuery
) -> None:
    """``count_threads(at_most=n)``: the exact count when it is at most n, else n + 1 (the
    TUI's "(1000+)" preview), with the same filters as the exact count."""
    exact = service.count_threads(query)
    for bound in sorted({0, 1, 2, max(exact - 1, 0), exact, exact + 1, 1000}):
        service.cache._local.hits = None
        assert service.count_threads(query, at_most=bound) == min(exact, bound + 1), bound


@pytest.mark.parametrize("text", ["the export", "export the", "you export the"])
def test_the_index_is_asked_for_the_rarest_word_first(service: Service, text: str) -> None:
    """Words of a search are given to FTS5 the rarest first (among the newest messages): the
    same threads whatever order they were typed in."""
    cache = service.cache
    cache._local.order = None
    match = cache._match(ThreadQuery(search=text))
    assert match is not None
    words = [w.strip('"') for w in match.split(" AND ")]
    assert sorted(words) == sorted(text.split())
    top = cache._db.execute("SELECT max(id) FROM messages").fetchone()[0]
    counts = [
        cache._db.execute(
            "SELECT count(*) FROM fts WHERE fts MATCH ? AND rowid > ?",
            (f'"{w}"', top - searchwords.ORDER_SAMPLE),
        ).fetchone()[0]
        for w in words
    ]
    assert counts == sorted(counts)
    typed = " AND ".join(f'"{w}"' for w in text.split())
    cache._local.hits = None
    listed = [t.root for t in cache.list_threads(service.account, ThreadQuery(search=text))]
    assert listed == [r[0] for r in cache._db.execute(
        "SELECT t.root FROM threads t WHERE t.rowid IN (SELECT x.thread FROM fts f"
        " JOIN thread_members x ON x.message = f.rowid WHERE fts MATCH ?)"
        " ORDER BY t.last_date DESC, t.root", (typed,))]  # fmt: skip
    cache._local.count = None
    assert cache.count_threads(service.account, ThreadQuery(search=text)) == len(listed)
