"""The report screen's first-reply view: one row per tag (threads, answered, median, p90, shares
within an hour and a day) and the highlighted tag's periods in words. Pure: values in, Textual
``Content`` out (tag names are escaped by ``chip_cell``; nothing here is markup)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from textual.content import Content
from textual.style import Style

from supportmail.storage.dates import format_duration
from supportmail.tui.render import fit, safe
from supportmail.tui.render_insight import NBSP, chip_cell, period_label
from supportmail.tui.units import format_share

if TYPE_CHECKING:
    from supportmail.storage.models import Granularity, ResponseReport, ResponseStats
    from supportmail.tui.render_insight import InsightStyles

ALL_THREADS = "(all threads)"
"""The first row's name: every thread of the window, tagged or not."""

_NUMBER = 10
_COLUMNS = ("threads", "answered", "median", "p90", "≤1h", "≤24h")


@dataclass(frozen=True, slots=True)
class RepliesRow:
    """One row of the view: a tag (or every thread) with its statistics and periods."""

    tag: str
    stats: ResponseStats
    periods: tuple[tuple[datetime, ResponseStats], ...]


def replies_rows(report: ResponseReport) -> list[RepliesRow]:
    """Every thread first, then the tags in the report's order."""
    rows = [RepliesRow(ALL_THREADS, report.total, report.total_periods)]
    rows += [RepliesRow(t.tag, t.stats, t.periods) for t in report.tags]
    return rows


def _tag_width(width: int, rows: list[RepliesRow]) -> int:
    wanted = max((len(safe(r.tag)) + 2 for r in rows), default=10)
    return max(10, min(wanted, 34, width - _NUMBER * len(_COLUMNS)))


def replies_header(width: int, rows: list[RepliesRow], style: Style) -> Content:
    tag = _tag_width(width, rows)
    text = fit(" tag", tag) + "".join(name.rjust(_NUMBER) for name in _COLUMNS)
    return Content.assemble((text, style)).truncate(width, pad=True)


def replies_row(row: RepliesRow, width: int, tag_width: int, styles: InsightStyles) -> Content:
    """``team:billing   51   35   14h 18m   2d 11h   4%   49%``."""
    s = row.stats
    cells = (
        str(s.threads),
        str(s.answered),
        format_duration(s.first_reply_median_s),
        format_duration(s.first_reply_p90_s),
        format_share(s.within_1h),
        format_share(s.within_24h),
    )
    name = (
        Content.assemble((fit(" " + ALL_THREADS, tag_width), styles.text))
        if row.tag == ALL_THREADS
        else chip_cell(row.tag, tag_width, styles)
    )
    numbers = "".join(c.rjust(_NUMBER) for c in cells)
    return Content.assemble(name, (numbers, styles.text)).truncate(width, pad=True)


def replies_table(
    report: ResponseReport, width: int, styles: InsightStyles
) -> tuple[list[RepliesRow], list[Content]]:
    rows = replies_rows(report)
    tag_width = _tag_width(width, rows)
    return rows, [replies_row(r, width, tag_width, styles) for r in rows]


def replies_title(report: ResponseReport) -> str:
    total = report.total
    return (
        f"{total.threads} threads, {total.answered} answered, median first reply "
        f"{format_duration(total.first_reply_median_s)}; {len(report.waiting)} waiting now"
    )


def replies_detail(row: RepliesRow, by: Granularity, styles: InsightStyles) -> Content:
    """The highlighted row in words, then its median first reply per period."""
    s = row.stats
    head = (
        f"{safe(row.tag)}: {s.threads} thread{'s' if s.threads != 1 else ''}, "
        f"{s.answered} answered; first reply median {format_duration(s.first_reply_median_s)}, "
        f"90th percentile {format_duration(s.first_reply_p90_s)}; "
        f"{format_share(s.within_1h)} within an hour, {format_share(s.within_24h)} within a day"
    )
    periods: list[tuple[str, Style]] = []
    for start, p in row.periods:
        if periods:
            periods.append((" · ", styles.muted))
        label = period_label(start, by).replace(" ", NBSP)
        periods.append((label + NBSP, styles.muted))
        median = format_duration(p.first_reply_median_s).replace(" ", NBSP)
        periods.append((f"{median}{NBSP}({p.answered}/{p.threads})", styles.text))
    return Content.assemble(
        (head, styles.text),
        "\n",
        ("first reply: from the first customer message to the team's next one", styles.muted),
        "\n",
        *periods,
    )
