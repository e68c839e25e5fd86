"""What the reports read from the cache (:class:`ReportQueries`): threads of a window with
every message's sender and date, the senders' timeline, the oldest thread's date.

The rows are :class:`~storage.models.ReportThread` and :class:`~storage.models.ReportMessage`;
the insights themselves (:mod:`storage.insight`) are pure functions over them.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING

from supportmail.storage import models
from supportmail.storage.cache.core import CacheCore
from supportmail.storage.cache.rows import epoch, to_datetime
from supportmail.storage.tags import keyword_to_tag

if TYPE_CHECKING:  # the report values are imported by the first report, not with the cache
    from supportmail.storage.models import ReportMessage, ReportThread


class ReportQueries(CacheCore):
    """Read-only queries for the reports."""

    def report_rows(
        self,
        account: str,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        active: bool = False,
    ) -> list[ReportThread]:
        """Threads for ``storage.insight``: those whose first message is in [since, until) (with
        ``active``: that have any message in it), each with its tags and every message's
        sender and date, oldest first. One query; the join walks the ``messages_thread`` index."""
        clauses = ["t.account=?"]
        params: list[object] = [account]
        if since is not None:
            clauses.append("t.last_date >= ?" if active else "t.first_date >= ?")
            params.append(epoch(since)[0])
        if until is not None:
            clauses.append("t.first_date < ?")
            params.append(epoch(until)[0])
        rows = self._db.execute(
            "SELECT t.root, t.id, t.subject, t.first_date, t.first_tz, t.keywords,"
            " m.id, m.from_name, m.from_addr, m.date, m.tz_minutes"
            " FROM threads t JOIN messages m ON m.account=t.account AND m.thread_root=t.root"
            f" WHERE {' AND '.join(clauses)} ORDER BY t.root, m.date, m.id",
            params,
        )
        out: list[ReportThread] = []
        head: tuple[str, str, str, int, int, str] | None = None
        msgs: list[ReportMessage] = []
        tags: dict[str, tuple[str, ...]] = {}  # keyword string -> tags (few distinct ones)
        zones: dict[int, tzinfo] = {}
        for root, tid, subject, first, first_tz, kws, rowid, name, addr, date, tz in rows:
            if head is None or head[0] != root:
                if head is not None:
                    out.append(_report_thread(head, msgs, tags))
                head, msgs = (root, tid, subject, first, first_tz, kws), []
            zone = zones.get(tz) or zones.setdefault(tz, to_datetime(0, tz).tzinfo or UTC)
            try:
                when = datetime.fromtimestamp(date, zone)
            except (OverflowError, OSError, ValueError):
                when = datetime.fromtimestamp(0, UTC)
            msgs.append(models.ReportMessage(rowid, models.Address(name, addr), when))
        if head is not None:
            out.append(_report_thread(head, msgs, tags))
        return out

    def sender_timeline(self, account: str) -> list[tuple[str, str, int, int]]:
        """(thread root, sender address, epoch, tz minutes) of every threaded message, each
        thread's oldest first: the few columns the awaiting view needs
        (``storage.service.answering``)."""
        return self._db.execute(
            "SELECT thread_root, from_addr, date, tz_minutes FROM messages"
            " WHERE account=? AND thread_root IS NOT NULL ORDER BY thread_root, date, id",
            (account,),
        ).fetchall()

    def first_thread_date(self, account: str) -> datetime | None:
        """When the oldest cached thread started (None for an empty cache)."""
        row = self._db.execute(
            "SELECT first_date, first_tz FROM threads WHERE account=? ORDER BY first_date LIMIT 1",
            (account,),
        ).fetchone()
        return None if row is None else to_datetime(int(row[0]), int(row[1]))


def _report_thread(
    head: tuple[str, str, str, int, int, str],
    msgs: list[ReportMessage],
    decoded: dict[str, tuple[str, ...]],
) -> ReportThread:
    root, tid, subject, first, first_tz, keywords = head
    tags = decoded.get(keywords)
    if tags is None:
        names = {t for kw in keywords.split() if (t := keyword_to_tag(kw)) is not None}
        tags = decoded[keywords] = tuple(sorted(names))
    return models.ReportThread(
        root=root,
        id=tid,
        subject=subject,
        first_date=to_datetime(first, first_tz),
        tags=tags,
        messages=tuple(msgs),
    )
