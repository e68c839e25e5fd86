"""A thread's short id (``thread_id``): what the list, the CLI and the notes call a thread.

Its own module so that naming a thread does not load the threading code (``jwz``, ``subjects``),
which only a sync needs."""

from __future__ import annotations

import hashlib

__all__ = ["thread_id"]


def thread_id(root_message_id: str) -> str:
    """A short stable id for a thread: 12 hex digits of SHA-1 over its root Message-ID."""
    data = root_message_id.encode("utf-8", "surrogatepass")
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()[:12]
