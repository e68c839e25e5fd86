"""Listing and counting threads (:class:`ThreadSearch`): filters, full-text search, pages.

A query filters the ``threads`` rows (tags as keywords, untagged, unread, since) and, with
search text, keeps the threads holding a message that matches every word of three or more
characters in the FTS5 trigram index (:mod:`storage.cache.searchindex`); shorter words match the
thread's subject and people. Each hit is mapped to its thread row through ``thread_members``
(message row id -> thread row id, :mod:`storage.cache.schema`), in SQL: a count takes the
distinct rows (with the view's filters on them), a list remembers them until the cache changes
(it asks for several pages); the first pages of a common word walk the newest threads instead
(:mod:`storage.cache.searchpage`), and the count of a word in (nearly) every thread's subject
comes from the thread rows (:mod:`storage.cache.subjectcount`). An exact count is remembered
until the cache changes, as the hits are. The roots a server search found
(:mod:`storage.serversearch`) drive the query the same way.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import replace

from supportmail.storage.cache import searchpage, searchwords, shortwords, splitcount, subjectcount
from supportmail.storage.cache.core import CacheCore
from supportmail.storage.cache.rows import THREAD_COLUMNS, ThreadRow, epoch, thread_row
from supportmail.storage.cache.schema import open_reader
from supportmail.storage.cache.searchwords import fts_query, long_terms, short_only, short_terms
from supportmail.storage.models import ThreadQuery

_MEMBERS = "fts f JOIN thread_members x ON x.message = f.rowid WHERE fts MATCH ?"
"""The matching messages of an FTS query (one parameter), each with its thread row id ``x.thread``
(:mod:`storage.cache.schema`: ``thread_members``); FTS5 gives them in row-id order, so the
lookups walk the map's pages in order."""


_Hits = tuple[tuple[object, ...], str, int]
"""A remembered search: its key (what was searched, the cache's generation and data version),
the matching thread row ids as a JSON array, and how many there are."""


