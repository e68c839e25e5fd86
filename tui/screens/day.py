"""The customer day in the TUI: the shift bar over the main screen and the end-of-day summary.

``DayBar`` is one line at the top of the main screen while a shift runs (the main screen's
``-day`` class shows it): a drawn progress bar of done / queue size, the time spent and how many
threads were skipped. ``DaySummaryScreen`` is the modal shown when the shift ends: threads
handled, tags added by kind, the day's notes and quotes, the time, and how to export it all.

Both only show what the main screen's workers got from the service (``DayProgress``,
``DaySummary``); nothing here calls the service. Every text is ``Content``, never markup.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from supportmail.tui.render import safe

if TYPE_CHECKING:
    from supportmail.storage.models import DayProgress, DaySummary

BAR_WIDTH = 24
"""Cells of the drawn progress bar."""

NOTE_CHARS = 80
"""How much of a note or quote the summary shows per line."""

EXPORT_HINT = "supportmail day --summary --format md"


def duration_text(elapsed: timedelta) -> str:
    """``"0 min"``, ``"42 min"``, ``"1 h 05 min"``."""
    minutes = max(0, int(elapsed.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """A bar of ``width`` cells, ``done / total`` of them filled."""
    filled = 0 if total <= 0 else min(width, round(width * done / total))
    return "█" * filled + "░" * (width - filled)


def _short(text: str) -> str:
    line = " ".join(safe(text).split())
    return line if len(line) <= NOTE_CHARS else line[: NOTE_CHARS - 1] + "…"


class DayBar(Widget):
    """One line: the running shift's progress, time and skips."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.progress: DayProgress | None = None
        self._received = time.monotonic()

    def on_mount(self) -> None:
        self.set_interval(30, self.refresh)

    def show(self, progress: DayProgress) -> None:
        """Show the service's latest word on the shift."""
        self.progress = progress
        self._received = time.monotonic()
        self.refresh()

    def elapsed(self) -> timedelta:
        """Time in the shift: the service's figure plus what passed since it was asked."""
        if self.progress is None:
            return timedelta()
        return self.progress.elapsed + timedelta(seconds=time.monotonic() - self._received)

    def render(self) -> Content:
        progress = self.progress
        if progress is None:
            return Content(" Customer day · starting…")
        parts = [
            f" Customer day  {progress_bar(progress.done, progress.queue_size)} ",
            f"{progress.done}/{progress.queue_size} done · {duration_text(self.elapsed())}",
        ]
        if progress.skipped:
            parts.append(f" · {progress.skipped} skipped")
        if progress.next_thread_id is None:
            parts.append(" · queue through")
        return Content("".join(parts))


def summary_content(summary: DaySummary) -> Content:
    """The summary as lines of plain text (subjects, notes and quotes made terminal-safe)."""
    added = summary.added_by_kind()
    done = "?" if summary.done is None else str(summary.done)
    lines = [
        f"Customer day {summary.day.isoformat()}",
        "",
        f"Threads handled: {len(summary.threads)}  (queue: {done} of {summary.queue_size} done"
        f", {summary.skipped} skipped)",
        f"Tags added: team {added['team']} · category {added['category']} · label {added['label']}",
        f"Time: {duration_text(summary.elapsed)} in {summary.shifts} "
        f"shift{'s' if summary.shifts != 1 else ''}",
        f"Marked read or unread: {summary.marked_read}",
        "",
        f"Notes ({len(summary.notes)})",
        *(f"  {note.thread_id}  {_short(note.text)}" for note in summary.notes),
        f"Quotes ({len(summary.quotes)})",
        *(f"  “{_short(quote.text)}”" for quote in summary.quotes),
    ]
    return Content("\n".join(lines))


class DaySummaryScreen(ModalScreen[None]):
    """What the customer day got done; any of escape, enter or q closes it."""

    CSS_PATH = "../styles/modals.tcss"  # loaded with the first modal screen; app-wide rules

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,enter,q", "close", "Close", show=False),
    ]

    def __init__(self, summary: DaySummary) -> None:
        super().__init__()
        self.summary = summary

    def compose(self) -> ComposeResult:
        with Vertical(id="day-summary"):
            with VerticalScroll():
                yield Static(summary_content(self.summary), id="day-summary-text")
            yield Static(Content(f"Export it: {EXPORT_HINT}  ·  escape closes"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)
