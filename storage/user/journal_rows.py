"""The userdb's journal rows: kept quotes and the activity log, as frozen values and from their
stored documents (``storage.user.journal`` reads and writes them; a first screen reads neither,
so they load with their first use).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Activity", "StoredQuote", "activity_from", "quote_from"]


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
