"""One sparkline scale for the TUI's report and the CLI's; month labels carry the full year."""

from __future__ import annotations

from datetime import UTC, datetime

from supportmail.tui.render_insight import InsightStyles, period_label, sparkline
from supportmail.tui.spark import sparkline_text


def test_cli_and_tui_draw_the_same_line() -> None:
    for counts in ([0, 1, 2, 4, 8], [3, 3, 3], [0, 0], [1, 100], [7, 0, 14]):
        tui_line = sparkline(counts, [False] * len(counts), InsightStyles()).plain
        assert sparkline_text(counts) == tui_line


def test_an_empty_period_is_lower_than_any_thread() -> None:
    line = sparkline_text([0, 1, 1000])
    assert line[0] == "▁" and line[1] == "▂" and line[2] == "█"


def test_month_labels_read_as_months() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert period_label(start, "month") == "Jan 2026"
    assert period_label(start, "week") == "1 Jan"
