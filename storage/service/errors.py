"""The values the service adds to ``storage.models``: ``ServiceError`` (one line a user can act
on; ``UnknownMessageError`` when a message reference names none of the thread's),
``CatalogInputError`` (a tag catalog edit that cannot be) and ``NoteEntry`` (one private note
as ``Service.notes`` lists it)."""

from __future__ import annotations

import dataclasses

from supportmail.storage.sanitize import sanitize_line, sanitize_text

__all__ = ["CatalogInputError", "NoteEntry", "ServiceError", "UnknownMessageError"]


class ServiceError(Exception):
    """Something the user can fix or should know, as one line."""


class UnknownMessageError(ServiceError):
    """A message reference (``--message``) that names no message of the thread: the CLI's
    usage mistake (exit 2), as a message number past the thread's end is."""


class CatalogInputError(Exception):
    """A catalog edit the user asked for that cannot be (bad shortcut, taken shortcut, ...)."""


@dataclasses.dataclass(frozen=True, slots=True)
class NoteEntry:
    """One private note as ``Service.notes`` lists it. ``orphan``: its thread is not in the
    cache (``subject`` is then empty); the note is kept and re-attaches when the thread returns."""

    thread_id: str
    root_message_id: str
    subject: str
    text: str
    orphan: bool

    def sanitized(self) -> NoteEntry:
        return dataclasses.replace(
            self,
            root_message_id=sanitize_line(self.root_message_id),
            subject=sanitize_line(self.subject),
            text=sanitize_text(self.text),
        )
