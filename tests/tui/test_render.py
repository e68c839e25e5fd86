"""Pure rendering and triage logic: rows, chips, bodies (quotes, signatures), edits and undo."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from textual.style import Style

from supportmail.tui.render import (
    RowLayout,
    RowStyles,
    canonical_guess,
    date_column,
    tag_label,
    thread_row,
)
from supportmail.tui.render_body import BodyStyles, body_content, split_body
from supportmail.tui.triage import (
    EditBatch,
    ThreadEdit,
    UndoStack,
    apply_edit,
    plan_toggle,
    tag_state,
)
from supportmail.tui.units import format_size
from tests.tui.fakes import NOW, make_threads


def _row(width: int, **changes: object) -> str:
    summary = dataclasses.replace(make_threads(8)[5], **changes)  # type: ignore[arg-type]
    content = thread_row(
        summary, now=NOW, customer="Grace Hopper", layout=RowLayout.for_width(width),
        styles=RowStyles(),
    )  # fmt: skip
    return content.plain


def test_row_is_exactly_as_wide_as_asked() -> None:
    for width in (40, 80, 120, 200):
        assert len(_row(width)) == width


def test_row_shows_markers_count_and_chips() -> None:
    row = _row(
        100, unread=2, has_note=True, tags=("team:tech",), pending_tags=("team:tech",), messages=7
    )
    assert row.startswith(" ●")
    assert "Grace Hopper" in row
    assert " tech↑ " in row
    assert row.rstrip().endswith("7✎↑")


def test_row_keeps_markup_literal() -> None:
    row = _row(120, subject="[b]x[/b] \x1b[2J")
    assert "[b]x[/b] ␛[2J" in row


def test_too_many_chips_collapse_to_a_count() -> None:
    tags = tuple(f"category:c{n}" for n in range(12))
    row = _row(80, tags=tags)
    assert "+" in row and len(row) == 80


def test_dates() -> None:
    assert date_column(NOW - timedelta(hours=1), NOW, 6) == " 09:30"
    assert date_column(NOW - timedelta(days=400), NOW, 6) == "  2025"
    assert date_column(NOW - timedelta(days=400), NOW, 9) == "20 Oct 25"
    assert date_column(NOW - timedelta(days=30), NOW, 9) == "   25 Oct"
    for width in (40, 80, 100):
        assert RowLayout.for_width(width).date == 9  # room for an old date's day, month, year
    assert date_column(NOW - timedelta(days=400), NOW, 11) == "20 Oct 2025"


def test_small_helpers() -> None:
    assert tag_label("team:billing") == "billing"
    assert tag_label("urgent") == "urgent"
    assert canonical_guess("  Team:  Mobile   Apps ") == "team:mobile apps"
    assert format_size(512) == "512 B"
    assert format_size(48_213) == "47.1 KB"
    assert format_size(3 * 1024 * 1024) == "3.0 MB"


def test_body_blocks() -> None:
    body = (
        "Hi,\n\nit breaks.\n\nBest,\nJo\n-- \nJo Smith\nACME\n\n"
        "On Mon, 1 Jan 2026 at 10:00, Support <s@x> wrote:\n> old\n> older\n"
    )
    kinds = [b.kind for b in split_body(body)]
    assert kinds == ["text", "signature", "attribution", "quote"]


def test_interleaved_reply_keeps_the_answers() -> None:
    body = (
        "On Tue, 2 Jan 2026, Support wrote:\n"
        "> question one?\nanswer one\n> question two?\nanswer two"
    )
    blocks = split_body(body)
    assert [b.kind for b in blocks] == ["attribution", "quote", "text", "quote", "text"]


def test_outlook_and_german_and_chinese_attributions() -> None:
    outlook = split_body("Thanks\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold")
    assert [b.kind for b in outlook] == ["text", "attribution", "quote"]
    german = split_body("Danke\nAm 12.11.2026 um 10:00 schrieb Jürgen\n<j@x.de>:\n> alt")
    assert [b.kind for b in german] == ["text", "attribution", "quote"]
    chinese = split_body("好的\n在 2026年11月1日，王小明 写道：\n> 旧")
    assert [b.kind for b in chinese] == ["text", "attribution", "quote"]


def test_long_quotes_fold_and_unfold() -> None:
    body = "Answer\n" + "\n".join(f"> line {n}" for n in range(10))
    folded = body_content(body, BodyStyles()).plain
    assert "10 quoted lines folded" in folded and "line 5" not in folded
    unfolded = body_content(body, BodyStyles(), fold_quotes=False).plain
    assert "> line 5" in unfolded


def test_body_styles_dim_the_quote() -> None:
    dim = Style(dim=True)
    content = body_content("mine\n> theirs", BodyStyles(quote=dim))
    quoted = [s for s in content.spans if content.plain[s.start : s.end].startswith("> theirs")]
    assert quoted and quoted[0].style == dim


def test_toggle_rule_for_several_threads() -> None:
    a, b, c = make_threads(3)[:3]  # a: billing+bug, b: tech, c: none
    mixed = plan_toggle([a, b, c], "category:bug")
    assert [e.thread_id for e in mixed.edits] == [b.id, c.id]
    assert all(e.add == ("category:bug",) for e in mixed.edits)
    all_have = plan_toggle([a], "category:bug")
    assert all_have.edits == (ThreadEdit(a.id, remove=("category:bug",)),)
    assert tag_state([a, b], "category:bug") == "some"
    assert tag_state([a], "category:bug") == "all"
    assert tag_state([b], "category:bug") == "none"


def test_apply_edit_and_inverse() -> None:
    thread = make_threads(2)[1]  # team:tech
    edit = ThreadEdit(thread.id, add=("category:bug", "label-x"))
    changed = apply_edit(thread, edit, pending=True)
    assert changed.tags == ("team:tech", "category:bug", "label-x")
    assert set(changed.pending_tags) == {"category:bug", "label-x"}
    back = apply_edit(changed, edit.inverse(), pending=False)
    assert back.tags == thread.tags


def test_undo_stack() -> None:
    stack = UndoStack(depth=2)
    batches = [EditBatch((ThreadEdit(str(n), add=("x",)),)) for n in range(3)]
    for batch in batches:
        stack.push(batch)
    stack.push(EditBatch(()))
    assert len(stack) == 2
    assert stack.pop() is batches[2]
    stack.replace(batches[1], batches[1].without(["1"]))
    assert stack.pop() is None
    assert batches[0].describe() == "+x on 1 thread"


def test_wide_characters_are_laid_out_by_cells() -> None:
    """A Chinese name and tag, emoji and combining marks: the row is still exactly as wide as
    asked, in terminal cells, and the count and markers stay in their columns."""
    from rich.cells import cell_len

    for width in (80, 120, 160):
        summary = dataclasses.replace(
            make_threads(8)[5],
            subject="导出失败 🚀 e\u0301xport crashed",
            tags=("team:计费", "category:bug"),
            messages=7,
            has_note=True,
        )
        row = thread_row(
            summary, now=NOW, customer="王小明 (Wáng Xiǎomíng)", layout=RowLayout.for_width(width),
            styles=RowStyles(),
        ).plain  # fmt: skip
        assert cell_len(row) == width
        assert row.endswith(" 7✎ ")
        plain = _row(width, messages=7, has_note=True)
        assert plain.endswith(" 7✎ ")
