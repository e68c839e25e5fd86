"""``NoteEntry``: one private note as ``Service.notes`` lists it (a first screen lists none, so
this loads with the first list)."""

from __future__ import annotations

import dataclasses

from supportmail.storage.sanitize import sanitize_line, sanitize_text

__all__ = ["NoteEntry"]


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
