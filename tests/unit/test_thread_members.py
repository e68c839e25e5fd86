"""The ``thread_members`` map a search counts and lists through (``storage.cache.schema``): every
count equals what the list lists, with the view's filters; a cache of the previous schema is
upgraded in place (and an upgrade killed before its commit is done again); a rebuild killed with
``kill -9`` in the middle of writing thread rows leaves counts equal to lists; a thread row's
number is never given to another thread."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportmail.storage.cache import Cache, schema
from supportmail.storage.models import ThreadQuery
from supportmail.storage.service import Service
from tests.faults.kill_rounds import members_astray, texts_astray

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
ACCOUNT = "demo"

QUERIES = [
    ThreadQuery(search="the"),
    ThreadQuery(search="export"),
    ThreadQuery(search="please", unread=True),
    ThreadQuery(search="the", tags=("category:bug",)),
    ThreadQuery(search="the", untagged=True),
    ThreadQuery(search="you the", since=NOW - timedelta(days=20)),
    ThreadQuery(search="ok"),
    ThreadQuery(search="a"),
    ThreadQuery(search="re the", unread=True),
    ThreadQuery(search="zzzzzz"),
]


def _results(service: Service) -> list[tuple[int, list[str]]]:
    """(count, listed ids) of every query, with nothing remembered from earlier calls."""
    out = []
    for query in QUERIES:
        service.cache._local.hits = None
        listed = [s.id for s in service.list_threads(query)]
        out.append((service.count_threads(query), listed))
    return out


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Path, list[tuple[int, list[str]]]]]:
    """A demo data dir (closed) and its results."""
    with Service.open_demo(tmp_path, now=NOW) as service:
        results = _results(service)
        path = Path(service.cache.path)
    yield path, results


def _reopen(path: Path) -> Service:
    return Service(account=ACCOUNT, data_dir=path.parent, folders=("INBOX", "Sent"),
                   connector=None, own_address="support@plotline.example")  # fmt: skip


def _downgrade_to_version_4(path: Path) -> None:
    """What a version-4 cache is: this schema without the map and its counter."""
    db = sqlite3.connect(path)
    db.executescript(
        "DROP TABLE thread_members; DELETE FROM meta WHERE key='thread_seq';"
        "UPDATE meta SET value='4' WHERE key='schema';"
    )
    db.close()


def _downgrade_to_version_5(path: Path) -> None:
    """What a version-5 cache is: this schema without ``thread_text``, its thread rows numbered
    one after another (in root order, as a version-5 rebuild did)."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        DROP TABLE thread_text;
        CREATE TEMP TABLE renumber AS SELECT rowid AS old,
            (SELECT max(rowid) FROM threads) + row_number() OVER (ORDER BY root) AS new
            FROM threads;
        UPDATE threads SET rowid = (SELECT new FROM renumber WHERE old = threads.rowid);
        UPDATE thread_members SET thread = (SELECT new FROM renumber WHERE old = thread);
        UPDATE meta SET value = (SELECT max(rowid) FROM threads) WHERE key='thread_seq';
        UPDATE meta SET value='5' WHERE key='schema';
        """
    )
    db.close()


def _numbers_follow_first_messages(path: Path) -> bool:
    db = sqlite3.connect(path)
    firsts = [
        r[0]
        for r in db.execute(
            "SELECT min(x.message) FROM threads t JOIN thread_members x ON x.thread = t.rowid"
            " GROUP BY t.rowid ORDER BY t.rowid"
        )
    ]
    db.close()
    return firsts == sorted(firsts)


def test_counts_equal_lists_with_every_filter(
    demo: tuple[Path, list[tuple[int, list[str]]]],
) -> None:
    path, results = demo
    for query, (count, listed) in zip(QUERIES, results, strict=True):
        assert count == len(listed), query
        assert len(set(listed)) == len(listed)
    assert any(count > 5 for count, _ in results)  # the queries find something
    with _reopen(path) as service:
        for query, (count, _listed) in zip(QUERIES, results, strict=True):
            preview = service.count_threads(query, at_most=3)
            assert preview == min(count, 4), query
    assert members_astray(path) == 0


def test_a_version_4_cache_is_upgraded_in_place(
    demo: tuple[Path, list[tuple[int, list[str]]]],
) -> None:
    path, results = demo
    _downgrade_to_version_4(path)
    with _reopen(path) as service:
        assert service.cache._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[
            0
        ] == str(schema.SCHEMA_VERSION)
        assert service.cache.message_count(ACCOUNT) > 0  # upgraded, not emptied
        assert _results(service) == results
        service.cache.rebuild_threads(ACCOUNT)  # numbers go on above the upgraded rows'
        assert _results(service) == results
    assert members_astray(path) == 0
    assert texts_astray(path) == 0


@pytest.mark.parametrize("version", [4, 5])
def test_a_version_5_cache_is_upgraded_in_place(
    demo: tuple[Path, list[tuple[int, list[str]]]], version: int
) -> None:
    """Its thread rows get ``thread_text`` and the numbers a rebuild gives them now (by first
    message); a version-4 cache gets its map first, then the same."""
    path, results = demo
    _downgrade_to_version_5(path)
    assert not _numbers_follow_first_messages(path)  # numbered in root order
    if version == 4:
        _downgrade_to_version_4(path)
    with _reopen(path) as service:
        assert service.cache._db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[
            0
        ] == str(schema.SCHEMA_VERSION)
        assert _results(service) == results
        service.cache.rebuild_threads(ACCOUNT)
        assert _results(service) == results
    _assert_in_step(path)


def test_a_version_5_cache_with_a_counter_behind_its_rows_is_upgraded(
    demo: tuple[Path, list[tuple[int, list[str]]]],
) -> None:
    """New numbers start above the highest row id even where ``thread_seq`` lags behind it
    (it never should): no number is given twice."""
    path, results = demo
    _downgrade_to_version_5(path)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='1' WHERE key='thread_seq'")
    db.commit()
    db.close()
    with _reopen(path) as service:
        assert _results(service) == results
    _assert_in_step(path)


def _assert_in_step(path: Path) -> None:
    """Thread numbers follow first messages; every map entry and ``thread_text`` row names a
    thread row that exists."""
    assert _numbers_follow_first_messages(path)
    assert members_astray(path) == 0
    assert texts_astray(path) == 0


def _run_killed(code: str) -> None:
    """Run ``code`` in a new interpreter that ends by SIGKILL (it must kill itself)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=False, timeout=120)
    assert done.returncode == -9


