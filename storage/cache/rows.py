"""The cache's row types and how a row's columns encode them (dates, flags, addresses, people).

* :class:`FolderState`, :class:`MessageRow`, :class:`ThreadRow`: what the cache hands out
  (named tuples: this module loads before the window's first frame, where a dataclass costs
  ~4 M instructions to define and a named tuple a third of that);
* :func:`prepare_rows`: fetched messages turned into ``messages`` rows (and their search text);
* the column codecs every part of the cache shares: flags as one space-separated string
  (keywords are IMAP atoms and never contain spaces), dates as epoch seconds plus the sender's
  UTC offset in minutes, addresses as JSON ``[[name, addr], ...]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, NamedTuple

from supportmail.storage.models import Address

if TYPE_CHECKING:  # a message's values load with the first message (a first screen shows none)
    from supportmail.storage.mime import Envelope


class FolderState(NamedTuple):
    """What the cache remembers of one server folder."""

    account: str
    name: str
    uidvalidity: int
    highestmodseq: int | None
    permanent_keywords: bool


class MessageRow(NamedTuple):
    """One cached message: its server location, envelope and flags."""

    rowid: int
    account: str
    folder: str
    uid: int
    message_id: str
    envelope: Envelope
    size: int
    flags: tuple[str, ...]
    thread_root: str | None


class ThreadRow(NamedTuple):
    """One row of the ``threads`` table, decoded."""

    root: str
    id: str
    subject: str
    first_date: datetime
    last_date: datetime
    messages: int
    unread: int
    keywords: tuple[str, ...]
    participants: tuple[Address, ...]


THREAD_COLUMNS = (
    "t.root, t.id, t.subject, t.first_date, t.first_tz, t.last_date, t.last_tz, t.messages,"
    " t.unread, t.keywords, t.participants_json"
)
"""The columns of a ``threads`` row (aliased ``t``) that :func:`thread_row` decodes."""


def thread_row(r: Sequence[object]) -> ThreadRow:
    """A row of :data:`THREAD_COLUMNS`, decoded."""
    root, tid, subject, first, first_tz, last, last_tz, count, unread, kws, people = r
    return ThreadRow(
        root=str(root),
        id=str(tid),
        subject=str(subject),
        first_date=to_datetime(int(str(first)), int(str(first_tz))),
        last_date=to_datetime(int(str(last)), int(str(last_tz))),
        messages=int(str(count)),
        unread=int(str(unread)),
        keywords=tuple(str(kws).split()),
        participants=addresses(str(people)),
    )


def flags_text(flags: Iterable[str]) -> str:
    return " ".join(dict.fromkeys(f for f in flags if f and " " not in f))


def flags_tuple(text: str) -> tuple[str, ...]:
    return tuple(text.split()) if text else ()


def epoch(dt: datetime | None) -> tuple[int, int]:
    """(epoch seconds, UTC offset in minutes) of ``dt``; (0, 0) for none or out of range."""
    if dt is None:
        return 0, 0
    offset = dt.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    try:
        return int(dt.timestamp()), minutes
    except (OverflowError, OSError, ValueError):
        return 0, 0


def to_datetime(seconds: int, tz_minutes: int) -> datetime:
    """The stored (epoch, offset) as an aware datetime (the epoch itself when out of range)."""
    try:
        tz = timezone(timedelta(minutes=tz_minutes)) if tz_minutes else UTC
        return datetime.fromtimestamp(seconds, tz)
    except (OverflowError, OSError, ValueError):
        return datetime.fromtimestamp(0, UTC)


_JSON_ESCAPED = re.compile(r'[\x00-\x1f"\\]')
"""What ``json.dumps(..., ensure_ascii=False)`` would escape inside a string."""


def pairs_json(pairs: Sequence[tuple[str, str]]) -> str:
    """``[[name, addr], ...]`` as JSON, exactly as ``json.dumps`` writes it (ensure_ascii off);
    formatted directly when nothing needs escaping (4x faster, and it runs per message)."""
    if not pairs:
        return "[]"
    if not any(_JSON_ESCAPED.search(name) or _JSON_ESCAPED.search(addr) for name, addr in pairs):
        return "[" + ", ".join(f'["{name}", "{addr}"]' for name, addr in pairs) + "]"
    return json.dumps([list(pair) for pair in pairs], ensure_ascii=False)


def addresses_json(addresses: Sequence[Address]) -> str:
    return pairs_json([(a.name, a.addr) for a in addresses]) if addresses else "[]"


def addresses(text: str) -> tuple[Address, ...]:
    try:
        items = json.loads(text)
        return tuple(Address(str(n), str(a)) for n, a in items)
    except (ValueError, TypeError):
        return ()


def is_seen(flags: Sequence[str]) -> bool:
    return any(f.lower() == "\\seen" for f in flags)


def people_text(env: Envelope) -> str:
    """What the index holds as a message's people: names and addresses of sender, To and Cc."""
    return people(env.sender, (*env.to, *env.cc))


def people(sender: Address, others: Iterable[Address]) -> str:
    parts = [sender.name, sender.addr]
    for a in others:
        parts.extend((a.name, a.addr))
    return " ".join(p for p in parts if p)


_JSON_STRING = re.compile(r'"([^"]*)"')


def people_row(name: str, addr: str, to_json: str, cc_json: str) -> str:
    """``people_text`` of a stored row. The body mirror runs it per message: the address lists
    are read with a regular expression when they hold no escape (then every JSON string is a
    plain run between quotes, in order: name, address, name, ...), else with ``json``."""
    if "\\" in to_json or "\\" in cc_json:
        return people(Address(name, addr), (*addresses(to_json), *addresses(cc_json)))
    parts = (name, addr, *_JSON_STRING.findall(to_json), *_JSON_STRING.findall(cc_json))
    return " ".join(p for p in parts if p)


PreparedRows = tuple[list[tuple[object, ...]], dict[int, tuple[str, str]]]
"""Message rows ready for ``INSERT`` and, by UID, the (subject, people) text to index."""


def prepare_rows(
    account: str,
    folder: str,
    items: Sequence[tuple[int, Envelope, tuple[str, ...], int, int | None, datetime | None]],
    *,
    index: bool = True,
) -> PreparedRows:
    """Turn (uid, envelope, flags, size, modseq, internaldate) items into message rows (and,
    with ``index``, the text to index them by; a deferred index takes it from the rows later)."""
    rows: list[tuple[object, ...]] = []
    search_text: dict[int, tuple[str, str]] = {}
    for uid, env, flags, size, modseq, internaldate in items:
        when, tz = epoch(env.date or internaldate)
        rows.append(
            (
                account,
                folder,
                uid,
                env.message_id,
                " ".join(env.in_reply_to),
                " ".join(env.references),
                env.subject,
                env.sender.name,
                env.sender.addr,
                addresses_json(env.to),
                addresses_json(env.cc),
                when,
                tz,
                size,
                flags_text(flags),
                modseq,
            )
        )
        if index:
            search_text[uid] = (env.subject, people_text(env))
    return rows, search_text
