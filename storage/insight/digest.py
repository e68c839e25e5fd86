"""The digest (what customers wrote since a moment, grouped by category): the ``digest``
command and the TUI's skim.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from supportmail.storage.insight.paragraphs import customer_paragraph
from supportmail.storage.insight.people import Team, company_domain
from supportmail.storage.insight.voice import BodyLookup, first_customer_message
from supportmail.storage.models import (
    Digest,
    DigestGroup,
    DigestItem,
    ReportMessage,
    ReportThread,
)
from supportmail.storage.tags import tag_kind


def digest_message(
    thread: ReportThread, team: Team, since: datetime, until: datetime
) -> ReportMessage | None:
    """The message a digest shows for the thread: the customer's first in [since, until)."""
    msg = first_customer_message(thread, team, since)
    return None if msg is None or msg.date >= until else msg


def _digest_item(
    thread: ReportThread, team: Team, body_of: BodyLookup, since: datetime, until: datetime
) -> DigestItem | None:
    msg = digest_message(thread, team, since, until)
    if msg is None:
        return None
    body = body_of(msg.rowid)
    return DigestItem(
        thread_id=thread.id,
        subject=thread.subject,
        customer=msg.sender,
        company=company_domain(msg.sender.addr),
        date=msg.date.astimezone(until.tzinfo),
        new=thread.first_date >= since,
        text=customer_paragraph(body) if body else "",
        tags=thread.tags,
    )


def digest(
    threads: Iterable[ReportThread],
    team: Team,
    body_of: BodyLookup,
    *,
    since: datetime,
    until: datetime,
) -> Digest:
    """Threads in which a customer wrote in [since, until), grouped by category (a thread with
    two categories is in both; None: no category yet), largest group first, newest first inside
    a group, each with the first paragraph of the customer's first message in the window."""
    items: list[DigestItem] = []
    for thread in threads:
        item = _digest_item(thread, team, body_of, since, until)
        if item is not None:
            items.append(item)
    items.sort(key=lambda i: (i.date, i.thread_id), reverse=True)
    groups: dict[str | None, list[DigestItem]] = {}
    for item in items:
        categories: list[str | None] = [t for t in item.tags if tag_kind(t) == "category"]
        for key in categories or [None]:
            groups.setdefault(key, []).append(item)
    ordered = sorted(groups.items(), key=lambda g: (g[0] is None, -len(g[1]), g[0] or ""))
    return Digest(
        since=since,
        until=until,
        threads=len(items),
        groups=tuple(DigestGroup(category=c, items=tuple(g)) for c, g in ordered),
    )
