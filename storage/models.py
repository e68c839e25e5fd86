"""Plain, frozen values that cross from ``storage`` into the UI and the CLI.

Nothing here imports Textual, IMAP or TinyDB. Strings hold the *decoded* text of the mail; the
``sanitized()`` methods return a copy safe to show on a terminal (see ``storage.sanitize``). The
service hands the UI sanitised copies; the CLI's ``--json`` output uses the decoded originals.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.sanitize import sanitize_line, sanitize_text

TagKind = Literal["team", "category", "label"]


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
class Attachment:
    """A non-text part of a message, listed with its decoded size in bytes."""

    filename: str
    content_type: str
    size: int

    def sanitized(self) -> Attachment:
        return dataclasses.replace(
            self,
            filename=sanitize_line(self.filename),
            content_type=sanitize_line(self.content_type),
        )


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

    def sanitized(self) -> ThreadSummary:
        return dataclasses.replace(
            self,
            subject=sanitize_line(self.subject),
            participants=tuple(p.sanitized() for p in self.participants),
            tags=tuple(sanitize_line(t) for t in self.tags),
            pending_tags=tuple(sanitize_line(t) for t in self.pending_tags),
        )


@dataclass(frozen=True, slots=True)
class MessageView:
    """One message of a thread, decoded and ready to read."""

    message_id: str
    folder: str
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    subject: str
    text: str
    """The readable body: text/plain preferred, HTML converted to text, empty if not fetched."""
    attachments: tuple[Attachment, ...]
    unread: bool
    body_loaded: bool
    """False when the body is not in the cache and could not be fetched (offline)."""

    def sanitized(self) -> MessageView:
        return dataclasses.replace(
            self,
            message_id=sanitize_line(self.message_id),
            folder=sanitize_line(self.folder),
            sender=self.sender.sanitized(),
            to=tuple(a.sanitized() for a in self.to),
            cc=tuple(a.sanitized() for a in self.cc),
            subject=sanitize_line(self.subject),
            text=sanitize_text(self.text),
            attachments=tuple(a.sanitized() for a in self.attachments),
        )


@dataclass(frozen=True, slots=True)
class ThreadDetail:
    """A thread with its messages (oldest first) and the user's private note."""

    summary: ThreadSummary
    messages: tuple[MessageView, ...]
    note: str | None

    def sanitized(self) -> ThreadDetail:
        return ThreadDetail(
            summary=self.summary.sanitized(),
            messages=tuple(m.sanitized() for m in self.messages),
            note=None if self.note is None else sanitize_text(self.note),
        )


@dataclass(frozen=True, slots=True)
class TagInfo:
    """A tag of the catalog (or one found on the server) with how many threads carry it."""

    name: str
    """Canonical name, e.g. ``team:billing``, ``category:bug``, ``dark-mode``."""
    kind: TagKind
    keyword: str
    """The IMAP keyword that stores it on the server."""
    threads: int
    in_catalog: bool
    shortcut: str | None = None

    def sanitized(self) -> TagInfo:
        return dataclasses.replace(self, name=sanitize_line(self.name))


@dataclass(frozen=True, slots=True)
class TagEditResult:
    """What a tag edit did locally: the thread's tags now, and how many edits await the server."""

    thread_id: str
    tags: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    pending: int
    pushed: bool = False
    push_error: str | None = None
    """Why ``--push`` could not send the edit now (it stays in the outbox for the next sync)."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    """One sync's outcome, for the summary line and the status bar."""

    account: str
    folders: int = 0
    new: int = 0
    changed: int = 0
    vanished: int = 0
    pushed: int = 0
    pending: int = 0
    seconds: float = 0.0
    local_only_folders: tuple[str, ...] = ()
    """Folders whose server cannot store keywords (no ``\\*`` in PERMANENTFLAGS)."""
    reset_folders: tuple[str, ...] = ()
    """Folders refetched because their UIDVALIDITY changed."""
    missing_folders: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    """Edits the server refused (they stay in the outbox), one line each."""

    def summary_line(self) -> str:
        parts = [
            f"{self.account}: {self.folders} folder{'s' if self.folders != 1 else ''}",
            f"{self.new} new",
            f"{self.changed} changed",
            f"{self.vanished} gone",
            f"{self.pushed} tag edit{'s' if self.pushed != 1 else ''} pushed",
        ]
        if self.pending:
            parts.append(f"{self.pending} pending")
        line = ", ".join(parts) + f" ({self.seconds:.1f}s)"
        if self.local_only_folders:
            line += (
                "; tags stay local in "
                + ", ".join(self.local_only_folders)
                + " (server does not store keywords)"
            )
        if self.reset_folders:
            line += "; UIDVALIDITY changed, refetched " + ", ".join(self.reset_folders)
        if self.missing_folders:
            line += "; folder not found on server: " + ", ".join(self.missing_folders)
        if self.errors:
            line += f"; {len(self.errors)} edit(s) refused by the server: {self.errors[0]}"
        return line


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """Progress of a running sync, reported through a callback."""

    folder: str
    phase: Literal["connect", "headers", "flags", "push", "threads", "done"]
    done: int = 0
    total: int = 0


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
