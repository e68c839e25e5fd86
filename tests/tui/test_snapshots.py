"""Snapshot tests of the main screen (SVGs under __snapshots__; update with --snapshot-update).

The fake mailbox and a fixed clock keep them stable; the list has focus, so no cursor blinks.
"""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot

from tests.tui.conftest import settle
from tests.tui.snapshot_app import snapshot_app


async def _ready(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await pilot.press("j", "j")
    await settle(pilot)


def test_main_screen_80x24(snap_compare: Any) -> None:
    """Narrow: only the thread list, full width. Row 3 highlighted; rows show relative dates
    (09:30, Mon, 17 Nov, 2025), customer names, hostile subjects as literal text (``[bold]x[/]``,
    ``␛[2J``), blue team and purple category chips, ● unread markers, message counts; the
    status bar reads ``fake  all (41) · demo · tags stay local``."""
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=_ready)


def test_main_screen_160x48(snap_compare: Any) -> None:
    """Wide: list | thread | side panel. The third thread (王小明, subject ``␛[2Jcleared?``) is
    open: three messages, the team reply with a blue left bar, the quote below "On Mon, 23 Nov
    2026 … wrote:" folded to "┆ 5 quoted lines folded", the signature dimmed, the attachment
    ``export.log  text/plain  47.1 KB``; the side panel shows "no tags" and the private note."""
    assert snap_compare(snapshot_app(), terminal_size=(160, 48), run_before=_ready)
