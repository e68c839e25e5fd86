"""The customer day: shifts over the queue of threads that still need a tag. Pure functions.

A **shift** starts when someone runs ``supportmail day`` (or the TUI's customer-day action). Its
queue is every thread that misses a team tag or a category tag and whose first message came
before the shift started, oldest first. The service keeps the shifts in one userdb setting
(``day:ACCOUNT``) as a short list of JSON objects::

    {"start": "2026-11-24T09:02:11+01:00", "queue": 23, "skipped": ["<root@x>"],
     "end": "2026-11-24T11:40:05+01:00", "done": 18}

Only the start, the queue's size and the threads skipped are stored, never the queue itself (a
freshly synced mailbox may have tens of thousands of untagged threads, and the userdb is
rewritten on every write): the queue is "untagged threads that started before the shift", so
its remainder is a cache query, and ``done`` is the size at the start minus that remainder
(clamped to 0...size; a teammate's tags count, and an old thread that a sync brings in later
joins the remainder).

A shift of the same calendar day that was not ended (the terminal closed, Ctrl-C) is resumed by
the next start. One left open on an earlier day is closed at its last recorded action when the
next shift starts; its ``done`` stays unknown (None). Shifts older than :data:`SHIFT_DAYS` days
are dropped, and at most :data:`SHIFTS_MAX` are kept.

The summary of a day (:func:`summarize`) reads the userdb's activity log (tags added and
removed, notes saved, quotes kept, threads marked read) for the moments inside that day's
shifts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from supportmail.storage.models import DayNote, DaySummary, DayTag, DayThread, SavedQuote, TagKind
from supportmail.storage.tags import KIND_ORDER, tag_kind
from supportmail.storage.user.journal_rows import Activity

__all__ = [
    "SHIFTS_MAX",
    "SHIFT_DAYS",
    "Shift",
    "close_abandoned",
    "current_shift",
    "dump_shifts",
    "load_shifts",
    "shift_day",
    "summarize",
]

SHIFT_DAYS = 90
"""Shifts that started longer ago than this are forgotten."""
SHIFTS_MAX = 400
"""At most this many shifts are kept (the newest)."""


@dataclass(frozen=True, slots=True)
class Shift:
    """One stored shift."""

    start: datetime
    queue: int
    skipped: tuple[str, ...] = ()
    """Root Message-IDs of the queue's threads the user skipped, in the order skipped."""
    end: datetime | None = None
    done: int | None = None
    """Threads of the queue that were fully tagged when the shift ended (None: unknown)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "queue": self.queue,
            "skipped": list(self.skipped),
            "end": None if self.end is None else self.end.isoformat(),
            "done": self.done,
        }


def _aware(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _shift_from(obj: object) -> Shift | None:
    """A shift from its JSON object; None for an entry that is not one (hand-edited)."""
    if not isinstance(obj, Mapping):
        return None
    start = _aware(obj.get("start"))
    queue = obj.get("queue")
    if start is None or not isinstance(queue, int) or queue < 0:
        return None
    skipped = obj.get("skipped")
    done = obj.get("done")
    return Shift(
        start=start,
        queue=queue,
        skipped=tuple(s for s in skipped if isinstance(s, str))
        if isinstance(skipped, list)
        else (),
        end=_aware(obj.get("end")),
        done=done if isinstance(done, int) and done >= 0 else None,
    )


def load_shifts(value: object) -> list[Shift]:
    """The stored shifts, oldest first (unusable entries are left out)."""
    if not isinstance(value, list):
        return []
    shifts = [s for s in map(_shift_from, value) if s is not None]
    return sorted(shifts, key=lambda s: s.start)


def dump_shifts(shifts: Sequence[Shift], now: datetime) -> list[dict[str, Any]]:
    """The JSON to store: shifts of the last :data:`SHIFT_DAYS` days, at most
    :data:`SHIFTS_MAX`, oldest first."""
    oldest = now - timedelta(days=SHIFT_DAYS)
    kept = sorted((s for s in shifts if s.start >= oldest), key=lambda s: s.start)
    return [s.to_json() for s in kept[-SHIFTS_MAX:]]


def shift_day(shift: Shift, tz: tzinfo | None) -> date:
    """The calendar day a shift belongs to: the day of its start in ``tz``."""
    return shift.start.astimezone(tz).date()


def current_shift(shifts: Sequence[Shift], now: datetime) -> Shift | None:
    """The shift still running today (the newest one, started today, not ended), or None."""
    if not shifts:
        return None
    last = shifts[-1]
    if last.end is None and shift_day(last, now.tzinfo) == now.date() and last.start <= now:
        return last
    return None


def _day_end(shift: Shift, tz: tzinfo | None) -> datetime:
    local = shift.start.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _last_action(shift: Shift, times: Sequence[float], tz: tzinfo | None) -> datetime:
    """The last recorded action inside an unfinished shift's day (else its start)."""
    start = shift.start.timestamp()
    stop = _day_end(shift, tz).timestamp()
    inside = [t for t in times if start <= t < stop]
    return datetime.fromtimestamp(max(inside), tz) if inside else shift.start


