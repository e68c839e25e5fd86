"""Which cached rows are copies of one message, and which are distinct messages.

A message is (folder, UIDVALIDITY, UID); one message can sit in two folders (INBOX and the
Sent copy, a label on Gmail), and a mailbox can hold a byte-identical second copy. Those
collapse into one. Distinct messages that merely share a Message-ID (a resend with new text,
a list's copy with a footer, a broken mailer that reuses ids) do not: each is listed, shown
and counted. The identity of a copy is its Message-ID, its size in octets and its Date: equal
bytes give equal all three, and different text almost never keeps the size and the date.

The thread rows' message counts (``storage.cache``) and ``Service.thread`` (``show``, JSON,
the TUI) both count by :func:`copy_key`, so a row and its thread always agree.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["CopyKey", "copy_key", "envelope_copy_key"]

CopyKey = tuple[str, int, int]


def copy_key(message_id: str, size: int, date: int) -> CopyKey:
    """Rows with equal keys are copies of one message (``date``: the cached epoch seconds)."""
    return (message_id, size, date)


def envelope_copy_key(message_id: str, size: int, date: datetime | None) -> CopyKey:
    """:func:`copy_key` of a cached row read back (its Date as a datetime, or None)."""
    try:
        seconds = int(date.timestamp()) if date is not None else 0
    except (OverflowError, OSError, ValueError):
        seconds = 0
    return copy_key(message_id, size, seconds)
