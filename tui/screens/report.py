"""The report screen: one row per tag with its sparkline, spike flag, customers and trend.

``ReportScreen`` is a full screen over the main screen. It asks ``Service.report(by=, kind=)`` in
a thread worker (the list shows a loading indicator meanwhile; a newer request cancels an older
one) and lists the tags in the service's order: teams, then categories, then labels, each by
threads. Below the list the highlighted tag is spelled out period by period, with the numbers
behind its spike flag. Keys on the screen (not in the key map, except the movement keys, which
follow the ``thread.*`` and ``page.*`` ids so vim and emacs users move as they do in the list):

=========================  ============================================================
keys                       does
=========================  ============================================================
``d`` ``w`` ``m``          periods of a day, an ISO week, a month (12 of them, up to now)
``a`` ``t`` ``c`` ``l``    every tag, team tags, category tags, label tags
``r``                      first-reply times per tag (``Service.answers.responses``) or counts
``enter``                  close and show the highlighted tag's threads in the main list
``escape``, ``q``          close
=========================  ============================================================

The screen dismisses with the tag to show (or None); the main screen owns what that means. The
period and kind chosen live in a ``ReportState`` the main screen keeps, so the report opens the
way it was left.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar, Literal

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
from supportmail.tui.render_insight import (
    InsightStyles,
    ReportLayout,
    report_detail,
    report_header,
    report_row,
)
from supportmail.tui.render_responses import (
    replies_detail,
    replies_header,
    replies_table,
    replies_title,
)
from supportmail.tui.report_words import empty_report_reason
from supportmail.tui.screens.navigation import list_navigation

if TYPE_CHECKING:
    from supportmail.storage.models import Granularity, Report, ResponseReport, TagKind, TagReport
    from supportmail.storage.service.api import ServiceApi
    from supportmail.tui.render_responses import (
        RepliesRow,
    )

KindChoice = Literal["all", "team", "category", "label"]

_KIND_NAMES: dict[KindChoice, str] = {
    "all": "all tags",
    "team": "team tags",
    "category": "category tags",
    "label": "label tags",
}
_PERIOD_NAMES: dict[Granularity, str] = {"day": "by day", "week": "by week", "month": "by month"}

HINT = (
    "d/w/m period · a/t/c/l all/team/category/label · r first replies/counts · "
    "enter its threads · escape close"
)


@dataclass
class ReportState:
    """What the report shows, kept by the main screen between openings."""

    by: Granularity = "week"
    kind: KindChoice = "all"
    tag: str | None = None
    """The highlighted tag (kept when the period or kind changes, if it is still listed)."""
    replies: bool = False
    """Show first-reply times (``r`` toggles) instead of thread counts."""

    @property
    def service_kind(self) -> TagKind | None:
        return None if self.kind == "all" else self.kind


class ReportTable(OptionList):
    """The tag rows; its component classes style the parts of a row."""

    COMPONENT_CLASSES: ClassVar[set[str]] = OptionList.COMPONENT_CLASSES | {
        "report-table--team",
        "report-table--category",
        "report-table--label",
        "report-table--muted",
        "report-table--spark",
        "report-table--spike",
        "report-table--rising",
        "report-table--falling",
        "report-table--text",
    }

    def insight_styles(self) -> InsightStyles:
        """The row styles from CSS (chips are full styles: their background must show)."""
        part = self.part
        return InsightStyles(
            team=part("team", full=True),
            category=part("category", full=True),
            label=part("label", full=True),
            muted=part("muted"),
            spark=part("spark"),
            spike=part("spike"),
            rising=part("rising"),
            falling=part("falling"),
            text=part("text"),
        )

    def part(self, name: str, *, full: bool = False) -> Style:
        """The style of one ``report-table--NAME`` component class."""
        return self.get_visual_style(f"report-table--{name}", partial=not full)


class ReportScreen(Screen[str | None]):
    """Tags over time: counts, customers, spikes and trends; enter lists a tag's threads."""

    CSS_PATH: ClassVar[list[str | PurePath]] = ["../styles/modals.tcss", "../styles/report.tcss"]

    BINDINGS: ClassVar[list[BindingType]] = [
        *list_navigation("tag"),
        Binding("enter", "open", "Show the threads of the tag", id="thread.open", show=False),
        Binding("escape", "close", "Close the report", id="thread.close", show=False),
        Binding("q", "close", "Close the report", show=False),
        Binding("d", "period('day')", "Periods of a day", show=False),
        Binding("w", "period('week')", "Periods of a week", show=False),
        Binding("m", "period('month')", "Periods of a month", show=False),
        Binding("a", "kind('all')", "Every tag", show=False),
        Binding("t", "kind('team')", "Team tags", show=False),
        Binding("c", "kind('category')", "Category tags", show=False),
        Binding("l", "kind('label')", "Label tags", show=False),
        Binding("r", "toggle_replies", "First-reply times or thread counts", show=False),
    ]

    class Ready(Message):
        """The worker's report for request ``token``."""

        def __init__(self, token: int, report: Report) -> None:
            super().__init__()
            self.token = token
            self.report = report

    class RepliesReady(Message):
        """The worker's first-reply report for request ``token``."""

        def __init__(self, token: int, report: ResponseReport) -> None:
            super().__init__()
            self.token = token
            self.report = report

    class Failed(Message):
        """The report for request ``token`` could not be made (one line)."""

        def __init__(self, token: int, error: str) -> None:
            super().__init__()
            self.token = token
            self.error = error

    def __init__(self, service: ServiceApi, state: ReportState | None = None) -> None:
        super().__init__()
        self.service = service
        self.state = state or ReportState()
        self.report: Report | None = None
        self.replies: ResponseReport | None = None
        self.reply_rows: list[RepliesRow] = []
        self._token = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="report"):
            yield Static(id="report-title")
            yield Static(id="report-header")
            yield ReportTable(id="report-table")
            yield Static(id="report-detail")
            yield Static(Content(HINT), id="report-hint")

    @property
    def table(self) -> ReportTable:
        return self.query_one(ReportTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.refresh_report()

    def on_resize(self) -> None:
        if self.report is not None:
            self._show(self.report)
        elif self.replies is not None:
            self._show_replies(self.replies)

    # -- loading -----------------------------------------------------------------------------

    def refresh_report(self) -> None:
        """Ask for the report the state describes (a thread worker; the list shows loading)."""
        self._token += 1
        self.table.loading = True
        self._set_title("computing…")
        self._compute(self._token, self.state.by, self.state.service_kind, self.state.replies)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def _compute(self, token: int, by: Granularity, kind: TagKind | None, replies: bool) -> None:
        worker = get_current_worker()
        try:
            if replies:
                first = self.service.answers.responses(by=by, kind=kind)
                if not worker.is_cancelled:
                    self.post_message(self.RepliesReady(token, first))
                return
            report = self.service.report(by=by, kind=kind)
        except Exception as exc:  # shown on the screen, never fatal
            if not worker.is_cancelled:
                self.post_message(self.Failed(token, str(exc) or type(exc).__name__))
            return
        if not worker.is_cancelled:
            self.post_message(self.Ready(token, report))

    @on(Ready)
    def _ready(self, message: Ready) -> None:
        if message.token != self._token:
            return
        self.report = message.report
        self.replies = None
        self.table.loading = False
        self._show(message.report)

    @on(RepliesReady)
    def _replies_ready(self, message: RepliesReady) -> None:
        if message.token != self._token:
            return
        self.report = None
        self.replies = message.report
        self.table.loading = False
        self._show_replies(message.report)

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        if message.token != self._token:
            return
        self.report = None
        table = self.table
        table.loading = False
        table.clear_options()
        self._set_title("could not make the report")
        self.query_one("#report-detail", Static).update(Content(safe(message.error)))

    # -- showing -----------------------------------------------------------------------------

    def _set_title(self, status: str) -> None:
        state = self.state
        what = "First replies" if state.replies else "Report"
        text = f"{what} · {_KIND_NAMES[state.kind]} · {_PERIOD_NAMES[state.by]} · {status}"
        self.query_one("#report-title", Static).update(Content(text))

    def _show(self, report: Report) -> None:
        table = self.table
        width = table.scrollable_content_region.width or self.app.size.width - 4
        periods = len(report.period_starts)
        layout = ReportLayout.for_width(width, [t.tag for t in report.tags], periods)
        styles = table.insight_styles()
        header_style = table.part("muted")
        self.query_one("#report-header", Static).update(
            report_header(layout, report.by, periods, header_style)
        )
        keep = self.state.tag
        table.clear_options()
        table.add_options(
            [Option(report_row(t, layout, report.by, styles), id=t.tag) for t in report.tags]
        )
        spikes = sum(1 for t in report.tags if t.spike is not None)
        self._set_title(
            f"{report.threads} threads from {report.customers} customers, "
            f"{spikes} spike{'s' if spikes != 1 else ''}"
        )
        if not report.tags:
            reason = empty_report_reason(report)
            self.query_one("#report-detail", Static).update(
                Content(reason[:1].upper() + reason[1:] + ".")
            )
            return
        index = next((i for i, t in enumerate(report.tags) if t.tag == keep), 0)
        table.highlighted = index
        self._show_detail(report.tags[index])

    def _show_replies(self, report: ResponseReport) -> None:
        table = self.table
        width = table.scrollable_content_region.width or self.app.size.width - 4
        styles = table.insight_styles()
        rows, lines = replies_table(report, width, styles)
        self.reply_rows = rows
        self.query_one("#report-header", Static).update(
            replies_header(width, rows, table.part("muted"))
        )
        table.clear_options()
        table.add_options([Option(line, id=row.tag) for row, line in zip(rows, lines, strict=True)])
        self._set_title(replies_title(report))
        keep = self.state.tag
        index = next((i for i, r in enumerate(rows) if r.tag == keep), 0)
        table.highlighted = index
        self._show_reply_detail(index)

    def _show_reply_detail(self, index: int) -> None:
        if 0 <= index < len(self.reply_rows):
            row = self.reply_rows[index]
            content = replies_detail(row, self.state.by, self.table.insight_styles())
            self.query_one("#report-detail", Static).update(content)

    def _show_detail(self, tag: TagReport) -> None:
        report = self.report
        if report is None:
            return
        content = report_detail(tag, report.by, self.table.insight_styles())
        self.query_one("#report-detail", Static).update(content)

    @on(OptionList.OptionHighlighted, "#report-table")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.replies is not None and self.report is None:
            index = event.option_index
            if 0 <= index < len(self.reply_rows) and index:
                self.state.tag = self.reply_rows[index].tag
            self._show_reply_detail(index)
            return
        tag = self.tag_at(event.option_index)
        if tag is not None:
            self.state.tag = tag.tag
            self._show_detail(tag)

    @on(OptionList.OptionSelected, "#report-table")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._open_index(event.option_index)

    def tag_at(self, index: int | None) -> TagReport | None:
        """The report row at ``index`` (None while loading or out of range)."""
        report = self.report
        if report is None or index is None or not 0 <= index < len(report.tags):
            return None
        return report.tags[index]

    # -- actions -----------------------------------------------------------------------------

    def action_move(self, delta: int) -> None:
        table = self.table
        if table.option_count:
            current = table.highlighted or 0
            table.highlighted = max(0, min(table.option_count - 1, current + delta))

    def action_edge(self, end: int) -> None:
        table = self.table
        if table.option_count:
            table.highlighted = table.option_count - 1 if end else 0

    def action_page(self, direction: int) -> None:
        self.action_move(direction * max(1, self.table.scrollable_content_region.height - 1))

    def action_period(self, by: Granularity) -> None:
        if by != self.state.by:
            self.state.by = by
            self.refresh_report()

    def action_kind(self, kind: KindChoice) -> None:
        if kind != self.state.kind:
            self.state.kind = kind
            self.refresh_report()

    def action_open(self) -> None:
        self._open_index(self.table.highlighted)

    def action_toggle_replies(self) -> None:
        self.state.replies = not self.state.replies
        self.refresh_report()

    def _open_index(self, index: int | None) -> None:
        if self.state.replies and self.replies is not None and index is not None:
            if 0 < index < len(self.reply_rows) and not self.table.loading:
                self.dismiss(self.reply_rows[index].tag)  # row 0 is every thread: no tag
            return
        tag = self.tag_at(index)
        if tag is not None and not self.table.loading:
            self.dismiss(tag.tag)

    def action_close(self) -> None:
        self.dismiss(None)