def close_abandoned(shifts: Sequence[Shift], times: Sequence[float], now: datetime) -> list[Shift]:
    """Close shifts left open on an earlier day at their last action (``times``: epoch seconds
    of recorded activity), their ``done`` unknown."""
    out = []
    for shift in shifts:
        if shift.end is None and shift_day(shift, now.tzinfo) != now.date():
            shift = dataclasses.replace(shift, end=_last_action(shift, times, now.tzinfo))
        out.append(shift)
    return out


def _window(shift: Shift, times: Sequence[float], now: datetime) -> tuple[datetime, datetime]:
    if shift.end is not None:
        return shift.start, shift.end
    if shift_day(shift, now.tzinfo) == now.date():
        return shift.start, max(now, shift.start)
    return shift.start, _last_action(shift, times, now.tzinfo)


ThreadInfo = Callable[[str], tuple[str, str, tuple[str, ...]]]
"""Root Message-ID -> (thread id, subject, tags now)."""


@dataclass(slots=True)
class _Threads:
    """Threads touched during the day, in the order first touched, with the tags added."""

    info: ThreadInfo
    order: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def touch(self, root: str, added: str | None = None) -> None:
        tags = self.order.setdefault(root, [])
        if added is not None and added not in tags:
            tags.append(added)

    def built(self) -> tuple[DayThread, ...]:
        out = []
        for root, added in self.order.items():
            tid, subject, tags = self.info(root)
            out.append(DayThread(id=tid, subject=subject, tags=tags, added=tuple(added)))
        return tuple(out)


def _tags(activity: Sequence[Activity]) -> tuple[DayTag, ...]:
    counts: dict[str, list[int]] = {}
    for entry in activity:
        if entry.tag is not None and entry.what in ("tag", "untag"):
            counts.setdefault(entry.tag, [0, 0])[entry.what == "untag"] += 1
    tags = []
    for tag, (added, removed) in counts.items():
        kind: TagKind = tag_kind(tag)
        tags.append(DayTag(tag=tag, kind=kind, added=added, removed=removed))
    return tuple(sorted(tags, key=lambda t: (KIND_ORDER[t.kind], t.tag)))


def summarize(
    day: date,
    shifts: Sequence[Shift],
    activity: Sequence[Activity],
    *,
    notes: Mapping[str, str],
    quotes: Sequence[SavedQuote],
    thread_info: ThreadInfo,
    now: datetime,
    live_done: int | None = None,
) -> DaySummary:
    """The summary of ``day`` from its ``shifts`` (oldest first, at least one).

    ``activity`` may hold more than the day; only entries inside a shift count. ``notes`` are
    the current notes by thread root; ``quotes`` every saved quote (those saved inside a shift
    count); ``live_done`` is the running shift's progress now (used when the last shift has not
    ended).
    """
    times = [a.at for a in activity]
    windows = [_window(s, times, now) for s in shifts]
    bounds = [(a.timestamp(), b.timestamp()) for a, b in windows]

    def inside(at: float) -> bool:
        return any(a <= at <= b for a, b in bounds)

    entries = [a for a in activity if inside(a.at)]
    threads = _Threads(thread_info)
    noted: list[str] = []
    marked: set[str] = set()
    for entry in entries:
        threads.touch(entry.root, entry.tag if entry.what == "tag" else None)
        if entry.what == "note" and entry.root not in noted:
            noted.append(entry.root)
        elif entry.what in ("read", "unread"):
            marked.add(entry.root)
    day_notes = []
    for root in noted:
        text = notes.get(root)
        if text is not None:
            tid, subject, _ = thread_info(root)
            day_notes.append(DayNote(thread_id=tid, subject=subject, text=text))
    last = shifts[-1]
    done = last.done if last.end is not None else live_done
    return DaySummary(
        day=day,
        started=shifts[0].start,
        ended=last.end,
        elapsed=sum((b - a for a, b in windows), timedelta()),
        shifts=len(shifts),
        queue_size=last.queue,
        done=done,
        skipped=len(last.skipped),
        threads=threads.built(),
        tags=_tags(entries),
        notes=tuple(day_notes),
        quotes=tuple(q for q in quotes if inside(q.saved.timestamp())),
        marked_read=len(marked),
    )
