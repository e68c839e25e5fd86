"""The main screen: three panes, the status bar, the key bindings, and the feature controllers.

Layout: the thread list (with the search field above it) | the thread's messages | the side panel
(tags and note), and the status bar. Below ``NARROW_WIDTH`` columns the screen gets the
``-narrow`` class and shows the list *or* (``-reading``) the thread with the side panel under it.

The screen composes the widgets and one hidden controller per feature (``tui/controllers/``,
each owning its state, thread workers and messages): ``reader`` (the previewed and open
thread), ``triage`` (tag edits and the store queue), ``read_marks``, ``tag_catalog`` (and the
tag picker), ``quotes``, ``day`` (the customer day), ``notes`` (and ``$EDITOR``), ``views``
(views, local and server search, report, skim), ``sync`` (the live mirror and the push), and
``answering`` (reply and forward). The screen keeps the composition,
the layout, the bindings (``tui.main.bindings``; each ``action_*`` here is a one-line
delegation to its controller) and the dispatch of its widgets' messages. The list's page reads
(fast local sqlite) run on the UI thread inside ``ThreadPages.fetch``; every blocking
service call runs in a controller's thread worker.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input

from supportmail.tui.controllers.answering import Answering
from supportmail.tui.controllers.catalog import TagCatalog
from supportmail.tui.controllers.day import DayController
from supportmail.tui.controllers.notes import NoteController
from supportmail.tui.controllers.quotes import QuoteController
from supportmail.tui.controllers.read_marks import ReadMarks
from supportmail.tui.controllers.reader import ThreadReader
from supportmail.tui.controllers.sync import SyncController
from supportmail.tui.controllers.triage import TriageQueue
from supportmail.tui.controllers.views import ViewController
from supportmail.tui.keynames import binding_keys, speak
from supportmail.tui.main.bindings import MAIN_BINDINGS
from supportmail.tui.messages import NoteLeft, NoteSaveRequested
from supportmail.tui.screens.day import DayBar
from supportmail.tui.startup import after_first_frame
from supportmail.tui.widgets.message_view import ThreadView
from supportmail.tui.widgets.search_bar import SearchBar
from supportmail.tui.widgets.side_panel import SidePanel
from supportmail.tui.widgets.status_bar import StatusBar
from supportmail.tui.widgets.thread_list import ThreadList

if TYPE_CHECKING:
    from supportmail.storage.models import TagInfo, ThreadSummary
    from supportmail.storage.service.api import ServiceApi
    from supportmail.tui.controllers.views import ViewName
    from supportmail.tui.screens.answer import AnswerKind
    from supportmail.tui.screens.help import HelpEntry
    from supportmail.tui.widgets.note_editor import NoteEditor

# The help, report, skim and tag picker screens and the editor are imported when first opened:
# the first screen never needs them, and each import is start-up time.

NARROW_WIDTH = 110
"""Below this many columns the panes collapse to list -> thread."""


class _Options(NamedTuple):
    """Timing knobs of the screen (tests set the delays to 0)."""

    preview_delay: float = 0.15
    search_delay: float = 0.08
    poll_seconds: float = 60.0
    retry_seconds: float = 5.0
    keymap_name: str = "default"
    push_delay: float = 0.02
    """Seconds after the last stored edit before the outbox is pushed (a burst goes together)."""


class MainScreen(Screen[None]):
    """List | thread | side panel, the status bar, and the controllers behind the actions."""

    BINDINGS: ClassVar[list[BindingType]] = MAIN_BINDINGS

    def __init__(
        self,
        service: ServiceApi,
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
        self.reader = ThreadReader(self)
        self.triage = TriageQueue(self)
        self.read_marks = ReadMarks(self)
        self.tag_catalog = TagCatalog(self)
        self.quotes = QuoteController(self)
        self.day = DayController(self)
        self.notes = NoteController(self)
        self.views = ViewController(self)
        self.sync = SyncController(self)
        self.answering = Answering(self)
        """Reply, reply-all and forward (``tui.controllers.answering``)."""
        self._resumed = False

    # -- composition -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            with Vertical(id="list-pane"):
                yield ThreadList(self.service, now=self.now, id="threads")
            with Container(id="reading"):
                yield ThreadView(now=self.now, is_team=self.service.is_team_address, id="thread")
                yield SidePanel(id="side")
        yield StatusBar(id="status")
        yield from (self.reader, self.triage, self.read_marks, self.tag_catalog, self.quotes)
        yield from (self.day, self.notes, self.views, self.sync, self.answering)

    @property
    def thread_list(self) -> ThreadList:
        return self.query_one(ThreadList)

    @property
    def message_view(self) -> ThreadView:
        return self.query_one(ThreadView)

    @property
    def day_bar(self) -> DayBar:
        """The customer day's bar, mounted above the panes when a day first needs it (a
        first screen has no day running)."""
        found = self.query(DayBar)
        if found:
            return found.first()
        bar = DayBar(id="day-bar")
        self.mount(bar, before="#panes")
        return bar

    @property
    def side_panel(self) -> SidePanel:
        return self.query_one(SidePanel)

    @property
    def note_editor(self) -> NoteEditor:
        return self.side_panel.note

    @property
    def search_field(self) -> SearchBar | None:
        """The search field if it is mounted (``search_bar`` mounts it)."""
        found = self.query(SearchBar)
        return found.first() if found else None

    @property
    def search_bar(self) -> SearchBar:
        """The search field, mounted above the list when first needed (`/`, or a view that
        reads it): a first screen shows none."""
        field = self.search_field
        if field is not None:
            return field
        field = SearchBar(id="search")
        self.query_one("#list-pane").mount(field, before=self.thread_list)
        return field

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def narrow(self) -> bool:
        return self.has_class("-narrow")

    @property
    def catalog(self) -> list[TagInfo]:
        """The tag catalog (digits, picker, help), once loaded."""
        return self.tag_catalog.tags

    def on_mount(self) -> None:
        self._update_layout(self.app.size.width)
        status = self.status
        status.account = self.service.account
        status.connection = "local" if self.service.is_demo else "online"
        status.hint = "? for keys"
        self.views.apply(count_later=True)  # the count after the first frame
        self.thread_list.focus()
        # After the first frame: the catalog's counts (a scan of every thread, ~0.1-0.5 s in a
        # worker holding the GIL in turns) would otherwise delay the first rows.
        after_first_frame(self, self.tag_catalog.load)
        if not self.service.is_demo:
            status.pending = self.service.pending_count()
            # The outbox's unsent replies: a directory read (and the replies' modules), so
            # just after the first frame.
            after_first_frame(self, self.answering.refresh_unsent)
            # The live mirror: its first sync now, then syncs as the server reports changes.
            if self.thread_list.count:
                after_first_frame(self, self.sync.live.start)
            else:  # an empty cache: the first rows come from the sync, start it at once
                self.call_after_refresh(self.sync.live.start)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.ScreenResume) and not self._resumed:
            # The first resume follows the mount, which styled every node (and each class
            # change since restyled its node): Textual's second pass over the whole screen
            # would only repeat it, ~10 ms before the first frame.
            self._resumed = True
            event.refresh_styles = False
        await super().on_event(event)

    def on_unmount(self) -> None:
        self.sync.live.stop()

    def on_resize(self, event: events.Resize) -> None:
        self._update_layout(event.size.width)

    def _update_layout(self, width: int) -> None:
        widened = self.narrow and width >= NARROW_WIDTH
        self.set_class(width < NARROW_WIDTH, "-narrow")
        if widened:  # the thread pane shows again: load the cursor's thread (and its note)
            self.reader.follow(self.thread_list.current)

    def show_summary(self, summary: ThreadSummary) -> None:
        """Draw a changed row (and the side panel's tags if it is the cursor's thread)."""
        self.thread_list.set_override(summary)
        current = self.thread_list.current
        if current is not None and current.id == summary.id:
            self.side_panel.show_tags(summary)

    # -- what the widgets report -------------------------------------------------------------

    @on(ThreadList.Counted)
    def _counted(self, message: ThreadList.Counted) -> None:
        self.status.count = message.count
        self.status.count_more = message.more

    @on(ThreadList.CursorMoved)
    def _cursor_moved(self, event: ThreadList.CursorMoved) -> None:
        self.reader.follow(event.summary)

    @on(ThreadList.Opened)
    def _opened(self, event: ThreadList.Opened) -> None:
        self.reader.open(event.summary)

    @on(ThreadList.LoadFailed)
    def _list_failed(self, event: ThreadList.LoadFailed) -> None:
        self.status.hint = f"could not list threads: {event.error}"

    @on(ThreadList.SelectionChanged)
    def _selection_changed(self, message: ThreadList.SelectionChanged) -> None:
        self.status.selected = message.count

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self.views.search_changed(event.value)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self.views.search_submitted(event.value)

    @on(SearchBar.Cancelled)
    def _search_cancelled(self) -> None:
        self.views.search_cancelled()

    @on(NoteSaveRequested)
    def _note_save_requested(self, message: NoteSaveRequested) -> None:
        self.notes.save_requested(message.thread_id, message.text)

    @on(NoteLeft)
    def _note_left(self) -> None:
        if self.narrow:
            self.message_view.focus()
        else:
            self.thread_list.focus()

    # -- navigation --------------------------------------------------------------------------

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
            self.reader.open(current)

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

    async def action_quit(self) -> None:
        """Quit; in a customer day, end the day (and show its summary) first."""
        if self.day.running:
            self.day.end()
            return
        await self.app.run_action("quit")

    # -- the bindings' actions, each done by its controller ------------------------------------

    def action_tag_toggle(self, number: int) -> None:
        self.triage.toggle_shortcut(number)

    def action_tag_pick(self) -> None:
        self.tag_catalog.pick()

    def action_undo(self) -> None:
        self.triage.undo()

    def action_mark_read(self, read: bool) -> None:
        self.read_marks.mark(read)

    def action_quote_step(self, step: int) -> None:
        self.quotes.step(step)

    def action_quote_save(self) -> None:
        self.quotes.save()

    def action_quote_copy(self) -> None:
        self.quotes.copy()

    def action_attach_list(self) -> None:
        self.reader.attachments()

    def action_links_list(self) -> None:
        self.reader.links()

    def action_day_start(self) -> None:
        self.day.start()

    def action_day_skip(self) -> None:
        self.day.skip()

    def action_day_end(self) -> None:
        self.day.end()

    async def action_note_edit(self) -> None:
        await self.notes.edit()

    def action_note_external(self) -> None:
        self.notes.external()

    def action_view(self, name: ViewName) -> None:
        self.views.show(name)

    def action_view_tag(self) -> None:
        self.views.pick_tag()

    def action_search(self) -> None:
        self.views.search()

    def action_search_server(self) -> None:
        self.views.search_server()

    def action_report(self) -> None:
        self.views.report()

    def action_skim(self) -> None:
        self.views.skim()

    def action_answer(self, kind: AnswerKind) -> None:
        self.answering.start(kind)

    def action_sync(self) -> None:
        self.sync.sync()

    def flush_notes(self) -> str | None:
        """Save every unsaved note now, on the UI thread (at quit). Returns an error or None."""
        return self.notes.flush()

    # -- help --------------------------------------------------------------------------------

    def help_entries(self) -> list[HelpEntry]:
        """Every action with its keys in the active keymap, in the reference order."""
        from supportmail.tui.screens.help import help_entries

        return help_entries(self.app, (*self.app.BINDINGS, *self.BINDINGS), self.catalog)

    def speak_keys(self, text: str) -> str:
        """``text`` with its ``{binding.id}`` placeholders replaced by the keys in force."""
        return speak(text, binding_keys(self.app, (*self.app.BINDINGS, *self.BINDINGS)))

    def action_help(self) -> None:
        from supportmail.tui.screens.help import HelpScreen

        notes = [
            self.speak_keys(widget.HELP)
            for widget in (self.thread_list, self.message_view, self.side_panel, self.note_editor)
        ]
        self.app.push_screen(HelpScreen(self.help_entries(), notes, self.options.keymap_name))
