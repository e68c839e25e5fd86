"""The thread reader: which thread the cursor previews, its load in a worker, the open thread.

``follow`` runs on every cursor move (debounced by ``preview_delay``); ``_load`` is the thread
worker: ``service.thread`` with the cached bodies first, then again fetching the missing ones
from the server. ``want`` is the thread the user is on, ``shown`` the one in the thread pane: a
load for any other thread arrives stale and is dropped. Also the attachments and links screens
of the open thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.timer import Timer
from textual.worker import get_current_worker

from supportmail.tui.controllers.base import Controller, error_text
from supportmail.tui.messages import ThreadLoaded, ThreadLoadFailed

if TYPE_CHECKING:
    from supportmail.storage.models import ThreadSummary

__all__ = ["ThreadReader"]


class ThreadReader(Controller):
    """The thread pane's thread: previews, loads and opens."""

    want: str | None = None
    """The thread the cursor asks for (None: none, or the narrow list hides the pane)."""
    shown: str | None = None
    """The thread the thread pane shows."""
    _preview_timer: Timer | None = None

    def follow(self, summary: ThreadSummary | None) -> None:
        """The cursor moved to ``summary``: its tags and quotes now, its messages soon."""
        main = self.main
        main.side_panel.show_tags(summary)
        if summary is None or summary.id != self.shown:
            main.side_panel.show_quotes(())
        if summary is None:
            self.want = None
            main.note_editor.load_note(None, "")
            self.call_later(main.message_view.show_notice, "No thread selected.")
            return
        if summary.id == self.shown:
            # back on the shown thread: a preview still pending for another one is stale
            self.want = summary.id
            main.side_panel.show_quotes(main.quotes.thread_quotes)
            if self._preview_timer is not None:
                self._preview_timer.stop()
            return
        # Until the new thread's note is loaded the editor is read-only: nothing typed can land
        # in the previous thread's note (which is saved now if it changed).
        main.note_editor.load_note(None, "")
        if main.narrow and not main.has_class("-reading"):
            self.want = None
            return
        self.schedule(summary.id)

    def schedule(self, thread_id: str) -> None:
        """Load ``thread_id`` after the preview delay (a newer request replaces it)."""
        self.want = thread_id
        if self._preview_timer is not None:
            self._preview_timer.stop()
        delay = self.main.options.preview_delay
        if delay <= 0:
            self._load(thread_id)
        else:
            self._preview_timer = self.set_timer(delay, lambda: self._load(thread_id))

    def open(self, summary: ThreadSummary) -> None:
        """Show ``summary`` in the thread pane (narrow: instead of the list) and focus it."""
        main = self.main
        if main.narrow:
            main.add_class("-reading")
        if summary.id != self.shown and summary.id != self.want:
            self.schedule(summary.id)
        main.message_view.focus()

    def reload(self, thread_id: str) -> None:
        """Read the open thread again if it is ``thread_id`` (an answer was added to it)."""
        if self.shown == thread_id:
            self._load(thread_id)

    @work(thread=True, exclusive=True, group="thread", exit_on_error=False)
    def _load(self, thread_id: str) -> None:
        worker = get_current_worker()
        try:
            detail = self.service.thread(thread_id, fetch=False)
            if worker.is_cancelled:
                return
            missing = not self.service.is_demo and any(not m.body_loaded for m in detail.messages)
            self.post_message(ThreadLoaded(detail, complete=not missing))
            if not missing:
                return
            if worker.is_cancelled:
                return
            detail = self.service.thread(thread_id, fetch=True)
        except Exception as exc:  # shown in the thread pane, never fatal
            self.post_message(ThreadLoadFailed(thread_id, error_text(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(ThreadLoaded(detail))

    @on(ThreadLoaded)
    async def _loaded(self, message: ThreadLoaded) -> None:
        detail = message.detail
        if detail.summary.id != self.want:
            return
        main = self.main
        if self.shown != detail.summary.id:
            main.quotes.forget()
            main.quotes.load(detail.summary.id)
        self.shown = detail.summary.id
        await main.message_view.show(detail)
        main.quotes.reselect()
        known = main.thread_list.known_summary(detail.summary.id)
        main.side_panel.show_tags(known or detail.summary)
        main.notes.thread_shown(detail.summary.id, detail.note)

    @on(ThreadLoadFailed)
    async def _failed(self, message: ThreadLoadFailed) -> None:
        if message.thread_id == self.want:
            await self.main.message_view.show_notice(f"Could not open the thread: {message.error}")

    def open_thread_id(self) -> str | None:
        """The open thread's id, or None with a hint to open one."""
        detail = self.main.message_view.detail
        if detail is None:
            self.hint("open a thread first (enter)")
            return None
        return detail.summary.id

    def attachments(self) -> None:
        """The open thread's attachments (``tui.screens.attachments``)."""
        if (thread_id := self.open_thread_id()) is not None:
            from supportmail.tui.screens.attachments import AttachmentsScreen

            self.app.push_screen(AttachmentsScreen(self.service, thread_id))

    def links(self) -> None:
        """The open thread's links, text and real target side by side."""
        if (thread_id := self.open_thread_id()) is not None:
            from supportmail.tui.screens.attachments import LinksScreen

            self.app.push_screen(LinksScreen(self.service, thread_id))
