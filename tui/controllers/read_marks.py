"""Read marks: mark the selection (or the cursor's thread) read or unread, optimistically.

Like a tag edit, a mark is made durable first (``service.queue_read``), drawn, then stored by
``store`` (a thread worker: ``service.mark_read``) in its turn in the triage queue
(``tui.controllers.triage``), which it shares with the tag edits. A failed store puts the rows
back; a stored one also updates the open thread's unread markers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from textual import on, work

from supportmail.tui.controllers.base import Controller, error_text
from supportmail.tui.controllers.triage import QueuedBatch
from supportmail.tui.messages import ReadFailed, ReadStored
from supportmail.tui.triage import apply_read, plan_read

if TYPE_CHECKING:
    from supportmail.storage.models import ThreadSummary
    from supportmail.tui.triage import ReadBatch

__all__ = ["ReadMarks"]


class ReadMarks(Controller):
    """Marking threads read or unread."""

    def mark(self, read: bool) -> None:
        """Mark the selection (or the cursor's thread) read or unread, optimistically."""
        main = self.main
        targets = main.thread_list.targets()
        if not targets:
            self.hint("no thread to mark")
            return
        batch = plan_read(targets, read)
        if not batch.thread_ids:
            many = len(targets) != 1
            self.hint(f"{'all ' if many else ''}already {'read' if read else 'unread'}")
            return
        try:
            # Durable before it is drawn, as a tag edit (see TriageQueue.submit).
            with self.service.batched():
                for thread_id in batch.thread_ids:
                    self.service.queue_read(thread_id, read)
        except Exception as exc:  # nothing is shown that was not stored
            self.hint(f"not marked {'read' if read else 'unread'}: {error_text(exc)}")
            return
        originals: dict[str, ThreadSummary] = {}
        for thread_id in batch.thread_ids:
            summary = main.thread_list.known_summary(thread_id)
            if summary is not None:
                originals[thread_id] = summary
                main.show_summary(apply_read(summary, read))
        self.hint(batch.describe())
        main.triage.enqueue(QueuedBatch(batch, originals, undo=False))

    @work(thread=True, group="tags", exit_on_error=False)
    def store(self, batch: ReadBatch) -> None:
        """The triage queue's turn for ``batch``: ``service.mark_read`` for each thread."""
        stored: list[str] = []
        try:
            for thread_id in batch.thread_ids:
                self.service.mark_read(thread_id, read=batch.read, queued=True)
                stored.append(thread_id)
            pending = self.service.pending_count()
        except Exception as exc:  # reverted on screen and reported
            self.post_message(ReadFailed(batch, stored, error_text(exc)))
            return
        self.post_message(ReadStored(batch, pending))

    @on(ReadStored)
    async def _stored(self, message: ReadStored) -> None:
        main = self.main
        main.triage.finished()
        main.status.pending = message.pending
        await self._show_read_state(message.batch.thread_ids, message.batch.read)
        main.triage.store_next()
        main.sync.push_soon()

    @on(ReadFailed)
    async def _failed(self, message: ReadFailed) -> None:
        main = self.main
        queued = main.triage.finished()
        batch = message.batch
        await self._show_read_state(message.stored, batch.read)
        for thread_id in batch.thread_ids:
            original = queued.originals.get(thread_id)
            summary = main.thread_list.known_summary(thread_id)
            if thread_id not in message.stored and original is not None and summary:
                main.show_summary(replace(summary, unread=original.unread))
        state = "read" if batch.read else "unread"
        self.hint(f"not marked {state}: {message.error}")
        self.notify(message.error, title=f"Mark {state} failed", severity="error", markup=False)
        main.triage.store_next()

    async def _show_read_state(self, thread_ids: Sequence[str], read: bool) -> None:
        """Rows (again, in case a reload came between) and the open thread's unread markers."""
        main = self.main
        for thread_id in thread_ids:
            summary = main.thread_list.known_summary(thread_id)
            if summary is not None and summary != apply_read(summary, read):
                main.show_summary(apply_read(summary, read))
        view = main.message_view
        detail = view.detail
        if detail is not None and detail.summary.id in thread_ids:
            messages = tuple(replace(m, unread=not read) for m in detail.messages)
            summary = apply_read(detail.summary, read)
            await view.show(replace(detail, summary=summary, messages=messages))
