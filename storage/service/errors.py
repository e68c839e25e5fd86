"""The service's errors: ``ServiceError`` (one line a user can act on; ``UnknownMessageError``
when a message reference names none of the thread's) and ``CatalogInputError`` (a tag catalog
edit that cannot be). The values the service adds to ``storage.models`` have their own
modules, loaded with their first list: ``NoteEntry`` (``note_entry``) and ``ParkedEdit``
(``parked_edit``)."""

from __future__ import annotations

__all__ = ["CatalogInputError", "ServiceError", "UnknownMessageError"]


class ServiceError(Exception):
    """Something the user can fix or should know, as one line."""


class UnknownMessageError(ServiceError):
    """A message reference (``--message``) that names no message of the thread: the CLI's
    usage mistake (exit 2), as a message number past the thread's end is."""


class CatalogInputError(Exception):
    """A catalog edit the user asked for that cannot be (bad shortcut, taken shortcut, ...)."""
