"""The triage queue: tag edits (digits, picker, undo) drawn at once, stored in order behind.

An edit is made durable first (``service.queue_tag_edits``, one write for a selection), then
drawn (optimistically: the rows and the side panel), then queued here; ``_store_batch`` (a thread
worker) applies one batch at a time with ``service.edit_tags``. The read marks
(``tui.controllers.read_marks``) share this queue, so edits and marks reach the server in the
order they were made. A failed store puts the rows back as they were and says why; a stored
one replaces the guess with the service's answer and asks the sync to push soon.
"""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from textual import on, work

from supportmail.tui.controllers.base import Controller, error_text
from supportmail.tui.messages import TagsFailed, TagsStored
from supportmail.tui.triage import (
    EditBatch,
    ReadBatch,
    UndoStack,
    apply_edit,
    apply_read,
    plan_toggle,
)

if TYPE_CHECKING:
    from supportmail.storage.models import ThreadSummary
    from supportmail.tui.main.screen import MainScreen

__all__ = ["QueuedBatch", "TriageQueue"]


class QueuedBatch(NamedTuple):
    """A tag or read batch waiting for (or in) the store worker, with the rows as they were."""

    batch: EditBatch | ReadBatch
    originals: dict[str, ThreadSummary]
    undo: bool


class TriageQueue(Controller):
    """Tag edits and the store queue they share with the read marks."""

    def __init__(self, main: MainScreen) -> None:
        super().__init__(main)
        self.undo_stack = UndoStack()
        self._batches: deque[QueuedBatch] = deque()
        self.storing = False
        """A batch is in the store worker (the push waits for it)."""

    def toggle_shortcut(self, number: int) -> None:
        """Toggle the tag whose shortcut digit is ``number``."""
        tag = next((t.name for t in self.main.catalog if t.shortcut == str(number)), None)
        if tag is None:
            self.hint(f"no tag has the shortcut {number} (see the tag picker)")
            return
        self.toggle(tag)

    def toggle(self, tag: str) -> None:
        """Toggle ``tag`` on the selection (or the cursor's thread), optimistically."""
        targets = self.main.thread_list.targets()
        if not targets:
            self.hint("no thread to tag")
            return
        self.submit(plan_toggle(targets, tag), undo=False)

    def undo(self) -> None:
        batch = self.undo_stack.pop()
        if batch is None:
            self.hint("nothing to undo")
            return
        self.submit(batch.inverse(), undo=True)

    def submit(self, batch: EditBatch, *, undo: bool) -> None:
        if not batch.edits:
            return
        try:
            # Durable before it is drawn: the store below may wait for a sync that holds the
            # service (minutes when the server stalls), and a kill then must not lose it.
            with self.service.batched():  # one write for a whole selection
                for edit in batch.edits:
                    self.service.queue_tag_edits(edit.thread_id, list(edit.add), list(edit.remove))
        except Exception as exc:  # nothing is shown that was not stored
            self.hint(f"tag edit not stored: {error_text(exc)}")
            return
        thread_list = self.main.thread_list
        originals: dict[str, ThreadSummary] = {}
        pending = not self.service.is_demo
        for edit in batch.edits:
            summary = thread_list.known_summary(edit.thread_id)
            if summary is None:
                continue
            originals[edit.thread_id] = summary
            self.main.show_summary(apply_edit(summary, edit, pending=pending))
        if not undo:
            self.undo_stack.push(batch)
        self.hint(("undo: " if undo else "") + batch.describe())
        self.enqueue(QueuedBatch(batch, originals, undo))

    def enqueue(self, queued: QueuedBatch) -> None:
        """Queue a batch (already durable and drawn) for its store worker."""
        self._batches.append(queued)
        self.store_next()

    def store_next(self) -> None:
        if self.storing or not self._batches:
            return
        self.storing = True
        queued = self._batches[0]
        if isinstance(queued.batch, ReadBatch):
            self.main.read_marks.store(queued.batch)
        else:
            self._store_batch(queued.batch, queued.undo)

    def finished(self) -> QueuedBatch:
        """The batch in the store worker is done (stored or failed): take it off the queue."""
        self.storing = False
        return self._batches.popleft()

    @work(thread=True, group="tags", exit_on_error=False)
    def _store_batch(self, batch: EditBatch, undo: bool) -> None:
        results = []
        try:
            for edit in batch.edits:
                results.append(
                    self.service.edit_tags(
                        edit.thread_id, list(edit.add), list(edit.remove), queued=True
                    )
                )
            pending = self.service.pending_count()
        except Exception as exc:  # reverted on screen and reported
            self.post_message(TagsFailed(batch, results, error_text(exc), undo=undo))
            return
        self.post_message(TagsStored(batch, results, pending, undo=undo))

    @on(TagsStored)
    def _stored(self, message: TagsStored) -> None:
        self.finished()
        main = self.main
        demo = self.service.is_demo
        for result in message.results:
            summary = main.thread_list.known_summary(result.thread_id)
            if summary is not None:
                pending = () if demo else summary.pending_tags
                # the service's answer replaces the optimistic guess
                shown = replace(summary, tags=result.tags, pending_tags=pending)
                # ... except for edits of the thread still queued: they are drawn already
                for later in self._batches:
                    if isinstance(later.batch, EditBatch):
                        for edit in later.batch.edits:
                            if edit.thread_id == result.thread_id:
                                shown = apply_edit(shown, edit, pending=not demo)
                main.show_summary(shown)
        main.status.pending = message.pending
        main.tag_catalog.load()
        self.store_next()
        main.sync.push_soon()
        if main.day.running:
            main.day.after_tagging(message.results)

    @on(TagsFailed)
    def _failed(self, message: TagsFailed) -> None:
        queued = self.finished()
        stored = {r.thread_id for r in message.results}
        failed = [e.thread_id for e in message.batch.edits if e.thread_id not in stored]
        for thread_id in failed:
            original = queued.originals.get(thread_id)
            if original is not None:
                self.main.show_summary(original)
        if not message.undo:
            self.undo_stack.replace(message.batch, message.batch.without(failed))
        self.hint(f"tag edit not stored: {message.error}")
        self.notify(message.error, title="Tag edit failed", severity="error", markup=False)
        self.store_next()

    def redraw_queued(self) -> None:
        """After a reload: edits still on their way to the cache are drawn again."""
        pending = not self.service.is_demo
        thread_list = self.main.thread_list
        for queued in self._batches:
            batch = queued.batch
            ids = (
                batch.thread_ids
                if isinstance(batch, ReadBatch)
                else tuple(dict.fromkeys(e.thread_id for e in batch.edits))
            )
            for thread_id in ids:
                summary = thread_list.known_summary(thread_id)
                if summary is None:
                    continue
                if isinstance(batch, ReadBatch):
                    self.main.show_summary(apply_read(summary, batch.read))
                else:
                    for edit in batch.edits:
                        if edit.thread_id == thread_id:
                            summary = apply_edit(summary, edit, pending=pending)
                    self.main.show_summary(summary)
