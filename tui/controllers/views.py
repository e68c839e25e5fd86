"""What the thread list shows: the view (all, untagged, unread, awaiting, one tag), the search
words (local, and on the server), and the jumps other screens ask for.

``thread_query`` builds the list's ``ThreadQuery``; ``apply`` sets it and the status bar's
label. The search field runs the local search as it is typed (debounced by ``search_delay``);
``S`` runs its words on the server (``tui.server_search``: a worker posting ``ServerSearched``
here). ``show_thread`` and ``show_tag`` are how the report, the skim and the customer day put a
thread or a tag on screen; the report (``I``) and the morning skim (``M``) open from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from textual import on

from supportmail.storage.models import ThreadQuery
from supportmail.tui.controllers.base import Controller
from supportmail.tui.server_search import ServerSearch, ServerSearched

if TYPE_CHECKING:
    from textual.timer import Timer

    from supportmail.tui.main.screen import MainScreen
    from supportmail.tui.screens.report import ReportState
    from supportmail.tui.screens.skim import SkimOutcome, SkimSession

__all__ = ["FIND_LIMIT", "ViewController", "ViewName"]

FIND_LIMIT = 2000
"""How many rows ``show_thread`` searches for a thread (20 page queries at most)."""

ViewName = Literal["all", "untagged", "unread", "awaiting", "tag"]


class ViewController(Controller):
    """The list's view and search, and the report and skim that lead back into it."""

    def __init__(self, main: MainScreen) -> None:
        super().__init__(main)
        self.view: ViewName = "all"
        self.view_tag: str | None = None
        self.search_text = ""
        self.server_search = ServerSearch(main.service)
        """The search words run on the server (``search.server``) and what it found."""
        self._search_timer: Timer | None = None
        self.report_state: ReportState | None = None
        """What the report showed last (made when the report first opens)."""
        self.skim_session: SkimSession | None = None

    def thread_query(self) -> ThreadQuery:
        query = ThreadQuery(
            tags=(self.view_tag,) if self.view == "tag" and self.view_tag else (),
            untagged=self.view == "untagged",
            unread=self.view == "unread",
            awaiting=self.view == "awaiting",
            search=self.search_text or None,
        )
        return self.server_search.narrow(query)

    def label(self) -> str:
        """The status bar's name of the view (and the search)."""
        label = f"tag {self.view_tag}" if self.view == "tag" else self.view
        if self.search_text:
            label += " · " + self.server_search.label(self.search_text)
        return label

    def apply(self, *, count_later: bool = False) -> None:
        """Show the list of the current view and search."""
        main = self.main
        thread_list = main.thread_list
        thread_list.clear_selection()
        thread_list.set_query(self.thread_query(), count_later=count_later)
        main.status.view = self.label()
        main.status.count = thread_list.count if thread_list.count_known else None

    def show(self, view: ViewName) -> None:
        """Switch to ``view`` (the awaiting view once its worker computed it)."""
        self.view = view
        self.view_tag = None
        if view == "awaiting":
            self.main.answering.show_awaiting()  # computed in a worker, then shown
            return
        self.apply()

    def pick_tag(self) -> None:
        """The tag picker, then the view of the picked tag."""
        picker = self.main.tag_catalog.picker(mode="filter", title="Show threads with the tag")
        self.app.push_screen(picker, self._tag_picked)

    def _tag_picked(self, name: str | None) -> None:
        if name:
            self.view = "tag"
            self.view_tag = name
            self.apply()

    # -- search --------------------------------------------------------------------------------

    def search(self) -> None:
        """Into the search field."""
        main = self.main
        main.add_class("-searching")
        main.remove_class("-reading")
        # Focused now, not after the keys already queued (``focus()`` waits for them): a word
        # typed right after `/` goes into the field (``SupportMailApp._typed_ahead``), not to
        # the list.
        main.set_focus(main.search_bar)

    def search_changed(self, value: str) -> None:
        """The search field changed: search after ``search_delay`` (the newest text wins)."""
        if self._search_timer is not None:
            self._search_timer.stop()
        delay = self.main.options.search_delay
        if delay <= 0:
            self.run_search(value)
        else:
            self._search_timer = self.set_timer(delay, lambda: self.run_search(value))

    def run_search(self, text: str) -> None:
        text = " ".join(text.split())
        if text != self.search_text:
            self.search_text = text
            self.apply(count_later=bool(text))  # a common word's count takes a while

    def search_submitted(self, value: str) -> None:
        self.run_search(value)
        self.main.thread_list.focus()

    def search_cancelled(self) -> None:
        self.main.remove_class("-searching")
        self.run_search("")
        self.main.thread_list.focus()

    def search_server(self) -> None:
        """Run the search field's words on the server (``tui.server_search``)."""
        words = " ".join(self.main.search_bar.value.split())
        self.run_search(words)
        self.hint(self.server_search.start(self, words))
        self.main.status.view = self.label()

    @on(ServerSearched)
    def _server_searched(self, message: ServerSearched) -> None:
        hint = self.server_search.finished(message, self.search_text)
        if hint is not None:
            self.hint(hint)
            self.apply()

    def clear_search(self) -> None:
        search_bar = self.main.search_field
        if self.search_text or (search_bar is not None and search_bar.value):
            self.search_text = ""
            if search_bar is not None:
                search_bar.value = ""
        self.main.remove_class("-searching")

    # -- jumps ---------------------------------------------------------------------------------

    def show_tag(self, tag: str) -> None:
        """List every thread carrying ``tag`` (the tag view, no search narrowing it)."""
        self.clear_search()
        self._tag_picked(tag)
        self.main.thread_list.focus()

    def show_thread(self, thread_id: str) -> None:
        """Put the cursor on ``thread_id`` and open it; switch to all threads if the view
        hides it. Only the first ``FIND_LIMIT`` rows are searched (a skim's threads are recent)."""
        index = self._index_of(thread_id)
        if index is None and (self.view != "all" or self.search_text):
            self.clear_search()
            self.show("all")
            index = self._index_of(thread_id)
        if index is None:
            self.hint("that thread is not among the recent threads of the list")
            return
        thread_list = self.main.thread_list
        thread_list.cursor_to(index)
        current = thread_list.current
        if current is not None:
            self.main.reader.open(current)

    def _index_of(self, thread_id: str) -> int | None:
        thread_list = self.main.thread_list
        for index in range(min(thread_list.count, FIND_LIMIT)):
            summary = thread_list.summary_at(index)
            if summary is not None and summary.id == thread_id:
                return index
        return None

    # -- report and morning skim (tui/screens/report.py, tui/screens/skim.py) -------------------

    def report(self) -> None:
        from supportmail.tui.screens.report import ReportScreen, ReportState

        if self.report_state is None:
            self.report_state = ReportState()
        self.app.push_screen(ReportScreen(self.service, self.report_state), self._report_closed)

    def _report_closed(self, tag: str | None) -> None:
        if tag:
            self.show_tag(tag)

    def skim(self) -> None:
        from supportmail.tui.screens.skim import SkimScreen

        screen = SkimScreen(self.service, now=self.main.now, session=self.skim_session)
        self.app.push_screen(screen, self._skim_closed)

    def _skim_closed(self, outcome: SkimOutcome | None) -> None:
        self.skim_session = outcome.session if outcome is not None else None
        if outcome is None:
            return
        if outcome.thread_id is not None:
            self.show_thread(outcome.thread_id)
            self.hint("M goes back to the skim; escape there finishes it")
        elif outcome.error is not None:
            self.hint(f"skim not remembered (M, then escape, retries): {outcome.error}")
        elif outcome.remembered is not None:
            self.hint("skim done: the next one starts from here")
