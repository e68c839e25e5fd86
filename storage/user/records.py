"""The userdb's rows as frozen values, its one error, and the conversions from stored documents.

Every public :class:`storage.user.db.UserDB` method returns these (or plain str/dict values);
:class:`UserDBError` is what any of them raises, one line for the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACTIVITY_WHAT = frozenset({"tag", "untag", "note", "quote", "read", "unread"})
"""What an activity entry records: a tag added or removed, a note saved, a quote kept, a
thread marked read or unread."""


class UserDBError(Exception):
    """The user database cannot be read or written; ``str(error)`` is one line for the user."""


@dataclass(frozen=True, slots=True)
class OutboxEdit:
    """One pending tag edit of a thread, waiting to be stored on the server."""

    account: str
    thread_root: str
    keyword: str
    add: bool
    message_ids: tuple[str, ...]
    """Bare Message-IDs of the thread's messages when the edit was made (union over collapses)."""
    seq: int
    """Monotonically increasing across the database; a newer edit of the same key gets a new one."""
    created: float
    """Epoch seconds of the newest edit folded into this entry."""


@dataclass(frozen=True, slots=True)
class StoredQuote:
    """A passage of a customer's message the user kept, as stored (local only)."""

    id: int
    """Unique within the database, never reused."""
    account: str
    root: str
    """Root Message-ID of the thread when the quote was saved."""
    message_id: str
    text: str
    who_name: str
    who_addr: str
    when: str
    """ISO 8601 date of the message ('' when unknown)."""
    created: float
    """Epoch seconds when it was saved."""


@dataclass(frozen=True, slots=True)
class Activity:
    """One thing the user did to a thread (see :data:`ACTIVITY_WHAT`)."""

    account: str
    root: str
    what: str
    tag: str | None
    """The tag for ``tag``/``untag`` entries, else None."""
    kind: str | None
    """The tag's kind (``team``, ``category``, ``label``), else None."""
    at: float
    """Epoch seconds."""


@dataclass(frozen=True, slots=True)
class CatalogTag:
    """A tag the user keeps in the catalog, with its optional shortcut key and colour."""

    name: str
    kind: str
    shortcut: str | None
    color: str | None
    description: str | None = None


def edit_from(doc: Mapping[str, Any]) -> OutboxEdit:
    return OutboxEdit(
        account=str(doc["account"]),
        thread_root=str(doc["thread_root"]),
        keyword=str(doc["keyword"]),
        add=bool(doc["add"]),
        message_ids=tuple(str(m) for m in doc["message_ids"]),
        seq=int(doc["seq"]),
        created=float(doc["created"]),
    )


def quote_from(doc: Mapping[str, Any]) -> StoredQuote:
    return StoredQuote(
        id=int(doc["id"]),
        account=str(doc["account"]),
        root=str(doc["root"]),
        message_id=str(doc["message_id"]),
        text=str(doc["text"]),
        who_name=str(doc["who_name"]),
        who_addr=str(doc["who_addr"]),
        when=str(doc["when"]),
        created=float(doc["created"]),
    )


def activity_from(doc: Mapping[str, Any]) -> Activity:
    tag, kind = doc.get("tag"), doc.get("kind")
    return Activity(
        account=str(doc["account"]),
        root=str(doc["root"]),
        what=str(doc["what"]),
        tag=None if tag is None else str(tag),
        kind=None if kind is None else str(kind),
        at=float(doc["at"]),
    )
