"""The userdb's saved quotes (passages of customers' messages you kept, local only) and the
activity log (what you did to which thread, for the customer-day summary).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tinydb.table import Document

from supportmail.storage.tags import tag_kind
from supportmail.storage.user.core import SCHEMA_VERSION, UserDBCore
from supportmail.storage.user.records import ACTIVITY_WHAT, UserDBError

if TYPE_CHECKING:  # the rows load with their first use (``journal_rows``)
    from supportmail.storage.user.core import Tables
    from supportmail.storage.user.journal_rows import Activity, StoredQuote

ACTIVITY_DAYS = 90
"""Activity entries older than this (relative to the newest one) are dropped."""
ACTIVITY_MAX = 2000
"""At most this many activity entries are kept (the newest), so the file stays small."""


class QuotesAndActivity(UserDBCore):
    """The quote and activity methods of :class:`storage.user.db.UserDB`."""

    # Saved quotes --------------------------------------------------------------------------

    @staticmethod
    def _next_quote_id(t: Tables) -> int:
        meta = t.meta.get(doc_id=1)
        stored = meta.get("next_quote") if isinstance(meta, Mapping) else None
        highest = max((int(d["id"]) for d in t.quotes.all()), default=0)
        quote_id = max(stored if isinstance(stored, int) else 1, highest + 1)
        if isinstance(meta, Document):
            t.meta.update({"next_quote": quote_id + 1}, doc_ids=[meta.doc_id])
        else:
            t.meta.upsert(
                Document({"schema": SCHEMA_VERSION, "next_quote": quote_id + 1}, doc_id=1)
            )
        return quote_id

    def add_quote(
        self,
        account: str,
        root: str,
        message_id: str,
        text: str,
        who_name: str,
        who_addr: str,
        when_iso: str,
        *,
        created: float | None = None,
    ) -> StoredQuote:
        """Keep a passage of a message; durable when it returns. Blank text is an error."""
        if not text.strip():
            raise UserDBError("a quote needs some text")
        fields: dict[str, Any] = {
            "account": account,
            "root": root,
            "message_id": message_id,
            "text": text,
            "who_name": who_name,
            "who_addr": who_addr,
            "when": when_iso,
            "created": time.time() if created is None else float(created),
        }

        from supportmail.storage.user.journal_rows import quote_from

        def action(t: Tables) -> StoredQuote:
            doc = {"id": self._next_quote_id(t), **fields}
            t.quotes.insert(doc)
            return quote_from(doc)

        return self._run(action)

    def quotes(self, account: str, root: str | None = None) -> list[StoredQuote]:
        """The saved quotes of ``account`` (of one thread root when given), oldest first."""
        from supportmail.storage.user.journal_rows import quote_from

        def action(t: Tables) -> list[StoredQuote]:
            found = t.quotes.search(
                lambda d: d["account"] == account and (root is None or d["root"] == root)
            )
            return sorted((quote_from(d) for d in found), key=lambda q: q.id)

        return self._run(action)

    def remove_quote(self, account: str, quote_id: int) -> bool:
        """Delete a saved quote; False when ``account`` has no quote with that id."""

        def action(t: Tables) -> bool:
            return bool(t.quotes.remove(lambda d: d["account"] == account and d["id"] == quote_id))

        return self._run(action)

    # Activity ------------------------------------------------------------------------------

    def log_activity(
        self,
        account: str,
        root: str,
        events: Sequence[tuple[str, str | None]],
        *,
        at: float | None = None,
    ) -> list[Activity]:
        """Append ``(what, tag)`` events on one thread at one moment; durable when it returns.

        ``what`` is one of :data:`ACTIVITY_WHAT`; ``tag`` is the tag for ``tag``/``untag`` and
        None otherwise. Entries older than :data:`ACTIVITY_DAYS` before ``at`` go, and only the
        newest :data:`ACTIVITY_MAX` stay.
        """
        moment = time.time() if at is None else float(at)
        docs: list[dict[str, Any]] = []
        for what, tag in events:
            if what not in ACTIVITY_WHAT:
                raise UserDBError(f"unknown activity {what!r}")
            if (tag is None) != (what not in ("tag", "untag")):
                raise UserDBError(f"activity {what!r} {'needs' if tag is None else 'takes no'} tag")
            kind = None if tag is None else tag_kind(tag)
            entry = {"account": account, "root": root, "what": what, "tag": tag, "kind": kind}
            docs.append({**entry, "at": round(moment, 3)})

        from supportmail.storage.user.journal_rows import activity_from

        def action(t: Tables) -> list[Activity]:
            t.activity.insert_multiple(docs)
            self._trim_activity(t, moment - ACTIVITY_DAYS * 86400.0)
            return [activity_from(d) for d in docs]

        return self._run(action) if docs else []

    @staticmethod
    def _trim_activity(t: Tables, oldest: float) -> None:
        entries = t.activity.all()
        stale = [d.doc_id for d in entries if float(d["at"]) < oldest]
        kept = len(entries) - len(stale)
        if kept > ACTIVITY_MAX:
            young = sorted(
                (d for d in entries if float(d["at"]) >= oldest),
                key=lambda d: (float(d["at"]), d.doc_id),
            )
            stale.extend(d.doc_id for d in young[: kept - ACTIVITY_MAX])
        if stale:
            t.activity.remove(doc_ids=stale)

    def activity(
        self, account: str, since: float | None = None, until: float | None = None
    ) -> list[Activity]:
        """The activity of ``account`` with ``since <= at <= until``, oldest first."""
        from supportmail.storage.user.journal_rows import activity_from

        def action(t: Tables) -> list[Activity]:
            found = [
                activity_from(d)
                for d in t.activity.search(lambda d: d["account"] == account)
                if (since is None or float(d["at"]) >= since)
                and (until is None or float(d["at"]) <= until)
            ]
            return sorted(found, key=lambda a: a.at)

        return self._run(action)
