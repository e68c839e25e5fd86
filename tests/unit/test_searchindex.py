"""The search index in its own file: written by an indexer thread beside the cache writer,
complete again after a run killed between the two commits, and never missing a saved body."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportmail.storage.cache import Cache, prepare_rows, searchindex
from supportmail.storage.mime import Body
from tests.unit.fetched import fetched

START = datetime(2026, 3, 1, tzinfo=UTC)


def _items(subjects: list[str], first_uid: int = 1) -> list[tuple[object, ...]]:
    return fetched(subjects, first_uid=first_uid, sender="Jürgen Müller")


def _hits(cache: Cache, word: str) -> list[int]:
    rows = cache._db.execute("SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rowid", (word,))
    return [r[0] for r in rows]


class _Dropped:
    """An indexer killed before it wrote anything."""

    def submit(self, rows: object) -> None:
        pass


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache.sqlite3")


def test_the_index_is_a_file_of_its_own_beside_the_cache(cache: Cache, tmp_path: Path) -> None:
    assert cache.search_path == tmp_path / searchindex.FILE_NAME
    assert cache.search_path.exists()
    assert cache.search_path.stat().st_mode & 0o077 == 0
    main = {r[0] for r in cache._db.execute("SELECT name FROM main.sqlite_master")}
    assert "fts" not in main


def test_an_indexer_writes_while_a_cache_transaction_is_open(cache: Cache) -> None:
    assert cache.search_path is not None
    other = sqlite3.connect(cache.search_path, isolation_level=None, timeout=0.2)
    with cache.transaction():
        other.execute("BEGIN IMMEDIATE")  # the cache write holds only the cache file
        other.execute("COMMIT")
    with (
        cache.transaction(search=True),
        pytest.raises(sqlite3.OperationalError, match="locked"),
    ):
        other.execute("BEGIN IMMEDIATE")
    other.close()


def test_rows_stored_with_an_indexer_are_searchable_once_it_is_closed(cache: Cache) -> None:
    assert cache.search_path is not None
    indexer = searchindex.Indexer(cache.search_path)
    added = cache.insert_rows(
        prepare_rows("a", "INBOX", _items(["Rechnungsadresse falsch", "Dark mode?"])), indexer
    )
    indexer.close()
    assert added == 2
    assert len(_hits(cache, '"rechnung"')) == 1
    assert len(_hits(cache, '"müller"')) == 2
    assert cache.index_missing() == 0


def test_a_run_killed_before_the_indexer_wrote_is_indexed_by_the_next(cache: Cache) -> None:
    cache.insert_rows(prepare_rows("a", "INBOX", _items(["one invoice", "two"])))
    cache.insert_rows(prepare_rows("a", "INBOX", _items(["three invoice"], 3)), _Dropped())  # type: ignore[arg-type]
    assert len(_hits(cache, '"invoice"')) == 1
    assert cache.index_missing() == 1
    assert len(_hits(cache, '"invoice"')) == 2
    assert len(_hits(cache, '"jm0@kunde"')) == 2  # people rebuilt from the stored row
    assert cache.index_missing() == 0


def test_a_body_saved_before_its_row_was_indexed_stays_searchable(cache: Cache) -> None:
    cache.insert_rows(prepare_rows("a", "INBOX", _items(["Export"])), _Dropped())  # type: ignore[arg-type]
    (rowid,) = cache.rowids("a").values()
    cache.save_body(rowid, Body(text="Die Exportfunktion hängt", attachments=(), html_only=False))
    assert _hits(cache, '"exportfunktion"') == [rowid]
    assert _hits(cache, '"export"') == [rowid]  # the subject came with the body
    assert cache.search_path is not None
    indexer = searchindex.Indexer(cache.search_path)  # the late indexer skips the row
    indexer.submit([(rowid, "Export", "")])
    indexer.close()
    assert cache.index_missing() == 0
    assert _hits(cache, '"exportfunktion"') == [rowid]


def test_an_indexer_failure_is_raised_when_it_is_closed(cache: Cache) -> None:
    assert cache.search_path is not None
    indexer = searchindex.Indexer(cache.search_path)
    cache._writer.execute("DROP TABLE search.fts")
    indexer.submit([(1, "x", "y")])
    with pytest.raises(searchindex.IndexerError, match="no such table"):
        indexer.close()


def test_a_cache_from_before_the_index_moved_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('schema', '3');"
        "CREATE TABLE messages (id INTEGER PRIMARY KEY, subject TEXT);"
        "CREATE VIRTUAL TABLE fts USING fts5 (subject, people, body);"
        "INSERT INTO fts (rowid, subject, people, body) VALUES (1, 'old', '', '');"
    )
    old.commit()
    old.close()
    cache = Cache(path)
    main = {r[0] for r in cache._db.execute("SELECT name FROM main.sqlite_master")}
    assert not {n for n in main if n.startswith("fts")}
    assert _hits(cache, '"old"') == []
    cache.insert_rows(prepare_rows("a", "INBOX", _items(["new"])))
    assert len(_hits(cache, '"new"')) == 1


def test_an_index_left_beside_a_deleted_cache_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    first = Cache(path)
    first.insert_rows(prepare_rows("a", "INBOX", _items(["stale words"])))
    first.close()
    path.unlink()  # "delete it any time"
    cache = Cache(path)
    assert _hits(cache, '"stale"') == []  # its row ids named the old cache's messages
    cache.insert_rows(prepare_rows("a", "INBOX", _items(["fresh words"])))
    assert len(_hits(cache, '"fresh"')) == 1


def test_a_deleted_index_is_rebuilt_by_the_next_sync(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    first = Cache(path)
    first.insert_rows(prepare_rows("a", "INBOX", _items(["kept words", "more"])))
    first.close()
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / (searchindex.FILE_NAME + suffix)).unlink(missing_ok=True)
    cache = Cache(path)
    assert _hits(cache, '"kept"') == []
    assert cache.index_missing() == 2
    assert len(_hits(cache, '"kept"')) == 1


def test_a_deferred_index_indexes_each_row_once_with_its_body(cache: Cache) -> None:
    cache.defer_index()
    assert cache.index_deferred
    cache.insert_rows(prepare_rows("a", "INBOX", _items(["Export", "Login"])), index=False)
    assert _hits(cache, '"export"') == []  # waits for its body
    export = cache.rowids("a")[("INBOX", 1)]
    body = Body(text="Die Exportfunktion hängt", attachments=(), html_only=False)
    cache.save_bodies("a", [(export, "", body)])
    assert _hits(cache, '"exportfunktion"') == [export]
    assert _hits(cache, '"export"') == [export]  # subject and people came with the body
    assert cache.index_missing(keep_deferred=True) == 0  # the mirror goes on
    assert _hits(cache, '"login"') == []
    assert cache.index_missing() == 1  # the mirror ended: the row it did not reach
    assert not cache.index_deferred
    assert len(_hits(cache, '"login"')) == 1
    assert len(_hits(cache, '"müller"')) == 2
    assert cache.index_missing() == 0


def test_a_deferred_index_is_completed_by_a_sync_that_does_not_keep_it(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    first = Cache(path)
    first.insert_rows(prepare_rows("a", "INBOX", _items(["indexed before"])))
    first.defer_index()
    first.insert_rows(prepare_rows("a", "INBOX", _items(["deferred one"], 2)), index=False)
    first.close()  # a kill: the mark stays with the file
    cache = Cache(path)
    assert cache.index_deferred
    assert _hits(cache, '"deferred"') == []
    assert cache.index_missing() == 1
    assert len(_hits(cache, '"deferred"')) == 1
    assert len(_hits(cache, '"indexed"')) == 1
    assert not cache.index_deferred
