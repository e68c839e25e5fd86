"""Triage edits as values: tag toggles (with their inverse and the undo stack) and read marks.

Pure logic, no widgets: the main screen plans an ``EditBatch`` (one ``ThreadEdit`` per thread
whose tags really change), shows it at once with ``apply_edit`` (optimistic rows), stores it in
a worker, and pushes it on the ``UndoStack``; ``undo`` stores the batch's ``inverse()``.
Marking threads read or unread works the same way with a ``ReadBatch`` (``plan_read``,
``apply_read``), without undo: the opposite key is the way back.

The values are named tuples, not dataclasses: the window imports this module before its first
frame, where a dataclass costs ~4 M instructions to define and a named tuple a third of that.

Toggle rule for several threads: if every target carries the tag it is removed from all of them,
otherwise it is added to those that lack it (so a mixed selection ends up all tagged).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Literal, NamedTuple

from supportmail.storage.tags import tag_sort_key

if TYPE_CHECKING:
    from supportmail.storage.models import ThreadSummary

TagState = Literal["all", "some", "none"]
"""How many of the target threads carry a tag."""


UNDO_DEPTH = 100
"""How many tag edits ``undo`` can walk back."""


class ThreadEdit(NamedTuple):
    """Tags to add to and remove from one thread."""

    thread_id: str
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()

    def inverse(self) -> ThreadEdit:
        return ThreadEdit(self.thread_id, add=self.remove, remove=self.add)


class EditBatch(NamedTuple):
    """One user action: the same tag change on one or more threads."""

    edits: tuple[ThreadEdit, ...]

    def inverse(self) -> EditBatch:
        return EditBatch(tuple(edit.inverse() for edit in self.edits))

    def describe(self) -> str:
        """``+category:bug on 3 threads`` / ``-team:tech on 1 thread``."""
        changes = sorted(
            {f"+{t}" for e in self.edits for t in e.add}
            | {f"-{t}" for e in self.edits for t in e.remove}
        )
        count = len(self.edits)
        return f"{' '.join(changes)} on {count} thread{'s' if count != 1 else ''}"

    def without(self, thread_ids: Iterable[str]) -> EditBatch:
        gone = set(thread_ids)
        return EditBatch(tuple(e for e in self.edits if e.thread_id not in gone))


def sort_tags(tags: Iterable[str]) -> tuple[str, ...]:
    """Team tags, then categories, then labels; by name within each (the service's order)."""
    return tuple(sorted(set(tags), key=tag_sort_key))


def plan_toggle(targets: Sequence[ThreadSummary], tag: str) -> EditBatch:
    """The edits that toggle ``tag`` on ``targets`` (threads already right are left out)."""
    if not targets:
        return EditBatch(())
    if all(tag in t.tags for t in targets):
        return EditBatch(tuple(ThreadEdit(t.id, remove=(tag,)) for t in targets))
    return EditBatch(tuple(ThreadEdit(t.id, add=(tag,)) for t in targets if tag not in t.tags))


def apply_edit(summary: ThreadSummary, edit: ThreadEdit, *, pending: bool) -> ThreadSummary:
    """``summary`` as it looks once ``edit`` is stored (``pending``: not yet on a server)."""
    tags = [t for t in summary.tags if t not in edit.remove]
    tags += [t for t in edit.add if t not in tags]
    pending_tags = set(summary.pending_tags)
    if pending:
        pending_tags |= set(edit.add) | set(edit.remove)
    return dataclasses.replace(summary, tags=sort_tags(tags), pending_tags=sort_tags(pending_tags))


class ReadBatch(NamedTuple):
    """One user action: mark these threads read (every message ``\\Seen``) or unread."""

    thread_ids: tuple[str, ...]
    read: bool

    def describe(self) -> str:
        """``marked 3 threads read`` / ``marked 1 thread unread``."""
        count = len(self.thread_ids)
        state = "read" if self.read else "unread"
        return f"marked {count} thread{'s' if count != 1 else ''} {state}"


def plan_read(targets: Sequence[ThreadSummary], read: bool) -> ReadBatch:
    """The threads whose read state changes (already read / all unread ones are left out)."""
    if read:
        ids = tuple(t.id for t in targets if t.unread > 0)
    else:
        ids = tuple(t.id for t in targets if t.unread < t.messages)
    return ReadBatch(ids, read)


def apply_read(summary: ThreadSummary, read: bool) -> ThreadSummary:
    """``summary`` as it looks once every message is marked read (or unread)."""
    return dataclasses.replace(summary, unread=0 if read else summary.messages)


def tag_state(targets: Sequence[ThreadSummary], name: str) -> TagState:
    """``all``, ``some`` or ``none`` of ``targets`` carry ``name``."""
    having = sum(1 for t in targets if name in t.tags)
    if targets and having == len(targets):
        return "all"
    return "some" if having else "none"


class UndoStack:
    """The last ``UNDO_DEPTH`` tag edit batches, newest on top."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        self._batches: list[EditBatch] = []
        self._depth = depth

    def __len__(self) -> int:
        return len(self._batches)

    def push(self, batch: EditBatch) -> None:
        if batch.edits:
            self._batches.append(batch)
            del self._batches[: -self._depth]

    def pop(self) -> EditBatch | None:
        return self._batches.pop() if self._batches else None

    def replace(self, old: EditBatch, new: EditBatch) -> None:
        """Swap ``old`` (if still stacked) for ``new``; drop it when ``new`` is empty."""
        for index in range(len(self._batches) - 1, -1, -1):
            if self._batches[index] is old:
                if new.edits:
                    self._batches[index] = new
                else:
                    del self._batches[index]
                return
