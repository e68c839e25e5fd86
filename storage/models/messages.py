"""Mail as an opened thread shows it: its messages and their attachments and links, files
saved from them, and what a server search found (loaded with the first thread opened, after
the first screen)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from supportmail.storage.models.mail import Address, ThreadSummary
from supportmail.storage.sanitize import sanitize_line, sanitize_text


@dataclass(frozen=True, slots=True)
class Link:
    """A link of a message: the text a reader sees and where it really goes."""

    text: str
    target: str

    def sanitized(self) -> Link:
        return Link(sanitize_line(self.text), sanitize_line(self.target))


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    """An attachment as the server's structure of its message lists it
    (``storage.service.attachments``): ``message`` is the message's number in the thread
    (1 = oldest, as ``show`` numbers them), ``index`` its number within the message (1-based)."""

    message: int
    index: int
    filename: str
    """As the sender named it (may be empty or hostile; saving makes it safe)."""
    content_type: str
    size: int
    """Encoded size on the server, decoded size estimated for base64."""

    def sanitized(self) -> AttachmentFile:
        return dataclasses.replace(
            self,
            filename=sanitize_line(self.filename),
            content_type=sanitize_line(self.content_type),
        )


@dataclass(frozen=True, slots=True)
class SavedFile:
    """An attachment written to disk: where, and which one."""

    path: Path
    attachment: AttachmentFile


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
class ServerSearch:
    """What ``Service.search_server`` found: the cached threads holding a match, and how many
    matching messages the cache does not have yet."""

    text: str
    roots: frozenset[str]
    """Root Message-IDs of the cached threads with a matching message."""
    messages: int
    """Matching messages on the server, in every folder searched."""
    unknown: int
    """Of those, messages the cache does not hold yet (a sync brings them)."""
    folders: tuple[str, ...]
    """The folders searched."""
    missing_folders: tuple[str, ...] = ()
    """Configured folders the server does not have (not searched)."""
    esearch: bool = False
    """The server answered with ESEARCH (RFC 4731) rather than plain SEARCH."""

    def unknown_note(self) -> str | None:
        """One line about the matches the cache does not know yet, or None."""
        if not self.unknown:
            return None
        many = "es" if self.unknown != 1 else ""
        return f"{self.unknown} match{many} on the server not in the local cache yet: sync first"
