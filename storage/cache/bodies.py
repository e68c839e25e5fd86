"""Message bodies in the cache (:class:`BodyStore`): one opened thread's, and the body mirror's.

The queries and the chunk write the body mirror (:mod:`storage.sync.bodies`) needs live in
:mod:`storage.cache.bodystore`; these methods run them on the right connection and transaction.
A body also goes into the search index, so a search finds the words of every mirrored message.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING

from supportmail.storage import mime, models  # their values load with the first body read
from supportmail.storage.cache import bodystore
from supportmail.storage.cache.core import CacheCore
from supportmail.storage.cache.rows import people_row

if TYPE_CHECKING:
    from supportmail.storage.mime import Body

_log = logging.getLogger(__name__)


class BodyStore(CacheCore):
    """The ``bodies`` table."""

    _marks_checked = False
    """Whether this process has repaired the marks a killed run left (``_settle_marks``)."""
    _written: Sequence[int] = ()
    """The rows this process's last committed body write marked (cleared by its next one)."""

    def body(self, rowid: int) -> Body | None:
        row = self._db.execute(
            "SELECT text, attachments_json, html_only FROM bodies WHERE message=?", (rowid,)
        ).fetchone()
        if row is None:
            return None
        try:
            items = json.loads(row[1])
            attachments = tuple(models.Attachment(str(f), str(c), int(s)) for f, c, s in items)
        except (ValueError, TypeError):
            attachments = ()
        return mime.Body(text=row[0], attachments=attachments, html_only=bool(row[2]))

    def rows_with_bodies(self, rowids: Sequence[int]) -> set[int]:
        """The row ids among ``rowids`` whose body is cached (for the insights' coverage,
        :mod:`storage.insight.coverage`)."""
        return bodystore.rows_with_bodies(self._db, rowids)

    def save_body(self, rowid: int, body: Body) -> None:
        text, attachments, html_only = bodystore.body_row(body)
        with self.transaction(search=True) as db:
            self._settle_marks(db)
            db.execute(
                "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?)",
                (rowid, text, attachments, html_only),
            )
            marked = bodystore.index(db, {rowid: text}, people_row)
        self._written = marked

    def _settle_marks(self, db: sqlite3.Connection) -> None:
        """In a body transaction, before it writes: the marks of this process's last body
        write are cleared (its transactions run one after the other, so that write committed
        both files); the first time, every mark found was left by a run killed between the two
        commits (or is another process's, indexed again needlessly): those bodies are indexed
        again first. Another live process's marks are left to it."""
        if self._marks_checked:
            bodystore.clear_marks(db, self._written)
        else:
            self._repair_marked(db)

    def _repair_marked(self, db: sqlite3.Connection) -> int:
        repaired = bodystore.repair(db, people_row)
        self._marks_checked = True
        if repaired:
            _log.info("indexed %d bodies again that a killed run had stored", repaired)
        return repaired

    def settle_body_marks(self) -> None:
        """After the last body write of a run: its marks are settled (it committed), so the
        next run need not index those bodies again."""
        if self._written:
            with self.transaction() as db:
                bodystore.clear_marks(db, self._written)
            self._written = []

    def repair_body_index(self) -> int:
        """Index again the bodies whose index write a killed run may have lost (the sync calls
        it first); returns how many."""
        with self.transaction(search=True) as db:
            return self._repair_marked(db)

    def bodies_missing(self, account: str, since: int = bodystore.ALL_DATES) -> array[int]:
        """The body mirror's work list: rows without a body dated from ``since``, newest first."""
        return bodystore.missing(self._db, account, since)

    def body_targets(self, ids: Sequence[int]) -> list[bodystore.Target]:
        """Where the rows ``ids`` that still lack a body live on the server."""
        return bodystore.targets(self._db, ids)

    def save_bodies(self, account: str, items: Sequence[bodystore.StoredBody]) -> int:
        """One chunk of mirrored bodies and their search text, in one transaction."""
        with self.transaction(search=True) as db:
            self._settle_marks(db)
            stored, marked = bodystore.save(db, account, items, people_row)
        self._written = marked
        return stored
