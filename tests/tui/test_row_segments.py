"""The thread list's rows drawn straight to segments match the same row drawn through ``Content``.

``RowPainter`` lays each part's style over the row's own without building a ``Content`` per
row; these tests hold it to what ``thread_row(...).render_segments(base)`` draws, cell by cell
(text and Rich style), over widths, chips, markers, wide characters and hostile subjects.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from rich.style import Style as RichStyle
from textual.color import Color
from textual.strip import Strip
from textual.style import Style

from supportmail.storage.models import Address, ThreadSummary
from supportmail.tui.render import RowLayout, thread_row
from supportmail.tui.widgets.thread_rows import RowPainter
from tests.tui.fakes import NOW, make_threads

_PARTS = [
    "date",
    "customer",
    "subject",
    "unread",
    "count",
    "marker",
    "pending",
    "selected",
    "team",
    "category",
    "label",
]


class _Widget:
    """The two things a painter asks of its widget: a row's style and its parts' styles."""

    def __init__(self) -> None:
        self.styles: dict[str, Style] = {
            "": Style(background=Color(10, 10, 30), foreground=Color(200, 200, 200)),
            "thread-list--cursor": Style(background=Color(40, 60, 120), bold=True),
            "thread-list--selected-row": Style(background=Color(60, 20, 60)),
        }
        for n, name in enumerate(_PARTS):
            chip = name in ("team", "category", "label")
            self.styles[f"thread-list--{name}"] = Style(
                background=Color(90, 10 * n, 40) if chip else None,
                foreground=Color(20 * n, 255 - 20 * n, 100),
                italic=name == "subject",
                bold=name == "unread",
            )

    def get_visual_style(self, *names: str, partial: bool = False) -> Style:
        return self.styles[names[0] if names else ""]


def _cells(strip: Strip) -> Iterator[tuple[str, RichStyle | None]]:
    for segment in strip:
        for char in segment.text:
            yield char, segment.style


def _summaries() -> list[ThreadSummary]:
    base = make_threads(12)
    wide = dataclasses.replace(
        base[5],
        subject="导出失败 🚀 e\u0301xport crashed on a very long subject line indeed",
        participants=(Address("王小明 (Wáng Xiǎomíng)", "w@example.cn"),),
        tags=("team:计费", "category:bug", "label-x", "category:how-to", "team:tech"),
        pending_tags=("category:bug",),
        unread=3,
        has_note=True,
        messages=12,
    )
    return [*base, wide]


@pytest.mark.parametrize("width", [12, 30, 47, 76, 80, 109, 110, 160, 240])
def test_rows_match_the_content_path(width: int) -> None:
    widget = _Widget()
    painter = RowPainter(widget, now=lambda: NOW, is_team=lambda a: "support" in a.addr)  # type: ignore[arg-type]
    for summary in _summaries():
        for is_cursor in (False, True):
            for selected in (False, True):
                strip = painter.row(
                    summary, width, is_cursor=is_cursor, selected=selected, focused=True
                )
                base = widget.get_visual_style()
                if selected:
                    base = widget.get_visual_style("thread-list--selected-row")
                if is_cursor:
                    base = widget.get_visual_style("thread-list--cursor")
                content = thread_row(
                    summary,
                    now=NOW,
                    customer=painter._customer(summary),
                    layout=RowLayout.for_width(width),
                    styles=painter._row_styles(),
                    selected=selected,
                )
                expected = Strip(content.render_segments(base)).adjust_cell_length(
                    width, base.rich_style
                )
                assert strip.cell_length == width
                assert list(_cells(strip)) == list(_cells(expected)), (summary.subject, width)