class ThreadSearch(CacheCore):
    """Thread lists and counts for a :class:`~storage.models.ThreadQuery`."""

    _split_lock = threading.Lock()
    _splitter: splitcount.Splitter | None = None

    def _split_count(self, match: str) -> int | None:
        """The distinct threads of ``match``'s hits counted on two threads
        (:mod:`storage.cache.splitcount`); None where that is not done (an in-memory cache has
        one connection; inside a transaction this thread reads what it wrote)."""
        if self._shared or self._owner == threading.get_ident():
            return None
        with self._split_lock:
            if self._splitter is None:
                path = self.path
                self._splitter = splitcount.Splitter(lambda: open_reader(path))
            splitter = self._splitter
        return splitter.count(self._db, match)

    def close(self) -> None:
        """Close the connections (the split count's too)."""
        with self._split_lock:
            splitter, self._splitter = self._splitter, None
        if splitter is not None:
            splitter.close()
        super().close()

    def _remembered(self, what: tuple[object, ...]) -> tuple[tuple[object, ...], _Hits | None]:
        """The memo key of a search (``what`` it looks for) and its remembered hits, if any:
        a list asks for several pages of the same query, and a count follows the first page."""
        # data_version: commits of other connections (this process's writer included) as
        # this thread's reader saw them; so the memo is this thread's too.
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        key = (*what, self._generation, version)
        memo: _Hits | None = getattr(self._local, "hits", None)
        return key, (memo if memo is not None and memo[0] == key else None)

    def _remember(self, key: tuple[object, ...], rows: list[int]) -> _Hits:
        hits = (key, json.dumps(rows), len(rows))
        self._local.hits = hits
        return hits

    def _search_hits(self, match: str) -> _Hits:
        """The thread rows (row ids) holding a message that matches an FTS query, remembered
        until the cache changes."""
        key, memo = self._remembered(("fts", match))
        if memo is not None:
            return memo
        rows = self._db.execute(f"SELECT DISTINCT x.thread FROM {_MEMBERS}", (match,))
        return self._remember(key, [r[0] for r in rows])

    def _short_hits(self, terms: Sequence[str]) -> _Hits:
        """The thread rows whose subject or people hold every one of ``terms`` (words of one
        or two characters: :mod:`storage.cache.shortwords`), remembered until the cache
        changes."""
        key, memo = self._remembered(("short", *terms))
        if memo is not None:
            return memo
        return self._remember(key, shortwords.matching_rows(self._db, terms))

    def _match(self, query: ThreadQuery) -> str | None:
        """The FTS5 query of a local search (None: no word of three or more characters), its
        words the rarest first (:func:`storage.cache.searchwords.rarest_first`), remembered
        until the cache changes so that the pages and the count ask the index the same query."""
        if not query.search or query.roots is not None:
            return None
        terms = long_terms(query.search)
        if len(terms) < 2:
            return fts_query(query.search)
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        key = (tuple(terms), self._generation, version)
        memo: tuple[tuple[object, ...], str] | None = getattr(self._local, "order", None)
        if memo is None or memo[0] != key:
            memo = (key, searchwords.rarest_first(self._db, terms))
            self._local.order = memo
        return memo[1]

    def roots_of_uids(self, account: str, folder: str, uids: Sequence[int]) -> tuple[set[str], int]:
        """Thread roots of the cached messages among ``uids`` (see :mod:`storage.serversearch`)."""
        from supportmail.storage import serversearch  # a server search's own code

        return serversearch.roots_of_uids(self._db, account, folder, uids)

    def _roots_json(self, roots: frozenset[str]) -> str:
        """``roots`` as a JSON array, remembered for the same set (the list pages through it)."""
        memo: tuple[frozenset[str], str] | None = getattr(self._local, "roots", None)
        if memo is not None and memo[0] is roots:
            return memo[1]
        text = json.dumps(sorted(roots), ensure_ascii=False)
        self._local.roots = (roots, text)
        return text

    def _source(self, account: str, query: ThreadQuery) -> tuple[str, list[object]]:
        """FROM clause: a search drives the query from its hits (a few thousand primary-key
        lookups) instead of walking every thread and testing membership; so do the roots a
        server search found. Words of three or more characters: the index's hits; short words
        alone: the rows whose text holds them (then ``_where(short=False)``)."""
        if query.roots is not None:
            return "json_each(?) h CROSS JOIN threads t ON t.root = h.value", [
                self._roots_json(query.roots)
            ]
        if not query.search or not query.search.split():
            return "threads t", []
        match = self._match(query)
        hits = self._search_hits(match) if match else self._short_hits(short_terms(query.search))
        return "json_each(?) h CROSS JOIN threads t ON t.rowid = h.value", [hits[1]]

    def _where(
        self,
        account: str,
        query: ThreadQuery,
        keywords: Sequence[str],
        *,
        by_rowid: bool = False,
        short: bool = True,
    ) -> tuple[str, list[object]]:
        """The view's filters on ``threads t``. ``by_rowid``: the rows are found by row id, so
        keep SQLite from walking an index on the account instead (with a filter beside it, it
        read every row of the account through that index). ``short`` False: leave out the
        tests of short words (the rows come from ``_short_hits``, which made them)."""
        clauses = ["+t.account=?" if by_rowid else "t.account=?"]
        params: list[object] = [account]
        for kw in keywords:
            clauses.append("instr(t.keywords, ?) > 0")
            params.append(" " + kw.lower() + " ")
        if query.untagged:
            clauses.append("(t.has_team=0 OR t.has_category=0)")
        if query.unread:
            clauses.append("t.unread > 0")
        if query.since is not None:
            clauses.append("t.last_date >= ?")
            params.append(epoch(query.since)[0])
        # Words of three or more characters: _source joins their hits. Shorter ones match the
        # subject and people of the thread row only: the trigram index cannot look them up,
        # and reading every body (or every hit's body) for them took seconds at 250k messages.
        if query.search and query.roots is None and short:
            for term in short_terms(query.search):
                like = shortwords.like(term)
                clauses.append(
                    "(t.subject LIKE ? ESCAPE '\\' OR t.participants_json LIKE ? ESCAPE '\\')"
                )
                params.extend([like, like])
        return " AND ".join(clauses), params

    def list_threads(
        self, account: str, query: ThreadQuery, keywords: Sequence[str] = ()
    ) -> list[ThreadRow]:
        """Threads matching ``query`` (tag filters given as keywords), newest activity first
        (``query.oldest_first``: oldest first message first)."""
        where, where_params = self._where(account, query, keywords)
        match = self._match(query)
        short = short_only(query)
        if query.limit is not None and not query.oldest_first and (match or short):
            # The first pages of a common word: walk the newest threads (storage.cache.searchpage
            # and, for short words alone, storage.cache.shortwords).
            walked = self._walk_page(account, match, short, where, where_params, query)
            if walked is not None:
                return [thread_row(r) for r in walked]
        if short:
            where, where_params = self._where(account, query, keywords, short=False)
        source, params = self._source(account, query)
        params.extend(where_params)
        order = "t.first_date, t.root" if query.oldest_first else "t.last_date DESC, t.root"
        sql = f"SELECT {THREAD_COLUMNS} FROM {source} WHERE {where} ORDER BY {order}"
        if query.limit is not None:
            sql += " LIMIT ? OFFSET ?"
            params.extend([query.limit, query.offset])
        elif query.offset:
            sql += " LIMIT -1 OFFSET ?"
            params.append(query.offset)
        return [thread_row(r) for r in self._db.execute(sql, params)]

    def _walk_page(
        self,
        account: str,
        match: str | None,
        short: Sequence[str],
        where: str,
        params: Sequence[object],
        query: ThreadQuery,
    ) -> list[tuple[object, ...]] | None:
        """The page by walking the newest threads (None: take it from every hit instead)."""
        assert query.limit is not None
        _key, memo = self._remembered(("fts", match) if match else ("short", *short))
        if memo is not None:
            return None  # the hits are there already: the usual query is cheaper
        if not match:
            return shortwords.newest_page(
                self._db, account, THREAD_COLUMNS, where, params, query.limit, query.offset
            )
        if query.offset + query.limit > searchpage.MAX_WALK or not searchpage.is_dense(
            self._db, match
        ):
            return None
        columns = THREAD_COLUMNS
        return searchpage.newest_page(
            self._db, account, match, columns, where, params, query.limit, query.offset
        )

    def count_threads(
        self,
        account: str,
        query: ThreadQuery,
        keywords: Sequence[str] = (),
        *,
        at_most: int | None = None,
    ) -> int:
        """How many threads match ``query``. With ``at_most``: the count when it is at most
        that, else ``at_most + 1`` ("more than ``at_most``"), found without counting them all
        (a search stops at the first ``at_most + 1`` threads it meets). A search's exact count
        is remembered until the cache changes (the same query again costs nothing)."""
        if at_most is not None or not query.search or self._owner == threading.get_ident():
            return self._count(account, query, keywords, at_most)  # inside a transaction: no memo
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        plain = replace(query, limit=None, offset=0)
        key = (account, plain, tuple(keywords), self._generation, version)
        memo: tuple[tuple[object, ...], int] | None = getattr(self._local, "count", None)
        if memo is not None and memo[0] == key:
            return memo[1]
        count = self._count(account, query, keywords, None)
        self._local.count = (key, count)
        return count

    def _count(
        self, account: str, query: ThreadQuery, keywords: Sequence[str], at_most: int | None
    ) -> int:
        match = self._match(query)
        short = short_only(query)
        where, where_params = self._where(
            account, query, keywords, by_rowid=bool(match or short), short=not short
        )
        if match is not None and at_most is not None:
            return self._count_some(match, where, where_params, at_most + 1)
        hits: _Hits | None = None
        if short:
            hits = self._remembered(("short", *short))[1]  # the list's, if it found them
            if hits is None:
                return self._count_short(account, query, keywords, short, at_most)
        elif match is not None:
            hits = self._remembered(("fts", match))[1]  # the list's, if it mapped them
        if hits is None and match is not None:
            # A word in (nearly) every subject: the thread rows tell (storage.cache.subjectcount).
            likes = [shortwords.like(term) for term in long_terms(query.search or "")]
            covered = subjectcount.count_if_covered(
                self._db, account, match, likes, where, where_params
            )
            if covered is not None:
                return covered
        unfiltered = where == "+t.account=?" and self._only_account(account)
        params: list[object]
        if hits is not None and unfiltered:
            # One account, no filter: every hit is a thread row of the view.
            count = hits[2]
            return count if at_most is None else min(count, at_most + 1)
        if hits is not None:
            sql = (
                "SELECT count(*) FROM json_each(?) h CROSS JOIN threads t ON t.rowid = h.value"
                f" WHERE {where}"
            )
            params = [hits[1], *where_params]
        elif match is not None and unfiltered:
            # No filter, one account: every map entry names a thread row that exists, so the
            # distinct entries are the threads (looking each up cost ~15 ms at 60k threads).
            split = self._split_count(match)
            if split is not None:
                return split
            sql = f"SELECT count(DISTINCT x.thread) FROM {_MEMBERS}"
            params = [match]
        elif match is not None:
            # Every hit mapped to its thread row in SQL, the distinct rows looked up in row-id
            # order (the IN list), the view's filters on them: no JSON, no Python per hit.
            sql = (
                f"SELECT count(*) FROM threads t WHERE t.rowid IN (SELECT x.thread FROM {_MEMBERS})"
                f" AND {where}"
            )
            params = [match, *where_params]
        else:
            source, params = self._source(account, query)
            params.extend(where_params)
            sql = f"SELECT count(*) FROM {source} WHERE {where}"
        count = int(self._db.execute(sql, params).fetchone()[0])
        return count if at_most is None else min(count, at_most + 1)

    def _count_short(
        self,
        account: str,
        query: ThreadQuery,
        keywords: Sequence[str],
        short: Sequence[str],
        at_most: int | None,
    ) -> int:
        """A count of short words alone that no list found the rows of: with no filter, the
        matching texts (:mod:`storage.cache.shortwords`); with one, the thread rows in table
        order (through an index on the account each row was one more lookup: 3x the time)."""
        bare, _params = self._where(account, query, keywords, short=False)
        if bare == "t.account=?" and self._only_account(account):
            count = shortwords.count_matching(self._db, short)
        else:
            where, params = self._where(account, query, keywords)
            sql = f"SELECT count(*) FROM threads t NOT INDEXED WHERE {where}"
            count = int(self._db.execute(sql, params).fetchone()[0])
        return count if at_most is None else min(count, at_most + 1)

    def _only_account(self, account: str) -> bool:
        """Whether every thread row is ``account``'s (two index lookups)."""
        low, high = self._db.execute(
            "SELECT (SELECT min(account) FROM threads), (SELECT max(account) FROM threads)"
        ).fetchone()
        return low in (None, account) and high in (None, account)

    def _count_some(
        self, match: str, where: str, where_params: Sequence[object], limit: int
    ) -> int:
        """The threads holding a match of ``match`` and ``where``, counted up to ``limit``: the
        matches newest row first, each mapped to its thread until ``limit`` distinct ones are
        found. A common word gets there within a few thousand of its matches (mapping all of
        them is what an exact count costs)."""
        row = self._db.execute(
            "SELECT count(*) FROM (SELECT DISTINCT t.rowid"
            " FROM (SELECT rowid AS r FROM fts WHERE fts MATCH ? ORDER BY rowid DESC) f"
            " JOIN thread_members x ON x.message = f.r"
            f" CROSS JOIN threads t ON t.rowid = x.thread WHERE {where} LIMIT ?)",
            (match, *where_params, limit),
        ).fetchone()
        return int(row[0])
