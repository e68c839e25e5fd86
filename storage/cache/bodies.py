"""Message bodies in the cache (:class:`BodyStore`): one opened thread's, and the body mirror's.

The queries and the chunk write the body mirror (:mod:`storage.sync.bodies`) needs live in
:mod:`storage.cache.bodystore`; these methods run them on the right connection and transaction.
A body also goes into the search index, so a search finds the words of every mirrored message.
"""

from __future__ import annotations

import json
from array import array
from collections.abc import Sequence

from supportmail.storage.cache import bodystore
from supportmail.storage.cache.core import CacheCore
from supportmail.storage.cache.rows import people_row
from supportmail.storage.mime import Body
from supportmail.storage.models import Attachment


class BodyStore(CacheCore):
    """The ``bodies`` table."""

    def body(self, rowid: int) -> Body | None:
        row = self._db.execute(
            "SELECT text, attachments_json, html_only FROM bodies WHERE message=?", (rowid,)
        ).fetchone()
        if row is None:
            return None
        try:
            items = json.loads(row[1])
            attachments = tuple(Attachment(str(f), str(c), int(s)) for f, c, s in items)
        except (ValueError, TypeError):
            attachments = ()
        return Body(text=row[0], attachments=attachments, html_only=bool(row[2]))

    def rows_with_bodies(self, rowids: Sequence[int]) -> set[int]:
        """The row ids among ``rowids`` whose body is cached (for the insights' coverage,
        :mod:`storage.insight.coverage`)."""
        return bodystore.rows_with_bodies(self._db, rowids)

    def save_body(self, rowid: int, body: Body) -> None:
        attachments = json.dumps(
            [[a.filename, a.content_type, a.size] for a in body.attachments], ensure_ascii=False
        )
        with self.transaction(search=True) as db:
            db.execute(
                "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?, ?)",
                (rowid, body.text, attachments, int(body.html_only)),
            )
            if db.execute("UPDATE fts SET body=? WHERE rowid=?", (body.text, rowid)).rowcount:
                return
            row = db.execute(
                "SELECT subject, from_name, from_addr, to_json, cc_json FROM messages WHERE id=?",
                (rowid,),
            ).fetchone()
            if row is not None:  # not indexed yet: the whole row (the indexer skips it)
                db.execute(
                    "INSERT INTO fts (rowid, subject, people, body) VALUES (?, ?, ?, ?)",
                    (rowid, row[0], people_row(*row[1:]), body.text),
                )

    def bodies_missing(self, account: str, since: int = bodystore.ALL_DATES) -> array[int]:
        """The body mirror's work list: rows without a body dated from ``since``, newest first."""
        return bodystore.missing(self._db, account, since)

    def body_targets(self, ids: Sequence[int]) -> list[bodystore.Target]:
        """Where the rows ``ids`` that still lack a body live on the server."""
        return bodystore.targets(self._db, ids)

    def save_bodies(self, account: str, items: Sequence[bodystore.StoredBody]) -> int:
        """One chunk of mirrored bodies and their search text, in one transaction."""
        with self.transaction(search=True) as db:
            return bodystore.save(db, account, items, people_row)