@pytest.mark.parametrize("version", [4, 5])
def test_an_upgrade_killed_before_its_commit_is_done_again(
    demo: tuple[Path, list[tuple[int, list[str]]]], version: int
) -> None:
    path, results = demo
    (_downgrade_to_version_4 if version == 4 else _downgrade_to_version_5)(path)
    _run_killed(
        f"""
        import os, signal, sqlite3
        from supportmail.storage.cache import schema
        db = sqlite3.connect({str(path)!r}, isolation_level=None)
        db.executescript(schema.UPGRADE_{version}.replace("COMMIT;", ""))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (str(version),)
    db.close()
    with _reopen(path) as service:
        assert _results(service) == results
    _assert_in_step(path)


@pytest.mark.parametrize("full", [True, False], ids=["full rebuild", "some threads"])
def test_a_rebuild_killed_mid_write_leaves_counts_equal_to_lists(
    demo: tuple[Path, list[tuple[int, list[str]]]], full: bool
) -> None:
    path, results = demo
    roots = "None" if full else "set(r[0] for r in c._db.execute('SELECT root FROM threads'))"
    _run_killed(
        f"""
        import os, signal
        from pathlib import Path
        from supportmail.storage.cache import Cache, threadtable
        real = threadtable._ThreadSummary.row
        calls = [0]
        def row(self, *args):
            calls[0] += 1
            if calls[0] == 7:  # some thread rows and map entries written, not committed
                os.kill(os.getpid(), signal.SIGKILL)
            return real(self, *args)
        threadtable._ThreadSummary.row = row
        c = Cache(Path({str(path)!r}))
        with c.transaction() as db:  # a sync's change beside it: committed first
            db.execute("UPDATE messages SET flags='' WHERE id IN (SELECT id FROM messages LIMIT 3)")
        c.rebuild_threads({ACCOUNT!r}, {roots})
        """
    )
    assert members_astray(path) == 0
    with _reopen(path) as service:
        after = _results(service)
        for count, listed in after:
            assert count == len(listed)
        assert [listed for _count, listed in after] == [listed for _count, listed in results]
        service.cache.rebuild_threads(ACCOUNT)
        for count, listed in _results(service):
            assert count == len(listed)
    assert members_astray(path) == 0


def test_a_thread_number_is_never_used_twice(tmp_path: Path) -> None:
    with Service.open_demo(tmp_path, now=NOW) as service:
        cache: Cache = service.cache
        before = dict(cache._db.execute("SELECT root, rowid FROM threads"))
        top = max(before.values())
        root = next(iter(before))
        cache.rebuild_threads(ACCOUNT, {root})
        after = dict(cache._db.execute("SELECT root, rowid FROM threads"))
        assert after[root] > top  # the rebuilt row got a new number
        cache.rebuild_threads(ACCOUNT)
        renumbered = dict(cache._db.execute("SELECT root, rowid FROM threads"))
        assert min(renumbered.values()) > after[root]  # a full rebuild too, never an old one
        assert set(renumbered) == set(before)
        moved = cache._db.execute(
            "SELECT count(*) FROM thread_members WHERE thread <= ?", (after[root],)
        ).fetchone()[0]
        assert moved == 0  # every entry names its new row
        service.cache._local.hits = None
        listed = service.list_threads(ThreadQuery(search="the"))
        assert service.count_threads(ThreadQuery(search="the")) == len(listed)
