"""``ParkedEdit``: one parked tag edit as ``Service.parked_edits`` lists it (a first screen
lists none, so this loads with the first list)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from supportmail.storage.sanitize import sanitize_line
from supportmail.storage.tags import SEEN

__all__ = ["ParkedEdit"]


@dataclasses.dataclass(frozen=True, slots=True)
class ParkedEdit:
    """A tag edit (or read mark) parked because none of its thread's messages is on the server
    any more: kept, not pending; pushed by the sync that sees one of them again."""

    thread_id: str
    root_message_id: str
    keyword: str
    tag: str | None
    """The tag the keyword stands for; None for ``\\Seen`` (a read mark) or a bare keyword."""
    add: bool
    message_ids: tuple[str, ...]
    parked: datetime

    @property
    def what(self) -> str:
        """``+team:billing``, ``-category:bug``, ``read`` or ``unread``."""
        if self.tag is not None:
            return ("+" if self.add else "-") + self.tag
        if self.keyword.lower() == SEEN.lower():
            return "read" if self.add else "unread"
        return ("+" if self.add else "-") + self.keyword

    def sanitized(self) -> ParkedEdit:
        return dataclasses.replace(
            self,
            root_message_id=sanitize_line(self.root_message_id),
            keyword=sanitize_line(self.keyword),
            tag=None if self.tag is None else sanitize_line(self.tag),
            message_ids=tuple(sanitize_line(m) for m in self.message_ids),
        )
