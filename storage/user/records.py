"""The userdb's one error, its pending tag edits as frozen values (and from their stored
documents), and what an activity entry may record.

:class:`UserDBError` is what any public :class:`storage.user.db.UserDB` method raises, one line
for the user. The other rows it returns live beside the code that reads them, so a first screen
loads none of them: kept quotes and activity in ``journal_rows``, catalog tags in ``catalog``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

ACTIVITY_WHAT = frozenset({"tag", "untag", "note", "quote", "read", "unread"})
"""What an activity entry records: a tag added or removed, a note saved, a quote kept, a
thread marked read or unread."""


class UserDBError(Exception):
    """The user database cannot be read or written; ``str(error)`` is one line for the user."""


class OutboxEdit(NamedTuple):
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
    parked: float | None = None
    """Epoch seconds when a complete sync found none of its messages on the server (the edit is
    kept, not pending, and pushed again when one of them comes back); None: pending."""


def edit_from(doc: Mapping[str, Any]) -> OutboxEdit:
    parked = doc.get("parked")
    return OutboxEdit(
        account=str(doc["account"]),
        thread_root=str(doc["thread_root"]),
        keyword=str(doc["keyword"]),
        add=bool(doc["add"]),
        message_ids=tuple(str(m) for m in doc["message_ids"]),
        seq=int(doc["seq"]),
        created=float(doc["created"]),
        parked=None if parked is None else float(parked),
    )
