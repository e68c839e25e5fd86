"""The customer day: work through the threads missing a team or category tag, oldest first.

``start`` (``D``) begins a shift (``service.day_start``) and opens the queue's next thread in the
untagged view; once that thread has a team and a category (``after_tagging``, from the triage
queue) the next one opens; ``skip`` (``N``) passes one by; ``end`` (``e``, or ``q`` during a
day) shows the summary (``tui.screens.day.DaySummaryScreen``). The day bar on top shows the
progress. Each service call runs in a thread worker of the ``day`` group.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import on, work

from supportmail.storage.tags import tag_kind
from supportmail.tui.controllers.base import Controller, error_text
from supportmail.tui.messages import DayEnded, DayFailed, DayUpdated
from supportmail.tui.screens.day import DaySummaryScreen

if TYPE_CHECKING:
    from supportmail.storage.models import TagEditResult

__all__ = ["DayController"]


class DayController(Controller):
    """The customer day's shift, its queue thread and the day bar."""

    running = False
    """A customer-day shift runs (the day bar shows; ``quit`` ends the shift first)."""
    thread: str | None = None
    """The queue thread the day opened last."""

    def start(self) -> None:
        if self.running:
            self.hint("a customer day is running: N skips a thread, e ends the day")
            return
        self.running = True
        self.main.add_class("-day")
        self._start()

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def _start(self) -> None:
        try:
            self.service.day_start()
            progress = self.service.day_status()
        except Exception as exc:  # one line; the mode is left
            self.post_message(DayFailed(f"customer day not started: {error_text(exc)}"))
            return
        self.post_message(DayUpdated(progress, open_next=True, started=True))

    def after_tagging(self, results: Sequence[TagEditResult]) -> None:
        """Refresh the bar; when the day's thread now has a team and a category, go on."""
        finished = any(
            r.thread_id == self.thread and {"team", "category"} <= {tag_kind(t) for t in r.tags}
            for r in results
        )
        self._status(open_next=finished)

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def _status(self, *, open_next: bool) -> None:
        try:
            progress = self.service.day_status()
        except Exception as exc:  # one line in the status bar
            self.post_message(DayFailed(f"customer day: {error_text(exc)}"))
            return
        self.post_message(DayUpdated(progress, open_next=open_next))

    def skip(self) -> None:
        if not self.running or self.thread is None:
            self.hint("no customer day thread to skip (D starts a day)")
            return
        self._skip(self.thread)

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def _skip(self, thread_id: str) -> None:
        try:
            self.service.day_skip(thread_id)
            progress = self.service.day_status()
        except Exception as exc:  # one line in the status bar
            self.post_message(DayFailed(f"not skipped: {error_text(exc)}"))
            return
        self.post_message(DayUpdated(progress, open_next=True))

    @on(DayUpdated)
    def _updated(self, message: DayUpdated) -> None:
        if not self.running:
            return
        progress = message.progress
        self.main.day_bar.show(progress)
        if not message.open_next:
            return
        next_id = progress.next_thread_id
        if next_id is None:
            self.thread = None
            self.hint("customer day: the queue is through (e ends the day)")
            return
        views = self.main.views
        if message.started and views.view != "untagged":
            views.clear_search()
            views.show("untagged")
        self.thread = next_id
        views.show_thread(next_id)
        done = f"{progress.done}/{progress.queue_size}"
        self.hint(f"customer day {done}: tag a team and a category · N skips · e ends")

    def end(self) -> None:
        if not self.running:
            self.hint("no customer day is running (D starts one)")
            return
        self._end()

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def _end(self) -> None:
        try:
            summary = self.service.day_end()
        except Exception as exc:  # the day keeps running
            self.post_message(DayFailed(f"customer day not ended: {error_text(exc)}"))
            return
        self.post_message(DayEnded(summary))

    @on(DayEnded)
    def _ended(self, message: DayEnded) -> None:
        self._leave()
        self.hint("customer day ended")
        self.app.push_screen(DaySummaryScreen(message.summary))

    @on(DayFailed)
    def _failed(self, message: DayFailed) -> None:
        if self.main.day_bar.progress is None:
            self._leave()  # it never started
        self.hint(message.error)

    def _leave(self) -> None:
        self.running = False
        self.thread = None
        self.main.day_bar.progress = None
        self.main.remove_class("-day")
