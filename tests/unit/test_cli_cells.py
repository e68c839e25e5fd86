"""CLI tables lay out by terminal cells: a Chinese name does not shift the columns after it."""

from __future__ import annotations

import pytest

from supportmail.tui.cli.output import cell_width, clip, pad


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ("Grace", 5),
        ("王小明", 6),
        ("e\u0301", 1),  # e + combining acute
        ("🚀x", 3),
        ("Ｆｕｌｌ", 8),  # fullwidth forms
        ("a\u200bb", 2),  # zero-width space
    ],
)
def test_cell_width(text: str, cells: int) -> None:
    assert cell_width(text) == cells


def test_pad_and_clip_by_cells() -> None:
    assert cell_width(pad("王小明", 10)) == 10
    assert pad("Grace", 8) == "Grace   "
    clipped = clip("王小明王小明", 7)
    assert clipped.endswith("…") and cell_width(clipped) <= 7
    assert cell_width(pad("王小明王小明王小明", 7)) == 7
    assert clip("short", 10) == "short"


def test_threads_table_columns_line_up_with_wide_names(capsys: pytest.CaptureFixture[str]) -> None:
    from supportmail.tui import cli

    assert cli.run(["--account", "demo", "threads", "--limit", "60"]) == 0
    lines = capsys.readouterr().out.splitlines()
    wide = [line for line in lines if any(cell_width(ch) == 2 for ch in line[:60])]
    narrow = [line for line in lines if line.isascii()]
    assert wide and narrow  # the demo has Chinese customers

    # The rows are: id, date, 3 marks, customer (22 cells), count (3), subject. The subject
    # starts at the same cell in every row.
    start = 12 + 2 + 11 + 2 + 3 + 1 + 22 + 2 + 3 + 2
    for line in wide + narrow:
        cut = next(i for i in range(len(line)) if cell_width(line[:i]) == start)
        assert line[cut - 2 : cut] == "  " and line[cut - 5 : cut - 2].strip().isdigit()
