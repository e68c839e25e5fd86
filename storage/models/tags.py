"""Tags as the UI and the CLI see them: a tag's kind, a catalog entry with its thread count, and
what a tag edit did."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from supportmail.storage.sanitize import sanitize_line

TagKind = Literal["team", "category", "label"]


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
    description: str | None = None
    """What the tag means, from the shared catalog (``tags set --description``)."""
    color: str | None = None

    def sanitized(self) -> TagInfo:
        return dataclasses.replace(
            self,
            name=sanitize_line(self.name),
            description=None if self.description is None else sanitize_line(self.description),
            color=None if self.color is None else sanitize_line(self.color),
        )


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
