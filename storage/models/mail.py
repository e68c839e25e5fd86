"""Mail as the thread list sees it: addresses, a thread's summary and the list's query (the
first screen's values; a thread's messages, attachments and links are in ``messages``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from supportmail.storage.sanitize import sanitize_line

LOCAL_FOLDER = "(sent)"
"""The cache folder of sent messages whose Sent copy is not synced yet (never on a server)."""


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: a display name (may be empty) and the address (may be empty on broken mail)."""

    name: str
    addr: str

    def display(self) -> str:
        """The name if there is one, else the address."""
        return self.name or self.addr or "(unknown)"

    def formatted(self) -> str:
        """``Name <addr>`` or just ``addr``."""
        if self.name and self.addr:
            return f"{self.name} <{self.addr}>"
        return self.name or self.addr

    def sanitized(self) -> Address:
        return Address(sanitize_line(self.name), sanitize_line(self.addr))


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """One conversation as the thread list shows it."""

    id: str
    """Short, stable hex id derived from the root Message-ID (what ``threads`` prints)."""
    root_message_id: str
    subject: str
    participants: tuple[Address, ...]
    messages: int
    first_date: datetime
    last_date: datetime
    tags: tuple[str, ...]
    unread: int
    """How many messages in the thread lack ``\\Seen``."""
    has_note: bool
    pending_tags: tuple[str, ...] = ()
    """Tags of this thread with a local edit not yet confirmed by the server."""
    waiting_since: datetime | None = None
    """In the awaiting view: since when the customer waits for the team."""

    def sanitized(self) -> ThreadSummary:
        return dataclasses.replace(
            self,
            subject=sanitize_line(self.subject),
            participants=tuple(p.sanitized() for p in self.participants),
            tags=tuple(sanitize_line(t) for t in self.tags),
            pending_tags=tuple(sanitize_line(t) for t in self.pending_tags),
        )


@dataclass(frozen=True, slots=True)
class ThreadQuery:
    """Which threads to list. All filters combine with AND."""

    tags: tuple[str, ...] = ()
    untagged: bool = False
    """Threads missing a team tag or a category tag."""
    unread: bool = False
    since: datetime | None = None
    """Threads with activity at or after this moment."""
    search: str | None = None
    limit: int | None = None
    offset: int = 0
    oldest_first: bool = False
    """Order by the thread's first message, oldest first (default: newest activity first)."""
    awaiting: bool = False
    """Only threads whose newest message is a customer's, longest waiting first
    (``storage.insight.responses``); ``oldest_first`` is ignored then."""
    roots: frozenset[str] | None = None
    """Only these threads (root Message-IDs): what a server search found
    (``ServerSearch.roots``); ``search`` is not applied on top of them."""
