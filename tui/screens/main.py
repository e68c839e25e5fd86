"""The main screen: three panes, every user action (by binding id), and the workers behind them.

Layout: the thread list (with the search field above it) | the thread's messages | the side panel
(tags and note), and the status bar. Below ``NARROW_WIDTH`` columns the screen gets the
``-narrow`` class and shows the list *or* (``-reading``) the thread with the side panel under it.

Who does what:

========================  ==================================================================
handler / worker          does
========================  ==================================================================
``BINDINGS``              every user action with its binding id (the key map rebinds them by id)
``_load_thread``          thread worker: ``service.thread`` (cached bodies first, then server)
``_store_batch``          thread worker: ``service.edit_tags`` for one queued batch, in order
``_store_read``           thread worker: ``service.mark_read`` for one queued batch (same queue;
                          ``queue_read`` made it durable before it was drawn)
``_save_note``            thread worker: ``service.set_note`` (the newest text wins)
``_load_catalog``         thread worker: ``service.tags()`` for digits and picker, after frame 1
``live``                  ``LiveController`` (tui/controllers/live.py): the live mirror's worker
                          (IDLE, debounced syncs, online/offline); ``s`` asks it for a sync
``_push``                 thread worker: ``service.push`` (its own session: never behind a sync)
``_load_paragraphs``      thread worker: ``service.customer_paragraphs`` per customer message
``_load_quotes``          thread worker: ``service.quotes`` of the open thread (side panel)
``_save_quote``           thread worker: ``service.save_quote`` (+ the attributed line to copy)
``_day_start`` ...        thread workers: ``service.day_start/day_status/day_skip/day_end``
``action_note_external``  UI thread: ``service.note_file`` + ``$EDITOR`` with the app suspended
========================  ==================================================================

Blocking service calls run in thread workers that only post ``tui.messages``; the list's page
reads (fast local sqlite) run on the UI thread inside ``ThreadList._fetch_page``. The service
serialises what must be serialised itself (one sync at a time, one lock per IMAP session), so
no worker holds a lock of the UI's.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from keymaps import binding_catalog
from storage.models import (
    SavedQuote,
    TagEditResult,
    TagInfo,
    ThreadQuery,
    ThreadSummary,
)
from storage.tags import tag_kind
from tui.controllers.live import LiveController
from tui.keynames import binding_keys, describe, speak
from tui.logfile import log_failure
from tui.messages import (
    CatalogLoaded,
    ConnectionChanged,
    DayEnded,
    DayFailed,
    DayUpdated,
    NoteFailed,
    NoteStored,
    ParagraphsLoaded,
    PushFailed,
    PushFinished,
    QuoteFailed,
    QuoteSaved,
    QuotesLoaded,
    ReadFailed,
    ReadStored,
    SyncFailed,
    SyncFinished,
    SyncProgressed,
    SyncStarted,
    TagsFailed,
    TagsStored,
    ThreadLoaded,
    ThreadLoadFailed,
)
from tui.render import canonical_guess, safe_text
from tui.screens.answer import Answering, AnswerKind
from tui.screens.day import DayBar, DaySummaryScreen
from tui.screens.triage import (
    EditBatch,
    ReadBatch,
    TagState,
    UndoStack,
    apply_edit,
    apply_read,
    plan_read,
    plan_toggle,
    tag_state,
)
from tui.server_search import ServerSearch, ServerSearched
from tui.startup import after_first_frame
from tui.widgets.message_view import ThreadView
from tui.widgets.search_bar import SearchBar
from tui.widgets.side_panel import NoteEditor, SidePanel
from tui.widgets.status_bar import StatusBar
from tui.widgets.thread_list import ThreadList

if TYPE_CHECKING:
    from storage.service import Service
    from tui.screens.help import HelpEntry
    from tui.screens.report import ReportState
    from tui.screens.skim import SkimOutcome, SkimSession
    from tui.screens.tag_edit import TagEdit
    from tui.screens.tag_picker import PickerMode, TagPicker

# The help, report, skim and tag picker screens and the editor are imported when first opened:
# the first screen never needs them, and each import is start-up time.

NARROW_WIDTH = 110
"""Below this many columns the panes collapse to list -> thread."""

FIND_LIMIT = 2000
"""How many rows ``show_thread`` searches for a thread (20 page queries at most)."""

ViewName = Literal["all", "untagged", "unread", "awaiting", "tag"]


def _error_text(exc: BaseException) -> str:
    """The one line the status bar shows for a failed worker; its traceback goes to the log."""
    text = str(exc) or type(exc).__name__
    log_failure(text, exc)
    return text


@dataclass
class _QueuedBatch:
    """A tag or read batch waiting for (or in) the store worker, with the rows as they were."""

    batch: EditBatch | ReadBatch
    originals: dict[str, ThreadSummary]
    undo: bool


@dataclass
class _Options:
    """Timing knobs of the screen (tests set the delays to 0)."""

    preview_delay: float = 0.15
    search_delay: float = 0.08
    poll_seconds: float = 60.0
    retry_seconds: float = 5.0
    keymap_name: str = "default"
    push_delay: float = 0.02
    """Seconds after the last stored edit before the outbox is pushed (a burst goes together)."""


class MainScreen(Screen[None]):
    """List | thread | side panel, the status bar, and all triage actions."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "thread_next", "Next thread", id="thread.next", show=False),
        Binding("up,k", "thread_prev", "Previous thread", id="thread.prev", show=False),
        Binding(
            "enter",
            "thread_open",
            "Open the thread under the cursor",
            id="thread.open",
            show=False,
        ),
        Binding("home", "thread_first", "First thread", id="thread.first", show=False),
        Binding("end", "thread_last", "Last thread", id="thread.last", show=False),
        Binding(
            "escape",
            "thread_close",
            "Back to the thread list (in the list: clear the selection)",
            id="thread.close",
            show=False,
        ),
        Binding("f", "thread_quotes", "Show or fold quoted text", id="thread.quotes", show=False),
        Binding("pagedown", "page(1)", "One page down", id="page.down", show=False),
        Binding("pageup", "page(-1)", "One page up", id="page.up", show=False),
        Binding(
            "t",
            "tag_pick",
            "Tag picker: search, toggle or create tags",
            id="tag.pick",
            show=False,
        ),
        *(
            Binding(
                str(n),
                f"tag_toggle({n})",
                f"Toggle shortcut tag {n}",
                id=f"tag.toggle.{n}",
                show=False,
            )
            for n in range(1, 10)
        ),
        Binding(
            "n", "note_edit", "Edit the private note of this thread", id="note.edit", show=False
        ),
        Binding(
            "E",
            "note_external",
            "Edit the note in $EDITOR",
            id="note.external",
            show=False,
        ),
        Binding("/", "search", "Search subject, people and bodies", id="search", show=False),
        Binding(
            "S,ctrl+s",
            "search_server",
            "Search the server for the search words (mail not mirrored here)",
            id="search.server",
            show=False,
        ),
        Binding("a", "view('all')", "View: all threads", id="view.all", show=False),
        Binding(
            "u",
            "view('untagged')",
            "View: threads missing a team or a category tag",
            id="view.untagged",
            show=False,
        ),
        Binding(
            "U", "view('unread')", "View: threads with unread mail", id="view.unread", show=False
        ),
        Binding(
            "w",
            "view('awaiting')",
            "View: threads waiting for our reply, longest first",
            id="view.awaiting",
            show=False,
        ),
        Binding("v", "view_tag", "View: threads with one tag", id="view.tag", show=False),
        Binding(
            "M",
            "skim",
            "Morning skim: what customers wrote since your last skim",
            id="view.skim",
            show=False,
        ),
        Binding(
            "I",
            "report",
            "Report: threads, customers, spikes and trends per tag",
            id="report.open",
            show=False,
        ),
        Binding(
            "x",
            "select_toggle",
            "Select or unselect the thread (for bulk tagging)",
            id="select.toggle",
            show=False,
        ),
        Binding("z,ctrl+z", "undo", "Undo the last tag edit", id="undo", show=False),
        Binding(
            "r",
            "mark_read(True)",
            "Mark the thread (or the selection) read",
            id="mark.read",
            show=False,
        ),
        Binding(
            "R",
            "mark_read(False)",
            "Mark the thread (or the selection) unread",
            id="mark.unread",
            show=False,
        ),
        Binding(
            "right_square_bracket",
            "quote_step(1)",
            "Select the customer's next paragraph (for a quote)",
            id="quote.next",
            show=False,
        ),
        Binding(
            "left_square_bracket",
            "quote_step(-1)",
            "Select the customer's previous paragraph",
            id="quote.prev",
            show=False,
        ),
        Binding(
            "Q", "quote_save", "Save the selected paragraph as a quote", id="quote.save", show=False
        ),
        Binding(
            "C,y",
            "quote_copy",
            "Copy the selected paragraph with attribution to the clipboard",
            id="quote.copy",
            show=False,
        ),
        Binding(
            "D",
            "day_start",
            "Customer day: work through the threads missing a tag, oldest first",
            id="day.start",
            show=False,
        ),
        Binding("N", "day_skip", "Customer day: skip this thread", id="day.skip", show=False),
        Binding(
            "o",
            "attach_list",
            "Attachments of the open thread: open or save",
            id="attach.list",
            show=False,
        ),
        Binding(
            "b",
            "links_list",
            "Links of the open thread: text and real target; open or copy",
            id="links.list",
            show=False,
        ),
        Binding(
            "e", "day_end", "Customer day: end it and show the summary", id="day.end", show=False
        ),
        Binding(
            "A", "answer('reply')", "Reply in $EDITOR (sent over SMTP)", id="reply", show=False
        ),
        Binding(
            "alt+a",
            "answer('reply_all')",
            "Reply to everyone but the team",
            id="reply.all",
            show=False,
        ),
        Binding(
            "F", "answer('forward')", "Forward the customer's message", id="forward", show=False
        ),
        Binding("s", "sync", "Sync with the server now", id="sync", show=False),
        Binding("?,f1", "help", "Show the active keys", id="help", show=False),
        Binding("tab", "app.focus_next", "Next pane", id="focus.next", show=False),
        Binding("q", "quit", "Quit", id="quit", show=False),
    ]

    def __init__(
        self,
        service: Service,
        *,
        now: Callable[[], datetime],
        keymap_name: str = "default",
        preview_delay: float = 0.15,
        search_delay: float = 0.08,
        poll_seconds: float = 60.0,
        push_delay: float = 0.02,
    ) -> None:
        super().__init__()
        self.service = service
        self.now = now
        self.options = _Options(
            preview_delay=preview_delay,
            search_delay=search_delay,
            poll_seconds=poll_seconds,
            keymap_name=keymap_name,
            push_delay=push_delay,
        )
        self.view_name: ViewName = "all"
        self.view_tag: str | None = None
        self.search_text = ""
        self.server_search = ServerSearch(service)
        """The search words run on the server (``search.server``) and what it found."""
        self.catalog: list[TagInfo] = []
        self.undo_stack = UndoStack()
        self._queue: deque[_QueuedBatch] = deque()
        self._storing = False
        self._want_thread: str | None = None
        self._shown_thread: str | None = None
        self._preview_timer: Timer | None = None
        self._search_timer: Timer | None = None
        self._push_timer: Timer | None = None
        self._syncing = False
        self.live = LiveController(
            self, service, poll_seconds=poll_seconds, after_sync=self._after_sync
        )
        self._note_versions: dict[str, int] = {}
        self._note_lock = threading.Lock()
        self._unsaved_notes: dict[str, str] = {}
        self._edited_notes: dict[str, str] = {}
        self.report_state: ReportState | None = None
        """What the report showed last (made when the report first opens)."""
        self.skim_session: SkimSession | None = None
        self.paragraphs: tuple[tuple[str, str], ...] = ()
        """The open thread's customer paragraphs (message id, text), once a quote key asked."""
        self.paragraph_index: int | None = None
        self._paragraphs_of: str | None = None
        self._paragraph_step = 0
        self.thread_quotes: tuple[SavedQuote, ...] = ()
        self.day_running = False
        """A customer-day shift runs (the day bar shows; ``quit`` ends the shift first)."""
        self.day_thread: str | None = None
        """The queue thread the day opened last."""
        self.answering = Answering(self)
        """Reply, reply-all and forward (``tui.screens.answer``)."""

    # -- composition -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield DayBar(id="day-bar")
        with Horizontal(id="panes"):
            with Vertical(id="list-pane"):
                yield SearchBar(id="search")
                yield ThreadList(self.service, now=self.now, id="threads")
            with Container(id="reading"):
                yield ThreadView(now=self.now, is_team=self.service.is_team_address, id="thread")
                yield SidePanel(id="side")
        yield StatusBar(id="status")

    @property
    def thread_list(self) -> ThreadList:
        return self.query_one(ThreadList)

    @property
    def message_view(self) -> ThreadView:
        return self.query_one(ThreadView)

    @property
    def day_bar(self) -> DayBar:
        return self.query_one(DayBar)

    @property
    def side_panel(self) -> SidePanel:
        return self.query_one(SidePanel)

    @property
    def note_editor(self) -> NoteEditor:
        return self.query_one(NoteEditor)

    @property
    def search_bar(self) -> SearchBar:
        return self.query_one(SearchBar)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    def on_mount(self) -> None:
        self._update_layout(self.app.size.width)
        status = self.status
        status.account = self.service.account
        status.connection = "local" if self.service.is_demo else "online"
        status.hint = "? for keys"
        self.note_editor.load_note(None, "")
        self._apply_query(count_later=True)  # the count after the first frame
        self.thread_list.focus()
        # After the first frame: the catalog's counts (a scan of every thread, ~0.1-0.5 s in a
        # worker holding the GIL in turns) would otherwise delay the first rows.
        after_first_frame(self, self._load_catalog)
        self.set_interval(self.options.retry_seconds, self._retry_unsaved_notes)
        if not self.service.is_demo:
            status.pending = self.service.pending_count()
            self.answering.refresh_unsent()
            # The live mirror: its first sync now, then syncs as the server reports changes.
            if self.thread_list.count:
                after_first_frame(self, self.live.start)
            else:  # an empty cache: the first rows come from the sync, start it at once
                self.call_after_refresh(self.live.start)

    def on_unmount(self) -> None:
        self.live.stop()

    def on_resize(self, event: events.Resize) -> None:
        self._update_layout(event.size.width)

    def _update_layout(self, width: int) -> None:
        self.set_class(width < NARROW_WIDTH, "-narrow")

    # -- the list and the thread -------------------------------------------------------------

    def _query(self) -> ThreadQuery:
        query = ThreadQuery(
            tags=(self.view_tag,) if self.view_name == "tag" and self.view_tag else (),
            untagged=self.view_name == "untagged",
            unread=self.view_name == "unread",
            awaiting=self.view_name == "awaiting",
            search=self.search_text or None,
        )
        return self.server_search.narrow(query)

    def _view_label(self) -> str:
        label = f"tag {self.view_tag}" if self.view_name == "tag" else self.view_name
        if self.search_text:
            label += " · " + self.server_search.label(self.search_text)
        return label

    def _apply_query(self, *, count_later: bool = False) -> None:
        thread_list = self.thread_list
        thread_list.clear_selection()
        thread_list.set_query(self._query(), count_later=count_later)
        self.status.view = self._view_label()
        self.status.count = thread_list.count if thread_list.count_known else None

    @on(ThreadList.Counted)
    def _counted(self, message: ThreadList.Counted) -> None:
        self.status.count = message.count

    @on(ThreadList.CursorMoved)
    def _cursor_moved(self, event: ThreadList.CursorMoved) -> None:
        summary = event.summary
        self.side_panel.show_tags(summary)
        if summary is None or summary.id != self._shown_thread:
            self.side_panel.show_quotes(())
        if summary is None:
            self._want_thread = None
            self.note_editor.load_note(None, "")
            self.call_later(self.message_view.show_notice, "No thread selected.")
            return
        if summary.id == self._shown_thread:
            # back on the shown thread: a preview still pending for another one is stale
            self._want_thread = summary.id
            self.side_panel.show_quotes(self.thread_quotes)
            if self._preview_timer is not None:
                self._preview_timer.stop()
            return
        # Until the new thread's note is loaded the editor is read-only: nothing typed can land
        # in the previous thread's note (which is saved now if it changed).
        self.note_editor.load_note(None, "")
        if self.narrow and not self.has_class("-reading"):
            self._want_thread = None
            return
        self._schedule_preview(summary.id)

    def _schedule_preview(self, thread_id: str) -> None:
        self._want_thread = thread_id
        if self._preview_timer is not None:
            self._preview_timer.stop()
        if self.options.preview_delay <= 0:
            self._load_thread(thread_id)
        else:
            self._preview_timer = self.set_timer(
                self.options.preview_delay, lambda: self._load_thread(thread_id)
            )

    @on(ThreadList.Opened)
    def _opened(self, event: ThreadList.Opened) -> None:
        self._open(event.summary)

    def _open(self, summary: ThreadSummary) -> None:
        if self.narrow:
            self.add_class("-reading")
        if summary.id != self._shown_thread and summary.id != self._want_thread:
            self._schedule_preview(summary.id)
        self.message_view.focus()

    @on(ThreadList.LoadFailed)
    def _list_failed(self, event: ThreadList.LoadFailed) -> None:
        self.status.hint = f"could not list threads: {event.error}"

    @work(thread=True, exclusive=True, group="thread", exit_on_error=False)
    def _load_thread(self, thread_id: str) -> None:
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
            self.post_message(ThreadLoadFailed(thread_id, _error_text(exc)))
            return
        if not worker.is_cancelled:
            self.post_message(ThreadLoaded(detail))

    @on(ThreadLoaded)
    async def _thread_loaded(self, message: ThreadLoaded) -> None:
        detail = message.detail
        if detail.summary.id != self._want_thread:
            return
        if self._shown_thread != detail.summary.id:
            self._forget_paragraphs()
            self._load_quotes(detail.summary.id)
        self._shown_thread = detail.summary.id
        await self.message_view.show(detail)
        self._reselect_paragraph()
        known = self.thread_list.known_summary(detail.summary.id)
        self.side_panel.show_tags(known or detail.summary)
        thread_id = detail.summary.id
        # A note saved from $EDITOR while this load was under way is newer than detail.note.
        saved = self._edited_notes.pop(thread_id, detail.note or "")
        note = self._unsaved_notes.get(thread_id, saved)
        if self.note_editor.thread_id != thread_id:
            self.note_editor.load_note(thread_id, saved)
            if note != saved:
                self.note_editor.load_text(note)

    @on(ThreadLoadFailed)
    async def _thread_failed(self, message: ThreadLoadFailed) -> None:
        if message.thread_id == self._want_thread:
            await self.message_view.show_notice(f"Could not open the thread: {message.error}")

    # -- navigation actions ------------------------------------------------------------------

    def action_thread_next(self) -> None:
        self.thread_list.move_cursor(1)

    def action_thread_prev(self) -> None:
        self.thread_list.move_cursor(-1)

    def action_thread_first(self) -> None:
        self.thread_list.cursor_to(0)

    def action_thread_last(self) -> None:
        self.thread_list.cursor_to(self.thread_list.count - 1)

    def action_page(self, direction: int) -> None:
        self.thread_list.page(direction)

    def action_thread_open(self) -> None:
        current = self.thread_list.current
        if current is not None:
            self._open(current)

    def action_thread_close(self) -> None:
        """Back to the list; in the list itself, clear the selection."""
        in_list = self.thread_list.has_focus and not self.has_class("-reading")
        if in_list and self.thread_list.clear_selection():
            self.status.hint = "selection cleared"
        self.remove_class("-reading")
        self.thread_list.focus()

    async def action_thread_quotes(self) -> None:
        await self.message_view.toggle_quotes()

    def action_select_toggle(self) -> None:
        self.thread_list.toggle_selected()
        self.thread_list.move_cursor(1)
        if not self.thread_list.selected:
            self.status.hint = "selection cleared"

    @on(ThreadList.SelectionChanged)
    def _selection_changed(self, message: ThreadList.SelectionChanged) -> None:
        self.status.selected = message.count

    # -- tags --------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="catalog", exit_on_error=False)
    def _load_catalog(self) -> None:
        try:
            tags = self.service.tags()
        except Exception as exc:  # the digits say so when pressed
            self.post_message(SyncFailed(f"could not read the tag catalog: {_error_text(exc)}"))
            return
        self.post_message(CatalogLoaded(tags))

    @on(CatalogLoaded)
    def _catalog_loaded(self, message: CatalogLoaded) -> None:
        self.catalog = message.tags

    def _targets(self) -> list[ThreadSummary]:
        return self.thread_list.targets()

    def action_tag_toggle(self, number: int) -> None:
        tag = next((t.name for t in self.catalog if t.shortcut == str(number)), None)
        if tag is None:
            self.status.hint = f"no tag has the shortcut {number} (see the tag picker)"
            return
        self.toggle_tag(tag)

    def toggle_tag(self, tag: str) -> None:
        """Toggle ``tag`` on the selection (or the cursor's thread), optimistically."""
        targets = self._targets()
        if not targets:
            self.status.hint = "no thread to tag"
            return
        batch = plan_toggle(targets, tag)
        self._submit(batch, undo=False)

    def _submit(self, batch: EditBatch, *, undo: bool) -> None:
        if not batch.edits:
            return
        try:
            # Durable before it is drawn: the store below may wait for a sync that holds the
            # service (minutes when the server stalls), and a kill then must not lose it.
            with self.service.batched():  # one write for a whole selection
                for edit in batch.edits:
                    self.service.queue_tag_edits(edit.thread_id, list(edit.add), list(edit.remove))
        except Exception as exc:  # nothing is shown that was not stored
            self.status.hint = f"tag edit not stored: {_error_text(exc)}"
            return
        thread_list = self.thread_list
        originals: dict[str, ThreadSummary] = {}
        pending = not self.service.is_demo
        for edit in batch.edits:
            summary = thread_list.known_summary(edit.thread_id)
            if summary is None:
                continue
            originals[edit.thread_id] = summary
            self._show_summary(apply_edit(summary, edit, pending=pending))
        if not undo:
            self.undo_stack.push(batch)
        self.status.hint = ("undo: " if undo else "") + batch.describe()
        self._queue.append(_QueuedBatch(batch, originals, undo))
        self._store_next()

    def _show_summary(self, summary: ThreadSummary) -> None:
        self.thread_list.set_override(summary)
        current = self.thread_list.current
        if current is not None and current.id == summary.id:
            self.side_panel.show_tags(summary)

    def _store_next(self) -> None:
        if self._storing or not self._queue:
            return
        self._storing = True
        queued = self._queue[0]
        if isinstance(queued.batch, ReadBatch):
            self._store_read(queued.batch)
        else:
            self._store_batch(queued.batch, queued.undo)

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
            self.post_message(TagsFailed(batch, results, _error_text(exc), undo=undo))
            return
        self.post_message(TagsStored(batch, results, pending, undo=undo))

    @on(TagsStored)
    def _tags_stored(self, message: TagsStored) -> None:
        self._queue.popleft()
        self._storing = False
        demo = self.service.is_demo
        for result in message.results:
            summary = self.thread_list.known_summary(result.thread_id)
            if summary is not None:
                pending = () if demo else summary.pending_tags
                # the service's answer replaces the optimistic guess
                shown = replace(summary, tags=result.tags, pending_tags=pending)
                # ... except for edits of the thread still queued: they are drawn already
                for later in self._queue:
                    if isinstance(later.batch, EditBatch):
                        for edit in later.batch.edits:
                            if edit.thread_id == result.thread_id:
                                shown = apply_edit(shown, edit, pending=not demo)
                self._show_summary(shown)
        self.status.pending = message.pending
        self._load_catalog()
        self._store_next()
        self._push_soon()
        if self.day_running:
            self._day_after_tagging(message.results)

    @on(TagsFailed)
    def _tags_failed(self, message: TagsFailed) -> None:
        queued = self._queue.popleft()
        self._storing = False
        stored = {r.thread_id for r in message.results}
        failed = [e.thread_id for e in message.batch.edits if e.thread_id not in stored]
        for thread_id in failed:
            original = queued.originals.get(thread_id)
            if original is not None:
                self._show_summary(original)
        if not message.undo:
            self.undo_stack.replace(message.batch, message.batch.without(failed))
        self.status.hint = f"tag edit not stored: {message.error}"
        self.notify(message.error, title="Tag edit failed", severity="error", markup=False)
        self._store_next()

    # -- read state --------------------------------------------------------------------------

    def action_mark_read(self, read: bool) -> None:
        """Mark the selection (or the cursor's thread) read or unread, optimistically."""
        targets = self._targets()
        if not targets:
            self.status.hint = "no thread to mark"
            return
        batch = plan_read(targets, read)
        if not batch.thread_ids:
            many = len(targets) != 1
            self.status.hint = f"{'all ' if many else ''}already {'read' if read else 'unread'}"
            return
        try:
            # Durable before it is drawn, as a tag edit (see _submit).
            with self.service.batched():
                for thread_id in batch.thread_ids:
                    self.service.queue_read(thread_id, read)
        except Exception as exc:  # nothing is shown that was not stored
            self.status.hint = f"not marked {'read' if read else 'unread'}: {_error_text(exc)}"
            return
        originals: dict[str, ThreadSummary] = {}
        for thread_id in batch.thread_ids:
            summary = self.thread_list.known_summary(thread_id)
            if summary is not None:
                originals[thread_id] = summary
                self._show_summary(apply_read(summary, read))
        self.status.hint = batch.describe()
        self._queue.append(_QueuedBatch(batch, originals, undo=False))
        self._store_next()

    @work(thread=True, group="tags", exit_on_error=False)
    def _store_read(self, batch: ReadBatch) -> None:
        stored: list[str] = []
        try:
            for thread_id in batch.thread_ids:
                self.service.mark_read(thread_id, read=batch.read, queued=True)
                stored.append(thread_id)
            pending = self.service.pending_count()
        except Exception as exc:  # reverted on screen and reported
            self.post_message(ReadFailed(batch, stored, _error_text(exc)))
            return
        self.post_message(ReadStored(batch, pending))

    @on(ReadStored)
    async def _read_stored(self, message: ReadStored) -> None:
        self._queue.popleft()
        self._storing = False
        self.status.pending = message.pending
        await self._show_read_state(message.batch.thread_ids, message.batch.read)
        self._store_next()
        self._push_soon()

    @on(ReadFailed)
    async def _read_failed(self, message: ReadFailed) -> None:
        queued = self._queue.popleft()
        self._storing = False
        batch = message.batch
        await self._show_read_state(message.stored, batch.read)
        for thread_id in batch.thread_ids:
            original = queued.originals.get(thread_id)
            summary = self.thread_list.known_summary(thread_id)
            if thread_id not in message.stored and original is not None and summary:
                self._show_summary(replace(summary, unread=original.unread))
        state = "read" if batch.read else "unread"
        self.status.hint = f"not marked {state}: {message.error}"
        self.notify(message.error, title=f"Mark {state} failed", severity="error", markup=False)
        self._store_next()

    async def _show_read_state(self, thread_ids: Sequence[str], read: bool) -> None:
        """Rows (again, in case a reload came between) and the open thread's unread markers."""
        for thread_id in thread_ids:
            summary = self.thread_list.known_summary(thread_id)
            if summary is not None and summary != apply_read(summary, read):
                self._show_summary(apply_read(summary, read))
        detail = self.message_view.detail
        if detail is not None and detail.summary.id in thread_ids:
            messages = tuple(replace(m, unread=not read) for m in detail.messages)
            summary = apply_read(detail.summary, read)
            await self.message_view.show(replace(detail, summary=summary, messages=messages))

    def action_undo(self) -> None:
        batch = self.undo_stack.pop()
        if batch is None:
            self.status.hint = "nothing to undo"
            return
        self._submit(batch.inverse(), undo=True)

    def action_tag_pick(self) -> None:
        targets = self._targets()
        if not targets:
            self.status.hint = "no thread to tag"
            return
        names = [t.name for t in self.catalog]
        state: dict[str, TagState] = {name: tag_state(targets, name) for name in names}
        for target in targets:
            for name in target.tags:
                state.setdefault(name, tag_state(targets, name))
        count = len(targets)
        title = f"Toggle a tag on {count} thread{'s' if count != 1 else ''}"
        self.app.push_screen(
            self._tag_picker(mode="toggle", state=state, title=title), self._picked
        )

    def _tag_picker(
        self, *, mode: PickerMode, title: str, state: dict[str, TagState] | None = None
    ) -> TagPicker:
        from tui.screens.tag_picker import TagPicker

        return TagPicker(
            self.catalog, mode=mode, state=state, title=title, on_edit=self._edit_catalog_tag
        )

    @work(thread=True, group="catalog-edit", exit_on_error=False)
    def _edit_catalog_tag(self, edit: TagEdit) -> None:
        """Save a tag's description and shortcut from the picker (a shortcut another tag held
        moves to this one), share it, and reload the catalog (``tui.screens.tag_edit``)."""
        try:
            for other in self.catalog:
                if edit.shortcut and other.shortcut == edit.shortcut and other.name != edit.name:
                    self.service.tag_catalog.set(other.name, shortcut="", share=False)
            _info, problem = self.service.tag_catalog.set(
                edit.name, description=edit.description, shortcut=edit.shortcut
            )
            tags = self.service.tags()
        except Exception as exc:  # one line in the status bar; the catalog is reloaded
            self.post_message(SyncFailed(f"tag not saved: {_error_text(exc)}"))
            self._load_catalog()
            return
        self.post_message(CatalogLoaded(tags))
        if problem:
            self.post_message(SyncFailed(f"tag saved here; the next sync shares it ({problem})"))

    def _picked(self, name: str | None) -> None:
        if name:
            self.toggle_tag(canonical_guess(name))

    # -- quotes: a paragraph cursor over the customer's own words -----------------------------

    def _forget_paragraphs(self) -> None:
        self.paragraphs = ()
        self.paragraph_index = None
        self._paragraphs_of = None
        self._paragraph_step = 0
        self.thread_quotes = ()

    def _reselect_paragraph(self) -> None:
        """Keep the highlight when the open thread is shown again (a reload, quotes unfolded)."""
        if self.paragraph_index is not None:
            self.message_view.select_paragraph(*self.paragraphs[self.paragraph_index])

    def action_quote_step(self, step: int) -> None:
        """Move the paragraph cursor; the first press finds the paragraphs (in a worker)."""
        detail = self.message_view.detail
        if detail is None:
            self.status.hint = "open a thread to pick a paragraph"
            return
        thread_id = detail.summary.id
        if self._paragraphs_of != thread_id:
            if self._paragraph_step == 0:
                customers = [
                    m for m in detail.messages if not self.service.is_team_address(m.sender)
                ]
                self._load_paragraphs(thread_id, tuple(m.message_id for m in customers))
            self._paragraph_step = step
            return
        self._move_paragraph(step)

    def _move_paragraph(self, step: int) -> None:
        if not self.paragraphs:
            self.status.hint = "no paragraph written by a customer in this thread"
            return
        count = len(self.paragraphs)
        if self.paragraph_index is None:
            index = 0 if step > 0 else count - 1
        else:
            index = max(0, min(count - 1, self.paragraph_index + step))
        self.paragraph_index = index
        message_id, text = self.paragraphs[index]
        self.message_view.select_paragraph(message_id, text)
        self.status.hint = f"paragraph {index + 1}/{count}: Q saves it, C copies it"

    @work(thread=True, exclusive=True, group="paragraphs", exit_on_error=False)
    def _load_paragraphs(self, thread_id: str, message_ids: tuple[str, ...]) -> None:
        found: list[tuple[str, str]] = []
        try:
            for message_id in message_ids:
                texts = self.service.customer_paragraphs(thread_id, message_id)
                found += [(message_id, text) for text in texts]
        except Exception as exc:  # one line in the status bar
            self.post_message(QuoteFailed(f"paragraphs not found: {_error_text(exc)}"))
            return
        self.post_message(ParagraphsLoaded(thread_id, found))

    @on(ParagraphsLoaded)
    def _paragraphs_loaded(self, message: ParagraphsLoaded) -> None:
        step, self._paragraph_step = self._paragraph_step, 0
        if message.thread_id != self._shown_thread:
            return
        self._paragraphs_of = message.thread_id
        self.paragraphs = message.paragraphs
        self.paragraph_index = None
        self._move_paragraph(step or 1)

    def _selected_paragraph(self) -> tuple[str, str, str] | None:
        """(thread id, message id, text) of the highlighted paragraph."""
        if self.paragraph_index is None or self._paragraphs_of is None:
            self.status.hint = self.speak_keys(
                "pick a paragraph first ({quote.next} / {quote.prev})"
            )
            return None
        return (self._paragraphs_of, *self.paragraphs[self.paragraph_index])

    def _open_thread_id(self) -> str | None:
        """The open thread's id, or None with a hint to open one."""
        detail = self.message_view.detail
        if detail is None:
            self.status.hint = "open a thread first (enter)"
            return None
        return detail.summary.id

    def action_attach_list(self) -> None:
        """The open thread's attachments (``tui.screens.attachments``)."""
        if (thread_id := self._open_thread_id()) is not None:
            from tui.screens.attachments import AttachmentsScreen

            self.app.push_screen(AttachmentsScreen(self.service, thread_id))

    def action_links_list(self) -> None:
        """The open thread's links, text and real target side by side."""
        if (thread_id := self._open_thread_id()) is not None:
            from tui.screens.attachments import LinksScreen

            self.app.push_screen(LinksScreen(self.service, thread_id))

    def action_quote_save(self) -> None:
        selected = self._selected_paragraph()
        if selected is not None:
            self._save_quote(*selected, copy=False)

    def action_quote_copy(self) -> None:
        """Copy the paragraph with who and when (OSC 52); it is saved as a quote too if needed."""
        selected = self._selected_paragraph()
        if selected is None:
            return
        _thread_id, message_id, text = selected
        saved = next(
            (q for q in self.thread_quotes if q.message_id == message_id and q.text == text), None
        )
        if saved is None:
            self._save_quote(*selected, copy=True)
        else:
            self._copy_quote(saved)

    @work(thread=True, group="quote", exit_on_error=False)
    def _save_quote(self, thread_id: str, message_id: str, text: str, *, copy: bool) -> None:
        try:
            quote = self.service.save_quote(thread_id, message_id, text)
            line = self.service.quote_with_attribution(quote) if copy else None
        except Exception as exc:  # one line in the status bar
            self.post_message(QuoteFailed(f"quote not saved: {_error_text(exc)}"))
            return
        self.post_message(QuoteSaved(quote, line))

    @work(thread=True, group="quote", exit_on_error=False)
    def _copy_quote(self, quote: SavedQuote) -> None:
        try:
            line = self.service.quote_with_attribution(quote)
        except Exception as exc:  # one line in the status bar
            self.post_message(QuoteFailed(f"quote not copied: {_error_text(exc)}"))
            return
        self.post_message(QuoteSaved(quote, line))

    @on(QuoteSaved)
    def _quote_saved(self, message: QuoteSaved) -> None:
        quote = message.quote
        known = any(q.id == quote.id for q in self.thread_quotes)
        if message.copy_text is not None:
            self.app.copy_to_clipboard(message.copy_text)
            extra = "" if known else " (and saved as a quote)"
            self.status.hint = f"quote copied to the clipboard with attribution{extra}"
        else:
            self.status.hint = f"quote saved (private, {len(quote.text)} characters)"
        if not known and quote.thread_id == self._shown_thread:
            self.thread_quotes = (*self.thread_quotes, quote)
            self.side_panel.show_quotes(self.thread_quotes)

    @work(thread=True, exclusive=True, group="quotes", exit_on_error=False)
    def _load_quotes(self, thread_id: str) -> None:
        try:
            quotes = self.service.quotes(thread_id)
        except Exception as exc:  # the panel just shows none
            self.post_message(QuoteFailed(f"saved quotes not read: {_error_text(exc)}"))
            return
        self.post_message(QuotesLoaded(thread_id, quotes))

    @on(QuotesLoaded)
    def _quotes_loaded(self, message: QuotesLoaded) -> None:
        if message.thread_id == self._shown_thread:
            self.thread_quotes = message.quotes
            current = self.thread_list.current
            if current is not None and current.id == message.thread_id:
                self.side_panel.show_quotes(message.quotes)

    @on(QuoteFailed)
    def _quote_failed(self, message: QuoteFailed) -> None:
        self._paragraph_step = 0
        self.status.hint = message.error

    # -- the customer day (tui/screens/day.py) -----------------------------------------------

    def action_day_start(self) -> None:
        if self.day_running:
            self.status.hint = "a customer day is running: N skips a thread, e ends the day"
            return
        self.day_running = True
        self.add_class("-day")
        self._day_start()

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def _day_start(self) -> None:
        try:
            self.service.day_start()
            progress = self.service.day_status()
        except Exception as exc:  # one line; the mode is left
            self.post_message(DayFailed(f"customer day not started: {_error_text(exc)}"))
            return
        self.post_message(DayUpdated(progress, open_next=True, started=True))

    def _day_after_tagging(self, results: Sequence[TagEditResult]) -> None:
        """Refresh the bar; when the day's thread now has a team and a category, go on."""
        finished = any(
            r.thread_id == self.day_thread and {"team", "category"} <= {tag_kind(t) for t in r.tags}
            for r in results
        )
        self._day_status(open_next=finished)

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def _day_status(self, *, open_next: bool) -> None:
        try:
            progress = self.service.day_status()
        except Exception as exc:  # one line in the status bar
            self.post_message(DayFailed(f"customer day: {_error_text(exc)}"))
            return
        self.post_message(DayUpdated(progress, open_next=open_next))

    def action_day_skip(self) -> None:
        if not self.day_running or self.day_thread is None:
            self.status.hint = "no customer day thread to skip (D starts a day)"
            return
        self._day_skip(self.day_thread)

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def _day_skip(self, thread_id: str) -> None:
        try:
            self.service.day_skip(thread_id)
            progress = self.service.day_status()
        except Exception as exc:  # one line in the status bar
            self.post_message(DayFailed(f"not skipped: {_error_text(exc)}"))
            return
        self.post_message(DayUpdated(progress, open_next=True))

    @on(DayUpdated)
    def _day_updated(self, message: DayUpdated) -> None:
        if not self.day_running:
            return
        progress = message.progress
        self.day_bar.show(progress)
        if not message.open_next:
            return
        next_id = progress.next_thread_id
        if next_id is None:
            self.day_thread = None
            self.status.hint = "customer day: the queue is through (e ends the day)"
            return
        if message.started and self.view_name != "untagged":
            self._clear_search()
            self.action_view("untagged")
        self.day_thread = next_id
        self.show_thread(next_id)
        done = f"{progress.done}/{progress.queue_size}"
        self.status.hint = f"customer day {done}: tag a team and a category · N skips · e ends"

    def action_day_end(self) -> None:
        if not self.day_running:
            self.status.hint = "no customer day is running (D starts one)"
            return
        self._day_end()

    @work(thread=True, exclusive=True, group="day", exit_on_error=False)
    def _day_end(self) -> None:
        try:
            summary = self.service.day_end()
        except Exception as exc:  # the day keeps running
            self.post_message(DayFailed(f"customer day not ended: {_error_text(exc)}"))
            return
        self.post_message(DayEnded(summary))

    @on(DayEnded)
    def _day_ended(self, message: DayEnded) -> None:
        self._leave_day()
        self.status.hint = "customer day ended"
        self.app.push_screen(DaySummaryScreen(message.summary))

    @on(DayFailed)
    def _day_failed(self, message: DayFailed) -> None:
        if self.day_bar.progress is None:
            self._leave_day()  # it never started
        self.status.hint = message.error

    def _leave_day(self) -> None:
        self.day_running = False
        self.day_thread = None
        self.day_bar.progress = None
        self.remove_class("-day")

    async def action_quit(self) -> None:
        """Quit; in a customer day, end the day (and show its summary) first."""
        if self.day_running:
            self.action_day_end()
            return
        await self.app.run_action("quit")

    # -- views and search --------------------------------------------------------------------

    def action_view(self, name: ViewName) -> None:
        self.view_name = name
        self.view_tag = None
        if name == "awaiting":
            self.answering.show_awaiting()  # computed in a worker, then shown
            return
        self._apply_query()

    def apply_view(self) -> None:
        """Show the list of the current view (``tui.screens.answer`` after its worker)."""
        self._apply_query()

    def action_view_tag(self) -> None:
        self.app.push_screen(
            self._tag_picker(mode="filter", title="Show threads with the tag"),
            self._view_tag_picked,
        )

    def _view_tag_picked(self, name: str | None) -> None:
        if name:
            self.view_name = "tag"
            self.view_tag = name
            self._apply_query()

    def action_search(self) -> None:
        self.add_class("-searching")
        self.remove_class("-reading")
        self.search_bar.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        if self.options.search_delay <= 0:
            self._run_search(event.value)
        else:
            value = event.value
            self._search_timer = self.set_timer(
                self.options.search_delay, lambda: self._run_search(value)
            )

    def _run_search(self, text: str) -> None:
        text = " ".join(text.split())
        if text != self.search_text:
            self.search_text = text
            self._apply_query(count_later=bool(text))  # a common word's count takes a while

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self._run_search(event.value)
        self.thread_list.focus()

    def action_search_server(self) -> None:
        """Run the search field's words on the server (``tui.server_search``)."""
        words = " ".join(self.search_bar.value.split())
        self._run_search(words)
        self.status.hint = self.server_search.start(self, words)
        self.status.view = self._view_label()

    @on(ServerSearched)
    def _server_searched(self, message: ServerSearched) -> None:
        hint = self.server_search.finished(message, self.search_text)
        if hint is not None:
            self.status.hint = hint
            self._apply_query()

    @on(SearchBar.Cancelled)
    def _search_cancelled(self) -> None:
        self.remove_class("-searching")
        self._run_search("")
        self.thread_list.focus()

    # -- notes -------------------------------------------------------------------------------

    async def action_note_edit(self) -> None:
        current = self.thread_list.current
        if current is None:
            return
        if self.narrow:
            self.add_class("-reading")
        if current.id not in (self._shown_thread, self._want_thread):
            self._schedule_preview(current.id)
        self.note_editor.focus()

    @on(NoteEditor.SaveRequested)
    def _note_save_requested(self, message: NoteEditor.SaveRequested) -> None:
        version = self._note_versions.get(message.thread_id, 0) + 1
        self._note_versions[message.thread_id] = version
        self._unsaved_notes[message.thread_id] = message.text
        self._save_note(message.thread_id, message.text, version)

    @on(NoteEditor.Left)
    def _note_left(self) -> None:
        if self.narrow:
            self.message_view.focus()
        else:
            self.thread_list.focus()

    @work(thread=True, group="note", exit_on_error=False)
    def _save_note(self, thread_id: str, text: str, version: int) -> None:
        with self._note_lock:
            if self._note_versions.get(thread_id) != version:
                return  # a newer text of this note is queued behind us
            try:
                self.service.set_note(thread_id, text)
            except Exception as exc:  # kept and retried, never lost
                self.post_message(NoteFailed(thread_id, _error_text(exc)))
                return
        self.post_message(NoteStored(thread_id, text))

    @on(NoteStored)
    def _note_stored(self, message: NoteStored) -> None:
        if self._unsaved_notes.get(message.thread_id) == message.text:
            del self._unsaved_notes[message.thread_id]
        self.note_editor.mark_saved(message.thread_id, message.text)
        summary = self.thread_list.known_summary(message.thread_id)
        has_note = bool(message.text.strip())
        if summary is not None and summary.has_note != has_note:
            self.thread_list.set_override(replace(summary, has_note=has_note))
        self.status.hint = "note saved (private)"

    @on(NoteFailed)
    def _note_failed(self, message: NoteFailed) -> None:
        self.status.hint = f"note not saved yet (will retry): {message.error}"

    def _retry_unsaved_notes(self) -> None:
        for thread_id, text in list(self._unsaved_notes.items()):
            version = self._note_versions.get(thread_id, 0) + 1
            self._note_versions[thread_id] = version
            self._save_note(thread_id, text, version)

    def flush_notes(self) -> str | None:
        """Save every unsaved note now, on the UI thread (at quit). Returns an error or None."""
        editor = self.note_editor
        if editor.dirty and editor.thread_id is not None:
            self._unsaved_notes[editor.thread_id] = editor.text
        with self._note_lock:
            for thread_id, text in list(self._unsaved_notes.items()):
                try:
                    self.service.set_note(thread_id, text)
                except Exception as exc:  # the caller keeps the app open
                    return _error_text(exc)
                del self._unsaved_notes[thread_id]
                self._note_versions[thread_id] = self._note_versions.get(thread_id, 0) + 1
                editor.mark_saved(thread_id, text)
        return None

    def action_note_external(self) -> None:
        """Edit the cursor thread's note in ``$VISUAL``/``$EDITOR`` (the app is suspended)."""
        current = self.thread_list.current
        if current is None:
            self.status.hint = "no thread to write a note on"
            return
        from tui.editor import EditorError, editor_command, run_editor

        error = self.flush_notes()  # the editor must start from what was typed here
        if error is not None:
            self.status.hint = f"editor not opened, the note is not saved yet: {error}"
            return
        try:
            argv = editor_command(os.environ)
            before = self.service.note(current.id) or ""
            with self._note_lock, self.service.note_file(current.id) as path:
                run_editor(self.app, argv, path)
            after = self.service.note(current.id) or ""
        except EditorError as exc:
            self.status.hint = str(exc)
            return
        except Exception as exc:  # a service error: one line, nothing lost
            self.status.hint = f"note not saved from the editor: {_error_text(exc)}"
            return
        self._note_edited_outside(current.id, after)
        self.status.hint = "note saved (private)" if after != before else "note unchanged"

    def _note_edited_outside(self, thread_id: str, text: str) -> None:
        """Show a note the service saved from ``$EDITOR``; drop older saves still queued."""
        shown = safe_text(text)
        self._note_versions[thread_id] = self._note_versions.get(thread_id, 0) + 1
        self._unsaved_notes.pop(thread_id, None)
        if self.note_editor.thread_id == thread_id:
            self.note_editor.load_note(thread_id, shown)
        else:
            self._edited_notes[thread_id] = shown
        summary = self.thread_list.known_summary(thread_id)
        has_note = bool(text.strip())
        if summary is not None and summary.has_note != has_note:
            self.thread_list.set_override(replace(summary, has_note=has_note))

    # -- sync --------------------------------------------------------------------------------

    def _push_soon(self) -> None:
        """The sync runs behind: push stored edits shortly, without a key press."""
        if self.service.is_demo or self.status.pending == 0:
            return
        if self._push_timer is not None:
            self._push_timer.stop()
        # The edit is already durable locally; this only decides when the server hears of it.
        self._push_timer = self.set_timer(self.options.push_delay, self._push_now)

    def _push_now(self) -> None:
        self._push_timer = None
        if self._storing:
            return  # a store in flight calls _push_soon again
        self._push()  # on its own session: a running sync does not hold it up

    @work(thread=True, exclusive=True, group="push", exit_on_error=False)
    def _push(self) -> None:
        try:
            result = self.service.push()
        except Exception as exc:  # offline: the edits wait in the outbox
            self.post_message(PushFailed(_error_text(exc)))
            return
        self.post_message(PushFinished(result))

    @on(PushFinished)
    def _push_finished(self, message: PushFinished) -> None:
        result = message.result
        self.status.pending = result.pending
        if not self.service.is_demo:
            self.answering.refresh_unsent()
        if self.status.connection == "offline":
            self.status.connection = "online"
        if result.pushed:
            self.thread_list.reload()
        if result.local_only_folders:
            self.status.hint = "tags stay local: the server does not store keywords"

    @on(PushFailed)
    def _push_failed(self, message: PushFailed) -> None:
        self.status.connection = "offline"
        self.status.hint = f"{message.error} (edits kept; they go with the next sync)"

    def action_answer(self, kind: AnswerKind) -> None:
        self.answering.start(kind)

    def reload_thread(self, thread_id: str) -> None:
        """Read the open thread again if it is ``thread_id`` (an answer was added to it)."""
        if self._shown_thread == thread_id:
            self._load_thread(thread_id)

    def action_sync(self) -> None:
        if self.service.is_demo:
            self.status.hint = "demo: nothing to sync, tags stay local"
            return
        if self._syncing:
            self.status.hint = "a sync is already running"
            return
        if not self.live.sync_now():
            self.live.start()

    def _after_sync(self) -> None:
        """In the live mirror's thread, after a sync: the list reload then finds the awaiting
        view computed (a scan of every message), not on the UI thread."""
        if self.view_name == "awaiting":
            self.answering.warm()

    @on(SyncStarted)
    def _sync_started(self) -> None:
        self._syncing = True
        self.status.connection = "syncing"
        self.status.progress = ""

    @on(ConnectionChanged)
    def _connection_changed(self, message: ConnectionChanged) -> None:
        if not message.online:
            self.status.connection = "offline"
            self.status.hint = f"offline: {message.detail} (retrying; edits are kept)"
            return
        if self.status.connection == "offline":
            how = "IDLE" if message.detail == "idle" else "polling"
            self.status.hint = f"back online ({how}): new mail shows as it arrives"
        if not self._syncing:
            self.status.connection = "online"

    @on(SyncProgressed)
    def _sync_progressed(self, message: SyncProgressed) -> None:
        step = message.progress
        if step.phase == "reconnect":
            # The sync keeps trying behind; say so now, not when the last retry gave up.
            self.status.connection = "offline"
            self.status.hint = (
                f"connection lost; reconnecting ({step.done}/{step.total}), edits are kept"
            )
            return
        if self.status.connection == "offline":
            self.status.connection = "syncing"
            self.status.hint = ""
        if step.total:
            self.status.progress = f"{step.folder} {step.phase} {step.done}/{step.total}"
        else:
            self.status.progress = f"{step.folder} {step.phase}"
        if step.phase == "threads" and step.folder:
            # A first sync made the newest threads listable: show them while the rest loads.
            self.thread_list.reload()
            self.status.count = self.thread_list.count

    @on(SyncFinished)
    def _sync_finished(self, message: SyncFinished) -> None:
        self._syncing = False
        result = message.result
        self.status.connection = "local" if self.service.is_demo else "online"
        self.status.pending = result.pending
        self.status.hint = (
            "demo: nothing to sync, tags stay local"
            if self.service.is_demo
            else f"synced: {result.new} new, {result.changed} changed, {result.pushed} pushed"
        )
        self.thread_list.reload()
        self._redraw_queued()
        self.status.count = self.thread_list.count
        self._load_catalog()

    def _redraw_queued(self) -> None:
        """After a reload: edits still on their way to the cache are drawn again."""
        pending = not self.service.is_demo
        for queued in self._queue:
            batch = queued.batch
            ids = (
                batch.thread_ids
                if isinstance(batch, ReadBatch)
                else tuple(dict.fromkeys(e.thread_id for e in batch.edits))
            )
            for thread_id in ids:
                summary = self.thread_list.known_summary(thread_id)
                if summary is None:
                    continue
                if isinstance(batch, ReadBatch):
                    self._show_summary(apply_read(summary, batch.read))
                else:
                    for edit in batch.edits:
                        if edit.thread_id == thread_id:
                            summary = apply_edit(summary, edit, pending=pending)
                    self._show_summary(summary)

    @on(SyncFailed)
    def _sync_failed(self, message: SyncFailed) -> None:
        self._syncing = False
        if not self.service.is_demo:
            self.status.connection = "offline"
        self.status.hint = message.error

    # -- report and morning skim (tui/screens/report.py, tui/screens/skim.py) -----------------

    def action_report(self) -> None:
        from tui.screens.report import ReportScreen, ReportState

        if self.report_state is None:
            self.report_state = ReportState()
        self.app.push_screen(ReportScreen(self.service, self.report_state), self._report_closed)

    def _report_closed(self, tag: str | None) -> None:
        if tag:
            self.show_tag(tag)

    def action_skim(self) -> None:
        from tui.screens.skim import SkimScreen

        screen = SkimScreen(self.service, now=self.now, session=self.skim_session)
        self.app.push_screen(screen, self._skim_closed)

    def _skim_closed(self, outcome: SkimOutcome | None) -> None:
        self.skim_session = outcome.session if outcome is not None else None
        if outcome is None:
            return
        if outcome.thread_id is not None:
            self.show_thread(outcome.thread_id)
            self.status.hint = "M goes back to the skim; escape there finishes it"
        elif outcome.error is not None:
            self.status.hint = f"skim not remembered (M, then escape, retries): {outcome.error}"
        elif outcome.remembered is not None:
            self.status.hint = "skim done: the next one starts from here"

    def _clear_search(self) -> None:
        if self.search_text or self.search_bar.value:
            self.search_text = ""
            self.search_bar.value = ""
        self.remove_class("-searching")

    def show_tag(self, tag: str) -> None:
        """List every thread carrying ``tag`` (the tag view, no search narrowing it)."""
        self._clear_search()
        self._view_tag_picked(tag)
        self.thread_list.focus()

    def show_thread(self, thread_id: str) -> None:
        """Put the cursor on ``thread_id`` and open it; switch to all threads if the view
        hides it. Only the first ``FIND_LIMIT`` rows are searched (a skim's threads are recent)."""
        index = self._index_of(thread_id)
        if index is None and (self.view_name != "all" or self.search_text):
            self._clear_search()
            self.action_view("all")
            index = self._index_of(thread_id)
        if index is None:
            self.status.hint = "that thread is not among the recent threads of the list"
            return
        self.thread_list.cursor_to(index)
        current = self.thread_list.current
        if current is not None:
            self._open(current)

    def _index_of(self, thread_id: str) -> int | None:
        thread_list = self.thread_list
        for index in range(min(thread_list.count, FIND_LIMIT)):
            summary = thread_list.summary_at(index)
            if summary is not None and summary.id == thread_id:
                return index
        return None

    # -- help and misc -----------------------------------------------------------------------

    def help_entries(self) -> list[HelpEntry]:
        """Every action with its keys in the active keymap, in the reference order."""
        from tui.screens.help import HelpEntry

        bindings = [b for b in (*self.app.BINDINGS, *self.BINDINGS) if isinstance(b, Binding)]
        keys = binding_keys(self.app, bindings)
        descriptions = {b.id: describe(b.id, b.description, self.catalog) for b in bindings if b.id}
        order = list(binding_catalog())
        ordered = [i for i in order if i in keys] + sorted(set(keys) - set(order))
        return [HelpEntry(i, keys[i], descriptions[i]) for i in ordered]

    def speak_keys(self, text: str) -> str:
        """``text`` with its ``{binding.id}`` placeholders replaced by the keys in force."""
        return speak(text, binding_keys(self.app, (*self.app.BINDINGS, *self.BINDINGS)))

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        notes = [
            self.speak_keys(widget.HELP)
            for widget in (self.thread_list, self.message_view, self.side_panel, self.note_editor)
        ]
        self.app.push_screen(HelpScreen(self.help_entries(), notes, self.options.keymap_name))

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.status.hint = f"{event.worker.name}: {_error_text(event.worker.error)}"
