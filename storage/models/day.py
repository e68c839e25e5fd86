"""Saved quotes and the customer day (``Service.save_quote``, ``quotes``, ``day_*``): a quote,
a shift, its progress and its summary."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from supportmail.storage.sanitize import sanitize_line, sanitize_text

if TYPE_CHECKING:
    from supportmail.storage.models.mail import Address
    from supportmail.storage.models.tags import TagKind


@dataclass(frozen=True, slots=True)
class SavedQuote:
    """A passage of a customer's message that you kept (locally, never sent to the server)."""

    id: int
    """Stable number of the quote in your userdb (``supportmail quote --remove ID``)."""
    thread_id: str
    root_message_id: str
    message_id: str
    """The message the words come from."""
    text: str
    sender: Address
    """Who wrote the message."""
    company: str | None
    """The sender's company domain; None for free-mail addresses."""
    date: datetime | None
    """When the message was sent (None when its Date header was unusable)."""
    saved: datetime

    def sanitized(self) -> SavedQuote:
        return dataclasses.replace(
            self,
            root_message_id=sanitize_line(self.root_message_id),
            message_id=sanitize_line(self.message_id),
            text=sanitize_line(self.text),
            sender=self.sender.sanitized(),
            company=None if self.company is None else sanitize_line(self.company),
        )


@dataclass(frozen=True, slots=True)
class DayShift:
    """A customer-day shift: the queue of threads missing a team or a category tag at its start."""

    started: datetime
    queue_size: int
    """Threads in the queue when the shift started (the progress bar's total)."""
    resumed: bool
    """An unfinished shift of the same calendar day was picked up again."""


@dataclass(frozen=True, slots=True)
class DayProgress:
    """Where a running shift stands."""

    started: datetime
    done: int
    """Threads of the queue that have both a team and a category tag now."""
    queue_size: int
    remaining: int
    """Threads of the queue still missing a tag (skipped ones included)."""
    skipped: int
    elapsed: timedelta
    next_thread_id: str | None
    """The oldest thread still to do that was not skipped; None when the queue is through."""


@dataclass(frozen=True, slots=True)
class DayTag:
    """One tag during a customer day: how often you added and removed it."""

    tag: str
    kind: TagKind
    added: int
    removed: int

    def sanitized(self) -> DayTag:
        return dataclasses.replace(self, tag=sanitize_line(self.tag))


@dataclass(frozen=True, slots=True)
class DayThread:
    """A thread you worked on during a customer day."""

    id: str
    subject: str
    """'' when the thread is no longer in the cache."""
    tags: tuple[str, ...]
    """Its tags now."""
    added: tuple[str, ...]
    """Tags you added to it during the day."""

    def sanitized(self) -> DayThread:
        return dataclasses.replace(
            self,
            subject=sanitize_line(self.subject),
            tags=tuple(sanitize_line(t) for t in self.tags),
            added=tuple(sanitize_line(t) for t in self.added),
        )


@dataclass(frozen=True, slots=True)
class DayNote:
    """A private note you saved during a customer day (its text as it is now)."""

    thread_id: str
    subject: str
    text: str

    def sanitized(self) -> DayNote:
        return dataclasses.replace(
            self, subject=sanitize_line(self.subject), text=sanitize_text(self.text)
        )


@dataclass(frozen=True, slots=True)
class DaySummary:
    """What a calendar day's customer-day shifts got done."""

    day: date
    started: datetime
    """Start of the day's first shift."""
    ended: datetime | None
    """End of the day's last shift; None while it is still running."""
    elapsed: timedelta
    """Time spent in the day's shifts (a shift left unfinished counts until now, the same
    day, or until its last recorded action)."""
    shifts: int
    queue_size: int
    """The last shift's queue at its start."""
    done: int | None
    """Its threads that were fully tagged at its end (or now); None when a shift was left
    unfinished on an earlier day (its end state was never recorded)."""
    skipped: int
    threads: tuple[DayThread, ...]
    """Threads you tagged, noted, quoted or marked during the shifts, in the order first touched."""
    tags: tuple[DayTag, ...]
    """Teams, then categories, then labels; by name."""
    notes: tuple[DayNote, ...]
    quotes: tuple[SavedQuote, ...]
    marked_read: int
    """Threads you marked read (or unread) on the server."""

    def added_by_kind(self) -> dict[TagKind, int]:
        """Tags added per kind (``team``, ``category``, ``label``), zero counts included."""
        out: dict[TagKind, int] = {"team": 0, "category": 0, "label": 0}
        for tag in self.tags:
            out[tag.kind] += tag.added
        return out

    def sanitized(self) -> DaySummary:
        return dataclasses.replace(
            self,
            threads=tuple(t.sanitized() for t in self.threads),
            tags=tuple(t.sanitized() for t in self.tags),
            notes=tuple(n.sanitized() for n in self.notes),
            quotes=tuple(q.sanitized() for q in self.quotes),
        )
