"""The morning skim: what customers wrote since your last skim, by category, their words first.

``SkimScreen`` shows ``Service.skim(remember=False)``: every thread a customer wrote in since the
last skim (the first time: the last 24 hours), grouped by category (largest group first, the
uncategorised last), newest first within a group, each as the first lines the customer wrote and
then who, the subject and when. It is computed in a thread worker behind a loading indicator.

Reading here marks nothing read, locally or on the server. The skim is *remembered* only when you
leave the view with ``escape`` (or ``q``): then ``Service.remember_skim(until)`` stores the moment
the digest was made, so mail that arrived while you read stays new for the next skim.

``enter`` opens the highlighted thread in the main screen and keeps the skim unfinished: the screen
dismisses with a ``SkimOutcome`` carrying the ``SkimSession`` (the digest and the highlighted
row), which the main screen hands back the next time the skim is opened, so it resumes where
you left it instead of starting over. Movement keys follow the ``thread.*`` and ``page.*``
binding ids, so vim and emacs users move as they do in the thread list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.style import Style
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from supportmail.tui.render import safe
from supportmail.tui.render_insight import InsightStyles, skim_heading, skim_item, skim_title
from supportmail.tui.screens.navigation import list_navigation

if TYPE_CHECKING:
    from supportmail.storage.models import Digest, DigestItem
    from supportmail.storage.service.api import ServiceApi

HINT = "enter open the thread (M comes back) · escape done: remember this skim"


@dataclass
class SkimSession:
    """A skim being read: the digest shown and the highlighted row (kept across ``enter``)."""

    digest: Digest
    first: bool
    """There was no earlier skim (the digest covers the last 24 hours)."""
    highlighted: int | None = None


@dataclass(frozen=True)
class SkimOutcome:
    """How the skim view was left: a thread to open, and the session to resume (or None)."""

    thread_id: str | None
    session: SkimSession | None
    remembered: datetime | None = None
    """The moment stored as the last skim, when the view was left as done."""
    error: str | None = None


class SkimList(OptionList):
    """The digest: a heading per category, then its threads."""

    COMPONENT_CLASSES: ClassVar[set[str]] = OptionList.COMPONENT_CLASSES | {
        "skim-list--team",
        "skim-list--category",
        "skim-list--label",
        "skim-list--heading",
        "skim-list--muted",
        "skim-list--text",
    }

    def part(self, name: str, *, full: bool = False) -> Style:
        """The style of one ``skim-list--NAME`` component class."""
        return self.get_visual_style(f"skim-list--{name}", partial=not full)

    def insight_styles(self) -> InsightStyles:
        part = self.part
        return InsightStyles(
            team=part("team", full=True),
            category=part("category", full=True),
            label=part("label", full=True),
            heading=part("heading"),
            muted=part("muted"),
            text=part("text"),
        )


def _option_id(group: int, item: DigestItem) -> str:
    """Unique per row: a thread with two categories is in two groups."""
    return f"{group}:{item.thread_id}"


def _thread_of(option_id: str | None) -> str | None:
    if option_id is None or ":" not in option_id:
        return None
    return option_id.split(":", 1)[1]


class SkimScreen(Screen[SkimOutcome]):
    """Everything customers wrote since the last skim; escape remembers it as read through."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["../styles/modals.tcss", "../styles/report.tcss"]

    BINDINGS: ClassVar[list[BindingType]] = [
        *list_navigation("thread"),
        Binding("enter", "open", "Open the thread", id="thread.open", show=False),
        Binding("escape", "done", "Done: remember this skim", id="thread.close", show=False),
        Binding("q", "done", "Done: remember this skim", show=False),
    ]

    class Loaded(Message):
        """The worker's digest (``first``: there was no earlier skim)."""

        def __init__(self, digest: Digest, first: bool) -> None:
            super().__init__()
            self.digest = digest
            self.first = first

    class LoadFailed(Message):
        """The digest could not be made (one line)."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class Remembered(Message):
        """``until`` is stored as the last skim (``error`` says why not)."""

        def __init__(self, until: datetime, error: str | None) -> None:
            super().__init__()
            self.until = until
            self.error = error

    def __init__(
        self,
        service: ServiceApi,
        *,
        now: Callable[[], datetime],
        session: SkimSession | None = None,
    ) -> None:
        super().__init__()
        self.service = service
        self.now = now
        self.session = session
        self._leaving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="skim"):
            yield Static(Content("Morning skim"), id="skim-title")
            yield Static(id="skim-counts")
            yield SkimList(id="skim-list")
            yield Static(Content(HINT), id="skim-hint")

    @property
    def items(self) -> SkimList:
        return self.query_one(SkimList)

    def on_mount(self) -> None:
        self.items.focus()
        if self.session is not None:
            self._show(self.session)
        else:
            self.items.loading = True
            self._load()

    # -- loading -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="skim", exit_on_error=False)
    def _load(self) -> None:
        worker = get_current_worker()
        try:
            first = self.service.last_skim() is None
            digest = self.service.skim(remember=False)
        except Exception as exc:  # shown on the screen, never fatal
            if not worker.is_cancelled:
                self.post_message(self.LoadFailed(str(exc) or type(exc).__name__))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(digest, first))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.items.loading = False
        self.session = SkimSession(message.digest, message.first)
        self._show(self.session)

    @on(LoadFailed)
    def _load_failed(self, message: LoadFailed) -> None:
        self.items.loading = False
        self.query_one("#skim-counts", Static).update(
            Content(f"Could not make the skim: {safe(message.error)}")
        )

    # -- showing -----------------------------------------------------------------------------

    def _show(self, session: SkimSession) -> None:
        digest = session.digest
        title = skim_title(digest.since, digest.until, digest.threads, first=session.first)
        self.query_one("#skim-title", Static).update(Content(f"Morning skim · {title}"))
        counts = " · ".join(
            f"{safe(g.category.removeprefix('category:')) if g.category else 'not categorised'}"
            f" {len(g.items)}"
            for g in digest.groups
        )
        counts = counts or "Nothing new from customers since then."
        missing = digest.coverage.note("excerpts from")  # said only when text is missing
        if missing is not None:
            counts += f" · {missing}"
        self.query_one("#skim-counts", Static).update(Content(counts))
        items = self.items
        styles = items.insight_styles()
        now = self.now()
        options: list[Option | None] = []
        for number, group in enumerate(digest.groups):
            if options:
                options.append(None)
            options.append(Option(skim_heading(group, styles), disabled=True))
            for item in group.items:
                options.append(Option(skim_item(item, now, styles), id=_option_id(number, item)))
        items.clear_options()
        items.add_options(options)
        if session.highlighted is not None and session.highlighted < items.option_count:
            items.highlighted = session.highlighted
        else:
            self.action_edge(0)

    # -- actions -----------------------------------------------------------------------------

    @property
    def current_thread(self) -> str | None:
        """The highlighted thread's id (None on a heading or while loading)."""
        items = self.items
        if items.highlighted is None or self.session is None:
            return None
        return _thread_of(items.get_option_at_index(items.highlighted).id)

    def _enabled(self) -> list[int]:
        items = self.items
        return [
            index
            for index in range(items.option_count)
            if not items.get_option_at_index(index).disabled
        ]

    def action_move(self, delta: int) -> None:
        enabled = self._enabled()
        if not enabled:
            return
        current = self.items.highlighted
        position = enabled.index(current) if current in enabled else 0
        self.items.highlighted = enabled[max(0, min(len(enabled) - 1, position + delta))]

    def action_edge(self, end: int) -> None:
        enabled = self._enabled()
        if enabled:
            self.items.highlighted = enabled[-1] if end else enabled[0]

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.items.scrollable_content_region.height // 3))

    @on(OptionList.OptionSelected, "#skim-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._open(_thread_of(event.option.id))

    def action_open(self) -> None:
        self._open(self.current_thread)

    def _open(self, thread_id: str | None) -> None:
        if thread_id is None or self.session is None or self._leaving:
            return
        self.session.highlighted = self.items.highlighted
        self.dismiss(SkimOutcome(thread_id=thread_id, session=self.session))

    def action_done(self) -> None:
        """Leave the skim as read through: remember its moment, then close."""
        if self._leaving:
            return
        if self.session is None:  # nothing was shown: nothing to remember
            self.workers.cancel_group(self, "skim")
            self.dismiss(SkimOutcome(thread_id=None, session=None))
            return
        self._leaving = True
        self._remember(self.session.digest.until)

    @work(thread=True, group="skim-remember", exit_on_error=False)
    def _remember(self, until: datetime) -> None:
        try:
            self.service.remember_skim(until)
        except Exception as exc:  # the session is kept; leaving again retries
            self.post_message(self.Remembered(until, str(exc) or type(exc).__name__))
            return
        self.post_message(self.Remembered(until, None))

    @on(Remembered)
    def _remembered(self, message: Remembered) -> None:
        if message.error is None:
            self.dismiss(SkimOutcome(None, None, remembered=message.until))
        else:
            self.dismiss(SkimOutcome(None, self.session, error=message.error))
